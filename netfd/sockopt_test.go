//go:build linux

package netfd_test

import (
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// tcpOpts is what *net.TCPConn and *netfd.Conn have in common for socket
// options.
type tcpOpts interface {
	SetNoDelay(bool) error
	SetKeepAlive(bool) error
	SetKeepAlivePeriod(time.Duration) error
	SetLinger(int) error
	SetReadBuffer(int) error
	SetWriteBuffer(int) error
	syscall.Conn
}

// getInt reads an integer socket option of c through SyscallConn.Control.
func getInt(t *testing.T, c net.Conn, level, opt int) int {
	t.Helper()
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	if err := rc.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), level, opt) }); err != nil {
		t.Fatal(err)
	}
	if gerr != nil {
		t.Fatal(gerr)
	}
	return v
}

// TestSockoptDefaults checks that both ends of a TCP connection start with
// TCP_NODELAY and SO_KEEPALIVE on, as in std.
func TestSockoptDefaults(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		c, s := tcpPair(t, b)
		for _, end := range []net.Conn{c, s} {
			if v := getInt(t, end, unix.IPPROTO_TCP, unix.TCP_NODELAY); v != 1 {
				t.Errorf("%v: TCP_NODELAY = %d, want 1", end.LocalAddr(), v)
			}
			if v := getInt(t, end, unix.SOL_SOCKET, unix.SO_KEEPALIVE); v != 1 {
				t.Errorf("%v: SO_KEEPALIVE = %d, want 1", end.LocalAddr(), v)
			}
			if v := getInt(t, end, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE); v != 15 {
				t.Errorf("%v: TCP_KEEPIDLE = %d, want 15", end.LocalAddr(), v)
			}
		}
	})
}

// TestSockoptSet sets every option and reads it back.
func TestSockoptSet(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		c, _ := tcpPair(t, b)
		o := c.(tcpOpts)
		must := func(what string, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		check := func(what string, level, opt, want int) {
			t.Helper()
			if v := getInt(t, c, level, opt); v != want {
				t.Errorf("%s = %d, want %d", what, v, want)
			}
		}
		must("SetNoDelay(false)", o.SetNoDelay(false))
		check("TCP_NODELAY", unix.IPPROTO_TCP, unix.TCP_NODELAY, 0)
		must("SetNoDelay(true)", o.SetNoDelay(true))
		check("TCP_NODELAY", unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		must("SetKeepAlive(false)", o.SetKeepAlive(false))
		check("SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 0)
		must("SetKeepAlive(true)", o.SetKeepAlive(true))
		check("SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
		must("SetKeepAlivePeriod", o.SetKeepAlivePeriod(37*time.Second))
		check("TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, 37)
		must("SetReadBuffer", o.SetReadBuffer(64<<10))
		check("SO_RCVBUF", unix.SOL_SOCKET, unix.SO_RCVBUF, 2*64<<10) // the kernel doubles it
		must("SetWriteBuffer", o.SetWriteBuffer(32<<10))
		check("SO_SNDBUF", unix.SOL_SOCKET, unix.SO_SNDBUF, 2*32<<10)

		must("SetLinger(5)", o.SetLinger(5))
		if l := getLinger(t, c); l.Onoff != 1 || l.Linger != 5 {
			t.Errorf("SO_LINGER = %+v, want on, 5 s", l)
		}
		must("SetLinger(-1)", o.SetLinger(-1))
		if l := getLinger(t, c); l.Onoff != 0 {
			t.Errorf("SO_LINGER = %+v, want off", l)
		}
	})
}

func getLinger(t *testing.T, c net.Conn) *unix.Linger {
	t.Helper()
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var l *unix.Linger
	var gerr error
	rc.Control(func(fd uintptr) { l, gerr = unix.GetsockoptLinger(int(fd), unix.SOL_SOCKET, unix.SO_LINGER) })
	if gerr != nil {
		t.Fatal(gerr)
	}
	return l
}

// TestSockoptClosed sets an option on a closed connection.
func TestSockoptClosed(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		c, _ := tcpPair(t, b)
		c.Close()
		o := c.(tcpOpts)
		for name, err := range map[string]error{
			"SetNoDelay":    o.SetNoDelay(true),
			"SetLinger":     o.SetLinger(0),
			"SetReadBuffer": o.SetReadBuffer(1 << 16),
		} {
			if err == nil {
				t.Errorf("%s on a closed connection succeeded", name)
			}
		}
		rc, err := o.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		if err := rc.Control(func(uintptr) { t.Error("Control ran f on a closed connection") }); err == nil {
			t.Error("Control on a closed connection succeeded")
		}
	})
}

// TestSyscallConnReadWrite moves bytes with raw syscalls through the
// RawConn's Read and Write, which wait for readiness between attempts.
func TestSyscallConnReadWrite(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		c, s := tcpPair(t, b)
		rc, err := c.(syscall.Conn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		// Read first, so that the callback sees EAGAIN unless the peer's
		// write has already arrived; either way it must end with the bytes.
		var wg sync.WaitGroup
		var got []byte
		wg.Go(func() {
			buf := make([]byte, 16)
			var rerr error
			err := rc.Read(func(fd uintptr) bool {
				var n int
				n, rerr = unix.Read(int(fd), buf)
				if rerr == unix.EAGAIN {
					return false
				}
				got = buf[:max(n, 0)]
				return true
			})
			if err != nil || rerr != nil {
				t.Errorf("RawConn.Read: %v, %v", err, rerr)
			}
		})
		if _, err := s.Write([]byte("raw in")); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if string(got) != "raw in" {
			t.Fatalf("raw read %q, want \"raw in\"", got)
		}

		var werr error
		err = rc.Write(func(fd uintptr) bool {
			_, werr = unix.Write(int(fd), []byte("raw out"))
			return werr != unix.EAGAIN
		})
		if err != nil || werr != nil {
			t.Fatalf("RawConn.Write: %v, %v", err, werr)
		}
		readExactly(t, s, "raw out")
	})
}

// TestListenerSyscallConn reads an option of the listening socket.
func TestListenerSyscallConn(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		ln, err := b.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		rc, err := ln.(syscall.Conn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var v int
		var gerr error
		rc.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ACCEPTCONN) })
		if gerr != nil || v != 1 {
			t.Fatalf("SO_ACCEPTCONN = %d, %v; want 1", v, gerr)
		}
	})
}
