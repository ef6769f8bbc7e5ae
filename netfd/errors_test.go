//go:build linux

package netfd_test

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

// wantOpError fails unless err is a *net.OpError for op that Is target.
func wantOpError(t *testing.T, err error, op string, target error) *net.OpError {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want %v", op, target)
	}
	if !errors.Is(err, target) {
		t.Fatalf("%s: got %v (%T), want an error that Is %v", op, err, err, target)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) {
		t.Fatalf("%s: got %v (%T), want a *net.OpError", op, err, err)
	}
	if oe.Op != op {
		t.Fatalf("got %v with Op %q, want Op %q", err, oe.Op, op)
	}
	return oe
}

// wantSyscallError fails unless err is a *net.OpError for op wrapping an
// *os.SyscallError whose errno is one of errnos.
func wantSyscallError(t *testing.T, err error, op string, errnos ...syscall.Errno) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want one of %v", op, errnos)
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		t.Fatalf("%s: got %v (%T), want an errno", op, err, err)
	}
	found := false
	for _, e := range errnos {
		found = found || errno == e
	}
	if !found {
		t.Fatalf("%s: got %v, want one of %v", op, err, errnos)
	}
	oe := wantOpError(t, err, op, errno)
	var se *os.SyscallError
	if !errors.As(oe.Err, &se) {
		t.Fatalf("%s: got %v, whose Err is %T, want an *os.SyscallError", op, err, oe.Err)
	}
}

// wantTimeout fails unless err is a deadline expiry of op.
func wantTimeout(t *testing.T, err error, op string) {
	t.Helper()
	wantOpError(t, err, op, os.ErrDeadlineExceeded)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("%s: got %v, want a net.Error with Timeout() true", op, err)
	}
}

// TestErrorReadAfterReset is the error a Read gets when the peer resets the
// connection: ECONNRESET in an *os.SyscallError in a *net.OpError.
func TestErrorReadAfterReset(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		c, s := tcpPair(t, b)
		reset(t, s)
		n, err := c.Read(make([]byte, 10))
		if n != 0 {
			t.Errorf("read %d bytes from a reset connection", n)
		}
		wantSyscallError(t, err, "read", syscall.ECONNRESET)
		if oe := err.(*net.OpError); oe.Net != "tcp" || oe.Addr == nil || oe.Addr.String() != s.LocalAddr().String() {
			t.Errorf("got %#v: want Net tcp and Addr %v", oe, s.LocalAddr())
		}
		// The reset has been reported; the socket is now shut down.
		_, err = c.Write([]byte("x"))
		wantSyscallError(t, err, "write", syscall.EPIPE, syscall.ECONNRESET)
	})
}

// TestErrorWriteAfterReset writes to a peer that reset without reading
// first: one of the writes must fail with EPIPE or ECONNRESET.
func TestErrorWriteAfterReset(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		c, s := tcpPair(t, b)
		reset(t, s)
		var err error
		for i := 0; err == nil; i++ {
			if i == 10000 {
				t.Fatal("10000 writes to a reset connection succeeded")
			}
			_, err = c.Write([]byte("after reset"))
		}
		wantSyscallError(t, err, "write", syscall.EPIPE, syscall.ECONNRESET)
	})
}

// TestErrorReadAfterResetUnread resets a connection that has unread data
// on the reading side: the data is dropped and ECONNRESET is reported.
func TestErrorReadAfterResetUnread(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		c, s := tcpPair(t, b)
		if _, err := c.Write([]byte("xunread by s")); err != nil {
			t.Fatal(err)
		}
		// Read one byte so the rest is known to be queued at s.
		if _, err := io.ReadFull(s, make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
		s.Close() // unread data: the kernel resets instead of FIN
		_, err := c.Read(make([]byte, 10))
		wantSyscallError(t, err, "read", syscall.ECONNRESET)
	})
}

// TestErrorEOF checks that an orderly close is a bare io.EOF, as in std.
func TestErrorEOF(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		c, s := tcpPair(t, b)
		s.Close()
		n, err := c.Read(make([]byte, 10))
		if n != 0 || err != io.EOF {
			t.Fatalf("Read after peer Close = %d, %v (%T); want 0, io.EOF", n, err, err)
		}
	})
}

// reset closes c with SO_LINGER 0, so that the kernel sends RST.
func reset(t *testing.T, c net.Conn) {
	t.Helper()
	if err := c.(interface{ SetLinger(int) error }).SetLinger(0); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}
