package http

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringnet/ringnet/netfd"
)

// Serving on netfd's event loops, the default for a netfd listener: bytes
// arrive in a loop's OnData; every request complete in them is parsed and
// its handler runs right there, on the loop goroutine, and the responses
// of one read leave in one write at the end of the loop's pass. An idle
// connection holds no goroutine and no buffer.
//
// The same conn type and phase machine (run) serve both ways; on a loop
// its rwc is a loopConn (c.lr), and its mode (mode.go) is modeLoop until a
// handler needs what only a goroutine can do: read body bytes that have
// not arrived, hijack, write after its loop was handed off because it
// blocked. Then it leaves the loop (modeLeft: netfd's LoopConn.Leave),
// goes on as in the goroutine engine until it is idle, and goes back to a
// loop (Loops.Attach).
//
// Timeouts: a loop connection has no goroutine to time out; a sweeper per
// Server closes the ones whose header, idle or write deadline passed.

// Mode says how a Server runs handlers on a netfd listener.
type Mode uint8

const (
	// ModeAuto runs handlers inline on netfd's event loops, handing a
	// loop to a new goroutine when a handler blocks for more than a
	// millisecond. TLS and other listeners get a goroutine per
	// connection.
	ModeAuto Mode = iota
	// ModeInline runs handlers inline on the loops with no hand-off: for
	// handlers that never block. It saves the watchdog's wake-ups. What
	// it gives up:
	//
	//   - A handler that blocks (sleeps, waits on a lock, a channel or a
	//     database) stalls its loop's other connections until it returns.
	//   - While a handler holds its loop, the loop cannot see the client
	//     go: the request context is canceled (and CloseNotify told) only
	//     when the handler calls Done, Err or CloseNotify after the client
	//     went (each asks the socket, at most once a millisecond), or by
	//     Server.Close. A handler must not wait on Done alone.
	//
	// Everything else is as in ModeAuto: Flush writes at once, and a body
	// read that must wait for the client, a Hijack or a response too big
	// for the loop's queue moves that one connection off the loop.
	ModeInline
	// ModeGoroutine serves every connection on its own goroutine, as
	// net/http does.
	ModeGoroutine
)

// String returns "auto", "inline" or "goroutine" (cmd/server's -mode),
// or "Mode(N)" for a value that is none of them.
func (m Mode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModeInline:
		return "inline"
	case ModeGoroutine:
		return "goroutine"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// handOffAfter is how long an inline handler may run before its loop is
// handed to a new goroutine (ModeAuto).
const handOffAfter = time.Millisecond

// loopServer is the LoopHandler of a Server's loops on one listener.
type loopServer struct {
	s     *Server
	ctx   context.Context
	loops *netfd.Loops
	// conns counts the connections the loops serve or will serve again
	// (those that left and rejoin); accepting is whether Serve still
	// runs. When both end, the loops close: like net/http's, a Serve that
	// returned leaves its connections to finish.
	conns     atomic.Int64
	accepting atomic.Bool
	closeOnce sync.Once
}

// connGone is called once per connection when it is closed or hijacked.
func (ls *loopServer) connGone() {
	if ls.conns.Add(-1) == 0 && !ls.accepting.Load() {
		ls.closeLoops()
	}
}

// closeLoops closes the loops, not from a loop goroutine.
func (ls *loopServer) closeLoops() {
	ls.closeOnce.Do(func() { go ls.s.closeLoop(ls.loops) })
}

// serveLoops serves nl on event loops until nl is closed.
func (s *Server) serveLoops(nl *netfd.Listener, ctx context.Context) error {
	return s.runLoops(ctx, nl.Backend(), func(loops *netfd.Loops) error {
		return s.acceptLoop(func() error { return loops.Accept(nl) })
	})
}

// runLoops starts event loops on backend b and has accept give them
// connections until it returns.
func (s *Server) runLoops(ctx context.Context, b netfd.Backend, accept func(*netfd.Loops) error) error {
	ls := &loopServer{s: s, ctx: ctx}
	cfg := netfd.LoopConfig{Backend: b, Loops: s.loopCount}
	if s.Mode == ModeAuto {
		cfg.HandOffAfter = handOffAfter
	}
	loops, err := netfd.NewLoops(cfg, ls)
	if err != nil {
		return err
	}
	ls.loops = loops
	if !s.trackLoops(loops) {
		loops.Close()
		return ErrServerClosed
	}
	ls.accepting.Store(true)
	err = accept(loops)
	ls.accepting.Store(false)
	if ls.conns.Load() == 0 {
		ls.closeLoops()
	}
	if s.shuttingDown() {
		return ErrServerClosed
	}
	return err
}

func (ls *loopServer) OnOpen(lc *netfd.LoopConn) {
	if c, ok := lc.Context().(*conn); ok {
		c.rejoin(lc) // back from the blocking path
		return
	}
	s := ls.s
	lr := &loopConn{lc: lc}
	ctx := ls.ctx
	if s.ConnContext != nil {
		ctx = s.ConnContext(ctx, lr)
	}
	c := newConn(s, lr, ctx)
	c.setMode(modeLoop)
	c.lr, lr.c = lr, c
	c.ls = ls
	ls.conns.Add(1)
	c.r.leave = c.leaveForReader
	lc.SetContext(c)
	if !s.track(c) {
		c.closeOnLoop() // OnClose counts it gone
		return
	}
	if s.ConnState != nil {
		s.ConnState(lr, http.StateNew)
	}
	c.inHeader = true // its header deadline runs from now
	c.setLoopDeadline(s.readHeaderTimeout())
}

func (ls *loopServer) OnData(lc *netfd.LoopConn, in []byte) int {
	return lc.Context().(*conn).serveLoop(in)
}

// OnEOF: a client that stops half way through a request header gets 400,
// as readHead answers; otherwise the connection just closes.
func (ls *loopServer) OnEOF(lc *netfd.LoopConn) {
	c := lc.Context().(*conn)
	if c.onLoop() && c.headBegun(c.partial) {
		c.out.b = appendErrorResponse(c.out.b, errBadRequest)
		c.flush()
	}
	c.closeOnLoop()
}

// OnClose: the loop closed the connection (never one that left it).
func (ls *loopServer) OnClose(lc *netfd.LoopConn, err error) {
	c := lc.Context().(*conn)
	c.setMode(modeClosing)
	c.setState(http.StateClosed)
	ls.connGone()
}

// serveLoop serves the requests complete in in, on the loop goroutine,
// through the phase machine (run), and returns how many bytes they took.
// A request whose handler leaves the loop is served to its end off the
// loop, here, and the connection rejoins a loop once idle.
func (c *conn) serveLoop(in []byte) int {
	switch c.mode.Load() {
	case modeClosing:
		return len(in) // nothing more is read
	case modeLingering:
		// Dropping what the client still sends, as lingerClose does off
		// a loop: up to maxPostHandlerReadBytes, then close, so a client
		// that sends forever (a big unread body, garbage) is not read for
		// the whole linger time.
		c.lingered += len(in)
		if c.lingered > maxPostHandlerReadBytes {
			c.closeOnLoop()
		}
		return len(in)
	}
	c.loopIn = in
	c.partial = 0 // what was partial is in in now
	c.r.buf, c.r.r, c.r.w = in, 0, len(in)
	return len(in) - c.run(phaseRead)
}

// waitOnLoop returns the connection to its loop until more bytes arrive,
// holding the start of a request head (the loop delivers it again with
// what follows), or idle.
func (c *conn) waitOnLoop() (held int) {
	c.loopIn = nil
	c.partial = len(c.r.buffered())
	c.r.buf, c.r.r, c.r.w = nil, 0, 0 // the loop's bytes
	if c.partial > 0 {
		// ReadHeaderTimeout runs from the header's first byte (from
		// accept for the first request), as in the goroutine engine:
		// bytes that trickle in do not restart it.
		if !c.inHeader {
			c.inHeader = true
			c.setLoopDeadline(c.srv.readHeaderTimeout())
		}
		return c.partial
	}
	c.writeDeadline.Store(0) // the response is written; the sweeper need not look
	c.releaseIdle()
	c.setState(http.StateIdle)
	c.setLoopDeadline(c.srv.idleTimeout())
	return 0
}

// serveHandler runs h. On a loop it runs inline, except for a route that
// was seen to block: that one hands the loop off first, so its handler
// runs beside the loop from the start instead of holding it until the
// watchdog notices (a 1 ms database call would otherwise stall the loop
// for that millisecond every time). A handler that runs longer than
// blockingAfter marks its route blocking.
func (c *conn) serveHandler(h http.Handler, w http.ResponseWriter, req *http.Request) {
	if !c.onLoop() || c.srv.Mode != ModeAuto {
		h.ServeHTTP(w, req)
		return
	}
	lr := c.lr
	lr.checkpoint() // the watchdog counts this request's handler from here
	rs := &c.srv.blockingRoutes
	var r *routeStat
	var early time.Time // when a run handed off from the start began
	if rs.watched.Load() > 0 {
		if v, ok := rs.m.Load(routeKey(h, req)); ok {
			r = v.(*routeStat)
			if r.blocking.Load() {
				lr.handOff()
				early = time.Now()
			}
		}
	}
	h.ServeHTTP(w, req)
	ran, handedOff := lr.checkpoint()
	slow := ran >= blockingAfter || handedOff
	if !early.IsZero() {
		// Handed off by us, not by the watchdog: judge the run by how long
		// it took, or a route learned as blocking would stay so forever
		// (the clock is read only on this path, which runs off the loop).
		slow = time.Since(early) >= blockingAfter
	}
	if r == nil && slow {
		r = rs.stat(routeKey(h, req))
	}
	if r != nil {
		r.observe(rs, slow)
	}
}

// blockingAfter is how long a handler may run before the run counts as
// slow (to the watchdog's tick, half of handOffAfter: a run that crossed a
// tick); blockingRuns slow runs in a row make a route blocking, and as many
// fast ones in a row make it inline again, so a run that was slow because
// the machine was busy (a GC pause, a preempted loop) decides nothing.
const (
	blockingAfter = handOffAfter / 2
	blockingRuns  = 3
)

// routeSet holds the routes seen running slow, bounded. A request looks
// its route up only while some route is watched (blocking, or slow in its
// latest runs): the route key costs an allocation for a handler that is
// no router, and most servers never see a slow run.
type routeSet struct {
	m        sync.Map // route key → *routeStat
	n        atomic.Int32
	mu       sync.Mutex   // serializes observe
	watched  atomic.Int32 // routes blocking or with slow runs in a row
	blocking atomic.Int32 // how many count as blocking now (LoopStats)
}

// routeStat is one route's recent runs: a count of slow (positive) or
// fast (negative) runs in a row (under routeSet.mu), and whether it
// counts as blocking.
type routeStat struct {
	streak   int32
	blocking atomic.Bool
}

const maxBlockingRoutes = 4096

func (rs *routeSet) stat(key string) *routeStat {
	if v, ok := rs.m.Load(key); ok {
		return v.(*routeStat)
	}
	if rs.n.Load() >= maxBlockingRoutes {
		return nil
	}
	v, loaded := rs.m.LoadOrStore(key, new(routeStat))
	if !loaded {
		rs.n.Add(1)
	}
	return v.(*routeStat)
}

func (r *routeStat) observe(rs *routeSet, slow bool) {
	if r == nil {
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	wasWatched := r.watched()
	s := r.streak
	switch {
	case slow && s < 0, !slow && s > 0:
		s = 0
	}
	if slow {
		s++
	} else {
		s--
	}
	r.streak = s
	if s >= blockingRuns && !r.blocking.Swap(true) {
		rs.blocking.Add(1)
	} else if s <= -blockingRuns && r.blocking.Swap(false) {
		rs.blocking.Add(-1)
	}
	if w := r.watched(); w != wasWatched {
		if w {
			rs.watched.Add(1)
		} else {
			rs.watched.Add(-1)
		}
	}
}

// watched reports whether the route's runs are to be observed: it is
// blocking, or its latest runs were slow.
func (r *routeStat) watched() bool { return r.blocking.Load() || r.streak > 0 }

// LoopStats is what Server.LoopStats reports about the event loops.
type LoopStats struct {
	// Conns is the number of connections each loop serves now, the loops
	// of every Serve in turn.
	Conns []int
	// Queued is, for each loop in the same order, the bytes of responses
	// written on it that the kernel has not taken yet
	// (netfd.LoopStats.Queued): what clients that read slowly hold.
	Queued []int
	// HandOffs counts the times a loop was given to a new goroutine
	// because a handler blocked on it (netfd.LoopStats.HandOffs), since
	// the Server started.
	HandOffs uint64
	// BlockingRoutes is how many routes the server has learned to run off
	// the loops, their handlers having blocked several times in a row.
	BlockingRoutes int
	// SweeperCloses counts the loop connections closed because a deadline
	// passed (ReadHeaderTimeout, IdleTimeout, WriteTimeout with a response
	// unread, the linger after an error response), since the Server
	// started.
	SweeperCloses uint64
}

// LoopStats returns the counters of the server's event loops; any
// goroutine may call it. A Server that runs no loops (Mode goroutine, a
// listener other than netfd's, TLS) reports zeros.
func (s *Server) LoopStats() LoopStats {
	s.mu.Lock()
	st := LoopStats{HandOffs: s.handOffsGone}
	for _, g := range s.loops {
		gs := g.Stats()
		st.Conns = append(st.Conns, gs.Conns...)
		st.Queued = append(st.Queued, gs.Queued...)
		st.HandOffs += gs.HandOffs
	}
	s.mu.Unlock()
	st.BlockingRoutes = int(s.blockingRoutes.blocking.Load())
	st.SweeperCloses = s.swept.Load()
	return st
}

// routeKey names the route of r: the pattern when the handler is a router
// that can tell it before serving, else the method and path.
func routeKey(h http.Handler, r *http.Request) string {
	switch m := h.(type) {
	case interface{ Pattern(*http.Request) string }: // mux.Router
		if p := m.Pattern(r); p != "" {
			return p
		}
	case *http.ServeMux:
		if _, p := m.Handler(r); p != "" {
			return p
		}
	}
	return r.Method + " " + r.URL.Path
}

// setLoopDeadline has the sweeper close the connection after d (0: never).
func (c *conn) setLoopDeadline(d time.Duration) {
	if d <= 0 {
		c.loopDeadline.Store(0)
		return
	}
	c.loopDeadline.Store(c.now().Add(d).UnixNano())
}

// now is the time for deadlines and the Date header: on a loop the
// loop's clock, read once per pass (a clock read costs as much as a
// tenth of a pipelined request here), else the clock.
func (c *conn) now() time.Time {
	if c.onLoop() {
		return c.lr.lc.Now()
	}
	return time.Now()
}

// loopConn is a loop connection's rwc: it writes through the LoopConn
// while on the loop and through the blocking net.Conn once the connection
// left it. It is the net.Conn that ConnState and ConnContext see, the same
// across modes.
type loopConn struct {
	c  *conn
	mu sync.Mutex // guards the fields below against Close from Shutdown
	lc *netfd.LoopConn
	nc net.Conn // after Leave, until it rejoins a loop
	// Deadlines set while on the loop, for when it leaves.
	rd, wd time.Time
}

// attached returns the LoopConn while the connection is on a loop, else
// nil: for the sweeper, which must not wait for lcMu.
func (l *loopConn) attached() *netfd.LoopConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.nc != nil {
		return nil
	}
	return l.lc
}

func (l *loopConn) conn() net.Conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nc
}

// Read blocks, so on the loop it leaves it first. (The connection's reader
// leaves before it reads, and a request head is awaited on the loop: see
// connReader.leave and conn.readHead.)
func (l *loopConn) Read(p []byte) (int, error) {
	if err := l.c.leaveLoop(true); err != nil {
		return 0, err
	}
	return l.conn().Read(p)
}

// Write queues p on the loop, or writes it to the socket off the loop. A
// handler whose loop was handed off (it blocked) leaves when it writes
// (a Flush), so what it streams is not held until it returns; what is
// written after it returned goes through the loop when serveLoop returns.
// A response too big for the loop's queue (maxOutBuffered) leaves too: it
// is written under WriteTimeout instead of held in memory for a client
// that may not read it.
func (l *loopConn) Write(p []byte) (int, error) {
	c := l.c
	if c.killed.Load() {
		return 0, net.ErrClosed // Server.Close: what the loop has not sent is dropped
	}
	c.lcMu.Lock()
	if c.onLoop() && !(l.lc.HandedOff() && c.inHandler || l.lc.Queued()+len(p) > maxOutBuffered) {
		n, err := l.lc.Write(p)
		c.lcMu.Unlock()
		return n, err
	}
	err := c.leaveLoopLocked(false)
	c.lcMu.Unlock()
	if err != nil {
		return 0, err
	}
	return l.conn().Write(p)
}

// withLoop runs f with the LoopConn under c.lcMu, unless the connection
// left the loop, and reports whether it ran: how every call of the
// request's side into the LoopConn is made (see conn.lcMu).
func (l *loopConn) withLoop(f func(lc *netfd.LoopConn)) bool {
	c := l.c
	c.lcMu.Lock()
	defer c.lcMu.Unlock()
	if !c.onLoop() {
		return false
	}
	f(l.lc)
	return true
}

// sendNow has what Write queued on the loop sent at once rather than at
// the end of the loop's pass: for a Flush, a 1xx or a 100 Continue, which
// a handler running long on the loop would otherwise hold back.
func (l *loopConn) sendNow() (err error) {
	l.withLoop(func(lc *netfd.LoopConn) { err = lc.Flush() })
	return err
}

// watchGone has f called when the loop sees the client go while the
// handler is away from the loop, and, if peek, asks the socket whether
// it is gone already (the loop cannot see it while the handler holds
// it). onLoop is false once the connection left: the caller watches the
// blocking net.Conn instead.
func (l *loopConn) watchGone(f func(), peek bool) (onLoop, gone bool) {
	onLoop = l.withLoop(func(lc *netfd.LoopConn) {
		lc.OnGone(f)
		gone = peek && lc.Gone()
	})
	return onLoop, gone
}

// checkpoint is LoopConn.Checkpoint, and whether the loop was handed off
// (true once the connection left).
func (l *loopConn) checkpoint() (ran time.Duration, handedOff bool) {
	handedOff = true
	l.withLoop(func(lc *netfd.LoopConn) { ran, handedOff = lc.Checkpoint(), lc.HandedOff() })
	return ran, handedOff
}

// handOff is LoopConn.HandOff.
func (l *loopConn) handOff() { l.withLoop(func(lc *netfd.LoopConn) { lc.HandOff() }) }

// Close may come from any goroutine (Shutdown): on the loop it goes
// through the loop.
func (l *loopConn) Close() error {
	l.mu.Lock()
	nc, lc := l.nc, l.lc
	l.mu.Unlock()
	if nc != nil {
		return nc.Close()
	}
	lc.Do(func(lc *netfd.LoopConn) { lc.Close() })
	return nil
}

func (l *loopConn) LocalAddr() net.Addr  { return l.lc.LocalAddr() }
func (l *loopConn) RemoteAddr() net.Addr { return l.lc.RemoteAddr() }

func (l *loopConn) SetDeadline(t time.Time) error {
	l.SetReadDeadline(t)
	return l.SetWriteDeadline(t)
}

func (l *loopConn) SetReadDeadline(t time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.nc != nil {
		return l.nc.SetReadDeadline(t)
	}
	l.rd = t
	return nil
}

func (l *loopConn) SetWriteDeadline(t time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.nc != nil {
		return l.nc.SetWriteDeadline(t)
	}
	l.wd = t
	if !t.IsZero() {
		l.c.writeDeadline.Store(t.UnixNano())
	} else {
		l.c.writeDeadline.Store(0)
	}
	return nil
}

// CloseWrite serves lingerClose off the loop.
func (l *loopConn) CloseWrite() error {
	if cw, ok := l.conn().(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.New("http: CloseWrite on a loop connection")
}

// trackLoops records loops to close with the Server, and starts the
// sweeper with the first.
func (s *Server) trackLoops(loops *netfd.Loops) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shuttingDown() {
		return false
	}
	s.loops = append(s.loops, loops)
	if s.sweepStop == nil {
		s.sweepStop = make(chan struct{})
		s.sweepDone = make(chan struct{})
		go s.sweep(s.sweepStop, s.sweepDone)
	}
	return true
}

// closeLoop closes loops, which Serve and its connections no longer
// need, then forgets them: Shutdown waits for that, so that no response
// still queued on a loop is dropped by closing it early.
func (s *Server) closeLoop(loops *netfd.Loops) {
	loops.Close()
	s.mu.Lock()
	s.handOffsGone += loops.Stats().HandOffs
	for i, g := range s.loops {
		if g == loops {
			s.loops = append(s.loops[:i], s.loops[i+1:]...)
			break
		}
	}
	var stop, done chan struct{}
	if len(s.loops) == 0 {
		stop, done = s.sweepStop, s.sweepDone
		s.sweepStop, s.sweepDone = nil, nil
	}
	s.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

// closeLoops closes every loop and stops the sweeper, for Close.
func (s *Server) closeLoops() {
	s.mu.Lock()
	loops := s.loops
	s.loops = nil
	stop, done := s.sweepStop, s.sweepDone
	s.sweepStop, s.sweepDone = nil, nil
	s.mu.Unlock()
	for _, g := range loops {
		g.Close()
	}
	if stop != nil {
		close(stop)
		<-done
	}
}

// sweep closes the loop connections whose deadline passed: the header,
// idle and linger deadlines set by serveLoop, and the write deadline of a
// response the client does not read.
func (s *Server) sweep(stop, done chan struct{}) {
	defer close(done)
	every := sweepInterval(s.readHeaderTimeout(), s.idleTimeout(), s.WriteTimeout)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		now := time.Now().UnixNano()
		s.mu.Lock()
		for c := range s.conns {
			if c.lr == nil {
				continue
			}
			lc := c.lr.attached()
			if lc == nil {
				continue // off the loop its deadlines are the socket's
			}
			if c.late(now, 1) { // 1: as if bytes were queued
				// Checked again on the loop: a request read meanwhile
				// moves the deadlines, and the response it queued is
				// not a late one.
				lc.Do(func(lc *netfd.LoopConn) {
					if c.late(time.Now().UnixNano(), lc.Queued()) {
						s.swept.Add(1) // before the client can see the close
						lc.Abort()
					}
				})
			}
		}
		s.mu.Unlock()
	}
}

// late reports whether, at now, c's header, idle or linger deadline has
// passed, or its write deadline with queued bytes not yet taken by the
// kernel.
func (c *conn) late(now int64, queued int) bool {
	d, wd := c.loopDeadline.Load(), c.writeDeadline.Load()
	return d != 0 && now > d || wd != 0 && now > wd && queued > 0
}

// sweepInterval is a quarter of the shortest timeout, within 5 ms..500 ms:
// the precision the deadlines of loop connections are kept with.
func sweepInterval(ds ...time.Duration) time.Duration {
	every := 500 * time.Millisecond
	for _, d := range ds {
		if d > 0 {
			every = min(every, d/4)
		}
	}
	return max(every, 5*time.Millisecond)
}
