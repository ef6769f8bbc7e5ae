package netfd

import (
	"time"

	"github.com/ringnet/ringnet/internal/memloop"
	"golang.org/x/sys/unix"
)

// memLoop is a loop kernel with no kernel, for the in-memory benchmark
// (internal/memloop): a connection's bytes come from its script, one
// delivery per pass as an epoll read would bring them, and what the loop
// sends is counted. Everything else, from the dispatcher up, is the
// loop's own code. A connection still owns a descriptor (an unconnected
// socket) so that Close and the loop's bookkeeping are the real ones; no
// system call touches it per request.
type memLoop struct {
	l       *loop
	buf     []byte
	scripts map[*LoopConn]*memloop.Conn
	wakeCh  chan struct{}
}

func init() { memloop.Attach = func(g any, mc *memloop.Conn) { g.(*Loops).attachMemory(mc) } }

func newMemLoop(l *loop) *memLoop {
	return &memLoop{l: l, buf: make([]byte, 64<<10), scripts: map[*LoopConn]*memloop.Conn{}, wakeCh: make(chan struct{}, 1)}
}

// attachMemory opens a connection whose bytes are mc's on the next loop.
func (g *Loops) attachMemory(mc *memloop.Conn) {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		panic("netfd: memory loop: " + err.Error())
	}
	l := g.loops[g.next.Add(1)%uint32(len(g.loops))]
	c := &LoopConn{l: l, sysfd: s, network: "tcp", laddr: mc.Local, raddr: mc.Remote}
	l.post(func() {
		l.k.(*memLoop).scripts[c] = mc
		l.open(c, nil)
	})
}

func (m *memLoop) add(c *LoopConn) error { return nil }

func (m *memLoop) release(c *LoopConn) { delete(m.scripts, c) }

func (m *memLoop) stopRecv(c *LoopConn) { c.recvOff = true }

func (m *memLoop) resumeRecv(c *LoopConn) { c.recvOff = false }

func (m *memLoop) done(event) {}

func (m *memLoop) waiting() bool { return false }

func (m *memLoop) takeOver() { m.buf = make([]byte, len(m.buf)) }

func (m *memLoop) close() {}

func (m *memLoop) wake() {
	select {
	case m.wakeCh <- struct{}{}:
	default:
	}
}

// reap queues an evReadable event for every connection with bytes to
// come, and, when there is none, waits for a wake-up (at most wait, if
// not negative).
func (m *memLoop) reap(wait time.Duration) error {
	n := 0
	for c, mc := range m.scripts {
		if c.sysfd < 0 {
			delete(m.scripts, c)
			mc.Close()
			continue
		}
		if !c.readable && !c.recvOff && !c.eof && c.away == nil {
			c.readable = true
			m.l.queue(event{c: c, kind: evReadable})
			n++
		}
	}
	switch {
	case n > 0 || wait == 0:
	case wait < 0:
		<-m.wakeCh
	default:
		t := time.NewTimer(wait)
		select {
		case <-m.wakeCh:
		case <-t.C:
		}
		t.Stop()
	}
	return nil
}

// read delivers one round of c's script, or end of file after the last.
func (m *memLoop) read(c *LoopConn) bool {
	c.readable = false
	mc := m.scripts[c]
	if c.recvOff || c.eof || c.sysfd < 0 || c.away != nil || mc == nil {
		return true
	}
	if mc.Rounds == 0 {
		m.l.eof(c)
		return true
	}
	mc.Rounds--
	n := copy(m.buf, mc.In)
	return m.l.deliver(c, m.buf[:n])
}

// send takes all of c.out at once.
func (m *memLoop) send(c *LoopConn) {
	if mc := m.scripts[c]; mc != nil {
		mc.Sent(c.out)
	}
	m.l.bufs.put(c.out)
	c.out = nil
	m.l.sent(c)
}
