package client

import (
	"crypto/tls"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/ringnet/ringnet/internal/wire"
	"github.com/ringnet/ringnet/netfd"
)

// A Transport is an http.RoundTripper for HTTP/1.1 that keeps connections
// open and reuses them, over netfd (epoll or io_uring) or any dialer.
// Use it as an http.Client's Transport; redirects, cookies and
// Client.Timeout stay the Client's business:
//
//	c := &http.Client{Transport: client.NewTransport(client.Options{Backend: netfd.Uring})}
//
// A Transport is safe for concurrent use by multiple goroutines and
// should be reused: it owns the connection pool. Its zero value works
// and uses the defaults of a zero Options.
type Transport struct {
	opt Options // read-only after NewTransport

	bufs sync.Pool // *[]byte of 32 KiB for copying chunked request bodies

	tlsOnce sync.Once
	tlsBase *tls.Config // TLSClientConfig with HTTP/1.1 ALPN; built once

	mu    sync.Mutex
	pools map[connKey]*hostPool // guarded by mu
	lru   idleList              // every idle connection, oldest first; guarded by mu

	// testHookQueued, if set, is called (with mu held) each time a request
	// joins a host's queue of waiters.
	testHookQueued func()
	// testHookIdle, if set, is called (with mu held) each time a
	// connection goes idle.
	testHookIdle func()
	// noLivenessCheck disables the idle-connection check (benchmarks).
	noLivenessCheck bool
}

var _ http.RoundTripper = (*Transport)(nil)

// NewTransport returns a Transport configured by o.
func NewTransport(o Options) *Transport {
	return &Transport{opt: o}
}

// New returns an http.Client using NewTransport(o).
func New(o Options) *http.Client {
	return &http.Client{Transport: NewTransport(o)}
}

// RoundTrip sends req and returns its response, as http.RoundTripper
// says: it does not follow redirects or handle cookies, returns an error
// only when no response was obtained, and always closes req.Body. The
// response body must be read to EOF or closed for the connection to be
// reused; the request's context bounds the whole exchange, body included.
//
// A request that fails on a reused connection before any byte of a
// response arrived is sent once more, on a new connection, when that is
// safe: nothing of it was written, or it is idempotent (GET, HEAD,
// OPTIONS, TRACE, or an Idempotency-Key or X-Idempotency-Key header) and
// its body can be rewound (none, or Request.GetBody set).
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, orig := req.Context(), req
	key, proxy, err := t.prepare(req)
	if err != nil {
		closeReqBody(req)
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		pc, err := t.getConn(ctx, key, proxy, attempt > 0)
		if err != nil {
			closeReqBody(req)
			return nil, err
		}
		resp, retry, err := pc.roundTrip(ctx, req)
		if err == nil {
			resp.Request = orig // not its rewound copy
			return resp, nil
		}
		if !retry || attempt > 0 {
			return nil, err
		}
		if req, err = rewind(req); err != nil {
			return nil, err
		}
	}
}

// Backend reports the netfd backend the Transport dials with: what
// Options.Backend resolves to on this machine, netfd.Epoll or netfd.Uring
// (netfd.ResolveReason says why Auto chose it). It is "" when
// Options.DialContext is set, as the dialer decides (netfd.BackendOf tells
// of a connection it made), and when the backend asked for cannot run here,
// as then every dial fails saying why.
func (t *Transport) Backend() netfd.Backend {
	if t.opt.DialContext != nil {
		return ""
	}
	b, err := netfd.Resolve(t.opt.Backend)
	if err != nil {
		return ""
	}
	return b
}

func (t *Transport) copyBuf() *[]byte {
	if b, ok := t.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 32<<10)
	return &b
}

func (t *Transport) putCopyBuf(b *[]byte) { t.bufs.Put(b) }

// CloseIdleConnections closes the connections that are idle in the pool
// now. Connections in use are not interrupted.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	var idle []*persistConn
	for _, p := range t.pools {
		for _, pc := range p.idle {
			t.lru.remove(pc)
			idle = append(idle, pc)
		}
		clear(p.idle)
		p.idle = p.idle[:0]
	}
	t.mu.Unlock()
	for _, pc := range idle {
		t.closeConn(pc)
	}
}

// A connKey says which connections can carry a request: the same scheme,
// host and port, through the same proxy. Plain http requests through a
// proxy share the proxy's connections whatever their target.
type connKey struct {
	scheme string // "http" or "https": how to talk to the target
	host   string // as in the URL, without the port
	port   string // "" for the scheme's default port
	proxy  string // proxy URL, "" for none
}

// addr is the host:port to dial for the target.
func (k connKey) addr() string {
	port := k.port
	if port == "" {
		port = defaultPort(k.scheme)
	}
	host := k.host
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		return host + ":" + port // already bracketed IPv6
	}
	if strings.IndexByte(host, ':') >= 0 {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}

func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// prepare checks req as net/http's Transport does and returns the key of
// the connections that can carry it, and its proxy.
func (t *Transport) prepare(req *http.Request) (connKey, *url.URL, error) {
	u := req.URL
	if u == nil {
		return connKey{}, nil, errNilURL
	}
	if req.Header == nil {
		return connKey{}, nil, errNilHeader
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return connKey{}, nil, badSchemeError(u.Scheme)
	}
	if m := req.Method; m != "" && !wire.IsToken(m) {
		return connKey{}, nil, badMethodError(m)
	}
	if u.Host == "" {
		return connKey{}, nil, errNoHost
	}
	if hasCTL(u.Opaque) || hasCTL(u.RawQuery) {
		return connKey{}, nil, errCTLInURL
	}
	if !wire.ValidHost(hostHeader(req)) {
		return connKey{}, nil, errBadHost
	}
	for k, vv := range req.Header {
		if !wire.IsToken(k) {
			return connKey{}, nil, badHeaderNameError(k)
		}
		for _, v := range vv {
			if !wire.ValidFieldValue(v) {
				return connKey{}, nil, badHeaderValueError(k)
			}
		}
	}
	for k, vv := range req.Trailer {
		if !wire.IsToken(k) {
			return connKey{}, nil, badHeaderNameError(k)
		}
		for _, v := range vv {
			if !wire.ValidFieldValue(v) {
				return connKey{}, nil, badHeaderValueError(k)
			}
		}
	}
	if req.Body == nil && req.ContentLength > 0 {
		return connKey{}, nil, errMissingBody
	}
	key := connKey{scheme: u.Scheme}
	key.host, key.port = splitHostPort(u.Host)
	if key.port == defaultPort(u.Scheme) {
		key.port = ""
	}
	if !isASCII(key.host) {
		return connKey{}, nil, errNonASCIIHost
	}
	var proxy *url.URL
	if t.opt.Proxy != nil {
		var err error
		if proxy, err = t.opt.Proxy(req); err != nil {
			return connKey{}, nil, err
		}
		if proxy != nil {
			if proxy.Scheme != "http" && proxy.Scheme != "https" {
				return connKey{}, nil, badSchemeError(proxy.Scheme)
			}
			key.proxy = proxy.String()
			if key.scheme == "http" {
				key.host, key.port = "", ""
			}
		}
	}
	return key, proxy, nil
}

// splitHostPort splits u.Host into host and port ("" if none), without
// allocating: "[::1]:80" gives "[::1]" and "80".
func splitHostPort(hostport string) (host, port string) {
	i := strings.LastIndexByte(hostport, ':')
	if i < 0 || strings.IndexByte(hostport[i:], ']') >= 0 {
		return hostport, ""
	}
	return hostport[:i], hostport[i+1:]
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// idempotent reports whether req may be sent twice (RFC 9110 §9.2.2, and
// net/http's Idempotency-Key convention).
func idempotent(req *http.Request) bool {
	switch req.Method {
	case "", "GET", "HEAD", "OPTIONS", "TRACE":
		return true
	}
	_, a := req.Header["Idempotency-Key"]
	_, b := req.Header["X-Idempotency-Key"]
	return a || b
}

// hasBody reports whether req has a body to send.
func hasBody(req *http.Request) bool {
	return req.Body != nil && req.Body != http.NoBody
}

// rewind returns req ready to be sent again: with a fresh body from
// GetBody if it has one.
func rewind(req *http.Request) (*http.Request, error) {
	if !hasBody(req) {
		return req, nil
	}
	if req.GetBody == nil {
		return nil, errNotRewindable
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r := *req
	r.Body = body
	return &r, nil
}

func closeReqBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
