package http

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Noticing that the client went away while a handler runs takes a read
// on the connection, which costs a goroutine and a syscall. net/http pays
// that on every request; here it is paid only by handlers that ask, by
// calling Done or Err on the request's context (directly or by deriving
// a context from it), and only once the request body has been read, when
// no byte of the connection is the handler's to read any more.

// reqContext is a request's context: done when the handler returns, when
// the client goes away while it runs, or when the connection's context
// is. It implements context.Context itself rather than wrapping
// context.WithCancel's, so that it lives in the response, allocated with
// it: a request pays nothing for its context until the handler asks for
// Done. Contexts derived from it attach through its AfterFunc method,
// which the context package uses for a parent that has one (no
// goroutine per derived context). Done and Err start the watch.
type reqContext struct {
	parent context.Context // the connection's context
	w      *watch
	done   atomic.Value // of chan struct{}, made by the first Done

	mu         sync.Mutex
	err        error
	afters     []*afterFunc // to call when done
	stopParent func() bool  // ends the parent's AfterFunc, if the parent can end
	// http.CloseNotifier: closeCh, made by the first CloseNotify, gets
	// true when the client goes; clientGone says it went.
	closeCh    chan bool
	clientGone bool
}

// afterFunc is one function registered with reqContext.AfterFunc.
type afterFunc struct{ f func() }

// closedChan is Done's channel for a context done before anyone asked.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// init makes c the context of a request about to be served.
func (c *reqContext) init(parent context.Context, w *watch) {
	c.parent, c.w = parent, w
	if parent.Done() != nil {
		// A parent that can end (a BaseContext or ConnContext of the
		// caller's) ends the request too.
		stop := context.AfterFunc(parent, func() { c.cancel(parent.Err()) })
		c.mu.Lock()
		if c.err == nil { // else it has run already
			c.stopParent = stop
		}
		c.mu.Unlock()
	}
}

func (c *reqContext) Deadline() (time.Time, bool) { return c.parent.Deadline() }
func (c *reqContext) Value(key any) any           { return c.parent.Value(key) }
func (c *reqContext) String() string              { return "ringhttp request context" }

func (c *reqContext) Done() <-chan struct{} {
	c.w.want()
	if d, ok := c.done.Load().(chan struct{}); ok {
		return d
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.done.Load().(chan struct{})
	if !ok {
		d = make(chan struct{})
		c.done.Store(d)
	}
	return d
}

// Err starts the watch too, for handlers that poll instead of waiting.
func (c *reqContext) Err() error {
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	if err != nil {
		return err // done: nothing left to watch (and no lock of the watch's)
	}
	c.w.want()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// AfterFunc calls f once c is done, as context.AfterFunc does; the context
// package calls it to attach a context derived from c. f runs on the
// goroutine that ends c, or on its own when c is already done (the
// caller may hold a lock f takes: propagateCancel does).
func (c *reqContext) AfterFunc(f func()) (stop func() bool) {
	a := &afterFunc{f: f}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	c.afters = append(c.afters, a)
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, b := range c.afters {
			if b == a {
				c.afters = append(c.afters[:i], c.afters[i+1:]...)
				return true
			}
		}
		return false // already called, or stopped
	}
}

// cancel makes c done with err (the first call wins), closes Done's
// channel and calls the functions registered with AfterFunc. It takes no
// lock of the watch's, so the watch may call it.
func (c *reqContext) cancel(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	if d, ok := c.done.Load().(chan struct{}); ok {
		close(d)
	} else {
		c.done.Store(closedChan)
	}
	afters, stop := c.afters, c.stopParent
	c.afters, c.stopParent = nil, nil
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
	for _, a := range afters {
		a.f()
	}
}

// gone is what the watch calls when the client went away: CloseNotify's
// channel is told and the context canceled.
func (c *reqContext) gone() {
	c.mu.Lock()
	if !c.clientGone {
		c.clientGone = true
		if c.closeCh != nil {
			c.closeCh <- true
		}
	}
	c.mu.Unlock()
	c.cancel(context.Canceled)
}

// closeNotify returns CloseNotify's channel and starts the watch.
func (c *reqContext) closeNotify() <-chan bool {
	c.mu.Lock()
	if c.closeCh == nil {
		c.closeCh = make(chan bool, 1)
		if c.clientGone {
			c.closeCh <- true
		}
	}
	ch := c.closeCh
	c.mu.Unlock()
	c.w.want()
	return ch
}

// watch reads one byte in the background while a handler runs: EOF or
// an error means the client is gone, and the request context is
// canceled; a byte is the start of the next request and is given back to
// the connection's reader when the handler returns.
type watch struct {
	c   *conn
	ctx *reqContext // canceled when the client is gone

	mu       sync.Mutex
	wanted   bool // the handler called Done
	bodyDone bool // the request body is read (or there is none)
	// ahead: when the body was done, the connection's reader held bytes
	// of a next request or an error: the client is there, or the
	// reader's error says what became of it. Taken by whoever read the
	// body to its end, so that Done on any goroutine never looks at the
	// reader.
	ahead   bool
	stopped bool // the handler returned, or hijacked
	running bool
	peeked  time.Time     // on a loop: when Done or Err last had the socket checked
	done    chan struct{} // closed when the background read returns
	b       [1]byte
	n       int
	err     error
}

// peekEvery bounds how often Done and Err, on a loop, check the socket
// for the client's going (one MSG_PEEK receive): a handler that polls Err
// in a busy loop does not make a system call per poll.
const peekEvery = time.Millisecond

// want is called from Done, on any goroutine.
func (w *watch) want() {
	w.mu.Lock()
	w.wanted = true
	gone := w.startLocked()
	w.mu.Unlock()
	if gone {
		w.ctx.gone()
	}
}

// bodyRead is called by the body's reader when the body reaches EOF; the
// connection's reader is the caller's.
func (w *watch) bodyRead() {
	w.mu.Lock()
	w.bodyDone = true
	w.ahead = len(w.c.r.buffered()) > 0 || w.c.r.err != nil
	gone := w.startLocked()
	w.mu.Unlock()
	if gone {
		w.ctx.gone()
	}
}

// startLocked starts watching once the handler wants it and the body is
// read; it reports whether the client is seen gone at once (the caller
// then tells the context, w.mu released).
func (w *watch) startLocked() (gone bool) {
	if !w.wanted || !w.bodyDone || w.stopped || w.running || w.ahead {
		return false
	}
	if lr := w.c.lr; lr != nil {
		// On an event loop the loop watches the socket: it tells when the
		// client goes while the handler blocks (handed off). In
		// ModeInline, where nothing hands the loop off, the socket is
		// asked when the handler asks, at most once per peekEvery (one
		// receive costs 1.5 µs: docs/design.md).
		peek := false
		if w.c.srv.Mode == ModeInline {
			now := time.Now()
			if peek = now.Sub(w.peeked) >= peekEvery; peek {
				w.peeked = now
			}
		}
		if onLoop, gone := lr.watchGone(w.ctx.gone, peek); onLoop {
			return gone
		}
	}
	w.running = true
	w.done = make(chan struct{})
	go func() {
		n, err := w.c.rwc.Read(w.b[:])
		w.n, w.err = n, err
		if n == 0 && err != nil && !isTimeout(err) {
			w.ctx.gone()
		}
		close(w.done)
	}()
	return false
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
