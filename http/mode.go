package http

import (
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/ringnet/ringnet/netfd"
)

// connMode is how a connection is served at a given moment: which
// goroutine owns it and where its bytes go. The phase machine (run, in
// conn.go) is the same in every mode; what a phase does where the
// engines differ (wait for bytes, linger, close) it asks the mode.
// (Server.Mode is another thing: which engine a Server serves with, so
// which of these modes its connections take.)
//
// Every change of mode goes through setMode, and these are the moves it
// allows:
//
//	goroutine ──hijack──▶ hijacked            (the goroutine engine)
//
//	goroutine ──OnOpen──▶ loop                (a loop's new connection)
//	loop ──leave──▶ left ──hijack──▶ hijacked
//	left ──rejoin──▶ loop                     (idle again, back on a loop)
//	loop ──linger──▶ lingering ──▶ closing
//	loop ──────────────────────▶ closing ──▶ closing (OnEOF, then OnClose)
type connMode uint32

const (
	// modeGoroutine: the goroutine engine (ModeGoroutine, TLS, a
	// listener not netfd's): a goroutine of its own from accept to close,
	// blocking reads and writes on the net.Conn.
	modeGoroutine connMode = iota
	// modeLoop: on an event loop, which calls serveLoop with the bytes
	// that arrive; handlers run there. A handler that blocks may have
	// its loop handed to a new goroutine meanwhile: that is the
	// LoopConn's state, which netfd's watchdog changes at any time, so it
	// is asked of the LoopConn (HandedOff, Checkpoint), not kept here.
	modeLoop
	// modeLeft: off its loop for the blocking path, because a handler
	// needed what only a goroutine can do (leaveLoop); served by the
	// goroutine that left, through the net.Conn Leave returned, until
	// idle, then back to a loop (rejoinLoop). A leave that failed is left
	// too, with leaveErr, and every read and write failing.
	modeLeft
	// modeLingering: on the loop, half-closed after an error response,
	// dropping what the client still sends until the sweeper closes it.
	modeLingering
	// modeClosing: on the loop, closing or closed: nothing more is read
	// or written, and OnClose counts it gone.
	modeClosing
	// modeHijacked: a handler took the net.Conn (http.Hijacker).
	modeHijacked
)

var modeNames = [...]string{"goroutine", "loop", "left", "lingering", "closing", "hijacked"}

func (m connMode) String() string { return modeNames[m] }

// canMove[from] has bit 1<<to set for each move the diagram above has.
var canMove = [...]uint8{
	modeGoroutine: 1<<modeLoop | 1<<modeHijacked,
	modeLoop:      1<<modeLeft | 1<<modeLingering | 1<<modeClosing,
	modeLeft:      1<<modeLoop | 1<<modeHijacked,
	modeLingering: 1 << modeClosing,
	modeClosing:   1 << modeClosing,
	modeHijacked:  0,
}

// atomicMode holds a connection's mode. Any goroutine may read it: the
// response's side asks whether the connection was hijacked, the
// request's side whether it is still on its loop. Who changes it:
//
//   - the goroutine serving the connection: the loop's (in OnOpen,
//     OnData, OnEOF, OnClose), or the one serving it off the loop;
//   - leave, which the request's side may make on any of its goroutines
//     while the handler runs (the body's reader, a write, Hijack), under
//     c.lcMu; and what that side does with the LoopConn it does under
//     lcMu too, after checking the mode is still modeLoop, so that no
//     call reaches a LoopConn the connection left (loopConn.Write,
//     ReadFrom, withLoop).
//
// While a handler runs the mode is loop, left or hijacked: the loop calls
// nothing else for the connection then (netfd holds what arrives for an
// away handler), so the loop's own moves never meet a leave.
type atomicMode struct{ v atomic.Uint32 }

func (m *atomicMode) Load() connMode { return connMode(m.v.Load()) }

// setMode moves c to mode to. A move the diagram does not have is a bug
// in this package: it panics rather than serve a connection whose owner
// is in doubt.
func (c *conn) setMode(to connMode) {
	from := connMode(c.mode.v.Swap(uint32(to)))
	if canMove[from]&(1<<to) == 0 {
		panic("http: connection mode " + from.String() + " → " + to.String())
	}
}

func (c *conn) hijacked() bool { return c.mode.Load() == modeHijacked }

// onLoop reports whether the connection is on a loop: a read there waits
// for the loop to deliver bytes instead of blocking.
func (c *conn) onLoop() bool { return c.mode.Load() == modeLoop }

// leaveLoop moves the connection off its loop to the blocking path
// (loop → left), from the handler's side: its body's reader
// (connReader.leave), a write that cannot wait for the loop, or Hijack.
// These may run on different goroutines at once (net/http lets a handler
// read the body on one while another writes a 1xx or flushes), so the
// move is made under c.lcMu, once; the callers that come after it find
// the connection left. A connection already closing (closed while its
// handler ran, and counted by OnClose) does not leave.
//
// byReader says the caller owns the connection's reader: the body's
// reader, or Hijack.
func (c *conn) leaveLoop(byReader bool) error {
	c.lcMu.Lock()
	defer c.lcMu.Unlock()
	return c.leaveLoopLocked(byReader)
}

// leaveForReader is the connection's reader's leave (connReader.leave).
func (c *conn) leaveForReader() error { return c.leaveLoop(true) }

func (c *conn) leaveLoopLocked(byReader bool) error {
	switch c.mode.Load() {
	case modeLeft, modeHijacked:
		return c.leaveErr // nil, or why it failed leaving, below
	case modeLingering, modeClosing:
		return net.ErrClosed
	}
	lr := c.lr
	// What the reader holds may still point into the loop's buffer. Its
	// owner copies it, and the loop reuses its buffer. A writer leaving
	// while a handler's goroutine may be reading the body must not touch
	// the reader: it leaves the buffer to the reader instead
	// (LeaveKeepingInput: on epoll the loop then allocates a new one).
	keep := !byReader && c.bodyReader
	if !keep && len(c.r.buf) > 0 {
		c.r.buf = append([]byte(nil), c.r.buf[c.r.r:c.r.w]...)
		c.r.w -= c.r.r
		c.r.r = 0
	}
	var nc net.Conn
	var err error
	if keep {
		nc, err = lr.lc.LeaveKeepingInput(len(c.loopIn))
	} else {
		nc, err = lr.lc.Leave(len(c.loopIn))
	}
	c.loopIn = nil // the loop's now
	if err != nil {
		// The connection failed before it could leave (the client
		// reset it): the loop has closed it and calls no OnClose for
		// it, so it ends as one off the loop does, through
		// teardown (which counts it gone, once), with every read and
		// write failing.
		c.leaveErr = err
		c.setMode(modeLeft)
		return err
	}
	lr.mu.Lock()
	lr.nc = nc
	rd, wd := lr.rd, lr.wd
	lr.mu.Unlock()
	nc.SetReadDeadline(rd)
	nc.SetWriteDeadline(wd)
	c.setMode(modeLeft)
	c.loopDeadline.Store(0)
	return nil
}

// rejoinLoop gives the idle connection that left back to a loop; the
// loop's OnOpen (rejoin) makes it modeLoop again. c belongs to that loop
// from the call to Attach on: nothing here touches it after.
func (c *conn) rejoinLoop() {
	lr := c.lr
	c.r.release()
	buffered := append([]byte(nil), c.r.buffered()...)
	c.r.buf, c.r.r, c.r.w = nil, 0, 0
	lr.mu.Lock()
	nc := lr.nc
	lr.mu.Unlock()
	nc.SetDeadline(time.Time{})
	c.setState(http.StateIdle)
	if err := c.ls.loops.Attach(nc, buffered, c); err != nil {
		nc.Close()
		c.setState(http.StateClosed)
		c.ls.connGone()
	}
}

// rejoin is OnOpen for a connection back from the blocking path.
func (c *conn) rejoin(lc *netfd.LoopConn) {
	lr := c.lr
	lr.mu.Lock()
	lr.lc, lr.nc = lc, nil
	lr.mu.Unlock()
	c.setMode(modeLoop)
	c.partial = 0
	c.inHeader = false
	c.setLoopDeadline(c.srv.idleTimeout())
}

// lingerOnLoop half-closes the connection on its loop after an error
// response and has serveLoop drop what the client still sends, for
// 500 ms (the sweeper closes it then), as lingerClose does off a loop: so
// the response is not lost to a reset.
func (c *conn) lingerOnLoop() {
	c.loopIn = nil
	c.flush()
	c.lr.lc.CloseWrite()
	c.setMode(modeLingering)
	c.setLoopDeadline(500 * time.Millisecond)
}

// closeOnLoop closes the connection through its loop, after what is
// queued (or, handed off, once serveLoop returns); OnClose follows.
func (c *conn) closeOnLoop() {
	c.loopIn = nil
	c.setMode(modeClosing)
	c.lr.lc.Close()
}
