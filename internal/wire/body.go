package wire

import (
	"bufio"
	"io"
	"net/http"
)

type bodyKind uint8

const (
	bodyLength  bodyKind = iota // Content-Length bytes
	bodyChunked                 // the chunked coding, then trailers
	bodyEOF                     // everything until the connection ends
	bodyNone                    // no body (frame's answer only)
)

// body is a response body read from the connection's *bufio.Reader. It
// lives in the same allocation as its Response (message).
type body struct {
	br      *bufio.Reader
	kind    bodyKind
	left    int64 // bodyLength: bytes not read yet
	closing bool  // the connection closes after this response
	eof     bool  // the body was read to its end
	closed  bool
	err     error // sticky read error
	src     bufioSource
	chunked ChunkedReader
	te      [1]string // backs Response.TransferEncoding
}

func (b *body) init(br *bufio.Reader, kind bodyKind, length int64, resp *http.Response) {
	b.br, b.kind, b.left, b.closing = br, kind, length, resp.Close
	if kind == bodyChunked {
		b.src.Reader = br
		b.chunked = bufferedChunkedReader(&b.src, &resp.Trailer, br.Size())
	}
}

// bufferedChunkedReader is a ChunkedReader with net/http's limits for a
// bufio.Reader of size bytes: a chunk line shorter than 4096 bytes that
// fits the buffer with its CRLF, a trailer section that fits the buffer.
func bufferedChunkedReader(src Source, trailer *http.Header, size int) ChunkedReader {
	return ChunkedReader{src: src, Trailer: trailer, lineLimit: min(maxChunkLine-1, size-2), trailerLimit: size}
}

// Read reads the body; it returns io.EOF with the last bytes when it
// can, as net/http's does, so that a caller sees the end without another
// call. A body cut short is io.ErrUnexpectedEOF.
func (b *body) Read(p []byte) (int, error) {
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	return b.read(p)
}

func (b *body) read(p []byte) (n int, err error) {
	if b.eof {
		return 0, io.EOF
	}
	if b.err != nil {
		return 0, b.err
	}
	switch b.kind {
	case bodyLength:
		if int64(len(p)) > b.left {
			p = p[:b.left]
		}
		n, err = b.br.Read(p)
		b.left -= int64(n)
		if b.left == 0 {
			err = io.EOF
		} else if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
	case bodyChunked:
		n, err = b.chunked.Read(p)
	case bodyEOF:
		n, err = b.br.Read(p)
	}
	if err == io.EOF {
		b.eof = true
	} else if err != nil {
		b.err = err
	}
	return n, err
}

// Close reads the rest of the body, so that br is left at the next
// response, unless the connection closes after this one anyway; Read
// then returns http.ErrBodyReadAfterClose.
func (b *body) Close() error {
	if b.closed {
		return nil
	}
	var err error
	if !b.eof && b.err == nil && !(b.closing && b.kind != bodyChunked) {
		_, err = io.Copy(io.Discard, readerFunc(b.read))
	}
	b.closed = true
	return err
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// bufioSource is a *bufio.Reader as a ChunkedReader's Source.
type bufioSource struct {
	*bufio.Reader
	line []byte // a line longer than the buffer, assembled
}

// NextLine returns the next line without its '\n', from br's buffer when
// it fits there.
func (s *bufioSource) NextLine(limit int) ([]byte, error) {
	frag, err := s.ReadSlice('\n')
	if err == nil {
		if len(frag)-1 > limit {
			return nil, ErrLineTooLong
		}
		return frag[:len(frag)-1], nil
	}
	s.line = append(s.line[:0], frag...)
	for err == bufio.ErrBufferFull {
		if len(s.line) > limit {
			return nil, ErrLineTooLong
		}
		frag, err = s.ReadSlice('\n')
		s.line = append(s.line, frag...)
	}
	if err != nil {
		return nil, err
	}
	if len(s.line)-1 > limit {
		return nil, ErrLineTooLong
	}
	return s.line[:len(s.line)-1], nil
}
