package http

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"time"
)

// The output side of a connection: every byte the server sends goes
// through c.out and flush, or, for big body pieces, writeBody.

// expectationFailed answers an Expect other than 100-continue with 417
// and closes, as net/http does.
func (c *conn) expectationFailed(w *response) {
	w.Header().Set("Connection", "close")
	w.WriteHeader(http.StatusExpectationFailed)
	w.finish()
	c.flush()
}

// lingerClose half-closes the connection and reads what the client is
// still sending, for a bounded time, so closing does not reset the
// connection before the client has read the response.
func (c *conn) lingerClose() {
	cw, ok := c.rwc.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	c.rwc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	io.CopyN(io.Discard, c.rwc, maxPostHandlerReadBytes)
}

// writeBody adds body bytes to the output; big ones go to the
// connection directly instead of being copied.
func (c *conn) writeBody(p []byte) {
	if len(c.out.b)+len(p) <= maxOutBuffered {
		c.out.b = append(c.out.b, p...)
		return
	}
	if c.flush() != nil {
		return
	}
	if len(p) < maxOutBuffered {
		c.out.b = append(c.out.b, p...)
		return
	}
	if _, err := c.rwc.Write(p); err != nil {
		c.werr = err
	}
}

// flush writes the collected output to the connection.
func (c *conn) flush() error {
	if c.werr != nil {
		return c.werr
	}
	if len(c.out.b) == 0 {
		return nil
	}
	_, err := c.rwc.Write(c.out.b)
	c.writes++
	c.out.b = c.out.b[:0]
	if cap(c.out.b) > maxOutBuffered {
		c.out.b = nil
	}
	if err != nil {
		c.werr = err
	}
	return err
}

// flushNow is flush for what must not wait for the end of a loop's pass
// (a 1xx, a handler's Flush): on a loop it is handed to the kernel at once.
func (c *conn) flushNow() error {
	if err := c.flush(); err != nil {
		return err
	}
	if c.lr != nil {
		return c.lr.sendNow()
	}
	return nil
}

// writeContinue sends the interim "100 Continue" a client that sent
// Expect: 100-continue waits for before sending the body.
func (c *conn) writeContinue() error {
	c.out.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
	return c.flushNow()
}

// hijack gives the connection to the handler, with the bytes read ahead.
func (c *conn) hijack() (net.Conn, *bufio.ReadWriter, error) {
	if c.hijacked() {
		return nil, nil, http.ErrHijacked
	}
	if err := c.flush(); err != nil {
		return nil, nil, err
	}
	if c.watch != nil {
		c.watch.stop()
	}
	rwc := c.rwc
	if c.lr != nil {
		// The handler takes the connection itself: off the loop first.
		if err := c.leaveLoop(true); err != nil {
			return nil, nil, err
		}
		rwc = c.lr.conn()
		defer c.ls.connGone() // off the loops for good: no OnClose or teardown counts it
	}
	c.setMode(modeHijacked)
	rwc.SetDeadline(time.Time{})
	var rd io.Reader = rwc
	ahead := bytes.Clone(c.r.buffered())
	c.r.consume(len(ahead))
	if len(ahead) > 0 {
		rd = io.MultiReader(bytes.NewReader(ahead), rwc)
	}
	br := bufio.NewReaderSize(rd, max(4096, len(ahead)))
	if len(ahead) > 0 {
		br.Peek(len(ahead))
	}
	c.setState(http.StateHijacked)
	return rwc, bufio.NewReadWriter(br, bufio.NewWriter(rwc)), nil
}
