package http

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// Noticing that the client went away while a handler runs takes a read
// on the connection, which costs a goroutine and a syscall. net/http pays
// that on every request; here it is paid only by handlers that ask, by
// calling Done or Err on the request's context (directly or by deriving
// a context from it), and only once the request body has been read, when
// no byte of the connection is the handler's to read any more.

// reqContext is a request's context. Its Done and Err start the watch.
type reqContext struct {
	context.Context // the cancelable context the handler sees
	w               *watch
}

func (c *reqContext) Done() <-chan struct{} {
	c.w.want()
	return c.Context.Done()
}

// Err starts the watch too, for handlers that poll instead of waiting.
func (c *reqContext) Err() error {
	c.w.want()
	return c.Context.Err()
}

// watch reads one byte in the background while a handler runs: EOF or
// an error means the client is gone, and the request context is
// canceled; a byte is the start of the next request and is given back to
// the connection's reader when the handler returns.
type watch struct {
	c      *conn
	cancel context.CancelFunc

	mu       sync.Mutex
	wanted   bool // the handler called Done
	bodyDone bool // the request body is read (or there is none)
	stopped  bool // the handler returned, or hijacked
	running  bool
	done     chan struct{} // closed when the background read returns
	b        [1]byte
	n        int
	err      error
}

// want is called from Done, on any goroutine.
func (w *watch) want() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.wanted = true
	w.startLocked()
}

// bodyRead is called on the handler goroutine when the body reaches EOF.
func (w *watch) bodyRead() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.bodyDone = true
	w.startLocked()
}

func (w *watch) startLocked() {
	if !w.wanted || !w.bodyDone || w.stopped || w.running {
		return
	}
	// Pipelined bytes are already buffered: the client is there, and the
	// reader belongs to nobody while the handler has finished its body.
	if len(w.c.r.buffered()) > 0 || w.c.r.err != nil {
		return
	}
	if lr, ok := w.c.rwc.(*loopConn); ok && lr.conn() == nil {
		// On an event loop the loop watches the socket: it tells when the
		// client goes while the handler blocks (handed off).
		lr.lc.OnGone(w.cancel)
		return
	}
	w.running = true
	w.done = make(chan struct{})
	go func() {
		n, err := w.c.rwc.Read(w.b[:])
		w.n, w.err = n, err
		if n == 0 && err != nil && !isTimeout(err) {
			w.cancel()
		}
		close(w.done)
	}()
}

// stop ends the watch once the handler returned: a pending read is
// interrupted and what it got goes back to the connection's reader.
func (w *watch) stop() {
	w.mu.Lock()
	w.stopped = true
	running := w.running
	w.mu.Unlock()
	if !running {
		return
	}
	w.c.rwc.SetReadDeadline(aLongTimeAgo)
	<-w.done
	w.c.rwc.SetReadDeadline(time.Time{})
	switch {
	case w.n == 1:
		w.c.r.unread(w.b[0])
	case w.err != nil && !isTimeout(w.err):
		w.c.r.err = w.err
	}
}

var aLongTimeAgo = time.Unix(1, 0)

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
