//go:build linux

package netfd_test

import (
	"io"
	"net"
	"testing"
	"time"
)

// aLongTimeAgo is a deadline that has certainly passed.
var aLongTimeAgo = time.Unix(1, 0)

// deadliner is what *net.TCPListener, *net.UnixListener and
// *netfd.Listener have in common for Accept deadlines.
type deadliner interface{ SetDeadline(time.Time) error }

// TestDeadlinePastRead sets a passed read deadline while data is waiting:
// Read times out at once without consuming it, as in std, and reads it once
// the deadline is cleared.
func TestDeadlinePastRead(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		c, s := tcpPair(t, b)
		if _, err := s.Write([]byte("ab")); err != nil {
			t.Fatal(err)
		}
		readExactly(t, c, "a") // now "b" is known to be queued
		c.SetReadDeadline(aLongTimeAgo)
		n, err := c.Read(make([]byte, 1))
		if n != 0 {
			t.Errorf("Read after the deadline returned %d bytes", n)
		}
		wantTimeout(t, err, "read")
		c.SetReadDeadline(time.Time{})
		readExactly(t, c, "b")
	})
}

// TestDeadlinePastWrite sets a passed write deadline on a writable socket.
func TestDeadlinePastWrite(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		c, s := tcpPair(t, b)
		c.SetWriteDeadline(aLongTimeAgo)
		n, err := c.Write([]byte("x"))
		if n != 0 {
			t.Errorf("Write after the deadline wrote %d bytes", n)
		}
		wantTimeout(t, err, "write")
		c.SetWriteDeadline(time.Time{})
		if _, err := c.Write([]byte("y")); err != nil {
			t.Fatal(err)
		}
		readExactly(t, s, "y")
	})
}

// TestDeadlineSetWhileReading moves the read deadline of a blocked Read
// into the past, then to the near future.
func TestDeadlineSetWhileReading(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		c, _ := tcpPair(t, b)
		for _, dl := range []time.Duration{-time.Hour, 0, 20 * time.Millisecond} {
			errc := make(chan error, 1)
			go func() { _, err := c.Read(make([]byte, 1)); errc <- err }()
			c.SetReadDeadline(time.Now().Add(dl))
			wantTimeout(t, <-errc, "read")
			c.SetReadDeadline(time.Time{})
		}
	})
}

// TestDeadlineSetWhileReadingUnix is TestDeadlineSetWhileReading on a unix
// socket.
func TestDeadlineSetWhileReadingUnix(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		c, _ := pairOn(t, b, "unix")
		errc := make(chan error, 1)
		go func() { _, err := c.Read(make([]byte, 1)); errc <- err }()
		c.SetDeadline(time.Now().Add(10 * time.Millisecond))
		wantTimeout(t, <-errc, "read")
	})
}

// TestDeadlineExtendedWhileReading gives a blocked Read a deadline, moves
// it far away before it fires, waits past the first deadline and then
// sends: the Read returns the data. The first deadline is far enough (300
// ms) that moving it, which takes microseconds, comes first; the test
// checks that it did.
func TestDeadlineExtendedWhileReading(t *testing.T) {
	for _, tc := range []struct {
		name string
		to   time.Time
	}{
		{"extended", time.Now().Add(time.Hour)},
		{"cleared", time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run(t, func(t *testing.T, b backend) {
				c, s := tcpPair(t, b)
				first := time.Now().Add(300 * time.Millisecond)
				c.SetReadDeadline(first)
				type result struct {
					s   string
					err error
				}
				done := make(chan result, 1)
				go func() {
					buf := make([]byte, 10)
					n, err := c.Read(buf)
					done <- result{string(buf[:n]), err}
				}()
				c.SetReadDeadline(tc.to)
				if time.Now().After(first) {
					t.Fatal("moving the deadline took longer than the deadline: inconclusive")
				}
				// Let the first deadline pass: the behaviour under test is
				// that it no longer fires.
				select {
				case r := <-done:
					t.Fatalf("Read returned %q, %v before any data was sent", r.s, r.err)
				case <-time.After(time.Until(first) + 100*time.Millisecond):
				}
				if _, err := s.Write([]byte("late")); err != nil {
					t.Fatal(err)
				}
				if r := <-done; r.err != nil || r.s != "late" {
					t.Fatalf("Read = %q, %v; want \"late\", nil", r.s, r.err)
				}
			})
		})
	}
}

// TestDeadlineReadAgain times a Read out through the deadline's timer,
// then moves the deadline and reads.
func TestDeadlineReadAgain(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		c, s := tcpPair(t, b)
		start := time.Now()
		c.SetReadDeadline(start.Add(30 * time.Millisecond))
		_, err := c.Read(make([]byte, 1))
		wantTimeout(t, err, "read")
		if d := time.Since(start); d < 30*time.Millisecond {
			t.Errorf("Read timed out after %v, before its 30ms deadline", d)
		}
		_, err = c.Read(make([]byte, 1)) // still expired
		wantTimeout(t, err, "read")
		c.SetReadDeadline(time.Now().Add(time.Minute))
		if _, err := s.Write([]byte("again")); err != nil {
			t.Fatal(err)
		}
		readExactly(t, c, "again")
	})
}

// TestDeadlineWriteFull times out a Write blocked on a full socket, then
// lets the peer drain it and writes again.
func TestDeadlineWriteFull(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		c, s := tcpPair(t, b)
		smallBuffers(t, c, s)
		c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		buf := make([]byte, 8<<20)
		n, err := c.Write(buf)
		if n == len(buf) {
			t.Fatalf("Write of %d bytes to a peer that does not read completed", n)
		}
		wantTimeout(t, err, "write")
		// Writing on from a blocked Write: set a past deadline while blocked.
		c.SetWriteDeadline(time.Time{})
		errc := make(chan error, 1)
		go func() { _, err := c.Write(buf); errc <- err }()
		c.SetWriteDeadline(aLongTimeAgo)
		wantTimeout(t, <-errc, "write")
		// The peer reads what arrived; the connection still works.
		c.SetWriteDeadline(time.Time{})
		go func() {
			_, err := c.Write([]byte("end"))
			if err == nil {
				err = c.(interface{ CloseWrite() error }).CloseWrite()
			}
			errc <- err
		}()
		s.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(s)
		if err != nil {
			t.Fatalf("peer read %d bytes, then %v; writer: %v", len(got), err, <-errc)
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if len(got) < 3 || string(got[len(got)-3:]) != "end" {
			t.Fatalf("peer read %d bytes not ending in \"end\"", len(got))
		}
	})
}

// TestDeadlineAccept times out Accept through Listener.SetDeadline, then
// accepts once the deadline is cleared.
func TestDeadlineAccept(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		ln, err := b.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		dl := ln.(deadliner)
		dl.SetDeadline(aLongTimeAgo)
		_, err = ln.Accept()
		wantTimeout(t, err, "accept")

		dl.SetDeadline(time.Now().Add(20 * time.Millisecond))
		_, err = ln.Accept()
		wantTimeout(t, err, "accept")

		errc := make(chan error, 1)
		dl.SetDeadline(time.Time{})
		go func() {
			_, err := ln.Accept()
			errc <- err
		}()
		dl.SetDeadline(aLongTimeAgo) // while blocked, or before: same result
		wantTimeout(t, <-errc, "accept")

		dl.SetDeadline(time.Time{})
		c, err := b.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	})
}

// readExactly reads len(want) bytes from c and fails unless they are want.
func readExactly(t *testing.T, c net.Conn, want string) {
	t.Helper()
	buf := make([]byte, len(want))
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("reading %q: %v", want, err)
	}
	if string(buf) != want {
		t.Fatalf("read %q, want %q", buf, want)
	}
}
