// Package client is ringnet's HTTP/1.1 client: Transport, an
// http.RoundTripper that pools keep-alive connections and runs them on
// netfd (epoll or io_uring) or on any dialer, Go's net included.
//
//	c := &http.Client{Transport: client.NewTransport(client.Options{Backend: netfd.Uring})}
//	resp, err := c.Get("http://127.0.0.1:8080/")
//
// net/http's Client keeps doing redirects, cookies (Jar) and Timeout; the
// Transport does connections, the wire, gzip, proxies and TLS. Options'
// zero value is a good default; unlike net/http's, it keeps 256 idle
// connections per host, not 2.
//
// Where a request goes:
//
//   - transport.go: Transport, RoundTrip (checks, the retry rule), the
//     connection key.
//   - pool.go: the pool: idle connections (most recently used first),
//     the FIFO queue of waiters, dials in the background, limits, the
//     idle timeout.
//   - conn.go: a connection: dialing, TLS, CONNECT tunnels, the liveness
//     check of an idle connection (liveness_linux.go).
//   - exchange.go: one request on one connection: write, 100-continue,
//     read the response header, hand the connection to the body, release.
//   - write.go: the request line, header fields and body on the wire.
//   - body.go: response bodies: release at EOF, bounded drain on early
//     Close, gzip, 101 Switching Protocols.
//   - options.go, errors.go: configuration and error values.
//
// Differences from net/http's Transport: HTTP/1.1 only (no h2, ALPN
// offers http/1.1); a request's default User-Agent is DefaultUserAgent;
// closing a response body early reads up to 256 KiB (50 ms) of what is
// left to keep the connection, where net/http closes it; a retried
// request always goes on a new connection; an invalid Host is an error
// rather than an empty Host header; a body of unknown length is sent
// chunked without net/http's 200 ms probe read; no httptrace hooks.
package client
