package client

import (
	"compress/gzip"
	"context"
	"io"
	"sync"
	"time"
)

// A respBody is a response body being read from its connection. At EOF
// it returns the connection to the pool; closed early, it reads what is
// left if that is little and quick (up to maxDrain within drainTimeout)
// to keep the connection, else closes it. Read and Close may be called
// concurrently: a Close during a blocked Read closes the connection.
type respBody struct {
	body io.ReadCloser   // the framing reader of internal/wire
	ctx  context.Context // of the request
	keep bool            // the connection may carry another request after this body
	left int64           // body bytes not read yet, -1 if unknown

	mu      sync.Mutex
	pc      *persistConn // nil once released
	reading bool         // a Read is in progress outside mu
	closed  bool
	err     error // sticky: io.EOF or why the body failed
}

func (b *respBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return 0, errReadOnClosed
	}
	if b.err != nil {
		err := b.err
		b.mu.Unlock()
		return 0, err
	}
	b.reading = true
	b.mu.Unlock()

	n, err := b.body.Read(p)

	b.mu.Lock()
	defer b.mu.Unlock()
	b.reading = false
	if b.left > 0 {
		b.left -= int64(n)
	}
	switch {
	case err == io.EOF && !b.closed:
		b.err = io.EOF
		b.release(true)
	case err != nil:
		if b.pc != nil {
			err = b.pc.mapErr(b.ctx, err)
		}
		b.err = err
		b.release(false)
	case b.closed: // Close closed the connection during the Read
		b.release(false)
	}
	return n, err
}

// Close closes the body; it never fails.
func (b *respBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if b.pc == nil {
		return nil
	}
	if b.reading {
		b.pc.conn.Close()
		return nil
	}
	b.release(b.keep && b.drain())
	return nil
}

// drain reads the rest of the body if it is at most maxDrain bytes and
// arrives within drainTimeout, and reports whether it reached the end.
func (b *respBody) drain() bool {
	if b.left > maxDrain {
		return false
	}
	conn := b.pc.conn
	conn.SetReadDeadline(time.Now().Add(drainTimeout))
	n, err := io.Copy(io.Discard, io.LimitReader(b.body, maxDrain+1))
	conn.SetReadDeadline(time.Time{})
	return err == nil && n <= maxDrain
}

// release gives the connection back (keep) or closes it; with mu held.
func (b *respBody) release(keep bool) {
	if b.pc == nil {
		return
	}
	pc := b.pc
	b.pc = nil
	pc.release(keep && b.keep)
}

// A gzipBody decompresses a response the Transport asked gzip for.
type gzipBody struct {
	body *respBody
	zr   *gzip.Reader
	err  error // from gzip.NewReader, sticky
}

func (g *gzipBody) Read(p []byte) (int, error) {
	if g.zr == nil {
		if g.err != nil {
			return 0, g.err
		}
		if g.zr, g.err = gzip.NewReader(g.body); g.err != nil {
			return 0, g.err
		}
	}
	return g.zr.Read(p)
}

// Close closes the compressed body underneath.
func (g *gzipBody) Close() error { return g.body.Close() }

// A switchBody is the body of a 101 Switching Protocols response: the
// connection itself, for the new protocol, which the caller now owns.
type switchBody struct {
	pc   *persistConn
	once sync.Once
}

func (s *switchBody) Read(p []byte) (int, error)  { return s.pc.br.Read(p) }
func (s *switchBody) Write(p []byte) (int, error) { return s.pc.conn.Write(p) }

// Close closes the connection.
func (s *switchBody) Close() error {
	s.once.Do(func() { s.pc.t.closeConn(s.pc) })
	return nil
}
