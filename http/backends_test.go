package http_test

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// A backend is one listener implementation the server runs on: Go's net
// package, or a netfd backend.
type backend = backendtest.Backend

var allBackends = backendtest.All

// run runs f once per backend and server mode (std; epoll and uring on
// event loops and on goroutines) as parallel subtests, then checks that
// no file descriptor and no goroutine outlived them
// (backendtest.RunServers).
func run(t *testing.T, f func(t *testing.T, b backend)) {
	t.Helper()
	backendtest.RunServers(t, f)
}

// serve starts s on a fresh listener of b, in b's mode, and returns its
// address; the server is closed, and Serve has returned, when the test
// ends.
func serve(t *testing.T, b backend, s *ringhttp.Server) string {
	t.Helper()
	setMode(b, s)
	serveQuiet(s)
	ln := b.ListenTCP(t)
	backendtest.Serve(t, ln, s, ringhttp.ErrServerClosed)
	return ln.Addr().String()
}

// setMode makes s serve in b's mode.
func setMode(b backend, s *ringhttp.Server) { b.SetMode(s) }

// serveQuiet sends s's log to nowhere unless the test set a logger.
func serveQuiet(s *ringhttp.Server) {
	if s.ErrorLog == nil {
		s.ErrorLog = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// TestMain starts every backend's shared machinery (poller goroutines,
// rings) before any leak baseline is taken.
func TestMain(m *testing.M) {
	backendtest.Main(m)
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
