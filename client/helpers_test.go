package client_test

import (
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"testing"

	"github.com/ringnet/ringnet/client"
	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
)

func TestMain(m *testing.M) { backendtest.Main(m) }

// newTransport returns a Transport on backend b (Go's net for std) whose
// idle connections are closed when the test ends. A DialContext in o
// stays, and should dial with b.
func newTransport(t testing.TB, b backendtest.Backend, o client.Options) *client.Transport {
	t.Helper()
	if b.Std() && o.DialContext == nil {
		o.DialContext = b.DialContext
	} else if !b.Std() {
		o.Backend = b.NB
	}
	tr := client.NewTransport(o)
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// stdTransport is net/http's Transport dialing with b, the reference the
// differential tests compare with.
func stdTransport(t testing.TB, b backendtest.Backend) *http.Transport {
	t.Helper()
	tr := &http.Transport{DialContext: b.DialContext, MaxIdleConnsPerHost: 256}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// A server kind is one HTTP server implementation the client talks to.
type serverKind struct {
	name  string
	serve func(t testing.TB, ln net.Listener, h http.Handler)
}

var servers = []serverKind{
	{"ringhttp", serveRing},
	{"net-http", serveStd},
}

// serveRing serves h with ringnet's server on ln until the test ends.
func serveRing(t testing.TB, ln net.Listener, h http.Handler) {
	serveRingServer(t, ln, &ringhttp.Server{Handler: h})
}

// serveRingServer serves with s on ln until the test ends.
func serveRingServer(t testing.TB, ln net.Listener, s *ringhttp.Server) {
	if s.ErrorLog == nil {
		s.ErrorLog = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	backendtest.Serve(t, ln, s, ringhttp.ErrServerClosed)
}

// serveStd serves h with net/http's server on ln until the test ends.
func serveStd(t testing.TB, ln net.Listener, h http.Handler) {
	s := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
	backendtest.Serve(t, ln, s, http.ErrServerClosed)
}

// start serves h with kind on a listener of b and returns the base URL.
func start(t testing.TB, b backendtest.Backend, kind serverKind, h http.Handler) string {
	t.Helper()
	ln := b.ListenTCP(t)
	kind.serve(t, ln, h)
	return "http://" + ln.Addr().String()
}

func mustGet(t testing.TB, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}
