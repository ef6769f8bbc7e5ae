package main

import (
	"net/http"
	"time"

	"github.com/ringnet/ringnet/client"
)

// newHTTPClient returns an HTTP client on ringnet's Transport whose
// connections, up to conns of them, come from b and count their bytes in n
// (which may be nil). Every backend, std included, runs the same Transport
// through Options.DialContext, so that a comparison measures the backends
// and nothing else. It asks for no compression, as curl and wrk do, and
// follows redirects only if follow is set.
func newHTTPClient(b backend, conns int, timeout time.Duration, follow bool, n *byteCounter) *http.Client {
	c := client.New(client.Options{
		DialContext:         b.dialer(n),
		MaxConnsPerHost:     conns,
		MaxIdleConnsPerHost: conns,
		DisableCompression:  true,
	})
	c.Timeout = timeout
	if !follow {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c
}
