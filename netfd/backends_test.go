//go:build linux

package netfd_test

import (
	"context"
	"io"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/ringnet/ringnet/internal/leakcheck"
	"github.com/ringnet/ringnet/netfd"
)

// A backend is one implementation of listen and dial under test: std's net
// package as the reference, or a netfd backend.
type backend struct {
	name string
	nb   netfd.Backend // "" for std
}

func (b backend) std() bool { return b.nb == "" }

// Listen listens on network at address.
func (b backend) Listen(network, address string) (net.Listener, error) {
	if b.std() {
		return net.Listen(network, address)
	}
	lc := netfd.ListenConfig{Backend: b.nb}
	return lc.Listen(context.Background(), network, address)
}

// DialContext connects, bounded by ctx.
func (b backend) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if b.std() {
		var d net.Dialer
		return d.DialContext(ctx, network, address)
	}
	d := netfd.Dialer{Backend: b.nb}
	return d.DialContext(ctx, network, address)
}

// DialWith connects as std's d would: its Timeout, LocalAddr and KeepAlive
// carry over to a netfd.Dialer, so one test body configures both.
func (b backend) DialWith(ctx context.Context, d net.Dialer, network, address string) (net.Conn, error) {
	if b.std() {
		return d.DialContext(ctx, network, address)
	}
	nd := netfd.Dialer{Backend: b.nb, Timeout: d.Timeout, LocalAddr: d.LocalAddr, KeepAlive: d.KeepAlive}
	return nd.DialContext(ctx, network, address)
}

// Dial connects without a deadline.
func (b backend) Dial(network, address string) (net.Conn, error) {
	return b.DialContext(context.Background(), network, address)
}

// allBackends is every backend a behaviour test runs on.
var allBackends = []backend{
	{name: "std"},
	{name: "epoll", nb: netfd.Epoll},
	{name: "uring", nb: netfd.Uring},
}

// run runs f once per backend as parallel subtests, then checks that no file
// descriptor and no goroutine outlived them. A backend that cannot run here
// is skipped with the reason, or fails when RINGNET_REQUIRE_URING is set, as
// CI sets it: io_uring works on the machines this project runs on.
func run(t *testing.T, f func(t *testing.T, b backend)) {
	t.Helper()
	before := leakcheck.Take()
	t.Cleanup(func() { before.Check(t) })
	for _, b := range allBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			if !b.std() {
				if _, err := netfd.Resolve(b.nb); err != nil {
					if os.Getenv("RINGNET_REQUIRE_URING") != "" {
						t.Fatalf("backend %s unavailable (RINGNET_REQUIRE_URING is set): %v", b.name, err)
					}
					t.Skipf("backend %s unavailable: %v", b.name, err)
				}
			}
			f(t, b)
		})
	}
}

// TestMain starts every backend's shared machinery (poller goroutines, rings)
// before any leak baseline is taken.
func TestMain(m *testing.M) {
	if os.Getenv(fallbackChildEnv) != "" {
		os.Exit(fallbackChild())
	}
	leakcheck.WarmUp(netfd.Epoll, netfd.Uring)
	os.Exit(m.Run())
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
