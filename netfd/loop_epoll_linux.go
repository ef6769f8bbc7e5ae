package netfd

import (
	"time"

	"github.com/ringnet/ringnet/epoll"
	"golang.org/x/sys/unix"
)

// The epoll loop: its own epoll instance, every connection registered
// edge-triggered for input and output. reap waits in epoll_wait and queues
// an evReadable event for each readable connection; the dispatcher reads
// it (read) into the loop's one 64 KiB buffer and hands each read to the
// handler at once, so the buffer is reused read after read, and only what
// the handler does not consume is copied into the connection. Queued
// writes are written at the end of the pass; what the kernel does not
// take waits for EPOLLOUT. The loop goroutine blocks in epoll_wait
// (docs/design.md compares it with waiting through the runtime poller).
type epollLoop struct {
	l      *loop
	p      *epoll.Poller
	events []epoll.Event
	buf    []byte
	again  []*LoopConn // not read to EAGAIN: read on the next pass
	redo   []*LoopConn // the previous pass's again list
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

// waiting reports whether the epoll instance has events to report: an
// epoll fd polls readable then, and polling it consumes nothing.
func (e *epollLoop) waiting() bool {
	fds := []unix.PollFd{{Fd: int32(e.p.Fd()), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err != nil || n > 0 // when in doubt, hand off as before
}

// done: evData is io_uring's; the epoll loop's bytes are delivered as read.
func (e *epollLoop) done(event) {}

// takeOver gives a new loop goroutine its own read buffer: the old one's
// LoopHandler method may still be reading the bytes in e.buf.
func (e *epollLoop) takeOver() { e.buf = make([]byte, len(e.buf)) }

func (e *epollLoop) stopRecv(c *LoopConn) { c.recvOff = true }

func (e *epollLoop) resumeRecv(c *LoopConn) {
	c.recvOff = false
	e.again = append(e.again, c) // the edge may have come while paused
}

func (e *epollLoop) reap(wait time.Duration) error {
	msec := -1 // epoll_wait counts whole milliseconds: a timer's wait is rounded up
	switch {
	case wait == 0 || len(e.again) > 0:
		msec = 0
	case wait > 0:
		msec = int((wait + time.Millisecond - 1) / time.Millisecond)
	}
	n, err := e.p.Wait(e.events, msec)
	if err != nil {
		return err
	}
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
		if ev.Readable() && !c.readable {
			c.readable = true
			e.l.queue(event{c: c, kind: evReadable})
		}
	}
	for i, c := range e.redo {
		e.redo[i] = nil
		if !c.readable && c.sysfd >= 0 && c.slot < uint32(len(e.l.conns)) && e.l.conns[c.slot] == c {
			c.readable = true
			e.l.queue(event{c: c, kind: evReadable})
		}
	}
	return nil
}

// read is the dispatcher's for an evReadable event: it reads c until the
// socket is drained, the handler stops reading or the per-pass bound is
// reached, and delivers each read. A read shorter than the buffer drained
// the socket unless the peer also shut down or failed (then EOF or the
// error is still to be read): the next edge says when to read again.
// false: the goroutine lost the loop during OnData.
func (e *epollLoop) read(c *LoopConn) bool {
	c.readable = false
	for range epollReadsPerEvent {
		if c.recvOff || c.eof || c.sysfd < 0 || c.away != nil {
			return true // an away connection is read again by comeBack's resumeRecv
		}
		n, err := recvMultishotOp.sys(c.sysfd, e.buf)
		switch {
		case n > 0:
			if !e.l.deliver(c, e.buf[:n]) {
				return false
			}
			if n < len(e.buf) && !c.hup {
				return true
			}
		case err == nil:
			e.l.eof(c)
			return true
		case err == unix.EAGAIN:
			return true
		default:
			c.fail(c.opError("read", err))
			return true
		}
	}
	e.again = append(e.again, c)
	return true
}

// send writes c.out; what the kernel does not take waits for EPOLLOUT.
func (e *epollLoop) send(c *LoopConn) {
	for len(c.out) > 0 {
		n, err := sendOp.sys(c.sysfd, c.out)
		if n > 0 {
			c.out = c.out[:copy(c.out, c.out[n:])]
			e.l.queued -= n
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
