package main

import (
	"net/http"

	"github.com/ringnet/ringnet/client"
)

// newHTTPClient returns the HTTP client of a load run on ringnet's
// Transport, with up to -c connections that come from b and count into n.
// Every backend, std included, runs the same Transport through
// Options.DialContext, so that a comparison measures the backends and
// nothing else. It asks for no compression, as curl and wrk do, and does
// not follow redirects.
func newHTTPClient(cfg *config, b backend, n *connStats) *http.Client {
	c := client.New(client.Options{
		DialContext:         b.dialer(n),
		DialTimeout:         cfg.timeout,
		TLSClientConfig:     cfg.tls,
		MaxConnsPerHost:     cfg.conns,
		MaxIdleConnsPerHost: cfg.conns,
		DisableCompression:  true,
	})
	c.Timeout = cfg.timeout
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}
