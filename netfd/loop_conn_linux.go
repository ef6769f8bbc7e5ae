package netfd

import (
	"net"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// The connection side of the loops: a LoopConn, the methods a
// LoopHandler calls on it, and its life (connState), with what the loop
// does at each step of it (settle, remove, finishDetach). The hand-off
// (Leave, HandOff, OnGone) is in loop_handoff_linux.go.

// A LoopConn is a connection served by a loop. Its methods must be called
// on its loop goroutine, from a LoopHandler method, except LocalAddr,
// RemoteAddr and the context accessors, which the owner may call anywhere
// it guards itself.
//
// Each field belongs to one goroutine, named by the group it is in.
type LoopConn struct {
	// Fixed before the connection reaches its loop.
	l         *loop
	slot, gen uint32 // the loop's table: lookup
	network   string
	raddr     net.Addr

	// The owner's: the LoopHandler's, or whoever it lets use c.
	laddr net.Addr // filled in by LocalAddr if not known
	ctx   any

	// The loop's: touched only by the goroutine that runs the loop, in
	// the loop itself or in a LoopConn method of a LoopHandler method that
	// holds the loop (pinned).
	sysfd       int // -1 once closed or detached
	state       connState
	in          []byte // received, not consumed by OnData; nil when empty
	out         []byte // queued, not yet handed to the kernel; nil when empty
	recv        opLife // io_uring: the multishot recv (uring_lifecycle_linux.go)
	send        opLife // the send in flight (io_uring), or waiting for EPOLLOUT (epoll)
	sending     []byte // io_uring: the buffer of the send in flight
	sendOff     int    // io_uring: how much of sending the kernel took
	recvOff     bool   // receiving is stopped (back-pressure, close or detach)
	paused      bool   // stopped for back-pressure
	dirty       bool   // in the loop's dirty list
	eof         bool   // the kernel said the peer shut down its side: receive no more
	eofDue      bool   // and that was dispatched: OnEOF follows what c holds
	eofSent     bool   // OnEOF was called
	hup         bool   // epoll: the peer shut down or the socket failed
	readable    bool   // epoll: an evReadable event for c is queued
	undelivered int32  // evData events for c not dispatched yet
	inMethod    bool   // c's LoopHandler method runs (on the loop, or away)
	shutWr      bool   // CloseWrite waits for the queue to empty
	toldClose   bool   // OnClose was called
	leaving     bool   // detach is Leave's: call it directly, not as a method
	err         error  // why the connection is ending, if not Close
	detach      func(net.Conn, error)
	away        *away // c's method lost the loop and has not returned (loop_handoff_linux.go)

	// The method's: the goroutine running c's LoopHandler method (see
	// invoke), which keeps them after it loses the loop.
	callStart int64     // the method's call in l.call, 0 outside it
	callIn    []byte    // the method's input (OnData's in)
	lost      *lostCall // what the method did with c after losing the loop

	// Any goroutine's: OnGone.
	gone     atomic.Pointer[func()]
	goneSeen atomic.Bool // the loop saw the peer go while c was away
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
func (c *LoopConn) Write(p []byte) (n int, err error) {
	if !c.pinned(func() { n, err = c.write(p) }) {
		q := append([]byte(nil), p...)
		c.later(func() { c.write(q) })
		return len(p), nil
	}
	return n, err
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
	l.queued += len(p)
	if !c.dirty {
		c.dirty = true
		l.dirty = append(l.dirty, c)
		l.backlog.Store(true) // for the watchdog: output waits for the loop
	}
	if !c.paused && c.queued() > l.g.maxQueued {
		c.paused = true
		l.k.stopRecv(c)
	}
	return len(p), nil
}

// Queued returns how many written bytes the kernel has not taken yet; 0
// once the loop was handed off.
func (c *LoopConn) Queued() (n int) {
	c.pinned(func() { n = c.queued() })
	return n
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
func (c *LoopConn) Flush() (err error) {
	c.pinned(func() { err = c.flush() })
	return err
}

func (c *LoopConn) flush() error {
	if c.state != connOpen || c.sendBusy() || c.paused || len(c.out) == 0 {
		return nil
	}
	n, err := sendOp.sys(c.sysfd, c.out)
	if n > 0 {
		c.out = c.out[:copy(c.out, c.out[n:])]
		c.l.queued -= n
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
func (c *LoopConn) Gone() (gone bool) {
	c.pinned(func() { gone = c.goneNow() })
	return gone
}

func (c *LoopConn) goneNow() bool {
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
func (c *LoopConn) Close() (err error) {
	if !c.pinned(func() { err = c.close() }) {
		c.later(func() { c.close() })
	}
	return err
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
func (c *LoopConn) CloseWrite() (err error) {
	if !c.pinned(func() { err = c.closeWrite() }) {
		c.later(func() { c.closeWrite() })
	}
	return err
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
	if !c.pinned(func() { c.detachTo(fn) }) {
		c.later(func() { c.detachTo(fn) })
	}
}

func (c *LoopConn) detachTo(fn func(net.Conn, error)) {
	if c.state != connOpen {
		err := c.opError("detach", net.ErrClosed)
		c.l.queue(event{c: c, kind: evCall, fn: func() { fn(nil, err) }})
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
	abort := func() { c.fail(c.opError("close", net.ErrClosed)) }
	if !c.pinned(abort) {
		c.later(abort)
	}
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
	c.l.queued -= len(c.out)
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

// recvArmed reports whether the kernel may still deliver received bytes.
func (c *LoopConn) recvArmed() bool { return c.recv.state() != opIdle }

// sendBusy reports whether a send is in flight, or waits for EPOLLOUT.
func (c *LoopConn) sendBusy() bool { return c.send.state() != opIdle }

// The directions of a connection's ops, the low bit of their slot in
// user_data (opUD): the rest is the connection's slot.
const (
	recvDir = 0
	sendDir = 1
)

// opUD is the user_data of c's next op in direction dir.
func (l *loop) opUD(c *LoopConn, dir uint32) uint64 {
	l.opGen++
	return opUD(l.opGen, c.slot<<1|dir)
}

// What the loop does at each step of a connection's life. The backends
// call eof and sent while they reap; none of these calls the handler:
// they queue an event for the dispatcher.

// eof records that the peer shut down its side; OnEOF follows.
func (l *loop) eof(c *LoopConn) {
	c.eof = true
	l.peerGone(c)
	l.queue(event{c: c, kind: evEOF})
}

// sent records that the kernel took all of c's output so far.
func (l *loop) sent(c *LoopConn) {
	if c.shutWr && c.err == nil {
		if err := c.shutdownWrite(); err != nil {
			c.fail(err)
			return
		}
	}
	if c.paused && c.state == connOpen {
		l.queue(event{c: c, kind: evHeld}) // resumes reading if the queue drained enough
	}
	l.settle(c)
}

// settle finishes a Close or Detach once nothing is in flight on c.
func (l *loop) settle(c *LoopConn) {
	if c.state != connClosing && c.state != connDetaching {
		return
	}
	if c.recvArmed() || c.sendBusy() || (len(c.out) > 0 && c.err == nil) || c.undelivered > 0 ||
		(c.inMethod && c.away == nil) {
		return // the kernel, the dispatcher or c's method still has some of c
	}
	if c.state == connDetaching && c.err == nil {
		l.finishDetach(c)
		return
	}
	l.remove(c)
	err := unix.Close(c.sysfd)
	c.sysfd = -1
	c.state = connDone
	if c.err == nil && err != nil {
		c.err = c.opError("close", os.NewSyscallError("close", err))
	}
	l.peerGone(c)
	if fn := c.detach; fn != nil { // a Detach or Leave that failed
		err := c.err
		if err == nil {
			err = c.opError("detach", net.ErrClosed)
		}
		l.handOver(c, fn, nil, err)
		return
	}
	l.queue(event{c: c, kind: evClose}) // not while away: comeBack queues it
}

// remove takes c out of the loop's table and returns its buffers.
func (l *loop) remove(c *LoopConn) {
	l.conns[c.slot] = nil
	l.free = append(l.free, c.slot)
	l.live--
	l.nconns.Store(int32(l.live))
	l.queued -= len(c.out)
	l.bufs.put(c.out)
	c.out = nil
	if c.state != connDetaching {
		if c.away == nil { // else c's method may still read it
			l.bufs.put(c.in)
		}
		c.in = nil
	}
}

// finishDetach moves c to the blocking mode and gives it to its owner.
func (l *loop) finishDetach(c *LoopConn) {
	l.k.release(c)
	held := c.in
	c.in = nil
	l.remove(c)
	s := c.sysfd
	c.sysfd = -1
	c.state = connDone
	var conn net.Conn
	drv, err := driverFor(l.g.backend)
	if err != nil {
		unix.Close(s)
		err = c.opError("detach", err)
	} else if fd, ferr := newFD(s, drv); ferr != nil {
		err = c.opError("detach", ferr)
	} else {
		fd.pending = append([]byte(nil), held...)
		conn = newConn(fd, c.network, c.laddr, c.raddr)
	}
	l.bufs.put(held)
	l.handOver(c, c.detach, conn, err)
}

// handOver gives the outcome of a Detach or Leave to its function:
// Leave's at once (its goroutine waits for it), Detach's as a method for
// c, once the method that called Detach has returned.
func (l *loop) handOver(c *LoopConn, fn func(net.Conn, error), conn net.Conn, err error) {
	if c.leaving {
		fn(conn, err)
		return
	}
	l.queue(event{c: c, kind: evCall, fn: func() { fn(conn, err) }})
}
