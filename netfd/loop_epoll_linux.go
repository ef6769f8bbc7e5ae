package netfd

import (
	"github.com/ringnet/ringnet/epoll"
	"golang.org/x/sys/unix"
)

// The epoll loop: its own epoll instance, every connection registered
// edge-triggered for input and output. A readable edge is read at once
// into one 64 KiB buffer per loop; only the bytes the handler does not
// consume are copied into the connection. Queued writes are written at
// the end of the pass; what the kernel does not take waits for EPOLLOUT.
// The loop goroutine blocks in epoll_wait (docs/design.md compares it with
// waiting through the runtime poller).
type epollLoop struct {
	l       *loop
	p       *epoll.Poller
	events  []epoll.Event
	n, pos  int // events[pos:n] are still to dispatch
	buf     []byte
	again   []*LoopConn // stopped reading before EAGAIN: read on next pass
	redo    []*LoopConn // this pass's again list, redo[redoPos:] still to read
	redoPos int
}

// epollReadsPerEvent bounds the reads one connection gets per pass, so
// that a peer that never stops sending cannot starve the others.
const epollReadsPerEvent = 4

func newEpollLoop(l *loop) (*epollLoop, error) {
	p, err := epoll.New()
	if err != nil {
		return nil, err
	}
	return &epollLoop{l: l, p: p, events: make([]epoll.Event, 256), buf: make([]byte, 64<<10)}, nil
}

func (e *epollLoop) add(c *LoopConn) error {
	return e.p.Add(c.sysfd, epoll.MakeToken(c.slot, c.gen))
}

func (e *epollLoop) release(c *LoopConn) { e.p.Delete(c.sysfd) }

func (e *epollLoop) wake() { e.p.Wake() }

func (e *epollLoop) close() { e.p.Close() }

// takeOver gives a new loop goroutine its own read buffer: the old one's
// LoopHandler method may still be reading the bytes in e.buf.
func (e *epollLoop) takeOver() { e.buf = make([]byte, len(e.buf)) }

func (e *epollLoop) stopRecv(c *LoopConn) { c.recvOff = true }

func (e *epollLoop) resumeRecv(c *LoopConn) {
	c.recvOff = false
	e.again = append(e.again, c) // the edge may have come while paused
}

func (e *epollLoop) wait(block bool) error {
	if e.pos == e.n && e.redoPos == len(e.redo) { // else a successor goes on with them
		msec := -1
		if !block || len(e.again) > 0 {
			msec = 0
		}
		n, err := e.p.Wait(e.events, msec)
		if err != nil {
			return err
		}
		e.n, e.pos = n, 0
		e.redo, e.again = e.again, e.redo[:0]
		e.redoPos = 0
	}
	for e.pos < e.n {
		ev := e.events[e.pos] // a copy: a successor may reuse events
		e.pos++
		c := e.l.lookup(ev.Token().Slot(), ev.Token().Gen())
		if c == nil {
			continue // closed earlier in this batch
		}
		if ev.Events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			c.hup = true
			e.l.peerGone(c)
		}
		// Writable first: a handler that read delivers to may lose the
		// loop (the hand-off), and the goroutine that ran this pass then
		// never comes back to this event: an EPOLLOUT edge left for after
		// the read would be lost, and the output with it.
		if ev.Writable() && c.sendBusy && c.sysfd >= 0 {
			c.sendBusy = false
			e.send(c)
		}
		if ev.Readable() && !c.away {
			e.read(c)
		}
	}
	for e.redoPos < len(e.redo) {
		c := e.redo[e.redoPos]
		e.redo[e.redoPos] = nil
		e.redoPos++
		if c.sysfd >= 0 && !c.away && c.slot < uint32(len(e.l.conns)) && e.l.conns[c.slot] == c {
			e.read(c)
		}
	}
	return nil
}

// read reads c until the socket is drained, the handler stops reading or
// the per-pass bound is reached. A read shorter than the buffer drained
// the socket unless the peer also shut down or failed (then EOF or the
// error is still to be read): the next edge says when to read again.
func (e *epollLoop) read(c *LoopConn) {
	for range epollReadsPerEvent {
		if c.recvOff || c.eof || c.sysfd < 0 {
			return
		}
		n, err := recvMultishotOp.sys(c.sysfd, e.buf)
		switch {
		case n > 0:
			e.l.deliver(c, e.buf[:n], nil)
			if n < len(e.buf) && !c.hup {
				return
			}
		case err == nil:
			e.l.eof(c)
			return
		case err == unix.EAGAIN:
			return
		default:
			c.fail(c.opError("read", err))
			return
		}
	}
	e.again = append(e.again, c)
}

// send writes c.out; what the kernel does not take waits for EPOLLOUT.
func (e *epollLoop) send(c *LoopConn) {
	for len(c.out) > 0 {
		n, err := sendOp.sys(c.sysfd, c.out)
		if n > 0 {
			c.out = c.out[:copy(c.out, c.out[n:])]
		}
		switch {
		case err == nil:
		case err == unix.EAGAIN:
			c.sendBusy = true
			return
		default:
			c.fail(c.opError("write", err))
			return
		}
	}
	e.l.bufs.put(c.out)
	c.out = nil
	e.l.sent(c)
}
