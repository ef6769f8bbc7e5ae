package wire

import (
	"io"
	"net/http"
	"strconv"
)

// AppendChunkSize appends the line that starts a chunk of n bytes:
// the size in hex and CRLF (RFC 9112 §7.1). The chunk data and its CRLF
// follow it; n must not be 0, which would be the last chunk.
func AppendChunkSize(b []byte, n int) []byte {
	b = strconv.AppendUint(b, uint64(n), 16)
	return append(b, '\r', '\n')
}

// AppendLastChunk appends what ends a chunked body: the last chunk, the
// trailer fields (trailer may be nil), written as http.Header.Write
// writes them, and the final CRLF.
func AppendLastChunk(b []byte, trailer http.Header) []byte {
	b = append(b, "0\r\n"...)
	if len(trailer) > 0 {
		w := appendWriter{b}
		trailer.Write(&w)
		b = w.b
	}
	return append(b, '\r', '\n')
}

// appendWriter lets http.Header.Write append to a byte slice.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// A ChunkedWriter writes the chunked transfer coding (RFC 9112 §7.1): each
// non-empty Write becomes one chunk; Close writes the last chunk, the
// trailer fields and the final CRLF. Errors are sticky. It is not safe
// for concurrent use.
type ChunkedWriter struct {
	w    io.Writer
	err  error
	line [24]byte // scratch for the chunk-size line
}

// NewChunkedWriter returns a ChunkedWriter writing to w.
func NewChunkedWriter(w io.Writer) *ChunkedWriter { return &ChunkedWriter{w: w} }

// Write writes p as one chunk; an empty p writes nothing (a zero-size chunk
// would end the body).
func (c *ChunkedWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if _, c.err = c.w.Write(AppendChunkSize(c.line[:0], len(p))); c.err != nil {
		return 0, c.err
	}
	var n int
	if n, c.err = c.w.Write(p); c.err != nil {
		return n, c.err
	}
	if n < len(p) {
		c.err = io.ErrShortWrite
		return n, c.err
	}
	_, c.err = io.WriteString(c.w, "\r\n")
	return n, c.err
}

// Close writes the last chunk, trailer (which may be nil) and the CRLF that
// ends the message. It does not close the underlying writer.
func (c *ChunkedWriter) Close(trailer http.Header) error {
	if c.err != nil {
		return c.err
	}
	_, c.err = c.w.Write(AppendLastChunk(c.line[:0], trailer))
	return c.err
}
