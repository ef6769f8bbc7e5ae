//go:build linux

package netfd_test

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestDialRefused dials a port nobody listens on any more.
func TestDialRefused(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		ln, err := b.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		c, err := b.Dial("tcp", addr)
		if c != nil {
			c.Close()
		}
		wantSyscallError(t, err, "dial", syscall.ECONNREFUSED)
		if oe := err.(*net.OpError); oe.Addr == nil || oe.Addr.String() != addr {
			t.Errorf("got %v: want Addr %s", err, addr)
		}
	})
}

// TestDialUnixMissing dials a unix socket path that does not exist.
func TestDialUnixMissing(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		c, err := b.Dial("unix", unixPath(t))
		if c != nil {
			c.Close()
		}
		wantSyscallError(t, err, "dial", syscall.ENOENT)
	})
}

// fullListener returns the address of a listening TCP socket (backlog 0,
// never accepted) whose accept queue is full: Linux drops the SYNs it
// receives, so a dial to it hangs until its deadline. The queue is known to
// be full once a dial to it timed out; nothing ever takes a connection off
// it, so it stays full.
func fullListener(t *testing.T) string {
	t.Helper()
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(s) })
	if err := unix.Bind(s, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(s, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(s)
	if err != nil {
		t.Fatal(err)
	}
	addr := (&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sa.(*unix.SockaddrInet4).Port}).String()
	for range 10 {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("filling the accept queue: %v", err)
			}
			return addr
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Fatal("10 connections did not fill an accept queue of backlog 0")
	return ""
}

// TestDialTimeout dials a listener that never answers with a context
// deadline and with a Dialer timeout.
func TestDialTimeout(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		addr := fullListener(t)
		for _, how := range []string{"context", "dialer"} {
			t.Run(how, func(t *testing.T) {
				ctx := context.Background()
				var d net.Dialer
				if how == "context" {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, 100*time.Millisecond)
					defer cancel()
				} else {
					d.Timeout = 100 * time.Millisecond
				}
				start := time.Now()
				c, err := b.DialWith(ctx, d, "tcp", addr)
				if c != nil {
					c.Close()
					t.Fatal("dial to a full accept queue succeeded")
				}
				if el := time.Since(start); el < 100*time.Millisecond || el > 5*time.Second {
					t.Errorf("dial returned after %v, want about 100ms", el)
				}
				// std reports either context.DeadlineExceeded (the context's
				// timer won) or os.ErrDeadlineExceeded (the socket's write
				// deadline, set to the same instant, won); so may netfd.
				if errors.Is(err, os.ErrDeadlineExceeded) {
					wantOpError(t, err, "dial", os.ErrDeadlineExceeded)
				} else {
					wantOpError(t, err, "dial", context.DeadlineExceeded)
				}
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					t.Errorf("got %v, want Timeout() true", err)
				}
			})
		}
	})
}

// TestDialCancel cancels the context of a dial that hangs: whether the
// cancel comes before or while the dial waits, it returns context.Canceled.
func TestDialCancel(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		addr := fullListener(t)
		for _, delay := range []time.Duration{0, 50 * time.Millisecond} {
			ctx, cancel := context.WithCancel(context.Background())
			stop := time.AfterFunc(delay, cancel)
			c, err := b.DialContext(ctx, "tcp", addr)
			stop.Stop()
			cancel()
			if c != nil {
				c.Close()
				t.Fatal("dial to a full accept queue succeeded")
			}
			wantOpError(t, err, "dial", context.Canceled)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("cancelled dial: %v is a deadline error", err)
			}
		}
	})
}

// TestDialLocalAddr binds the client to a chosen local address.
func TestDialLocalAddr(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		ln, err := b.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		// A port that was free a moment ago; the kernel does not hand it
		// out again while it is in use below.
		probe, err := b.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		laddr := probe.Addr().(*net.TCPAddr)
		probe.Close()
		d := net.Dialer{LocalAddr: laddr}
		c, err := b.DialWith(context.Background(), d, "tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if c.LocalAddr().String() != laddr.String() {
			t.Errorf("LocalAddr = %v, want %v", c.LocalAddr(), laddr)
		}
		if s.RemoteAddr().String() != laddr.String() {
			t.Errorf("server sees RemoteAddr %v, want %v", s.RemoteAddr(), laddr)
		}
		if c.RemoteAddr().String() != ln.Addr().String() || s.LocalAddr().String() != ln.Addr().String() {
			t.Errorf("client RemoteAddr %v, server LocalAddr %v; want %v", c.RemoteAddr(), s.LocalAddr(), ln.Addr())
		}
	})
}
