package compat_test

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// TestEOFAfterClose: data sent before Close arrives, then EOF, and EOF again.
func TestEOFAfterClose(t *testing.T) {
	compat(t, func(e *env, o *obs) {
		c, s, _ := e.pair("tcp")
		n, err := s.Write([]byte("last words"))
		o.io("peer.write", n, err)
		o.err("peer.close", s.Close())
		data, err := readToErr(c, 3)
		o.data("got", data)
		o.err("end", err)
		n, err = c.Read(make([]byte, 8))
		o.io("read.again", n, err)
	})
}

// TestResetAfterLingerZero: the peer sets SO_LINGER 0 and closes, which
// sends RST: a Read gets ECONNRESET, then what the kernel reports after.
func TestResetAfterLingerZero(t *testing.T) {
	compat(t, func(e *env, o *obs) {
		c, s, _ := e.pair("tcp")
		o.err("peer.setlinger", setLinger(s, 0))
		o.err("peer.close", s.Close())
		buf := make([]byte, 8)
		n, err := c.Read(buf)
		o.io("read1", n, err)
		n, err = c.Read(buf)
		o.io("read2", n, err)
		n, err = c.Write([]byte("x"))
		o.io("write", n, err)
	})
}

// TestResetOnCloseWithUnreadData: a peer that closes with data unread in
// its receive queue resets the connection.
func TestResetOnCloseWithUnreadData(t *testing.T) {
	compat(t, func(e *env, o *obs) {
		c, s, _ := e.pair("tcp")
		n, err := c.Write([]byte("ab"))
		o.io("write", n, err)
		one := make([]byte, 1)
		n, err = io.ReadFull(s, one) // "b" arrived with "a" and stays unread
		o.io("peer.read", n, err)
		o.err("peer.close", s.Close())
		n, err = c.Read(make([]byte, 8))
		o.io("read", n, err)
	})
}

// TestWriteToClosedPeer: after the peer closed (and the local end has seen
// its EOF), keep writing until the first error and record it.
func TestWriteToClosedPeerTCP(t *testing.T)  { compat(t, writeToClosedPeer("tcp")) }
func TestWriteToClosedPeerUnix(t *testing.T) { compat(t, writeToClosedPeer("unix")) }

func writeToClosedPeer(network string) scenario {
	return func(e *env, o *obs) {
		c, s, _ := e.pair(network)
		o.err("peer.close", s.Close())
		n, err := c.Read(make([]byte, 8))
		o.io("read", n, err)
		msg := []byte("are you there?")
		n, err = c.Write(msg)
		o.io("write1", n, err)
		for i := 0; err == nil && i < 10000; i++ {
			_, err = c.Write(msg)
		}
		o.err("first.error", err)
		n, err = c.Write(msg)
		o.io("write.after.error", n, err)
	}
}

// TestClosedAfterLocalClose: every operation on a closed conn, including
// one blocked when Close came, reports net.ErrClosed with its own Op.
func TestClosedAfterLocalClose(t *testing.T) {
	compat(t, func(e *env, o *obs) {
		c, s, _ := e.pair("tcp")
		local, remote := c.LocalAddr().String(), c.RemoteAddr().String()
		type result struct {
			n   int
			err error
		}
		rd := make(chan result, 1)
		go func() {
			n, err := c.Read(make([]byte, 8))
			rd <- result{n, err}
		}()
		o.err("close", c.Close())
		r := <-rd
		o.io("blocked.read", r.n, r.err)
		n, err := c.Read(make([]byte, 8))
		o.io("read", n, err)
		n, err = c.Write([]byte("x"))
		o.io("write", n, err)
		o.err("close.again", c.Close())
		o.err("setdeadline", c.SetDeadline(time.Now().Add(time.Second)))
		o.err("setreaddeadline", c.SetReadDeadline(time.Time{}))
		o.err("setwritedeadline", c.SetWriteDeadline(time.Time{}))
		o.err("closewrite", closeWrite(c))
		o.err("closeread", closeRead(c))
		o.setf("addrs.kept", "%v", c.LocalAddr().String() == local && c.RemoteAddr().String() == remote)
		data, err := readToErr(s, 8)
		o.data("peer.got", data)
		o.err("peer.end", err)

		// A Write blocked on a full socket buffer is woken by Close.
		c2, s2, _ := e.pair("tcp")
		o.err("blocked.setwritebuffer", setWriteBuffer(c2, 32<<10))
		o.err("blocked.peer.setreadbuffer", setReadBuffer(s2, 32<<10))
		wr := make(chan error, 1)
		go func() {
			_, err := c2.Write(make([]byte, 8<<20))
			wr <- err
		}()
		o.err("blocked.close", c2.Close())
		o.err("blocked.write", <-wr)
	})
}

// TestTimeout: a read deadline expires, stays expired, can be cleared and
// moved while a Read is blocked; a write deadline expires mid-Write.
func TestTimeout(t *testing.T) {
	compat(t, func(e *env, o *obs) {
		c, s, _ := e.pair("tcp")
		buf := make([]byte, 8)
		o.err("setreaddeadline", c.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
		n, err := c.Read(buf)
		o.io("read", n, err)
		recordTimeout(o, "read", err)
		n, err = c.Read(buf)
		o.io("read.again", n, err)

		o.err("clear", c.SetReadDeadline(time.Time{}))
		n, err = s.Write([]byte("late"))
		o.io("peer.write", n, err)
		n, err = io.ReadFull(c, buf[:4])
		o.io("read.cleared", n, err)
		o.data("read.cleared.got", buf[:n])

		// Move the deadline of a Read blocked with a far one.
		armed := make(chan error, 1)
		type result struct {
			n   int
			err error
		}
		rd := make(chan result, 1)
		go func() {
			armed <- c.SetReadDeadline(time.Now().Add(time.Hour))
			n, err := c.Read(make([]byte, 8))
			rd <- result{n, err}
		}()
		o.err("far.set", <-armed)
		o.err("moved.set", c.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
		r := <-rd
		o.io("moved.read", r.n, r.err)

		// Write deadline while the peer does not read. Generous, so that
		// on a loaded machine the first write still happens before it.
		o.err("setwritebuffer", setWriteBuffer(c, 32<<10))
		o.err("peer.setreadbuffer", setReadBuffer(s, 32<<10))
		o.err("setwritedeadline", c.SetWriteDeadline(time.Now().Add(300*time.Millisecond)))
		big := make([]byte, 8<<20)
		n, err = c.Write(big)
		o.setf("write.partial", "%v", n > 0 && n < len(big))
		o.err("write", err)
		recordTimeout(o, "write", err)
	})
}

func recordTimeout(o *obs, name string, err error) {
	var ne net.Error
	o.setf(name+".is.deadline", "%v", errors.Is(err, os.ErrDeadlineExceeded))
	o.setf(name+".net.timeout", "%v", errors.As(err, &ne) && ne.Timeout())
}

// TestDeadlineInPast: a deadline already past fails Read at once even with
// data buffered and Write without sending anything; clearing it restores
// both.
func TestDeadlineInPast(t *testing.T) {
	compat(t, func(e *env, o *obs) {
		c, s, _ := e.pair("tcp")
		n, err := s.Write([]byte("abcd"))
		o.io("peer.write", n, err)
		buf := make([]byte, 16)
		n, err = io.ReadFull(c, buf[:1]) // "bcd" came along and is buffered
		o.io("read.first", n, err)
		past := time.Now().Add(-time.Second)
		o.err("setreaddeadline", c.SetReadDeadline(past))
		n, err = c.Read(buf)
		o.io("read.past", n, err)
		recordTimeout(o, "read.past", err)
		o.err("clear.read", c.SetReadDeadline(time.Time{}))
		n, err = c.Read(buf)
		o.io("read.cleared", n, err)
		o.data("read.cleared.got", buf[:n])

		o.err("setwritedeadline", c.SetWriteDeadline(past))
		n, err = c.Write([]byte("never"))
		o.io("write.past", n, err)
		recordTimeout(o, "write.past", err)
		o.err("setdeadline.past", c.SetDeadline(past))
		n, err = c.Read(buf)
		o.io("read.setdeadline.past", n, err)
		o.err("clear.both", c.SetDeadline(time.Time{}))
		o.err("closewrite", closeWrite(c))
		data, err := readToErr(s, 16)
		o.data("peer.got", data)
		o.err("peer.end", err)
	})
}
