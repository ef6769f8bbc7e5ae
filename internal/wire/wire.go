// Package wire is the HTTP/1.1 message syntax shared by the server (http/)
// and the client (client/): one implementation of the chunked coding, of
// header field parsing and validation, and of writing header blocks.
package wire

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
)

// ReadResponse reads the next response to req from br: status line, header
// fields and body framing (RFC 9112 §4, §6). It returns 1xx responses like
// any other (with an empty body); the caller skips them. For a HEAD request
// and for 1xx, 204 and 304 responses the body is empty. A close-delimited
// body sets resp.Close.
//
// TODO(wire): our own parser; until it lands this is net/http's.
func ReadResponse(br *bufio.Reader, req *http.Request) (*http.Response, error) {
	return http.ReadResponse(br, req)
}

// A ChunkedWriter writes the chunked transfer coding (RFC 9112 §7.1): each
// non-empty Write becomes one chunk; Close writes the last chunk, the
// trailer fields and the final CRLF.
type ChunkedWriter struct {
	w   io.Writer
	err error
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
	if _, c.err = fmt.Fprintf(c.w, "%x\r\n", len(p)); c.err != nil {
		return 0, c.err
	}
	var n int
	if n, c.err = c.w.Write(p); c.err != nil {
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
	if _, c.err = io.WriteString(c.w, "0\r\n"); c.err != nil {
		return c.err
	}
	if c.err = trailer.Write(c.w); c.err != nil {
		return c.err
	}
	_, c.err = io.WriteString(c.w, "\r\n")
	return c.err
}
