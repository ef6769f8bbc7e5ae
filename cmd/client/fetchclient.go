package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"

	"github.com/ringnet/ringnet/client"
)

// newFetchClient returns the client of fetch mode: ringnet's Transport on
// b, with every connection tapped so that log sees the heads in wire
// order. For https the tap must sit above TLS, where the Transport keeps
// its TLS to itself: so https requests go as plain http through a second
// Transport whose dialer does the TLS handshake (see tlsSplit).
func newFetchClient(cfg *config, b backend, log *headLog) *http.Client {
	dial := b.dialer(nil)
	tapped := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		log.connected(c.RemoteAddr())
		log.note("Connected to %s on %s", addr, b)
		return &headTap{Conn: c, log: log}, nil
	}
	tlsTapped := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		log.connected(c.RemoteAddr())
		host, _, _ := net.SplitHostPort(addr)
		tc := tls.Client(c, clientTLS(cfg.tls, host))
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		st := tc.ConnectionState()
		log.note("Connected to %s on %s: %s, %s", addr, b, tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
		return &headTap{Conn: tc, log: log}, nil
	}
	opts := func(dial func(context.Context, string, string) (net.Conn, error)) client.Options {
		return client.Options{DialContext: dial, DialTimeout: cfg.timeout, MaxConnsPerHost: 1, DisableCompression: true}
	}
	c := &http.Client{
		Transport: tlsSplit{plain: client.NewTransport(opts(tapped)), tls: client.NewTransport(opts(tlsTapped))},
		Timeout:   cfg.timeout,
	}
	c.CheckRedirect = func(_ *http.Request, via []*http.Request) error {
		switch {
		case !cfg.follow:
			return http.ErrUseLastResponse
		case len(via) > maxRedirects:
			return errTooManyRedirects
		}
		log.redirected(len(via))
		return nil
	}
	return c
}

// maxRedirects is how many redirects -L follows, curl's default.
const maxRedirects = 50

var errTooManyRedirects = fmt.Errorf("stopped after %d redirects", maxRedirects)

// A tlsSplit sends http requests through plain and https ones through
// tls, whose connections are TLS already: it passes them on as http to
// the same host and port (443 by default), Host field unchanged.
type tlsSplit struct{ plain, tls *client.Transport }

var _ http.RoundTripper = tlsSplit{}

func (s tlsSplit) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" {
		return s.plain.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.URL.Scheme = "http"
	r.URL.Host = hostPort("https", req.URL.Host)
	if r.Host == "" {
		r.Host = req.URL.Host
	}
	resp, err := s.tls.RoundTrip(r)
	if resp != nil {
		resp.Request = req
	}
	return resp, err
}

// CloseIdleConnections closes both Transports' idle connections; the
// http.Client calls it.
func (s tlsSplit) CloseIdleConnections() {
	s.plain.CloseIdleConnections()
	s.tls.CloseIdleConnections()
}
