package http

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringnet/ringnet/netfd"
)

// Defaults for the zero Server. net/http has no header or idle timeout by
// default, which lets idle or slow clients hold connections forever; its
// header limit is the same 1 MiB.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultMaxHeaderBytes    = http.DefaultMaxHeaderBytes // 1 MiB
)

// Server serves HTTP/1.x with net/http Handlers. Its fields mean what
// net/http.Server's mean; the zero value is ready to use, with the safe
// defaults above. Fields must not change once serving has started.
type Server struct {
	// Addr is the TCP address ListenAndServe listens on; "" means ":http".
	Addr string
	// Handler serves requests; nil means http.DefaultServeMux.
	Handler http.Handler
	// Backend the listener of ListenAndServe runs on; "" means netfd.Auto.
	// BackendInUse reports what it resolved to.
	Backend netfd.Backend
	// TLSConfig is used by ServeTLS and ListenAndServeTLS. ALPN offers
	// its NextProtos with "h2" and "http/1.1" added or removed as
	// Protocols says.
	TLSConfig *tls.Config
	// Protocols is the set of protocols served, as in net/http: nil means
	// HTTP/1 and, over TLS, HTTP/2. HTTP/2 runs on net/http's own
	// implementation, HTTP/1 on this package's engine. Without HTTP2,
	// ALPN does not offer "h2" (what net/http's TLSNextProto set to an
	// empty map did); with UnencryptedHTTP2, a cleartext connection that
	// opens with the HTTP/2 preface is served as HTTP/2 (h2c with prior
	// knowledge; by default the preface is answered 505); without HTTP1,
	// a connection that does not speak HTTP/2 is closed.
	Protocols *http.Protocols
	// HTTP2 configures HTTP/2 connections, as in net/http; nil means
	// net/http's defaults.
	HTTP2 *http.HTTP2Config

	// ReadTimeout bounds reading a whole request, body included; zero
	// means no limit.
	ReadTimeout time.Duration
	// ReadHeaderTimeout bounds reading a request header; zero means
	// ReadTimeout if set, else DefaultReadHeaderTimeout; negative means
	// no limit.
	ReadHeaderTimeout time.Duration
	// WriteTimeout bounds writing a response, from the end of its request
	// header; zero means no limit.
	WriteTimeout time.Duration
	// IdleTimeout bounds the wait for the next request on a keep-alive
	// connection; zero means ReadTimeout if set, else DefaultIdleTimeout;
	// negative means no limit.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request line and header; zero means
	// DefaultMaxHeaderBytes. Like net/http, 4096 bytes of slack are
	// allowed; a larger header is answered with 431.
	MaxHeaderBytes int
	// MaxConns, if positive, bounds the connections open at once: at
	// the limit the server stops accepting, and the connections that
	// arrive wait in the listen queue until one closes, as with
	// golang.org/x/net/netutil.LimitListener. A hijacked connection
	// stops counting. Zero means no limit.
	MaxConns int
	// ConnState, if set, is called when a connection changes state.
	ConnState func(net.Conn, http.ConnState)
	// ErrorLog receives handler panics and misuse; nil means slog.Default().
	// It is the one field whose type differs from net/http.Server's
	// (*log.Logger). To keep writing where a *log.Logger l wrote, use
	// slog.New(slog.NewTextHandler(l.Writer(), nil)); slog.NewLogLogger
	// goes the other way, turning a slog.Handler into a *log.Logger for
	// net/http.
	ErrorLog *slog.Logger
	// Mode says how handlers run on a netfd listener: inline on event
	// loops with the hand-off (the zero ModeAuto), inline without it, or
	// on a goroutine per connection. TLS and non-netfd listeners always
	// get a goroutine per connection.
	Mode Mode
	// BaseContext, if set, gives the base context of requests accepted on
	// a listener. ConnContext, if set, derives a connection's context.
	BaseContext func(net.Listener) context.Context
	ConnContext func(ctx context.Context, c net.Conn) context.Context

	date dateCache
	h2   *h2Server // serves the HTTP/2 connections (h2.go); nil until one needs it; guarded by mu

	inShutdown   atomic.Bool
	noKeepAlives atomic.Bool // SetKeepAlivesEnabled(false)
	mu           sync.Mutex
	onShutdown   []func()
	stop         chan struct{} // closed when Shutdown or Close starts; guarded by mu
	slots        chan struct{} // MaxConns: one token per connection open; nil without a limit
	slotsOnce    sync.Once
	acceptLog    rateLog // accept errors
	listeners    map[*net.Listener]struct{}
	backend      netfd.Backend // of the listener the latest Serve runs on; guarded by mu
	conns        map[*conn]struct{}
	serving      sync.WaitGroup // Serve loops
	loops        []*netfd.Loops // event loops serving netfd listeners
	handOffsGone uint64         // the hand-offs of loops closed since (LoopStats)
	sweepStop    chan struct{}  // the sweeper of loop connections' deadlines
	sweepDone    chan struct{}
	swept        atomic.Uint64 // connections the sweeper closed (LoopStats)
	// blockingRoutes are the routes whose handlers were seen to block:
	// on a loop they run handed off from the start (loop.go).
	blockingRoutes routeSet
	// loopCount is the number of event loops per listener; 0 means
	// netfd's default (one per P). Tests set it (export_test.go) to put
	// every connection on one loop.
	loopCount int
}

// ListenAndServe listens on s.Addr with s.Backend and serves.
func (s *Server) ListenAndServe() error {
	if s.shuttingDown() {
		return ErrServerClosed
	}
	ln, err := s.listen()
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// ListenAndServeTLS is ListenAndServe over TLS (crypto/tls on the netfd
// listener), with certificates from the files unless TLSConfig has some.
func (s *Server) ListenAndServeTLS(certFile, keyFile string) error {
	if s.shuttingDown() {
		return ErrServerClosed
	}
	ln, err := s.listen()
	if err != nil {
		return err
	}
	return s.ServeTLS(ln, certFile, keyFile)
}

// ServeTLS is Serve over TLS on l, as net/http.Server.ServeTLS: the
// certificate comes from the files unless TLSConfig has one (or a
// GetCertificate or GetConfigForClient), and ALPN offers "h2" and
// "http/1.1" (Protocols; no "h2" under GODEBUG=http2server=0, as in
// net/http). HTTP/2 connections are served by net/http's
// HTTP/2 server (h2.go), HTTP/1 ones by this package's engine, on a
// goroutine each. BackendInUse reports the backend of l, under the TLS.
func (s *Server) ServeTLS(l net.Listener, certFile, keyFile string) error {
	cfg := &tls.Config{}
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	}
	if len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			l.Close()
			return err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	protocols := s.protocols()
	if protocols.HTTP2() {
		h, err := s.http2(nil, nil)
		if err != nil {
			l.Close()
			return err
		}
		// GODEBUG=http2server=0 turns net/http's HTTP/2 off: then ALPN
		// must not offer it either.
		protocols.SetHTTP2(h.servesH2)
	}
	cfg.NextProtos = nextProtos(cfg.NextProtos, protocols)
	b, _ := netfd.BackendOf(l)
	return s.serve(tls.NewListener(l, cfg), b)
}

func (s *Server) listen() (net.Listener, error) {
	addr := s.Addr
	if addr == "" {
		addr = ":http"
	}
	lc := netfd.ListenConfig{Backend: s.Backend}
	return lc.Listen(context.Background(), "tcp", addr)
}

// Serve accepts connections on l and serves each on its own goroutine.
// It closes l when it returns, which is with ErrServerClosed after
// Shutdown or Close, else with the Accept error.
func (s *Server) Serve(l net.Listener) error {
	b, _ := netfd.BackendOf(l)
	return s.serve(l, b)
}

// BackendInUse reports the backend of the listener Serve runs on, the
// latest one if there are several: netfd.Epoll or netfd.Uring for a netfd
// listener (ListenAndServe's, or one given to Serve or ServeTLS) or a
// listener with a Backend() netfd.Backend method; "" for any other, Go's
// own included, and before Serve has started. A handler may call it.
// (The method is not named Backend because the field that asks for one
// is.)
func (s *Server) BackendInUse() netfd.Backend {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.backend
}

// serve is Serve on l, which runs on backend b ("" if not netfd's).
func (s *Server) serve(l net.Listener, b netfd.Backend) error {
	if !s.trackListener(&l, true) {
		l.Close()
		return ErrServerClosed
	}
	defer s.trackListener(&l, false)
	s.mu.Lock()
	s.backend = b
	s.mu.Unlock()
	ctx := context.Background()
	if s.BaseContext != nil {
		if ctx = s.BaseContext(l); ctx == nil {
			panic("BaseContext returned a nil context")
		}
	}
	ctx = s.withServer(ctx)
	if nl, ok := l.(*netfd.Listener); ok && s.Mode != ModeGoroutine {
		return s.serveLoops(nl, ctx)
	}
	return s.acceptLoop(func() error {
		rwc, err := l.Accept()
		if err != nil {
			return err
		}
		cctx := ctx
		if s.ConnContext != nil {
			cctx = s.ConnContext(ctx, rwc)
		}
		c := newConn(s, rwc, cctx)
		if !s.track(c) {
			rwc.Close()
			return nil
		}
		if s.ConnState != nil {
			s.ConnState(rwc, http.StateNew)
		}
		go c.serve()
		return nil
	})
}

// acceptLoop calls accept, which takes one connection and starts serving
// it, until the server shuts down or accept fails for good. Under
// MaxConns it first waits for a free slot, which the connection accept
// took holds until untrack. A temporary error (EMFILE, ENFILE and the
// like) is logged, at most once a second, and the next accept waits 5 ms,
// doubling up to 1 s, as in net/http: the connection the kernel could not
// give a descriptor stays in the listen queue until then, and those being
// served go on.
func (s *Server) acceptLoop(accept func() error) error {
	var backoff time.Duration
	for {
		if !s.acquireSlot() {
			return ErrServerClosed
		}
		err := accept()
		if err == nil {
			backoff = 0
			continue
		}
		s.releaseSlot()
		if s.shuttingDown() {
			return ErrServerClosed
		}
		var te interface{ Temporary() bool }
		if !errors.As(err, &te) || !te.Temporary() {
			return err
		}
		backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
		if n, ok := s.acceptLog.allow(time.Now()); ok {
			s.logf("http: accept error; retrying", "err", err, "retry_in", backoff, "suppressed", n)
		}
		select {
		case <-time.After(backoff):
		case <-s.stopped():
		}
	}
}

// acquireSlot waits, under MaxConns, until fewer than MaxConns
// connections are open and takes a slot for the next one; false once the
// server shuts down.
func (s *Server) acquireSlot() bool {
	slots := s.connSlots()
	if slots == nil {
		return !s.shuttingDown()
	}
	select {
	case slots <- struct{}{}:
		return true
	case <-s.stopped():
		return false
	}
}

// releaseSlot frees a slot acquireSlot took.
func (s *Server) releaseSlot() {
	if slots := s.connSlots(); slots != nil {
		<-slots
	}
}

func (s *Server) connSlots() chan struct{} {
	s.slotsOnce.Do(func() {
		if s.MaxConns > 0 {
			s.slots = make(chan struct{}, s.MaxConns)
		}
	})
	return s.slots
}

// stopped is closed when Shutdown or Close starts.
func (s *Server) stopped() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop == nil {
		s.stop = make(chan struct{})
	}
	return s.stop
}

// A rateLog lets one line through per second and counts the others.
type rateLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// allow reports whether a line may be written at now, and how many were
// held back since the last one that was.
func (r *rateLog) allow(now time.Time) (suppressed int, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.last.IsZero() && now.Sub(r.last) < time.Second {
		r.suppressed++
		return 0, false
	}
	suppressed, r.last, r.suppressed = r.suppressed, now, 0
	return suppressed, true
}

// Shutdown stops accepting, closes idle connections, sends HTTP/2
// connections a GOAWAY, waits for active ones to finish their requests,
// and returns nil when all are closed, or ctx's error if ctx ends first.
// Hijacked connections are not tracked.
func (s *Server) Shutdown(ctx context.Context) error {
	s.inShutdown.Store(true)
	s.mu.Lock()
	for _, f := range s.onShutdown {
		go f()
	}
	s.mu.Unlock()
	err := s.closeListeners()
	s.serving.Wait()
	h2done := s.shutdownHTTP2(ctx)
	wait := time.Millisecond
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		if s.closeIdleConns() {
			if h2err := <-h2done; err == nil {
				err = h2err
			}
			return err
		}
		select {
		case <-ctx.Done():
			<-h2done // it ends with ctx too
			return ctx.Err()
		case <-timer.C:
			// Connections turn idle without telling Shutdown; poll with
			// backoff, as net/http does.
			wait = min(2*wait, 500*time.Millisecond)
			timer.Reset(wait)
		}
	}
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	s.inShutdown.Store(true)
	err := s.closeListeners()
	s.serving.Wait()
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		c.killed.Store(true)
		c.rwc.Close()
		delete(s.conns, c)
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.cancelInFlight()
	}
	s.closeHTTP2()
	s.closeLoops()
	return err
}

// RegisterOnShutdown registers f to be called on its own goroutine when
// Shutdown starts, as net/http.Server.RegisterOnShutdown: for hijacked
// connections, which Shutdown does not track.
func (s *Server) RegisterOnShutdown(f func()) {
	s.mu.Lock()
	s.onShutdown = append(s.onShutdown, f)
	s.mu.Unlock()
}

// SetKeepAlivesEnabled controls HTTP keep-alive (on by default): when
// off, every response closes its connection, as in net/http.
func (s *Server) SetKeepAlivesEnabled(v bool) {
	s.noKeepAlives.Store(!v)
	if !v {
		s.mu.Lock()
		for c := range s.conns {
			c.closeIfIdle()
		}
		s.mu.Unlock()
	}
}

func (s *Server) shuttingDown() bool { return s.inShutdown.Load() }

// keepAlives reports whether a response may leave its connection open.
func (s *Server) keepAlives() bool { return !s.inShutdown.Load() && !s.noKeepAlives.Load() }

func (s *Server) trackListener(l *net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.shuttingDown() {
			return false
		}
		if s.listeners == nil {
			s.listeners = make(map[*net.Listener]struct{})
		}
		s.listeners[l] = struct{}{}
		s.serving.Add(1)
		return true
	}
	if _, ok := s.listeners[l]; ok {
		delete(s.listeners, l)
		(*l).Close()
	}
	s.stopUnusedHTTP2()
	s.serving.Done()
	return true
}

func (s *Server) closeListeners() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop == nil {
		s.stop = make(chan struct{})
	}
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	var err error
	for l := range s.listeners {
		if cerr := (*l).Close(); cerr != nil && err == nil {
			err = cerr
		}
		delete(s.listeners, l)
	}
	return err
}

func (s *Server) track(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shuttingDown() {
		s.releaseSlot() // the slot its accept took
		return false
	}
	if s.conns == nil {
		s.conns = make(map[*conn]struct{})
	}
	s.conns[c] = struct{}{}
	return true
}

// untrack forgets c, closed or hijacked, and frees its MaxConns slot.
func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	_, ok := s.conns[c]
	delete(s.conns, c)
	s.mu.Unlock()
	if ok {
		s.releaseSlot()
	}
}

// closeIdleConns closes the idle connections and reports whether no
// connection is left (closed ones leave when their goroutine ends), nor
// any event loop: a loop closes itself once the last of its connections
// has sent what it queued and is closed (loopServer.connGone).
func (s *Server) closeIdleConns() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.closeIfIdle()
	}
	return len(s.conns) == 0 && len(s.loops) == 0
}

// ServerContextKey is a context key. In a handler of this package's
// Server, the request context holds the *Server serving it under this key.
// Under net/http's own http.ServerContextKey it holds an *http.Server, as
// code written for net/http asserts (middleware that reads the server's
// timeouts): a description of this Server's settings, not the server that
// serves (docs/conformance.md).
var ServerContextKey = &contextKey{"ringhttp-server"}

type contextKey struct{ name string }

func (k *contextKey) String() string { return "ringhttp context value " + k.name }

// withServer returns ctx holding s under ServerContextKey and net/http's.
func (s *Server) withServer(ctx context.Context) context.Context {
	ctx = context.WithValue(ctx, ServerContextKey, s)
	return context.WithValue(ctx, http.ServerContextKey, s.netHTTPView())
}

// netHTTPView is the *http.Server that http.ServerContextKey holds: this
// Server's settings in net/http's fields, the timeouts as they take
// effect (0: none). Its methods are not this Server's: Shutdown or Close
// on it stops nothing.
func (s *Server) netHTTPView() *http.Server {
	v := &http.Server{
		Addr:              s.Addr,
		Handler:           s.Handler,
		TLSConfig:         s.TLSConfig,
		ReadTimeout:       max(s.ReadTimeout, 0),
		ReadHeaderTimeout: s.readHeaderTimeout(),
		WriteTimeout:      max(s.WriteTimeout, 0),
		IdleTimeout:       s.idleTimeout(),
		MaxHeaderBytes:    s.MaxHeaderBytes,
		Protocols:         s.Protocols,
		HTTP2:             s.HTTP2,
		ConnState:         s.ConnState,
		BaseContext:       s.BaseContext,
		ConnContext:       s.ConnContext,
	}
	if v.MaxHeaderBytes <= 0 {
		v.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if s.ErrorLog != nil {
		v.ErrorLog = slog.NewLogLogger(s.ErrorLog.Handler(), slog.LevelError)
	}
	return v
}

func (s *Server) readHeaderTimeout() time.Duration {
	return timeout(s.ReadHeaderTimeout, s.ReadTimeout, DefaultReadHeaderTimeout)
}

func (s *Server) idleTimeout() time.Duration {
	return timeout(s.IdleTimeout, s.ReadTimeout, DefaultIdleTimeout)
}

// timeout resolves a timeout setting: positive is itself, negative is none,
// zero falls back to ReadTimeout if that is set (as in net/http), else to def.
func timeout(own, readTimeout, def time.Duration) time.Duration {
	switch {
	case own > 0:
		return own
	case own < 0:
		return 0
	case readTimeout > 0:
		return readTimeout
	}
	return def
}

// headerLimit is how many bytes the request line and header may take.
func (s *Server) headerLimit() int {
	n := s.MaxHeaderBytes
	if n <= 0 {
		n = DefaultMaxHeaderBytes
	}
	return n + 4096
}

func (s *Server) logf(msg string, args ...any) { s.logger().Error(msg, args...) }

// logger is ErrorLog, or slog.Default().
func (s *Server) logger() *slog.Logger {
	if s.ErrorLog == nil {
		return slog.Default()
	}
	return s.ErrorLog
}
