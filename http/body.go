package http

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/ringnet/ringnet/internal/wire"
)

// maxPostHandlerReadBytes is how much unread request body the server reads
// and discards after the handler to keep the connection; past it the
// connection is closed instead (net/http's figure).
const maxPostHandlerReadBytes = 256 << 10

// body is a request body as the handler reads it: Content-Length bytes or
// a chunked stream, taken from the connection's reader.
//
// As in net/http, the body may be read on a goroutine other than the
// handler's, while the handler writes the response (a ReverseProxy's
// Transport reads it while forwarding a 1xx), and read on after the
// handler returned: mu serializes Read, Close and the server's own
// settling of the body, and the automatic 100 Continue is written under
// contMu, which the response's writes take first (disableContinue).
type body struct {
	c *conn

	mu      sync.Mutex          // guards the fields below, and every use of c.r while a handler runs
	left    int64               // Content-Length bytes not read yet
	chunked *wire.ChunkedReader // nil for a Content-Length body
	eof     bool                // the whole body was read
	closed  bool
	err     error  // sticky read error
	watch   *watch // told when the body is read to its end

	// wantContinue: the client sent "Expect: 100-continue" and the
	// interim response goes out on the first Read, unless the response
	// was begun first. It changes only under contMu.
	wantContinue atomic.Bool
	contMu       sync.Mutex
	// expectContinue: the request carried "Expect: 100-continue" (set
	// before the handler runs).
	expectContinue bool
}

// disableContinue keeps a Read from sending the automatic 100 Continue,
// waiting for one being written: the response's side calls it before it
// writes anything (net/http's disableWriteContinue).
func (b *body) disableContinue() {
	if b != nil && b.wantContinue.Load() {
		b.contMu.Lock()
		b.wantContinue.Store(false)
		b.contMu.Unlock()
	}
}

// malformed reports whether reading the body failed on its syntax (a
// broken chunked coding) rather than on the connection: a timeout, a reset,
// the client closing early. b may be nil.
func (b *body) malformed() bool {
	if b == nil || b.chunked == nil || b.err == nil {
		return false
	}
	var ne net.Error
	switch {
	case errors.As(b.err, &ne), errors.Is(b.err, io.ErrUnexpectedEOF), errors.Is(b.err, io.EOF),
		errors.Is(b.err, net.ErrClosed), errors.Is(b.err, os.ErrDeadlineExceeded), errors.Is(b.err, syscall.ECONNRESET):
		return false
	}
	return true
}

func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	return b.read(p)
}

// read is Read with b.mu held.
func (b *body) read(p []byte) (int, error) {
	if b.eof {
		return 0, io.EOF
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.wantContinue.Load() {
		b.contMu.Lock()
		var err error
		if b.wantContinue.Load() {
			err = b.c.writeContinue()
			b.wantContinue.Store(false)
		}
		b.contMu.Unlock()
		if err != nil {
			b.err = err
			return 0, err
		}
	}
	var n int
	var err error
	if b.chunked != nil {
		n, err = b.chunked.Read(p)
		if err == io.EOF {
			b.eof = true
		}
	} else {
		if int64(len(p)) > b.left {
			p = p[:b.left]
		}
		n, err = b.c.r.Read(p)
		b.left -= int64(n)
		if b.left == 0 {
			b.eof, err = true, io.EOF
		} else if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
	}
	if err != nil && err != io.EOF {
		b.err = err
	}
	if err == io.EOF && b.watch != nil {
		b.watch.bodyRead()
	}
	return n, err
}

// Close stops the handler's reads. Like net/http it discards what is left
// if that is small, so the connection can carry the next request.
func (b *body) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if !b.wantContinue.Load() {
		b.discard()
	}
	return nil
}

// stop ends the body once the handler returned on a connection that
// closes after the response: nothing is discarded. It waits for a Read
// still running on a goroutine the handler left behind.
func (b *body) stop() {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
}

// discard reads and drops the rest of the body, up to
// maxPostHandlerReadBytes, and reports whether all of it was read. b.mu
// is held.
func (b *body) discard() bool {
	if b.eof {
		return true
	}
	if b.wantContinue.Load() || b.err != nil {
		return false
	}
	if b.chunked == nil && b.left > maxPostHandlerReadBytes {
		return false
	}
	var buf [4096]byte
	for total := 0; total <= maxPostHandlerReadBytes; {
		n, err := b.read(buf[:])
		total += n
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
	}
	return false
}
