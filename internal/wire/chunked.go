package wire

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/textproto"
)

// maxChunkLine bounds a chunk-size line with its extensions, and
// maxTrailerBytes the trailer section, unless the reader sets lower
// limits; maxChunkOverhead bounds the bytes that are not data (as
// net/http counts them: see Read).
const (
	maxChunkLine     = 4096
	maxTrailerBytes  = 64 << 10
	maxChunkOverhead = 16 << 10
)

// A Source is the buffered input a ChunkedReader decodes: the server's
// connection buffer, or, for ReadResponse, a *bufio.Reader (bufioSource).
type Source interface {
	// Read reads body bytes, from the buffer first.
	io.Reader
	// Peek returns the next n bytes without consuming them; on a read
	// error it returns fewer, with the error.
	Peek(n int) ([]byte, error)
	// Discard consumes n bytes that Peek returned.
	Discard(n int) (int, error)
	// NextLine consumes the next line and returns it without its '\n'
	// (a '\r' before it stays); the slice is valid until the next call.
	// A line longer than limit is ErrLineTooLong; EOF before '\n' is
	// an error (io.EOF or io.ErrUnexpectedEOF).
	NextLine(limit int) ([]byte, error)
}

// A Source that has no more bytes for now, but may have later (the bytes
// of a connection on an event loop: ResponseScan), says ErrNeedMore from
// Read, Peek and NextLine, having consumed nothing; the ChunkedReader
// then returns ErrNeedMore too, keeping its place, and the next Read
// goes on from there.

type chunkState uint8

const (
	chunkSize    chunkState = iota // expecting chunk-size [chunk-ext] CRLF
	chunkData                      // inside chunk-data, left bytes to go
	chunkDataEnd                   // expecting the CRLF after chunk-data
	chunkTrailer                   // expecting trailer fields, then CRLF
	chunkDone                      // last chunk and trailer read
)

// A ChunkedReader decodes the chunked transfer coding (RFC 9112 §7.1)
// strictly: CRLF everywhere, hex sizes checked for overflow, extensions
// syntax-checked and ignored, trailer fields merged into *Trailer. It
// returns io.EOF after the trailer section, having consumed exactly the
// message, so the source is ready for the next one. Errors are sticky,
// except ErrNeedMore. It is not safe for concurrent use.
type ChunkedReader struct {
	src    Source
	state  chunkState
	left   uint64
	err    error
	excess int64 // overhead not yet paid for by data
	// lineLimit and trailerLimit, when set, lower maxChunkLine and
	// maxTrailerBytes.
	lineLimit, trailerLimit int
	trailer                 []byte // the trailer section read so far
	// Trailer is where trailer fields go, merged as net/http merges
	// them (a field replaces one of the same name). It may be changed
	// until the last chunk has been read.
	Trailer *http.Header
}

// NewChunkedReader returns a ChunkedReader decoding from src and merging
// trailer fields into *trailer.
func NewChunkedReader(src Source, trailer *http.Header) *ChunkedReader {
	return &ChunkedReader{src: src, Trailer: trailer}
}

func (cr *ChunkedReader) Read(p []byte) (int, error) {
	for cr.err == nil {
		switch cr.state {
		case chunkSize:
			line, err := cr.line(limit(cr.lineLimit, maxChunkLine))
			if err != nil {
				return 0, err
			}
			n, err := parseChunkSize(line)
			if err != nil {
				return 0, cr.fail(err)
			}
			// As net/http: 16 bytes of overhead per chunk and twice its
			// size are free; more, and a sender could make us parse
			// extensions without end for one byte of data. The
			// arithmetic is net/http's, wrapping for sizes past 2^62.
			cr.excess += int64(len(line)) + 2 // the line's CRLF and the data's
			cr.excess = max(cr.excess-16-2*int64(n), 0)
			if cr.excess > maxChunkOverhead {
				return 0, cr.fail(errChunkOverhead)
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
			if err == ErrNeedMore {
				return 0, err
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, cr.fail(err)
		case chunkDataEnd:
			crlf, err := cr.src.Peek(2)
			if len(crlf) < 2 {
				if err == ErrNeedMore {
					return 0, err
				}
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return 0, cr.fail(err)
			}
			if crlf[0] != '\r' || crlf[1] != '\n' {
				return 0, cr.fail(errChunkedFraming)
			}
			cr.src.Discard(2)
			cr.state = chunkSize
		case chunkTrailer:
			if err := cr.readTrailer(); err == ErrNeedMore {
				return 0, err
			} else if err != nil {
				return 0, cr.fail(err)
			}
			cr.state = chunkDone
		case chunkDone:
			return 0, io.EOF
		}
	}
	return 0, cr.err
}

func limit(set, def int) int {
	if set > 0 {
		return set
	}
	return def
}

func (cr *ChunkedReader) fail(err error) error {
	cr.err = err
	return err
}

// line reads one CRLF-terminated line and returns it without the CRLF.
func (cr *ChunkedReader) line(limit int) ([]byte, error) {
	line, err := cr.src.NextLine(limit + 1)
	if err == ErrNeedMore {
		return nil, err
	}
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

// parseChunkSize parses 1*HEXDIG [ chunk-ext ] and refuses sizes past
// 2^63-1, whitespace around the size that is not the BWS before a ';'
// (RFC 9110 §5.6.3: a recipient MUST parse BWS and remove it; net/http
// refuses it) and extensions that do not follow the chunk-ext grammar
// (net/http accepts those, and whitespace after the size). Its errors
// read as net/http's, since handlers see them.
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
	if j := skipBWS(ext, 0); len(ext) > 0 && (j == len(ext) || ext[j] != ';') {
		return 0, errChunkSizeByte // BWS is allowed only before a ';'
	}
	if i == 0 {
		return 0, errChunkSizeEmpty
	}
	if !validChunkExt(ext) {
		return 0, errChunkedFraming
	}
	return n, nil
}

// validChunkExt reports whether ext, which starts at the ';' after the
// chunk size, is a chunk-ext (RFC 9112 §7.1.1): extensions of the form
// ";" token [ "=" ( token / quoted-string ) ], with optional whitespace
// around ";" and "=" but not at the end. An empty name (as in "5;") or
// an unterminated quoted string is refused: two decoders must never
// disagree on where a chunk-size line ends.
func validChunkExt(ext []byte) bool {
	i := 0
	for i < len(ext) {
		i = skipBWS(ext, i)
		if i == len(ext) || ext[i] != ';' {
			return false
		}
		i = skipBWS(ext, i+1)
		if i = skipToken(ext, i); i < 0 {
			return false
		}
		if j := skipBWS(ext, i); j < len(ext) && ext[j] == '=' {
			i = skipBWS(ext, j+1)
			if i < len(ext) && ext[i] == '"' {
				i = skipQuoted(ext, i)
			} else {
				i = skipToken(ext, i)
			}
			if i < 0 {
				return false
			}
		}
	}
	return true
}

func skipBWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

// skipToken returns the index after the token at b[i:], or -1 if there
// is none.
func skipToken(b []byte, i int) int {
	j := i
	for j < len(b) && tokenByte[b[j]] {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// skipQuoted returns the index after the quoted-string at b[i:] (RFC 9110
// §5.6.4), or -1 if it is malformed or unterminated.
func skipQuoted(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1
		case c == '\\':
			if i+1 == len(b) || !quotable(b[i+1]) {
				return -1
			}
			i++
		case !quotable(c): // qdtext is the rest
			return -1
		}
	}
	return -1
}

// quotable: HTAB, SP, VCHAR and obs-text, what a quoted-pair may escape.
func quotable(c byte) bool { return c == '\t' || c >= ' ' && c != 0x7f }

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
// into *cr.Trailer, as net/http does, but refuses the fields that frame
// or route a message (Content-Length, Transfer-Encoding, Trailer, Host):
// RFC 9110 §6.5.1 forbids sending them there and §6.5.2 merging them,
// and a hop that merges them anyway would frame or route what follows
// differently from us. Refusing is safer than ignoring. The collected lines are parsed by
// net/textproto, as in net/http, so a handler sees the same fields and
// the same errors; trailers do not frame anything. On ErrNeedMore the
// lines read so far wait in cr.trailer for the next call.
func (cr *ChunkedReader) readTrailer() error {
	max := limit(cr.trailerLimit, maxTrailerBytes)
	block := cr.trailer
	for {
		// Only the line ends are checked here (CRLF, no bare LF);
		// textproto judges the rest, with net/http's words.
		line, err := cr.src.NextLine(max)
		if err == ErrNeedMore {
			cr.trailer = block
			return err
		}
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
		if len(block) > max {
			return errTrailerTooLong
		}
		if len(line) == 0 {
			break
		}
	}
	cr.trailer = nil
	if len(block) == 2 {
		return nil
	}
	mh, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(block))).ReadMIMEHeader()
	if err != nil {
		return err
	}
	h := http.Header(mh)
	for _, k := range [...]string{"Content-Length", "Transfer-Encoding", "Trailer", "Host"} {
		if _, ok := h[k]; ok {
			return errTrailerField
		}
	}
	if *cr.Trailer == nil {
		*cr.Trailer = h
		return nil
	}
	for k, vv := range h {
		(*cr.Trailer)[k] = vv
	}
	return nil
}
