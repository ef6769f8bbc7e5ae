package netfd

import (
	"github.com/ringnet/ringnet/epoll"
	"golang.org/x/sys/unix"
)

// The epoll loop: its own epoll instance, every connection registered
// edge-triggered for input and output. reap waits in epoll_wait and reads
// each readable connection at once into the loop's read arena, one 64 KiB
// buffer whose bytes the batch's events share; the dispatcher hands them
// to the handler, and copies only what it does not consume into the
// connection. Queued writes are written at the end of the pass; what the
// kernel does not take waits for EPOLLOUT. The loop goroutine blocks in
// epoll_wait (docs/design.md compares it with waiting through the runtime
// poller).
type epollLoop struct {
	l      *loop
	p      *epoll.Poller
	events []epoll.Event
	arena  []byte      // this batch's received bytes are arena[:used]
	used   int         // reset once the batch was dispatched (next reap)
	again  []*LoopConn // not read to EAGAIN: read on the next pass
	redo   []*LoopConn // the previous pass's again list, being read
}

const (
	// epollReadsPerEvent bounds the reads one connection gets per pass,
	// so that a peer that never stops sending cannot starve the others.
	epollReadsPerEvent = 4
	// epollMinRead is the least room in the arena worth a read(2): with
	// less, the connection is read on the next pass, from a fresh arena.
	epollMinRead = 4 << 10
)

func newEpollLoop(l *loop) (*epollLoop, error) {
	p, err := epoll.New()
	if err != nil {
		return nil, err
	}
	return &epollLoop{l: l, p: p, events: make([]epoll.Event, 256), arena: make([]byte, 64<<10)}, nil
}

func (e *epollLoop) add(c *LoopConn) error {
	return e.p.Add(c.sysfd, epoll.MakeToken(c.slot, c.gen))
}

func (e *epollLoop) release(c *LoopConn) { e.p.Delete(c.sysfd) }

func (e *epollLoop) wake() { e.p.Wake() }

func (e *epollLoop) close() { e.p.Close() }

// done: the arena is reused as a whole, by the next reap.
func (e *epollLoop) done(event) {}

// takeOver gives a new loop goroutine its own arena: the old one's
// LoopHandler method may still be reading bytes in this one, and the
// events not dispatched yet still point into it.
func (e *epollLoop) takeOver() { e.arena, e.used = make([]byte, len(e.arena)), 0 }

func (e *epollLoop) stopRecv(c *LoopConn) { c.recvOff = true }

func (e *epollLoop) resumeRecv(c *LoopConn) {
	c.recvOff = false
	e.again = append(e.again, c) // the edge may have come while paused
}

func (e *epollLoop) reap(block bool) error {
	msec := -1
	if !block || len(e.again) > 0 {
		msec = 0
	}
	n, err := e.p.Wait(e.events, msec)
	if err != nil {
		return err
	}
	e.used = 0 // every event of the last batch was dispatched
	e.redo, e.again = e.again, e.redo[:0]
	for _, ev := range e.events[:n] {
		c := e.l.lookup(ev.Token().Slot(), ev.Token().Gen())
		if c == nil {
			continue // closed since the edge
		}
		if ev.Events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			c.hup = true
			e.l.peerGone(c)
		}
		if ev.Writable() && c.sendBusy() && c.sysfd >= 0 {
			c.send.complete(lifeUD(c.send.Load()), 0, true, opIdle)
			e.send(c)
		}
		if ev.Readable() {
			e.read(c)
		}
	}
	for i, c := range e.redo {
		e.redo[i] = nil
		if c.sysfd >= 0 && c.slot < uint32(len(e.l.conns)) && e.l.conns[c.slot] == c {
			e.read(c)
		}
	}
	return nil
}

// read reads c into the arena until the socket is drained, the per-pass
// bound is reached or the arena is full, and queues what it read. A read
// shorter than the room it had drained the socket unless the peer also
// shut down or failed (then EOF or the error is still to be read): the
// next edge says when to read again.
func (e *epollLoop) read(c *LoopConn) {
	for range epollReadsPerEvent {
		if c.recvOff || c.eof || c.sysfd < 0 || c.away != nil {
			return // an away connection is read again by comeBack's resumeRecv
		}
		room := e.arena[e.used:]
		if len(room) < epollMinRead {
			break
		}
		n, err := recvMultishotOp.sys(c.sysfd, room)
		switch {
		case n > 0:
			e.used += n
			e.l.queue(event{c: c, kind: evData, data: room[:n:n]})
			if n < len(room) && !c.hup {
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
			c.send.start(e.l.opUD(c, sendDir)) // until EPOLLOUT
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
