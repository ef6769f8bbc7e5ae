//go:build linux

package netfd_test

import (
	"io"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/ringnet/ringnet/internal/backendtest"
)

// A backend is one implementation of listen and dial under test: std's net
// package as the reference, or a netfd backend.
type backend = backendtest.Backend

// netfdBackends is every backend but std.
var netfdBackends = backendtest.All[1:]

// run runs f once per backend (std, epoll, uring) as parallel subtests, then
// checks that no file descriptor and no goroutine outlived them; see
// backendtest.Run.
func run(t *testing.T, f func(t *testing.T, b backend)) {
	t.Helper()
	backendtest.Run(t, f)
}

// TestMain starts every backend's shared machinery (poller goroutines, rings)
// before any leak baseline is taken.
func TestMain(m *testing.M) {
	if os.Getenv(fallbackChildEnv) != "" {
		os.Exit(fallbackChild())
	}
	backendtest.Main(m)
}

// tcpPair returns both ends of a loopback TCP connection on b.
func tcpPair(t *testing.T, b backend) (client, server net.Conn) {
	t.Helper()
	return pair(t, b, "tcp", "127.0.0.1:0")
}

// pair returns both ends of a connection on network; both are closed when the
// test ends.
func pair(t *testing.T, b backend, network, address string) (client, server net.Conn) {
	t.Helper()
	ln, err := b.Listen(network, address)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		ch <- result{c, err}
	}()
	client, err = b.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		client.Close()
		t.Fatal(r.err)
	}
	t.Cleanup(func() { client.Close(); r.c.Close() })
	return client, r.c
}

// unixPath returns a fresh socket path in the test's temporary directory.
func unixPath(t *testing.T) string {
	p := t.TempDir() + "/s"
	if len(p) > 100 { // sun_path is 108 bytes
		f, err := os.CreateTemp("", "rn")
		if err != nil {
			t.Fatal(err)
		}
		p = f.Name()
		f.Close()
		os.Remove(p)
		t.Cleanup(func() { os.Remove(p) })
	}
	return strings.TrimSpace(p)
}

// echo writes back what it reads from c until EOF or an error. Not
// io.Copy(c, c): with std's TCPConn that splices through pipes kept in a
// process-wide pool, which outlive the test and trip the fd leak check.
func echo(c net.Conn) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
