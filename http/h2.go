package http

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
)

// HTTP/2. HTTP/1.x is this package's engine; HTTP/2 is net/http's own
// (its bundled copy of golang.org/x/net/http2): a TLS connection that
// negotiated "h2" by ALPN, and, when Protocols has UnencryptedHTTP2, a
// cleartext one that opens with the HTTP/2 preface (h2c with prior
// knowledge), is handed to one net/http.Server per Server, which serves
// only HTTP/2, through a listener of handed-off connections. So what
// net/http maps onto HTTP/2 maps the same way, by construction: IdleTimeout,
// ReadTimeout and WriteTimeout per stream, MaxHeaderBytes as
// SETTINGS_MAX_HEADER_LIST_SIZE, the HTTP2 field, ConnState's Active and
// Idle, panics, GOAWAY on Shutdown. (x/net/http2's Server.ServeConn is
// deprecated for net/http.Server.Serve, and could not be reached by
// Shutdown from Go 1.27: docs/design.md, "HTTP/2".)
//
// A handed connection stays tracked by the Server, Active, until the
// HTTP/2 server reports it closed: Shutdown waits for it (after the
// GOAWAY) and Close closes it, as for an HTTP/1 connection. MaxConns
// counts it. The HTTP/2 server starts with the first connection for it
// (or with ServeTLS, which returns its set-up error), and stops once the
// Server serves no listener and it no connection, as the loops do: so
// the package-level ServeTLS, which nothing shuts down, leaves nothing
// running once its listener is closed and its connections are done.

// http2Preface is the head the HTTP/2 client preface reads as in HTTP/1
// (RFC 9113 §3.4: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"): the engine takes
// it for a request head before it sees the rest.
const http2Preface = "PRI * HTTP/2.0\r\n\r\n"

// errHTTP2 is readRequest's way to say that the head read is the HTTP/2
// preface of a cleartext connection to serve as h2c.
var errHTTP2 = errors.New("http: HTTP/2 preface")

// protocols is the set of protocols the Server serves, as net/http
// resolves its Protocols field: nil means HTTP/1 and HTTP/2 (over TLS).
func (s *Server) protocols() http.Protocols {
	if s.Protocols != nil {
		return *s.Protocols
	}
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetHTTP2(true)
	return p
}

// cleartextCheck reports whether the first head of a cleartext
// connection must be looked at before it is served as HTTP/1: the HTTP/2
// preface when Protocols has UnencryptedHTTP2, anything at all when it
// lacks HTTP1 (such a connection is closed unanswered, as in net/http).
func (s *Server) cleartextCheck() bool {
	p := s.protocols()
	return p.UnencryptedHTTP2() || !p.HTTP1()
}

// nextProtos is the ALPN list ServeTLS offers: the TLSConfig's, with "h2"
// and "http/1.1" added or removed as protocols says, as net/http's
// ServeTLS has it (other protocols, such as acme-tls/1, stay first).
func nextProtos(have []string, protocols http.Protocols) []string {
	out := slices.DeleteFunc(slices.Clone(have), func(p string) bool {
		return p == "h2" && !protocols.HTTP2() || p == "http/1.1" && !protocols.HTTP1()
	})
	if protocols.HTTP2() && !slices.Contains(out, "h2") {
		out = append(out, "h2")
	}
	if protocols.HTTP1() && !slices.Contains(out, "http/1.1") {
		out = append(out, "http/1.1")
	}
	return out
}

// h2Server is the net/http.Server that serves a Server's HTTP/2
// connections, and what it was handed.
type h2Server struct {
	s    *Server
	srv  *http.Server
	ln   *handoffListener
	done chan struct{} // closed when srv.Serve has returned
	// servesH2: net/http set up its HTTP/2 ("h2" in TLSNextProto); not
	// under GODEBUG=http2server=0.
	servesH2 bool

	mu    sync.Mutex
	conns map[net.Conn]*conn // handed to srv and not yet closed, by what srv sees
}

// http2 returns the Server's HTTP/2 server, started if need be, with c
// registered as the connection it is handed as nc (if c is not nil). It
// fails once the Server shuts down, and when net/http's HTTP/2 set-up
// refuses the configuration (TLSConfig.CipherSuites without the one
// HTTP/2 requires), with net/http's error.
func (s *Server) http2(nc net.Conn, c *conn) (*h2Server, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shuttingDown() {
		return nil, ErrServerClosed
	}
	if s.h2 == nil {
		h, err := s.startHTTP2()
		if err != nil {
			return nil, err
		}
		s.h2 = h
	}
	if c != nil {
		s.h2.mu.Lock()
		s.h2.conns[nc] = c
		s.h2.mu.Unlock()
	}
	return s.h2, nil
}

// startHTTP2 starts an HTTP/2 server, under s.mu.
func (s *Server) startHTTP2() (*h2Server, error) {
	h := &h2Server{s: s, ln: newHandoffListener(), done: make(chan struct{}), conns: make(map[net.Conn]*conn)}
	srv := s.netHTTPView()
	if srv.TLSConfig != nil {
		srv.TLSConfig = srv.TLSConfig.Clone() // net/http's HTTP/2 set-up edits it
	}
	srv.Protocols = new(http.Protocols)
	srv.Protocols.SetHTTP2(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	srv.BaseContext = nil
	srv.ConnContext = h.connContext
	srv.ConnState = h.connState
	srv.ErrorLog = slog.NewLogLogger(s.logger().Handler(), slog.LevelError)
	h.srv = srv
	var err error
	go func() {
		defer close(h.done)
		err = srv.Serve(h.ln)
	}()
	select {
	case <-h.ln.accepting: // past the HTTP/2 set-up
	case <-h.done:
		return nil, err
	}
	h.servesH2 = srv.TLSNextProto["h2"] != nil
	return h, nil
}

// stopUnusedHTTP2 stops the HTTP/2 server, under s.mu, if the Server
// serves no listener and it no connection; the next connection for it
// starts another.
func (s *Server) stopUnusedHTTP2() {
	h := s.h2
	if h == nil || len(s.listeners) > 0 {
		return
	}
	h.mu.Lock()
	n := len(h.conns)
	h.mu.Unlock()
	if n == 0 {
		h.srv.Close()
		<-h.done
		s.h2 = nil
	}
}

// serveHTTP2 hands the connection, which nc reads and writes, to the
// Server's HTTP/2 server, and reports whether it took it; the caller
// closes it if not. As in net/http, the connection turns Active without
// telling ConnState, so that Shutdown does not close it as idle; the
// HTTP/2 server reports Active and Idle as its streams come and go.
func (c *conn) serveHTTP2(nc net.Conn) bool {
	c.mu.Lock()
	c.state = http.StateActive
	c.mu.Unlock()
	// Once Shutdown began, http2 fails: a connection that got here then
	// would miss the GOAWAY, and closes as an idle one would.
	h, err := c.srv.http2(nc, c)
	if err != nil {
		return false
	}
	if !h.ln.hand(nc) {
		h.mu.Lock()
		delete(h.conns, nc)
		h.mu.Unlock()
		return false
	}
	return true
}

// toHTTP2 hands the connection to the HTTP/2 server (phaseHTTP2) and
// reports whether it took it. A TLS connection goes as it is. A cleartext
// one whose first head was the HTTP/2 preface (h2c) goes off its loop, if
// on one, for good (the HTTP/2 server reads and writes it on goroutines
// of its own), with the preface and what followed it put back in front.
func (c *conn) toHTTP2() bool {
	if c.tlsState != nil {
		return c.serveHTTP2(c.rwc)
	}
	nc := c.rwc
	if c.lr != nil {
		if err := c.leaveLoop(true); err != nil {
			return false
		}
		nc = c.lr.conn()
	}
	prefix := append([]byte(http2Preface), c.r.buffered()...)
	c.r.buf, c.r.r, c.r.w = nil, 0, 0
	if !c.serveHTTP2(&prefixConn{Conn: nc, prefix: prefix}) {
		return false
	}
	if c.ls != nil {
		c.ls.connGone() // off the loops for good: no OnClose or teardown counts it
	}
	return true
}

// connContext gives the HTTP/2 server the context the connection was
// given when accepted (BaseContext, ConnContext): net/http would derive
// one of its own.
func (h *h2Server) connContext(ctx context.Context, nc net.Conn) context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c := h.conns[nc]; c != nil {
		return c.ctx
	}
	return ctx
}

// connState passes the HTTP/2 server's ConnState on as the connection's:
// New was told when it was accepted, Active and Idle go to the Server's
// hook as they come, and Closed ends the connection for the Server.
func (h *h2Server) connState(nc net.Conn, st http.ConnState) {
	h.mu.Lock()
	c := h.conns[nc]
	if st == http.StateClosed {
		delete(h.conns, nc)
	}
	h.mu.Unlock()
	switch {
	case c == nil || st == http.StateNew:
	case st == http.StateClosed:
		c.setState(http.StateClosed)
		h.s.mu.Lock()
		h.s.stopUnusedHTTP2()
		h.s.mu.Unlock()
	case h.s.ConnState != nil:
		h.s.ConnState(c.rwc, st)
	}
}

// shutdownHTTP2 starts the HTTP/2 server's Shutdown (GOAWAY on every
// connection, then waiting for their streams, bounded by ctx) if it
// runs, and returns what it returns, once it has.
func (s *Server) shutdownHTTP2(ctx context.Context) <-chan error {
	res := make(chan error, 1)
	s.mu.Lock()
	h := s.h2
	s.mu.Unlock()
	if h == nil {
		res <- nil
		return res
	}
	go func() {
		err := h.srv.Shutdown(ctx)
		<-h.done
		res <- err
	}()
	return res
}

// closeHTTP2 closes the HTTP/2 server, if it runs, and its connections.
func (s *Server) closeHTTP2() {
	s.mu.Lock()
	h := s.h2
	s.mu.Unlock()
	if h != nil {
		h.srv.Close()
		<-h.done
	}
}

// handoffListener is the listener of the HTTP/2 server: its Accept
// returns the connections handed to it.
type handoffListener struct {
	conns     chan net.Conn
	accepting chan struct{} // closed by the first Accept
	closed    chan struct{} // closed by Close
	firstOnce sync.Once
	closeOnce sync.Once
}

func newHandoffListener() *handoffListener {
	return &handoffListener{conns: make(chan net.Conn), accepting: make(chan struct{}), closed: make(chan struct{})}
}

// hand gives nc to Accept, and reports false if the listener closed first.
func (l *handoffListener) hand(nc net.Conn) bool {
	select {
	case l.conns <- nc:
		return true
	case <-l.closed:
		return false
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	l.firstOnce.Do(func() { close(l.accepting) })
	select {
	case nc := <-l.conns:
		return nc, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return handoffAddr{} }

type handoffAddr struct{}

func (handoffAddr) Network() string { return "handoff" }
func (handoffAddr) String() string  { return "handoff" }

// prefixConn reads prefix, bytes the engine read from the connection,
// before what follows on it. It has no ConnectionState: net/http takes it
// for the cleartext connection it is.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// checkFirstHead looks at the first head of a cleartext connection, when
// Protocols asks (cleartextCheck): the HTTP/2 preface is errHTTP2 if
// Protocols has UnencryptedHTTP2, and with HTTP1 off any other head
// closes the connection unanswered, as in net/http.
func (c *conn) checkFirstHead(block string) error {
	c.cleartextCheck = false
	p := c.srv.protocols()
	if block == http2Preface && p.UnencryptedHTTP2() {
		return errHTTP2
	}
	if !p.HTTP1() {
		return net.ErrClosed
	}
	return nil
}
