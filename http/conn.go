package http

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringnet/ringnet/internal/wire"
)

// maxOutBuffered is how many response bytes collect in c.out before
// they are written even though more pipelined requests are waiting.
const maxOutBuffered = 64 << 10

// conn is one client connection. One phase machine (run, connPhase)
// serves it, on its own goroutine (serve) or on an event loop
// (serveLoop, loop.go); its mode (mode.go) says which, and who owns it.
// ConnState callbacks report the coarser net/http states (New, Active,
// Idle, Hijacked, Closed).
type conn struct {
	srv *Server
	rwc net.Conn
	r   connReader // every byte read from rwc goes through here
	out outBuf     // every byte written to rwc collects here first
	// werr is the first write error; the connection closes after it.
	werr error
	// writes counts the writes to rwc, so a response can tell whether any
	// of it has left yet.
	writes int

	reuse      *connReuse // what its requests reuse, one after the other (response.go); nil while idle on a loop
	remoteAddr string
	ctx        context.Context
	created    time.Time
	watch      *watch // the client-gone watch of the request being served
	tlsState   *tls.ConnectionState
	lastMethod string // of the previous request
	mode       atomicMode
	// cleartextCheck: the first head must be looked at before it is
	// served (Server.cleartextCheck); cleared once it was.
	cleartextCheck bool

	mu         sync.Mutex // guards state and closedIdle, also read by Shutdown
	state      http.ConnState
	closedIdle bool // Shutdown closed rwc while the conn was idle
	// inFlight is the request context of the handler running, for Close
	// to cancel.
	inFlight atomic.Pointer[reqContext]
	// killed: Close closed the connection. On a loop the close takes
	// effect through the loop, maybe only once the handler returned
	// (ModeInline): meanwhile nothing more is written.
	killed atomic.Bool

	// On an event loop (loop.go); the fields belong to whoever serves
	// the connection, the loop or, after it left, its goroutine.
	ls     *loopServer // nil in the goroutine engine
	lr     *loopConn   // rwc, on the loops; nil in the goroutine engine
	loopIn []byte      // what OnData is serving
	// lcMu serializes, while a handler runs, what its side does with the
	// LoopConn (Write, Flush, Leave, Checkpoint) and the move off the
	// loop (the mode's leave, leaveErr): the body's reader, a 1xx and a
	// Flush may be on different goroutines, as net/http allows.
	lcMu       sync.Mutex
	leaveErr   error // why it failed leaving (modeLeft, with no net.Conn)
	bodyReader bool  // a handler runs whose body may be read: r is the body's
	lingered   int   // bytes dropped while lingering
	partial    int   // bytes of an unfinished request header held by the loop
	inHeader   bool  // the loop deadline is the header's: bytes that arrive do not move it
	inHandler  bool  // ServeHTTP is running (on the goroutine serving c)
	// Deadlines (Unix ns, 0 none) the sweeper enforces on the loop.
	loopDeadline, writeDeadline atomic.Int64
}

func newConn(s *Server, rwc net.Conn, ctx context.Context) *conn {
	c := &conn{srv: s, rwc: rwc, created: time.Now(), state: http.StateNew}
	c.r.conn = rwc
	if _, isTLS := rwc.(*tls.Conn); !isTLS && s.Protocols != nil {
		c.cleartextCheck = s.cleartextCheck()
	}
	c.remoteAddr = rwc.RemoteAddr().String()
	c.ctx = context.WithValue(ctx, http.LocalAddrContextKey, rwc.LocalAddr())
	return c
}

// connPhase is where the serving of a connection is, in the one phase
// machine (run) that serves it on its goroutine and on a loop:
//
//	handshake ─▶ read ─▶ serve ─▶ idle ─▶ read ─▶ …
//	    │          │ │      │   (a pipelined request skips the wait)
//	    │          │ ▼      ▼
//	    │          │ linger ─▶ close
//	    ▼          ▼
//	  http2 (TLS "h2", or the h2c preface): the HTTP/2 server's
//
// Where the engines differ, a phase asks the mode (mode.go). On a loop,
// read and idle end in wait when the bytes delivered hold no whole
// request: the machine returns to the loop, and serveLoop starts it again
// at read with the next bytes. A connection that left its loop goes back
// to one from idle (rejoin); linger and close on a loop go through it.
type connPhase uint8

const (
	phaseHandshake connPhase = iota // TLS handshake (TLS connections only)
	phaseRead                       // reading and parsing a request header
	phaseServe                      // running the handler, framing its response
	phaseIdle                       // between requests
	phaseLinger                     // half-closed, draining what the client sends
	phaseClose                      // closing, unless hijacked
	phaseWait                       // on a loop: back to it until more bytes arrive
	phaseRejoin                     // off its loop and idle: back to a loop
	phaseHTTP2                      // handed to the HTTP/2 server (h2.go)
)

// serve runs the connection on its goroutine (the goroutine engine) until
// it closes or is hijacked.
func (c *conn) serve() { c.run(phaseHandshake) }

// run drives the connection from phase until it closes, is hijacked, or
// returns to a loop (wait, rejoin, linger on the loop). held is how many
// of the bytes the loop delivered it keeps for the next delivery: the
// start of a request head (phaseWait).
func (c *conn) run(phase connPhase) (held int) {
	var w *response // the request being served
	for {
		switch phase {
		case phaseHandshake:
			phase = c.handshake()
		case phaseHTTP2:
			if c.toHTTP2() {
				return 0 // the HTTP/2 server's now (h2.go)
			}
			phase = phaseClose
		case phaseRead:
			w, phase = c.readPhase()
		case phaseServe:
			phase = c.servePhase(w)
		case phaseIdle:
			phase = c.idlePhase()
		case phaseWait:
			return c.waitOnLoop()
		case phaseRejoin:
			c.rejoinLoop() // c belongs to the loop it joins from here
			return 0
		case phaseLinger:
			if c.onLoop() {
				c.lingerOnLoop()
				return 0
			}
			c.lingerClose()
			phase = phaseClose
		case phaseClose:
			if !c.onLoop() {
				c.teardown()
				return 0
			}
			c.flush()
			c.closeOnLoop()
			c.setState(http.StateClosed)
			return 0
		}
	}
}

// readPhase reads the next request. A request refused before its handler
// is answered (when net/http answers it) and the connection closes.
func (c *conn) readPhase() (*response, connPhase) {
	w, err := c.readRequest()
	if err != wire.ErrNeedMore {
		c.inHeader = false // the next head's loop deadline starts at its first byte
	}
	switch {
	case err == nil:
		return w, phaseServe
	case err == errExpectation:
		c.expectationFailed(w)
		return nil, phaseClose
	case err == wire.ErrNeedMore:
		return nil, phaseWait // on a loop: the rest is to come
	case err == errHTTP2:
		return nil, phaseHTTP2
	}
	var re *requestError
	if !errors.As(err, &re) {
		return nil, phaseClose // EOF, timeout, reset: nobody to answer
	}
	c.out.b = appendErrorResponse(c.out.b, re)
	c.flush()
	return nil, phaseLinger
}

// servePhase runs the handler and decides what follows: the next request
// (responses stay buffered while another request is already read, so
// pipelined responses leave in one write), or the end.
func (c *conn) servePhase(w *response) connPhase {
	if !c.serveRequest(w) {
		if c.hijacked() {
			return phaseClose
		}
		c.flush()
		if w.body != nil && !w.body.eof {
			return phaseLinger // the client may still be sending the body
		}
		return phaseClose
	}
	if len(c.r.buffered()) == 0 || len(c.out.b) >= maxOutBuffered {
		if c.flush() != nil {
			return phaseClose
		}
	}
	return phaseIdle
}

// handshake completes the TLS handshake of a TLS connection, bounded by
// the header timeout, and records its state for Request.TLS. What follows
// is as ALPN chose, as in net/http: "h2" goes to the HTTP/2 server, none
// or HTTP/1 to the engine unless Protocols lacks HTTP1, and any other
// protocol the TLSConfig offered closes the connection.
func (c *conn) handshake() connPhase {
	tc, ok := c.rwc.(*tls.Conn)
	if !ok {
		return phaseRead
	}
	if d := c.srv.readHeaderTimeout(); d > 0 {
		tc.SetDeadline(time.Now().Add(d))
	}
	if err := tc.HandshakeContext(c.ctx); err != nil {
		var re tls.RecordHeaderError
		if errors.As(err, &re) && re.Conn != nil && string(re.RecordHeader[:]) != "" && looksLikeHTTP(re.RecordHeader[:]) {
			io.WriteString(re.Conn, "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
			re.Conn.Close()
			return phaseClose
		}
		c.srv.logf("http: TLS handshake error from "+c.remoteAddr, "err", err)
		return phaseClose
	}
	tc.SetDeadline(time.Time{})
	st := tc.ConnectionState()
	c.tlsState = &st
	switch st.NegotiatedProtocol {
	case "h2":
		return phaseHTTP2
	case "", "http/1.1", "http/1.0":
		if c.srv.protocols().HTTP1() {
			return phaseRead
		}
	}
	return phaseClose
}

func looksLikeHTTP(hdr []byte) bool {
	switch string(hdr) {
	case "GET /", "HEAD ", "POST ", "PUT /", "OPTIO":
		return true
	}
	return false
}

// idlePhase is the connection between requests: a request already
// buffered is read at once; else it waits for the next one on its loop,
// goes back to a loop if it left one, or, in the goroutine engine, waits
// on its goroutine.
func (c *conn) idlePhase() connPhase {
	if len(c.r.buffered()) > 0 {
		return phaseRead
	}
	switch c.mode.Load() {
	case modeLoop:
		return phaseWait
	case modeLeft:
		return phaseRejoin
	}
	if !c.waitForRequest() {
		return phaseClose
	}
	return phaseRead
}

// waitForRequest holds the connection on its goroutine, Idle, until the
// next request's first byte or IdleTimeout. It reports false when the
// connection is to close.
func (c *conn) waitForRequest() bool {
	c.r.release()
	c.setState(http.StateIdle)
	if d := c.srv.idleTimeout(); d > 0 {
		c.rwc.SetReadDeadline(time.Now().Add(d))
	} else {
		c.rwc.SetReadDeadline(time.Time{})
	}
	if err := c.r.fill(c.srv.headerLimit()); err != nil {
		return false
	}
	c.mu.Lock()
	closed := c.closedIdle
	c.mu.Unlock()
	return !closed
}

// readRequest reads and parses one request header and sets up its body
// and its response. Its errors are the connection's end: net errors
// close silently, a *requestError is answered first.
func (c *conn) readRequest() (*response, error) {
	s := c.srv
	if !c.onLoop() { // a loop reads the head for us, under its own deadline
		if d := s.readHeaderTimeout(); d > 0 {
			c.rwc.SetReadDeadline(time.Now().Add(d))
		} else {
			c.rwc.SetReadDeadline(time.Time{}) // not the idle deadline
		}
	}
	block, err := c.readHead()
	if err != nil {
		return nil, err
	}
	if c.cleartextCheck {
		if err := c.checkFirstHead(block); err != nil {
			return nil, err
		}
	}
	if len(block) <= maxReusedBlock {
		c.reuse.block = block
	}
	if !c.setActive() {
		return nil, net.ErrClosed // Shutdown closed it: the request is not served
	}
	now := c.now()
	if s.ReadTimeout > 0 {
		c.rwc.SetReadDeadline(now.Add(s.ReadTimeout))
	} else {
		c.rwc.SetReadDeadline(time.Time{})
	}
	if s.WriteTimeout > 0 {
		c.rwc.SetWriteDeadline(now.Add(s.WriteTimeout))
	}
	w := c.newResponse()
	req := w.req
	length, err := parseRequest(block, w.mem)
	if err != nil {
		return nil, err
	}
	c.lastMethod = req.Method
	req.RemoteAddr = c.remoteAddr
	req.TLS = c.tlsState
	var connField string
	if w.mem.seen&wire.KnownConnection != 0 {
		connField = req.Header.Get("Connection")
	}
	w.wantsClose = req.Close || wire.ContainsToken(connField, "close")
	// "close" wins over "keep-alive" (RFC 9112 §9.3), unlike in net/http.
	w.wants10KeepAlive = !w.wantsClose && req.ProtoMajor == 1 && req.ProtoMinor == 0 && wire.ContainsToken(connField, "keep-alive")
	switch {
	case length == 0:
		req.Body = http.NoBody
	case length == chunkedLength:
		w.body = &body{c: c, chunked: wire.NewChunkedReader(&c.r, &req.Trailer)}
	default:
		w.body = &body{c: c, left: length}
	}
	if w.body != nil {
		req.Body = w.body
	}
	if w.mem.seen&wire.KnownExpect == 0 {
		return w, nil
	}
	if expect := req.Header.Get("Expect"); expect != "" {
		if !wire.ContainsToken(expect, "100-continue") {
			return w, errExpectation
		}
		if req.ProtoAtLeast(1, 1) && w.body != nil {
			w.body.wantContinue.Store(true)
			w.body.expectContinue = true
		}
	}
	return w, nil
}

// readHead returns the next request head (takeHead): at once when it is
// buffered whole; else, off a loop, once the rest was read. On a loop it
// returns wire.ErrNeedMore: the loop delivers the rest when it comes.
//
// Before it waits for the rest, the responses to the requests before this
// one go out: the client may wait for them before it sends it.
func (c *conn) readHead() (string, error) {
	limit := c.srv.headerLimit()
	for {
		if c.lastMethod != "POST" || c.dropAfterPOST() {
			block, err := c.r.takeHead(limit, c.reused().block)
			if err != wire.ErrNeedMore {
				return block, err
			}
		}
		if err := c.flush(); err != nil {
			return "", err
		}
		if c.onLoop() {
			return "", wire.ErrNeedMore
		}
		if err := c.r.fill(limit); err != nil {
			if err == io.EOF && c.headBegun(len(c.r.buffered())) {
				// The request stopped half way; net/http answers 400.
				// Timeouts and other net errors close silently.
				return "", errBadRequest
			}
			return "", err
		}
	}
}

// dropAfterPOST drops the CR and LF that follow a POST before the next
// request: RFC 9112 §2.2 has a server ignore an empty line before a
// request line, and net/http drops up to 4 CR or LF after a POST (old
// clients count the CRLF after a body wrongly). It reports false while
// fewer than 4 bytes are buffered, all CR or LF, and the read has not
// failed: the next byte decides, as net/http's peek waits for it.
func (c *conn) dropAfterPOST() bool {
	buf := c.r.buffered()
	n := 0
	for n < len(buf) && n < 4 && (buf[n] == '\r' || buf[n] == '\n') {
		n++
	}
	if n == len(buf) && n < 4 && c.r.err == nil {
		return false
	}
	c.r.consume(n)
	c.lastMethod = "" // once per request
	return true
}

// headBegun reports whether n bytes held when the client stopped sending
// are a request begun, which net/http answers 400; none, or only the CR
// and LF dropped after a POST, are a client that went between requests.
func (c *conn) headBegun(n int) bool { return n > 0 && c.lastMethod != "POST" }

// serveRequest runs the handler for w's request and completes the
// response. It reports whether the connection can carry another request.
func (c *conn) serveRequest(w *response) (reusable bool) {
	wt := &w.mem.watch
	*wt = watch{c: c, ctx: &w.mem.ctx, bodyDone: w.body == nil}
	if w.body == nil {
		wt.ahead = len(c.r.buffered()) > 0 || c.r.err != nil
	}
	w.mem.ctx.init(c.ctx, wt)
	defer w.mem.ctx.cancel(context.Canceled) // done when ServeHTTP returns
	c.setWatch(wt)
	defer c.setWatch(nil) // after stop: an idle conn must not keep the response alive
	defer wt.stop()
	if w.body != nil {
		w.body.watch = wt
		c.bodyReader = true
		defer func() { c.bodyReader = false }()
	}
	// The Request stays where it is, in w: WithContext's copy is made on
	// the stack and copied back, with the context set.
	w.mem.req = *w.mem.req.WithContext(&w.mem.ctx)
	req := w.req
	if w.body != nil && w.body.chunked != nil {
		w.body.chunked.Trailer = &req.Trailer // the handler's copy
	}
	mark, writes := len(c.out.b), c.writes // where this response starts
	if !c.runHandler(w, req) {
		w.body.stop()
		return false // what was committed still goes out, as in net/http
	}
	if c.hijacked() {
		return false
	}
	w.finish()
	if w.body != nil {
		// Once a Read the handler left running on another goroutine
		// returned, as net/http's finishRequest waits for it.
		if w.closeAfter {
			w.body.stop()
		} else {
			w.body.Close()
		}
	}
	if w.body.malformed() && c.writes == writes {
		// The body broke the chunked syntax, and nothing of the handler's
		// response has left: the request is malformed, so it gets the
		// 400 a malformed head gets instead (net/http sends the handler's
		// response; docs/conformance.md).
		c.out.b = appendErrorResponse(c.out.b[:mark], badRequest(w.body.err.Error()))
		return false
	}
	return w.reusable()
}

// runHandler calls the handler and recovers its panic: the panic and
// its stack are logged (http.ErrAbortHandler silently) and the
// connection closes without the unfinished response.
func (c *conn) runHandler(w *response, req *http.Request) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			ok = false
			if p != http.ErrAbortHandler {
				buf := make([]byte, 64<<10)
				buf = buf[:runtime.Stack(buf, false)]
				c.srv.logf("http: panic serving "+c.remoteAddr, "panic", p, "stack", string(buf))
			}
		}
	}()
	h := c.srv.Handler
	if h == nil {
		h = http.DefaultServeMux
	}
	if req.RequestURI == "*" && req.Method == "OPTIONS" {
		h = globalOptionsHandler{}
	}
	c.inHandler = true
	defer func() { c.inHandler = false }()
	c.serveHandler(h, w, req)
	return true
}

// globalOptionsHandler answers "OPTIONS *" as net/http does.
type globalOptionsHandler struct{}

func (globalOptionsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", "0")
	if r.ContentLength != 0 {
		io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 4<<10))
	}
}

// teardown closes the connection unless a handler hijacked it.
func (c *conn) teardown() {
	if c.hijacked() {
		return
	}
	c.flush()
	c.rwc.Close()
	c.setState(http.StateClosed)
	if c.mode.Load() == modeLeft {
		c.ls.connGone() // off its loop, no OnClose counts it
	}
}

// setWatch records the watch of the request being served (nil once it
// was served).
func (c *conn) setWatch(wt *watch) {
	c.watch = wt
	if wt != nil {
		c.inFlight.Store(wt.ctx)
	} else {
		c.inFlight.Store(nil)
	}
}

// cancelInFlight cancels the context of the request being served, for
// Close (which has set killed first): as in net/http, where closing the
// connection ends the read that watches it, a handler waiting on its
// context returns. On a loop whose handler holds it (ModeInline) nothing
// else would tell it.
func (c *conn) cancelInFlight() {
	if ctx := c.inFlight.Load(); ctx != nil {
		ctx.gone()
	}
}

// setState moves the connection to st and tells the Server's ConnState.
func (c *conn) setState(st http.ConnState) {
	c.mu.Lock()
	if c.state == st {
		c.mu.Unlock()
		return
	}
	c.state = st
	c.mu.Unlock()
	c.stateChanged(st)
}

// setActive moves the connection to StateActive once a request header
// was read, unless Shutdown closed it as idle meanwhile (closeIfIdle): the
// check and the move are one step under c.mu, so a request is either
// dropped unserved, or served while Shutdown waits for it. It reports
// whether the request is to be served.
func (c *conn) setActive() bool {
	c.mu.Lock()
	if c.closedIdle {
		c.mu.Unlock()
		return false
	}
	if c.state == http.StateActive {
		c.mu.Unlock()
		return true
	}
	c.state = http.StateActive
	c.mu.Unlock()
	c.stateChanged(http.StateActive)
	return true
}

// stateChanged tells the Server that the connection moved to st.
func (c *conn) stateChanged(st http.ConnState) {
	s := c.srv
	switch st {
	case http.StateHijacked, http.StateClosed:
		s.untrack(c)
	}
	if s.ConnState != nil {
		s.ConnState(c.rwc, st)
	}
}

// closeIfIdle closes the connection when it waits between requests (or
// has waited for its first request for 5 s), for Shutdown.
func (c *conn) closeIfIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	idle := c.state == http.StateIdle || c.state == http.StateNew && time.Since(c.created) > 5*time.Second
	if idle && !c.closedIdle {
		c.closedIdle = true
		c.rwc.Close()
	}
}
