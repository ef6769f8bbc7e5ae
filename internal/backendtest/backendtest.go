// Package backendtest is the one helper every behaviour suite uses to run a
// test once per backend: Go's net package (the reference), netfd on epoll,
// and netfd on io_uring, as parallel subtests with a descriptor and
// goroutine leak check around them.
package backendtest

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"testing"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/leakcheck"
	"github.com/ringnet/ringnet/internal/testtool"
	"github.com/ringnet/ringnet/netfd"
)

// A Backend is one implementation of listen and dial under test, and for
// ringnet's HTTP server also the way it serves: on netfd's event loops
// (the default for a netfd listener) or on a goroutine per connection.
type Backend struct {
	Name      string
	NB        netfd.Backend // "" for std
	Goroutine bool          // the server serves a goroutine per connection
	Inline    bool          // the server runs handlers on the loops and never hands one off
}

// Std reports whether b is Go's own net package.
func (b Backend) Std() bool { return b.NB == "" }

// All is every backend a behaviour test runs on, std first.
var All = []Backend{
	{Name: "std"},
	{Name: "epoll", NB: netfd.Epoll},
	{Name: "uring", NB: netfd.Uring},
}

// Listen listens on network at address.
func (b Backend) Listen(network, address string) (net.Listener, error) {
	if b.Std() {
		return net.Listen(network, address)
	}
	lc := netfd.ListenConfig{Backend: b.NB}
	return lc.Listen(context.Background(), network, address)
}

// ListenTCP listens on 127.0.0.1:0 and fails t on error; the listener is
// closed when the test ends.
func (b Backend) ListenTCP(t testing.TB) net.Listener {
	t.Helper()
	ln, err := b.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// DialContext connects, bounded by ctx. Its signature fits
// http.Transport.DialContext.
func (b Backend) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if b.Std() {
		var d net.Dialer
		return d.DialContext(ctx, network, address)
	}
	d := netfd.Dialer{Backend: b.NB}
	return d.DialContext(ctx, network, address)
}

// Dial connects without a deadline.
func (b Backend) Dial(network, address string) (net.Conn, error) {
	return b.DialContext(context.Background(), network, address)
}

// DialWith connects as std's d would: its Timeout, LocalAddr and KeepAlive
// carry over to a netfd.Dialer, so one test body configures both.
func (b Backend) DialWith(ctx context.Context, d net.Dialer, network, address string) (net.Conn, error) {
	if b.Std() {
		return d.DialContext(ctx, network, address)
	}
	nd := netfd.Dialer{Backend: b.NB, Timeout: d.Timeout, LocalAddr: d.LocalAddr, KeepAlive: d.KeepAlive}
	return nd.DialContext(ctx, network, address)
}

// Available fails or skips t when b cannot run here: it fails when
// RINGNET_REQUIRE_URING is set, as CI sets it (io_uring works on the
// machines this project runs on), and skips with the reason otherwise.
func (b Backend) Available(t testing.TB) {
	t.Helper()
	if b.Std() {
		return
	}
	if _, err := netfd.Resolve(b.NB); err != nil {
		if os.Getenv("RINGNET_REQUIRE_URING") != "" {
			t.Fatalf("backend %s unavailable (RINGNET_REQUIRE_URING is set): %v", b.Name, err)
		}
		t.Skipf("backend %s unavailable: %v", b.Name, err)
	}
}

// Run runs f once per backend as parallel subtests, then checks that no file
// descriptor and no goroutine outlived them.
func Run(t *testing.T, f func(t *testing.T, b Backend)) {
	t.Helper()
	runOver(t, All, f)
}

func runOver(t *testing.T, bs []Backend, f func(t *testing.T, b Backend)) {
	t.Helper()
	before := leakcheck.Take()
	t.Cleanup(func() { before.Check(t) })
	for _, b := range bs {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			b.Available(t)
			f(t, b)
		})
	}
}

// Netfd is every backend but std: the ones netfd's event loops run on.
var Netfd = All[1:]

// Servers is every way ringnet's HTTP server runs: std's listener (always
// a goroutine per connection), and each netfd backend in each of the
// server's modes: on event loops handing a blocked loop off (auto, the
// default), on event loops inline, and on goroutines.
var Servers = append(All[:len(All):len(All)],
	Backend{Name: "epoll-inline", NB: netfd.Epoll, Inline: true},
	Backend{Name: "uring-inline", NB: netfd.Uring, Inline: true},
	Backend{Name: "epoll-goroutine", NB: netfd.Epoll, Goroutine: true},
	Backend{Name: "uring-goroutine", NB: netfd.Uring, Goroutine: true},
)

// RunServers is Run over Servers: for tests of ringnet's HTTP server, which
// set the server's mode from b.Goroutine and b.Inline.
func RunServers(t *testing.T, f func(t *testing.T, b Backend)) {
	t.Helper()
	runOver(t, Servers, f)
}

// RunNetfd is Run over Netfd, for behaviour that std has no counterpart
// of (netfd's event loops).
func RunNetfd(t *testing.T, f func(t *testing.T, b Backend)) {
	t.Helper()
	runOver(t, Netfd, f)
}

// Main is a TestMain body: it warms every netfd backend up so that its
// process-wide poller and ring are not counted as leaks, runs m, and
// lists the tests that skipped for a missing tool (testtool.Report).
func Main(m *testing.M) {
	leakcheck.WarmUp(netfd.Epoll, netfd.Uring)
	code := m.Run()
	testtool.Report()
	os.Exit(code)
}

// A Server is what Serve runs: ringnet's http.Server or net/http's.
type Server interface {
	Serve(net.Listener) error
	Close() error
}

// Serve runs s on ln until the test ends, then closes it and checks that
// Serve returned closed (http.ErrServerClosed of s's package).
func Serve(t testing.TB, ln net.Listener, s Server, closed error) {
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; !errors.Is(err, closed) {
			t.Errorf("Serve: %v", err)
		}
	})
}

// SetMode makes s serve in b's mode: ModeGoroutine, ModeInline, or the
// default ModeAuto.
func (b Backend) SetMode(s *ringhttp.Server) {
	switch {
	case b.Goroutine:
		s.Mode = ringhttp.ModeGoroutine
	case b.Inline:
		s.Mode = ringhttp.ModeInline
	}
}

// ServeNetHTTP serves h with net/http on a loopback listener of Go's own,
// the reference a test compares ringnet with, until the test ends; it
// returns the address.
func ServeNetHTTP(t testing.TB, h http.Handler) string {
	t.Helper()
	return ServeNetHTTPServer(t, &http.Server{Handler: h})
}

// ServeNetHTTPServer is ServeNetHTTP with s, for a reference with
// settings; its ErrorLog goes nowhere unless set.
func ServeNetHTTPServer(t testing.TB, s *http.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if s.ErrorLog == nil {
		s.ErrorLog = log.New(io.Discard, "", 0)
	}
	done := make(chan struct{})
	go func() { defer close(done); s.Serve(ln) }()
	t.Cleanup(func() { s.Close(); <-done })
	return ln.Addr().String()
}
