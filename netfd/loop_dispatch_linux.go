package netfd

import (
	"fmt"
	"log/slog"
	"runtime"
)

// The dispatcher: the one place where a loop calls LoopHandler code.
//
// A pass of the loop has two halves. The backend reaps (loopKernel.reap):
// it turns completions and readiness into op-state updates and events on
// the loop's queue, and never calls the handler. Then dispatch runs the
// handler for each event in order. A handler method that blocks may lose
// the loop to a new goroutine (the hand-off, loop_handoff_linux.go); the
// queue and its one cursor are the loop's, so the new goroutine simply
// goes on with the event after the one whose method blocked, and the old
// goroutine returns out of the loop: dispatch reports false.
//
// What an event holds until it is dispatched: an evData event's bytes are
// in one of the io_uring loop's provided buffers, which goes back to the
// kernel once the event was dispatched (loopKernel.done). A reaped batch
// is one peek of the CQ, at most 256 CQEs, so it holds at most 256 of the
// 512 provided buffers (docs/design.md). The epoll loop holds nothing: an
// evReadable event has the dispatcher read the socket (loopKernel.read)
// into the one buffer it hands to OnData read after read.

// An event is one thing for the handler to hear about c.
type event struct {
	c    *LoopConn
	kind eventKind
	buf  int32  // evData on io_uring: the provided buffer data is in
	data []byte // evData: the bytes received, valid until done
	fn   func() // evDo, evCall
}

type eventKind uint8

const (
	evOpen     eventKind = iota // OnOpen
	evData                      // bytes arrived (io_uring): OnData
	evReadable                  // c is readable (epoll): read it, OnData for each read
	evHeld                      // end back-pressure if the queue drained; deliver what c holds (after back-pressure, a hand-off, an Attach), then OnEOF if due
	evEOF                       // the peer shut down its side: OnEOF, once, after what is held (eofDue)
	evClose                     // c is closed: OnClose, once
	evDo                        // fn, as a method for c, if c is still open on the loop (LoopConn.Do)
	evCall                      // fn, as a method for c, whatever c's state (Detach's function)
)

// queue adds ev to the events the loop dispatches this pass. A Close or
// Detach waits for c's evData events (settle): their bytes are c's input.
func (l *loop) queue(ev event) {
	if ev.kind == evData {
		ev.c.undelivered++
	}
	l.events = append(l.events, ev)
}

// dispatch runs the handler for every queued event, the ones a method
// queues meanwhile included. It returns false if the calling goroutine
// lost the loop during a method: it must leave the loop alone from then
// on, and its successor goes on from the cursor.
func (l *loop) dispatch() bool {
	for l.next < len(l.events) {
		ev := l.events[l.next]
		l.events[l.next] = event{}
		l.next++
		if !l.handle(ev) {
			return false
		}
	}
	l.events, l.next = l.events[:0], 0
	return true
}

// handle dispatches one event; false: the goroutine lost the loop. A
// Close or Detach that the method made finishes here, once the event's
// input is accounted for (settle waits while c's method runs).
func (l *loop) handle(ev event) bool {
	kept := l.handle1(ev)
	if kept && ev.c.state != connOpen {
		l.settle(ev.c)
	}
	return kept
}

func (l *loop) handle1(ev event) bool {
	c := ev.c
	switch ev.kind {
	case evOpen:
		_, kept := l.invoke(c, evOpen, nil, nil, nil)
		return kept
	case evData:
		c.undelivered--
		if !l.deliver(c, ev.data) {
			// The method may still read ev.data: the buffer goes back to
			// the backend once the method has returned.
			l.post(func() { l.k.done(ev) })
			return false
		}
		l.k.done(ev)
		return true
	case evReadable:
		return l.k.read(c)
	case evHeld:
		if c.paused && c.queued() <= l.g.maxQueued/2 && c.state == connOpen {
			// Back-pressure is over. Here, not where the send completed:
			// events queued before this one must still find c paused.
			c.paused = false
			l.k.resumeRecv(c)
		}
		return l.deliverHeld(c)
	case evEOF:
		c.eofDue = true
		return l.tellEOF(c)
	case evClose:
		if c.toldClose || c.away != nil {
			return true // told already, or told by comeBack once c's method returns
		}
		c.toldClose = true
		_, kept := l.invoke(c, evClose, nil, nil, nil)
		return kept
	case evDo:
		if c.state != connOpen || c.away != nil {
			return true
		}
		fallthrough
	case evCall:
		_, kept := l.invoke(c, ev.kind, nil, nil, ev.fn)
		return kept
	}
	panic("netfd: unknown loop event")
}

// deliver hands bytes that arrived on c to OnData and keeps what it did
// not consume; false: the goroutine lost the loop during OnData.
func (l *loop) deliver(c *LoopConn, data []byte) bool {
	if a := c.away; a != nil {
		// c's method is away from the loop: keep the bytes for its
		// Leave or return, within bounds.
		a.in = append(a.in, data...)
		if len(a.in) > l.g.maxQueued {
			l.k.stopRecv(c)
		}
		return true
	}
	if c.state != connOpen {
		if c.state == connDetaching {
			c.in = l.bufs.append(c.in, data) // handed over to the net.Conn
		}
		return true // closing: the owner does not want more
	}
	if c.paused {
		// Back-pressure: the backend received this before it saw the
		// receive stop. Held until the queue drains (evHeld).
		c.in = l.bufs.append(c.in, data)
		return true
	}
	in := data
	if len(c.in) > 0 { // what OnData left last time comes first
		c.in = l.bufs.append(c.in, data)
		in = c.in
	}
	n, kept := l.invoke(c, evData, in, nil, nil)
	if !kept {
		return false
	}
	n = min(max(n, 0), len(in))
	switch {
	case len(c.in) == 0 && n < len(in):
		c.in = l.bufs.append(nil, in[n:])
	case len(c.in) > 0:
		c.in = c.in[:copy(c.in, c.in[n:])]
		if len(c.in) == 0 {
			l.bufs.put(c.in)
			c.in = nil
		}
	}
	return true
}

// deliverHeld hands the bytes c holds to OnData, in pieces no larger than
// the room in c's queue, so that the queue stays bounded (a piece the
// handler cannot use is grown to all of them); then OnEOF if it is due.
func (l *loop) deliverHeld(c *LoopConn) bool {
	for len(c.in) > 0 && !c.paused && c.state == connOpen && c.away == nil {
		k := min(len(c.in), max(l.g.maxQueued-c.queued(), 4<<10))
		in := c.in[:k]
		n, kept := l.invoke(c, evData, in, c.in[k:], nil)
		if !kept {
			return false
		}
		n = min(max(n, 0), k)
		if n == 0 && k < len(c.in) && c.state == connOpen {
			in = c.in
			if n, kept = l.invoke(c, evData, in, nil, nil); !kept {
				return false
			}
			n = min(max(n, 0), len(c.in))
		}
		c.in = c.in[:copy(c.in, c.in[n:])]
		if c.state != connOpen {
			return true
		}
		if n == 0 {
			break // the handler waits for more: OnEOF, if due, says none comes
		}
	}
	if len(c.in) == 0 {
		l.bufs.put(c.in)
		c.in = nil
	}
	return l.tellEOF(c)
}

// tellEOF calls OnEOF once it is due (the event was dispatched, after
// every byte received before the EOF), and after the bytes held for
// back-pressure or while c was away.
func (l *loop) tellEOF(c *LoopConn) bool {
	if !c.eofDue || c.eofSent || c.paused || c.away != nil || c.state != connOpen {
		return true
	}
	c.eofSent = true
	_, kept := l.invoke(c, evEOF, nil, nil, nil)
	return kept
}

// invoke runs the LoopHandler method for an event of kind on c (fn for
// evDo and evCall) and returns how much of in OnData consumed; rest is
// what follows in in c's unconsumed input. kept is false if the loop was
// handed off during the method: the goroutine then gives c back to the
// loop (comeBack, with the input the method did not consume and what it
// did with c meanwhile) and must return out of the loop. A panic in the
// method is logged and fails c, as net/http recovers a handler's, also
// when the loop was handed off (then once c is back on the loop).
func (l *loop) invoke(c *LoopConn, kind eventKind, in, rest []byte, fn func()) (n int, kept bool) {
	c.inMethod = true
	l.startCall(c, in)
	p := callRecovered(l.g.h, c, kind, in, fn, &n)
	// The method may have moved the call on (Checkpoint) or left (Leave: 0).
	if cur := c.callStart; cur != 0 && l.call.CompareAndSwap(cur, callIdle) {
		c.callStart, c.callIn = 0, nil
		c.inMethod = false
		if p != nil {
			c.fail(c.panicked(p))
		}
		return n, true
	}
	// Lost the loop: from here on this goroutine touches only c's
	// method-side fields, and gives the rest to the loop through post.
	lost := c.lost
	c.lost = nil
	c.callIn = nil // else an idle c pins the read buffer the loop replaced (takeOver: 64 KiB on epoll)
	if lost != nil && lost.left {
		if p != nil {
			c.panicked(p) // after Leave the connection is the method's
		}
		return n, false
	}
	held := append([]byte(nil), in[min(max(n, 0), len(in)):]...)
	held = append(held, rest...)
	var later []func()
	if lost != nil {
		later = lost.later
	}
	if p != nil {
		err := c.panicked(p)
		later = append(later, func() { c.fail(err) })
	}
	l.post(func() { l.comeBack(c, held, later) })
	return n, false
}

// A handlerPanic is what a LoopHandler method panicked with, and where.
type handlerPanic struct {
	val   any
	stack []byte
}

// panicked logs p and returns the error that fails c for it.
func (c *LoopConn) panicked(p *handlerPanic) error {
	slog.Error("netfd: LoopHandler panicked", "panic", p.val, "stack", string(p.stack))
	return c.opError("read", fmt.Errorf("netfd: LoopHandler panicked: %v", p.val))
}

// callRecovered runs the method for an event of kind and returns what it
// panicked with, with the stack of the panic (taken before the deferred
// call returns, while the panicking frames are still on it), or nil.
func callRecovered(h LoopHandler, c *LoopConn, kind eventKind, in []byte, fn func(), n *int) (p *handlerPanic) {
	defer func() {
		if v := recover(); v != nil {
			stack := make([]byte, 64<<10)
			p = &handlerPanic{v, stack[:runtime.Stack(stack, false)]}
		}
	}()
	switch kind {
	case evOpen:
		h.OnOpen(c)
	case evData:
		*n = h.OnData(c, in)
	case evEOF:
		h.OnEOF(c)
	case evClose:
		h.OnClose(c, c.err)
	default:
		fn()
	}
	return nil
}
