package netfd

import (
	"net"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// The connection side of the loops: a LoopConn, the methods a
// LoopHandler calls on it, and its life (connState). What the loop does
// with it (deliver, settle, remove) is in loop_linux.go; the hand-off
// (Leave, HandOff, OnGone) in loop_handoff_linux.go.

// A LoopConn is a connection served by a loop. Its methods must be called
// on its loop goroutine, from a LoopHandler method, except LocalAddr,
// RemoteAddr and the context accessors, which the owner may call anywhere
// it guards itself.
type LoopConn struct {
	l            *loop
	sysfd        int // -1 once closed or detached
	slot, gen    uint32
	network      string
	laddr, raddr net.Addr
	ctx          any

	state      connState
	in         []byte // received, not consumed by OnData; nil when empty
	out        []byte // queued, not yet handed to the kernel; nil when empty
	sending    []byte // io_uring: the buffer of the send in flight
	sendOff    int    // io_uring: how much of sending the kernel took
	sendBusy   bool   // a send is in flight (io_uring) or waits for EPOLLOUT (epoll)
	recvArmed  bool   // the kernel may still deliver received bytes
	recvOff    bool   // receiving is stopped (back-pressure, close or detach)
	paused     bool   // stopped for back-pressure
	dirty      bool   // in the loop's dirty list
	eof        bool   // the peer shut down its side
	eofSent    bool   // OnEOF was called
	hup        bool   // epoll: the peer shut down or the socket failed
	recvCancel bool   // io_uring: a cancel of the recv is in flight
	shutWr     bool   // CloseWrite waits for the queue to empty
	err        error  // why the connection is ending, if not Close
	detach     func(net.Conn, error)

	// The hand-off (loop_handoff_linux.go). callStart and callIn belong to
	// the goroutine running c's LoopHandler method; away is set when that
	// goroutine loses the loop, after which the loop holds what arrives
	// in awayIn until Leave.
	callStart int64
	callIn    []byte
	away      bool
	awayIn    []byte
	later     []func() // what the handed-off method did with c, for comeBack
	left      bool     // its method called Leave (its goroutine's field)
	leaving   bool     // detach is Leave's: call it directly (the loop's field)
	toldClose bool     // OnClose was called (the loop's field)
	gone      atomic.Pointer[func()]
	goneSeen  atomic.Bool // the loop saw the peer go while c was away
}

// connState is a LoopConn's life: open, then closing or detaching until
// nothing is in flight, then done.
type connState uint8

const (
	connOpen      connState = iota
	connClosing             // Close or a failure: flush (unless failed), then close
	connDetaching           // Detach: flush, stop receiving, then hand over
	connDone                // closed or detached; the slot is free
)

// Write queues a copy of p, to be sent at the end of the loop's pass, and
// returns len(p). After Close, Detach or a failure it returns an error
// that is net.ErrClosed. When more than LoopConfig.MaxQueued bytes are
// queued, the loop stops reading from c until half of them were sent.
func (c *LoopConn) Write(p []byte) (int, error) {
	if !c.pin() {
		q := append([]byte(nil), p...)
		c.defer_(func() { c.write(q) })
		return len(p), nil
	}
	defer c.unpin()
	return c.write(p)
}

func (c *LoopConn) write(p []byte) (int, error) {
	if c.state != connOpen {
		return 0, c.opError("write", net.ErrClosed)
	}
	if len(p) == 0 {
		return 0, nil
	}
	l := c.l
	c.out = l.bufs.append(c.out, p)
	if !c.dirty {
		c.dirty = true
		l.dirty = append(l.dirty, c)
	}
	if !c.paused && c.queued() > l.g.maxQueued {
		c.paused = true
		l.k.stopRecv(c)
	}
	return len(p), nil
}

// Queued returns how many written bytes the kernel has not taken yet; 0
// once the loop was handed off.
func (c *LoopConn) Queued() int {
	if !c.pin() {
		return 0
	}
	defer c.unpin()
	return c.queued()
}

func (c *LoopConn) queued() int { return len(c.out) + len(c.sending) - c.sendOff }

// Flush hands what is queued to the kernel now, as much as the socket
// takes without blocking, instead of at the end of the loop's pass; the
// loop sends the rest as usual. A handler that streams (server-sent
// events, a 100 Continue before it reads the body) calls it after each
// piece, while it still holds the loop. It does nothing while a send is
// in flight (io_uring), while reading is paused for back-pressure (the
// loop resumes it as it sends), or once the loop was handed off: what the
// method writes then is sent when it returns, unless it calls Leave.
func (c *LoopConn) Flush() error {
	if !c.pin() {
		return nil
	}
	defer c.unpin()
	if c.state != connOpen || c.sendBusy || c.paused || len(c.out) == 0 {
		return nil
	}
	n, err := sendOp.sys(c.sysfd, c.out)
	if n > 0 {
		c.out = c.out[:copy(c.out, c.out[n:])]
	}
	if err != nil && err != unix.EAGAIN {
		err = c.opError("write", err)
		c.fail(err)
		return err
	}
	if len(c.out) == 0 {
		c.l.bufs.put(c.out)
		c.out = nil
		if c.shutWr {
			return c.shutdownWrite()
		}
	}
	return nil
}

// Gone reports whether the peer has shut down its side or the connection
// failed, as far as the socket tells at once (a MSG_PEEK receive that
// does not wait). It is for a LoopHandler method that runs long: while it
// holds the loop, the loop cannot see the peer go. Once the loop was
// handed off it reports false: OnGone tells then.
func (c *LoopConn) Gone() bool {
	if !c.pin() {
		return false
	}
	defer c.unpin()
	if c.state != connOpen || c.eof || c.err != nil {
		return true
	}
	var b [1]byte
	for {
		n, _, err := unix.Recvfrom(c.sysfd, b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		switch err {
		case nil:
			return n == 0 // 0: the peer's FIN
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		return true // a reset, or another failure
	}
}

// Close sends what is queued, then closes the connection; OnClose follows
// with a nil error. Bytes that arrive meanwhile are dropped.
func (c *LoopConn) Close() error {
	if !c.pin() {
		c.defer_(func() { c.close() })
		return nil
	}
	defer c.unpin()
	return c.close()
}

func (c *LoopConn) close() error {
	if c.state != connOpen {
		return c.opError("close", net.ErrClosed)
	}
	c.state = connClosing
	c.l.k.stopRecv(c)
	c.l.settle(c)
	return nil
}

// CloseWrite shuts down the sending side once the queued bytes are sent
// (the peer reads EOF); c keeps receiving.
func (c *LoopConn) CloseWrite() error {
	if !c.pin() {
		c.defer_(func() { c.closeWrite() })
		return nil
	}
	defer c.unpin()
	return c.closeWrite()
}

func (c *LoopConn) closeWrite() error {
	if c.state != connOpen {
		return c.opError("close", net.ErrClosed)
	}
	if c.queued() > 0 {
		c.shutWr = true // done by the send path once empty
		return nil
	}
	return c.shutdownWrite()
}

func (c *LoopConn) shutdownWrite() error {
	c.shutWr = false
	if err := unix.Shutdown(c.sysfd, unix.SHUT_WR); err != nil {
		return c.opError("close", os.NewSyscallError("shutdown", err))
	}
	return nil
}

// Detach takes c out of its loop into the blocking mode: once the queued
// bytes are sent and the loop's receive has stopped, fn is called on the
// loop goroutine with a net.Conn (a *Conn of this package) that reads
// first the bytes c received but OnData did not consume, then the rest.
// fn must not block: it usually starts the goroutine that serves the
// connection. OnClose is not called for c; on failure fn gets the error
// and a nil net.Conn, and the connection is closed.
func (c *LoopConn) Detach(fn func(net.Conn, error)) {
	if !c.pin() {
		c.defer_(func() { c.detachTo(fn) })
		return
	}
	defer c.unpin()
	c.detachTo(fn)
}

func (c *LoopConn) detachTo(fn func(net.Conn, error)) {
	if c.state != connOpen {
		fn(nil, c.opError("detach", net.ErrClosed))
		return
	}
	c.detach = fn
	c.state = connDetaching
	c.l.k.stopRecv(c)
	c.l.settle(c)
}

// Abort closes c at once, dropping what is queued; OnClose follows with
// an error that is net.ErrClosed.
func (c *LoopConn) Abort() {
	if !c.pin() {
		c.defer_(func() { c.fail(c.opError("close", net.ErrClosed)) })
		return
	}
	defer c.unpin()
	c.fail(c.opError("close", net.ErrClosed))
}

// fail ends c because of err: what is queued is dropped and the
// connection is closed as soon as the kernel has let go of it.
func (c *LoopConn) fail(err error) {
	if c.state == connDone {
		return
	}
	if c.err == nil {
		c.err = err
	}
	if c.state == connOpen {
		c.state = connClosing
	}
	c.l.bufs.put(c.out)
	c.out = nil
	// Shut the socket down so that a send or receive in flight ends now.
	unix.Shutdown(c.sysfd, unix.SHUT_RDWR)
	c.l.k.stopRecv(c)
	c.l.settle(c)
}

// LocalAddr returns the local address.
func (c *LoopConn) LocalAddr() net.Addr {
	if c.laddr == nil && c.sysfd >= 0 {
		if sa, err := unix.Getsockname(c.sysfd); err == nil {
			c.laddr = sockaddrToAddr(c.network, sa)
		}
	}
	return c.laddr
}

// RemoteAddr returns the peer's address.
func (c *LoopConn) RemoteAddr() net.Addr { return c.raddr }

// Context returns what SetContext (or Attach) stored.
func (c *LoopConn) Context() any { return c.ctx }

// SetContext stores the owner's per-connection state.
func (c *LoopConn) SetContext(ctx any) { c.ctx = ctx }

func (c *LoopConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: c.network, Source: c.laddr, Addr: c.raddr, Err: err}
}
