package http_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/leakcheck"
	"github.com/ringnet/ringnet/netfd"
)

// A backend is one listener implementation the server runs on: Go's net
// package, or a netfd backend.
type backend struct {
	name string
	nb   netfd.Backend // "" for std
}

func (b backend) listen(t testing.TB) net.Listener {
	t.Helper()
	var ln net.Listener
	var err error
	if b.nb == "" {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	} else {
		lc := netfd.ListenConfig{Backend: b.nb}
		ln, err = lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

var allBackends = []backend{
	{name: "std"},
	{name: "epoll", nb: netfd.Epoll},
	{name: "uring", nb: netfd.Uring},
}

// run runs f once per backend as parallel subtests, then checks that no
// file descriptor and no goroutine outlived them. Every backend must be
// available: a missing one fails the test rather than skipping it.
func run(t *testing.T, f func(t *testing.T, b backend)) {
	t.Helper()
	before := leakcheck.Take()
	t.Cleanup(func() { before.Check(t) })
	for _, b := range allBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			if b.nb != "" {
				if _, err := netfd.Resolve(b.nb); err != nil {
					t.Fatalf("backend %s unavailable: %v", b.name, err)
				}
			}
			f(t, b)
		})
	}
}

// serve starts s on a fresh listener of b and returns its address; the
// server is closed, and Serve has returned, when the test ends.
func serve(t *testing.T, b backend, s *ringhttp.Server) string {
	t.Helper()
	serveQuiet(s)
	ln := b.listen(t)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; !errors.Is(err, ringhttp.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// serveQuiet sends s's log to nowhere unless the test set a logger.
func serveQuiet(s *ringhttp.Server) {
	if s.ErrorLog == nil {
		s.ErrorLog = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// TestMain starts every backend's shared machinery (poller goroutines,
// rings) before any leak baseline is taken.
func TestMain(m *testing.M) {
	leakcheck.WarmUp(netfd.Epoll, netfd.Uring)
	os.Exit(m.Run())
}

// exchange sends raw on a new connection to addr, in one write or byte by
// byte, and returns everything the server sends until it closes.
func exchange(t *testing.T, addr, raw string, split bool) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		if split {
			for i := 0; i < len(raw); i++ {
				if _, err := c.Write([]byte{raw[i]}); err != nil {
					return
				}
			}
			return
		}
		c.Write([]byte(raw))
	}()
	got, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		t.Fatalf("reading response: %v (got %q)", err, got)
	}
	return string(got)
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}
