package http

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/textproto"
)

// maxChunkLine bounds a chunk-size line with its extensions, and
// maxTrailerBytes the trailer section.
const (
	maxChunkLine    = 4096
	maxTrailerBytes = 64 << 10
)

type chunkState uint8

const (
	chunkSize    chunkState = iota // expecting chunk-size [chunk-ext] CRLF
	chunkData                      // inside chunk-data, left bytes to go
	chunkDataEnd                   // expecting the CRLF after chunk-data
	chunkTrailer                   // expecting trailer fields, then CRLF
	chunkDone                      // last chunk and trailer read
)

// chunkedReader decodes the chunked transfer coding (RFC 9112 §7.1)
// strictly: CRLF everywhere, hex sizes checked for overflow, extensions
// syntax-checked and ignored, trailer fields merged into *trailer.
type chunkedReader struct {
	src     *connReader
	state   chunkState
	left    uint64
	trailer *http.Header
	err     error
}

func (cr *chunkedReader) Read(p []byte) (int, error) {
	for cr.err == nil {
		switch cr.state {
		case chunkSize:
			line, err := cr.line(maxChunkLine)
			if err != nil {
				return 0, err
			}
			n, err := parseChunkSize(line)
			if err != nil {
				return 0, cr.fail(err)
			}
			cr.left = n
			cr.state = chunkData
			if n == 0 {
				cr.state = chunkTrailer
			}
		case chunkData:
			if len(p) == 0 {
				return 0, nil
			}
			if uint64(len(p)) > cr.left {
				p = p[:cr.left]
			}
			n, err := cr.src.Read(p)
			cr.left -= uint64(n)
			if cr.left == 0 {
				cr.state = chunkDataEnd
			}
			if n > 0 {
				return n, nil
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, cr.fail(err)
		case chunkDataEnd:
			crlf, err := cr.src.peek(2)
			if len(crlf) < 2 {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return 0, cr.fail(err)
			}
			if crlf[0] != '\r' || crlf[1] != '\n' {
				return 0, cr.fail(errChunkedFraming)
			}
			cr.src.consume(2)
			cr.state = chunkSize
		case chunkTrailer:
			if err := cr.readTrailer(); err != nil {
				return 0, cr.fail(err)
			}
			cr.state = chunkDone
		case chunkDone:
			return 0, io.EOF
		}
	}
	return 0, cr.err
}

func (cr *chunkedReader) fail(err error) error {
	cr.err = err
	return err
}

// line reads one CRLF-terminated line and returns it without the CRLF.
func (cr *chunkedReader) line(limit int) ([]byte, error) {
	line, err := cr.src.readLine(limit + 1)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, cr.fail(err)
	}
	if len(line) == 0 || line[len(line)-1] != '\r' {
		return nil, cr.fail(errChunkBareLF)
	}
	line = line[:len(line)-1]
	if bytes.IndexByte(line, '\r') >= 0 {
		return nil, cr.fail(errChunkCR)
	}
	return line, nil
}

// parseChunkSize parses 1*HEXDIG [ ";" chunk-ext ] and refuses sizes
// past 2^63-1, whitespace around the size and control bytes in
// extensions (net/http accepts the last two). Its errors read as
// net/http's, since handlers see them.
func parseChunkSize(line []byte) (uint64, error) {
	var n uint64
	i := 0
	for ; i < len(line); i++ {
		d, ok := hexDigit(line[i])
		if !ok {
			break
		}
		if i == 16 || n>>59 != 0 { // as net/http: at most 16 digits; and below 2^63
			return 0, errChunkTooLarge
		}
		n = n<<4 | uint64(d)
	}
	ext := line[i:]
	if len(ext) > 0 && ext[0] != ';' {
		return 0, errChunkSizeByte
	}
	if i == 0 {
		return 0, errChunkSizeEmpty
	}
	if !validFieldValue(string(ext)) {
		return 0, errChunkedFraming
	}
	return n, nil
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// readTrailer reads trailer fields up to the empty line and merges them
// into *cr.trailer, as net/http does. The collected lines are parsed by
// net/textproto, as in net/http, so a handler sees the same fields and
// the same errors; trailers do not frame anything.
func (cr *chunkedReader) readTrailer() error {
	var block []byte
	for {
		// Only the line ends are checked here (CRLF, no bare LF);
		// textproto judges the rest, with net/http's words.
		line, err := cr.src.readLine(maxTrailerBytes)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if len(line) == 0 || line[len(line)-1] != '\r' {
			return errChunkBareLF
		}
		line = line[:len(line)-1]
		block = append(block, line...)
		block = append(block, '\r', '\n')
		if len(line) == 0 {
			break
		}
		if len(block) > maxTrailerBytes {
			return errChunkedFraming
		}
	}
	if len(block) == 2 {
		return nil
	}
	mh, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(block))).ReadMIMEHeader()
	if err != nil {
		return err
	}
	h := http.Header(mh)
	if *cr.trailer == nil {
		*cr.trailer = h
		return nil
	}
	for k, vv := range h {
		(*cr.trailer)[k] = vv
	}
	return nil
}
