//go:build linux

package netfd_test

import (
	"io"
	"net"
	"syscall"
	"testing"
)

// halfCloser is what *net.TCPConn, *net.UnixConn and *netfd.Conn have in
// common for shutting down one direction.
type halfCloser interface {
	CloseRead() error
	CloseWrite() error
}

// TestHalfCloseWrite shuts down the client's writing side: the server reads
// the data, then io.EOF, and can still answer.
func TestHalfCloseWrite(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		for _, network := range []string{"tcp", "unix"} {
			t.Run(network, func(t *testing.T) {
				c, s := pairOn(t, b, network)
				if _, err := c.Write([]byte("request")); err != nil {
					t.Fatal(err)
				}
				if err := c.(halfCloser).CloseWrite(); err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(s)
				if err != nil || string(got) != "request" {
					t.Fatalf("server read %q, %v; want \"request\", nil", got, err)
				}
				if n, err := s.Read(make([]byte, 1)); n != 0 || err != io.EOF {
					t.Fatalf("Read after EOF = %d, %v; want 0, io.EOF", n, err)
				}
				if _, err := s.Write([]byte("response")); err != nil {
					t.Fatal(err)
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				got, err = io.ReadAll(c)
				if err != nil || string(got) != "response" {
					t.Fatalf("client read %q, %v; want \"response\", nil", got, err)
				}
				_, err = c.Write([]byte("x"))
				wantSyscallError(t, err, "write", syscall.EPIPE)
			})
		}
	})
}

// TestHalfCloseRead shuts down the client's reading side while a Read may
// be blocked: it returns io.EOF, and writing still works.
func TestHalfCloseRead(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		for _, network := range []string{"tcp", "unix"} {
			t.Run(network, func(t *testing.T) {
				c, s := pairOn(t, b, network)
				done := make(chan error, 1)
				go func() {
					n, err := c.Read(make([]byte, 1))
					if n != 0 {
						t.Errorf("Read = %d bytes; nothing was sent", n)
					}
					done <- err
				}()
				if err := c.(halfCloser).CloseRead(); err != nil {
					t.Fatal(err)
				}
				if err := <-done; err != io.EOF {
					t.Fatalf("Read after CloseRead: %v, want io.EOF", err)
				}
				if _, err := c.Write([]byte("still")); err != nil {
					t.Fatal(err)
				}
				readExactly(t, s, "still")
			})
		}
	})
}

// TestHalfCloseAfterClose checks CloseRead and CloseWrite on a closed
// connection.
func TestHalfCloseAfterClose(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		c, _ := tcpPair(t, b)
		c.Close()
		wantOpError(t, c.(halfCloser).CloseWrite(), "close", net.ErrClosed)
		wantOpError(t, c.(halfCloser).CloseRead(), "close", net.ErrClosed)
	})
}
