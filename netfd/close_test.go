//go:build linux

package netfd_test

import (
	"net"
	"testing"
)

// The tests below start a blocking call in a goroutine and Close from the
// test goroutine without waiting for the call to block: whether Close comes
// first or second, the call must return net.ErrClosed.

// TestCloseRead closes a connection while a Read is blocked on it.
func TestCloseRead(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		for _, network := range []string{"tcp", "unix"} {
			t.Run(network, func(t *testing.T) {
				c, _ := pairOn(t, b, network)
				errc := make(chan error, 1)
				go func() {
					n, err := c.Read(make([]byte, 10))
					if n != 0 {
						t.Errorf("Read = %d bytes; nothing was sent", n)
					}
					errc <- err
				}()
				if err := c.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				wantOpError(t, <-errc, "read", net.ErrClosed)
				wantClosedAfter(t, c)
			})
		}
	})
}

// TestCloseWrite closes a connection while a Write is blocked on it because
// the peer does not read.
func TestCloseWrite(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		for _, network := range []string{"tcp", "unix"} {
			t.Run(network, func(t *testing.T) {
				c, s := pairOn(t, b, network)
				smallBuffers(t, c, s)
				buf := make([]byte, 8<<20) // far more than both buffers hold
				errc := make(chan error, 1)
				go func() {
					n, err := c.Write(buf)
					if n == len(buf) {
						t.Errorf("Write of %d bytes to a peer that does not read completed", n)
					}
					errc <- err
				}()
				if err := c.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				wantOpError(t, <-errc, "write", net.ErrClosed)
				wantClosedAfter(t, c)
			})
		}
	})
}

// TestCloseAccept closes a listener while an Accept is blocked on it.
func TestCloseAccept(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		for _, network := range []string{"tcp", "unix"} {
			t.Run(network, func(t *testing.T) {
				ln, err := b.Listen(network, addrFor(t, network))
				if err != nil {
					t.Fatal(err)
				}
				errc := make(chan error, 1)
				go func() {
					c, err := ln.Accept()
					if c != nil {
						c.Close()
						t.Errorf("Accept returned a connection; nobody dialed")
					}
					errc <- err
				}()
				if err := ln.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				wantOpError(t, <-errc, "accept", net.ErrClosed)
				wantOpError(t, ln.Close(), "close", net.ErrClosed)
				_, err = ln.Accept()
				wantOpError(t, err, "accept", net.ErrClosed)
			})
		}
	})
}

// TestCloseReadWrite closes a connection with a Read and a Write blocked on
// it at the same time.
func TestCloseReadWrite(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		c, s := tcpPair(t, b)
		smallBuffers(t, c, s)
		rerr, werr := make(chan error, 1), make(chan error, 1)
		go func() { _, err := c.Read(make([]byte, 1)); rerr <- err }()
		go func() { _, err := c.Write(make([]byte, 8<<20)); werr <- err }()
		if err := c.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		wantOpError(t, <-rerr, "read", net.ErrClosed)
		wantOpError(t, <-werr, "write", net.ErrClosed)
	})
}

// wantClosedAfter checks what a closed connection answers.
func wantClosedAfter(t *testing.T, c net.Conn) {
	t.Helper()
	wantOpError(t, c.Close(), "close", net.ErrClosed)
	_, err := c.Read(make([]byte, 1))
	wantOpError(t, err, "read", net.ErrClosed)
	_, err = c.Write([]byte("x"))
	wantOpError(t, err, "write", net.ErrClosed)
}

// smallBuffers makes the kernel buffers between writer w and reader r
// small, so that a write blocks soon when r does not read.
func smallBuffers(t *testing.T, w, r net.Conn) {
	t.Helper()
	if err := w.(interface{ SetWriteBuffer(int) error }).SetWriteBuffer(4096); err != nil {
		t.Fatal(err)
	}
	if err := r.(interface{ SetReadBuffer(int) error }).SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
}

// pairOn is tcpPair or a unix-socket pair.
func pairOn(t *testing.T, b backend, network string) (client, server net.Conn) {
	t.Helper()
	return pair(t, b, network, addrFor(t, network))
}

// addrFor is a fresh listening address on network.
func addrFor(t *testing.T, network string) string {
	if network == "unix" {
		return unixPath(t)
	}
	return "127.0.0.1:0"
}
