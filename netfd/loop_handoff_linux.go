package netfd

import (
	"errors"
	"net"
	"time"
)

// The hand-off: a LoopHandler method that blocks must not hold up the
// other connections of its loop. Every method runs through invoke, which
// publishes in l.call which method holds the loop and since when; the
// watchdog (or Leave, or HandOff, when the handler knows it will block)
// takes the loop from that method and starts a new goroutine on it, which
// goes on with the loop's events from the dispatcher's cursor. The old
// goroutine keeps only its connection: the loop marks it away (c.away: it
// holds what arrives for it and tells the owner if the peer goes, see
// OnGone), and when its method returns, invoke gives the connection back
// to the loop (comeBack) and the goroutine returns out of the loop.
//
// l.call is one word that the method's goroutine and the watchdog race
// on, with four states:
//
//	callIdle     no method runs
//	running(s)   method call s runs (s is odd, from l.seq, never repeats)
//	pinned(s)    method call s is inside a LoopConn method (pinned):
//	             the watchdog waits, so that no LoopConn method is cut in
//	             two by a hand-off
//	callTaken    the loop was handed off during the method
//
//	idle ──invoke──▶ running(s) ──return──▶ idle
//	running(s) ◀──pinned──▶ pinned(s)
//	running(s) ──Checkpoint──▶ running(s')
//	running(s) ──watchdog, Leave, HandOff──▶ taken ──successor starts──▶ idle
const (
	callIdle  int64 = 0
	callTaken int64 = -1
)

// othersWait reports whether the loop has work besides the method now
// running: events queued after it or output queued before it (backlog),
// functions posted to it, or completions or readiness the kernel holds for
// it. The watchdog hands a loop off only then: a method that runs long on
// a loop with nothing else to do holds up nobody, and handing off would
// only cost a goroutine and a stack (docs/design.md). Any goroutine.
func (l *loop) othersWait() bool {
	if l.backlog.Load() || l.pending.Load() {
		return true
	}
	l.kmu.Lock() // the loop may be closing its kernel side meanwhile
	defer l.kmu.Unlock()
	return !l.kclosed && l.k.waiting()
}

// startCall publishes that the method for c, given in, now holds the
// loop: c's method-side fields are written before the call is visible.
func (l *loop) startCall(c *LoopConn, in []byte) {
	l.backlog.Store(l.next < len(l.events) || len(l.dirty) > 0)
	start := l.seq.Add(1)<<1 | 1
	l.callConn = c
	c.callStart, c.callIn = start, in
	l.callTick.Store(l.g.tick.Load())
	l.call.Store(start)
}

// An away is what the loop keeps for a connection whose method lost the
// loop, until the method returns (comeBack) or calls Leave (leave). The
// loop's; nil for every connection whose method never blocked.
type away struct {
	in []byte // what arrived meanwhile
}

// A lostCall is what c's method did with c after it lost the loop, for
// the loop to do once it returns. The method's goroutine's.
type lostCall struct {
	later []func() // LoopConn methods it called, in order
	left  bool     // it called Leave: c is its net.Conn now
}

// pinned runs f, the part of a LoopConn method that touches the loop's
// state, and reports true; if c's method has lost the loop it reports
// false and f does not run: the caller then records what to do for
// comeBack (later) or answers from what it knows. Outside c's method the
// caller is the loop goroutine serving another connection, or a goroutine
// its owner serializes with the loop, and nothing is pinned.
func (c *LoopConn) pinned(f func()) bool {
	s := c.callStart
	if s == 0 {
		f()
		return true
	}
	if !c.l.call.CompareAndSwap(s, s+1) {
		return false
	}
	defer c.l.call.Store(s)
	f()
	return true
}

// later records op, something c's handed-off method did with c, to take
// effect through the loop, in order, once the method returns.
func (c *LoopConn) later(op func()) {
	if c.lost == nil {
		c.lost = &lostCall{}
	}
	c.lost.later = append(c.lost.later, op)
}

// comeBack serves c on the loop again after its method, handed off,
// returned: held is the input it did not consume, later what it did with
// c meanwhile.
func (l *loop) comeBack(c *LoopConn, held []byte, later []func()) {
	a := c.away
	c.away, c.inMethod = nil, false
	if c.state == connDone {
		// Closed while away (by a Close of the method's before the loop
		// was handed off, or a failure): OnClose was left to here. A
		// connection that was detached gets none.
		if c.detach == nil {
			l.queue(event{c: c, kind: evClose})
		}
		return
	}
	l.bufs.put(c.in) // what the method was given; it is done with it
	c.in = nil
	if len(held)+len(a.in) > 0 {
		c.in = l.bufs.append(nil, held)
		c.in = append(c.in, a.in...)
	}
	for _, f := range later {
		f()
	}
	if c.state != connOpen {
		l.settle(c)
		return
	}
	if !c.paused {
		l.k.resumeRecv(c) // receiving stopped or skipped while away
	}
	l.queue(event{c: c, kind: evHeld})
}

// handOff gives the loop to a new goroutine. The caller has moved
// l.call to callTaken; c is the connection whose method holds the old
// goroutine. leaving says the method gave up its input with Leave: the
// new goroutine may then read into the buffer that input is in (no
// takeOver), so that a connection that left, for a long download say,
// does not pin a read buffer of its own (64 KiB on epoll).
func (l *loop) handOff(c *LoopConn, leaving bool) {
	l.g.handOffs.Add(1)
	c.away = &away{}
	if !leaving {
		l.k.takeOver()
	}
	go func() {
		l.call.Store(callIdle)
		l.runOwned()
	}()
}

// watch is the watchdog and the loops' clock: every half HandOffAfter it
// advances g.tick, and hands off every loop whose running method (or the
// piece of it since its last Checkpoint) began two ticks ago or more, so
// it has run between one and one and a half HandOffAfter. Methods read
// the tick, not the time: a clock read per request costs more than the
// request's parsing on these VMs.
func (g *Loops) watch() {
	defer close(g.watchDone)
	t := time.NewTicker(g.handOffAfter / 2)
	defer t.Stop()
	for {
		select {
		case <-g.stopWatch:
			return
		case <-t.C:
		}
		now := g.tick.Add(1)
		for _, l := range g.loops {
			start := l.call.Load()
			began := l.callTick.Load()
			if start > 0 && start&1 == 1 && now-began >= 3 && l.canHandOff && l.othersWait() &&
				l.call.CompareAndSwap(start, callTaken) {
				l.handOff(l.callConn, false)
			}
		}
	}
}

// Checkpoint, called from the LoopHandler method running for c between
// two pieces of work (two pipelined requests, say), starts the watchdog's
// count for that method anew, so that it hands the loop off for one piece
// that blocks, not for many quick ones in a row. It returns how long the
// piece before it ran, to the watchdog's tick (half of HandOffAfter); 0
// without a watchdog, outside c's method, or once the loop was handed off.
func (c *LoopConn) Checkpoint() time.Duration {
	l := c.l
	s := c.callStart
	if s == 0 || l.g.handOffAfter == 0 {
		return 0
	}
	now := l.g.tick.Load()
	ran := now - l.callTick.Load()
	next := l.seq.Add(1)<<1 | 1
	l.callTick.Store(now)
	if !l.call.CompareAndSwap(s, next) {
		return 0 // handed off
	}
	c.callStart = next
	return time.Duration(ran) * l.g.handOffAfter / 2
}

// Now is the loop's clock: the time its current pass began, read once
// per pass rather than once per call, for what needs no finer time than
// that (deadlines a sweeper enforces, a Date header). A method that runs
// long sees it lag by as much; after a hand-off it is read anew. Any
// goroutine may call it.
func (c *LoopConn) Now() time.Time { return time.Unix(0, c.l.now.Load()) }

// ErrNotInHandler is returned by Leave when called other than from a
// LoopHandler method running for the connection.
var ErrNotInHandler = errors.New("netfd: Leave called outside the connection's LoopHandler method")

// Leave takes c and the calling goroutine out of the loop. Called from a
// LoopHandler method running for c, it gives the loop to a new goroutine
// (unless the watchdog already did, because the method ran too long), so
// the method may block from now on without holding up the loop's other
// connections; c goes on in blocking mode as the returned net.Conn (a
// *Conn). In OnData, consumed says how much of in the handler has
// consumed: the rest, and what arrived since, is read first from the
// net.Conn. Bytes queued with Write are sent before Leave returns. After
// Leave, in and c must not be used; the method's result is ignored, and
// OnClose is not called for c.
//
// Leave may be called from a goroutine other than the method's (one the
// handler started to read a request body, say) while the method runs,
// if the caller keeps the method from using c meanwhile.
func (c *LoopConn) Leave(consumed int) (net.Conn, error) {
	return c.leave(consumed, false)
}

// LeaveKeepingInput is Leave for a method that may go on reading in (or
// have another goroutine read it) after it left: in stays valid, and the
// method's, until the method returns. The loop takes a new read buffer
// rather than reading into the one in is in (on epoll, a 64 KiB
// allocation) and does not reuse in.
func (c *LoopConn) LeaveKeepingInput(consumed int) (net.Conn, error) {
	return c.leave(consumed, true)
}

func (c *LoopConn) leave(consumed int, keep bool) (net.Conn, error) {
	l := c.l
	start := c.callStart
	if start == 0 {
		return nil, c.opError("leave", ErrNotInHandler)
	}
	if !l.canHandOff {
		return nil, c.opError("leave", errors.New("netfd: this loop's ring belongs to its thread and cannot be handed off"))
	}
	var held []byte
	if consumed < len(c.callIn) {
		held = append(held, c.callIn[max(consumed, 0):]...)
	}
	if l.call.CompareAndSwap(start, callTaken) {
		l.handOff(c, !keep)
	} // else the watchdog has handed it off already (with takeOver)
	var later []func()
	if c.lost != nil {
		later = c.lost.later
	}
	c.lost = &lostCall{left: true}
	type result struct {
		conn net.Conn
		err  error
	}
	done := make(chan result, 1)
	l.post(func() {
		for _, f := range later {
			f()
		}
		l.leave(c, held, keep, func(conn net.Conn, err error) { done <- result{conn, err} })
	})
	select {
	case r := <-done:
		return r.conn, r.err
	case <-l.exited: // Loops.Close closed c with the rest
		select {
		case r := <-done:
			return r.conn, r.err
		default:
		}
		return nil, c.opError("leave", net.ErrClosed)
	}
}

// leave detaches c, whose goroutine has left the loop, on the loop; keep:
// that goroutine may still read the input it was given.
func (l *loop) leave(c *LoopConn, held []byte, keep bool, fn func(net.Conn, error)) {
	if c.state != connOpen {
		err := c.err
		if err == nil {
			err = c.opError("leave", net.ErrClosed)
		}
		fn(nil, err)
		return
	}
	a := c.away
	c.away, c.inMethod = nil, false // from now on what arrives is c.in, handed over below
	// c.in may be what the old goroutine was given: reused unless it may
	// still read it (LeaveKeepingInput), else left to the collector.
	if !keep {
		l.bufs.put(c.in)
	}
	c.in = l.bufs.append(nil, held)
	if a != nil {
		c.in = append(c.in, a.in...)
	}
	c.detach, c.leaving = fn, true
	c.state = connDetaching
	l.k.stopRecv(c)
	l.settle(c)
}

// OnGone registers f to be called, once, if the loop sees the peer shut
// down or the connection fail while c's handler is away from the loop
// (handed off, before it calls Leave). f runs on the loop goroutine,
// concurrently with the handler, and must not block: it is how a server
// cancels a request's context when the client goes away.
//
// If the loop saw the peer go while the handler was away before f was
// registered, f is called at once, on the caller's goroutine.
func (c *LoopConn) OnGone(f func()) {
	if f == nil {
		c.gone.Store(nil)
		return
	}
	c.gone.Store(&f)
	if c.goneSeen.Load() {
		if f := c.gone.Swap(nil); f != nil {
			(*f)()
		}
	}
}

// peerGone calls c's OnGone function for an away connection, or has
// OnGone call it once registered.
func (l *loop) peerGone(c *LoopConn) {
	if c.away == nil {
		return
	}
	c.goneSeen.Store(true)
	if f := c.gone.Swap(nil); f != nil {
		(*f)()
	}
}

// HandedOff reports whether the LoopHandler method running for c has lost
// its loop to the watchdog: what it does with c from now on takes effect
// only when it returns, unless it calls Leave. False outside c's method.
func (c *LoopConn) HandedOff() bool {
	s := c.callStart
	if s == 0 {
		return false
	}
	now := c.l.call.Load()
	return now != s && now != s+1
}

// Do runs f on c's loop at the start of its next pass, as a LoopHandler
// method for c, unless c has left the loop by then (closed, detached, or
// its handler is away). It may be called from any goroutine: it is how
// another goroutine closes an idle connection or enforces a timeout.
func (c *LoopConn) Do(f func(c *LoopConn)) {
	l := c.l
	l.post(func() { l.queue(event{c: c, kind: evDo, fn: func() { f(c) }}) })
}

// HandOff, called from the LoopHandler method running for c, gives the
// loop to a new goroutine now, as the watchdog does once the method has
// run for HandOffAfter: for a method that knows it is about to block. The
// method goes on concurrently with the loop, and what it does with c takes
// effect through the loop when it returns. It reports whether it handed
// the loop off (false outside c's method, once handed off, or for a loop
// that cannot be).
func (c *LoopConn) HandOff() bool {
	s := c.callStart
	if s == 0 || !c.l.canHandOff || !c.l.call.CompareAndSwap(s, callTaken) {
		return false
	}
	c.l.handOff(c, false)
	return true
}
