package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringnet/ringnet/internal/wire"
	"github.com/ringnet/ringnet/netfd"
)

// The load on netfd's event loops, for plain HTTP on epoll and io_uring.
// A connection is dialled (netfd.Dialer) on a goroutine of its own, then
// attached to a loop (netfd.Loops.Attach), where it lives with no
// goroutine: it writes its requests from bytes serialized once (-pipeline
// N: N copies in one write), reads the responses as they arrive with
// wire.ResponseScan, records each into its worker, and asks the schedule
// for the next requests, all on the loop; under -rate it waits for them
// with a timer of the loop (LoopConn.After), not a goroutine's. When the connection ends (the
// server closes it, a reset, -timeout), the requests it left unanswered
// fail and a goroutine dials it again, backing off while dials fail.
//
// std, and https on any backend, keep the Transport (load.go) and the
// pipeliner (pipeline.go): crypto/tls needs a blocking net.Conn.
//
// A connection's state (a loadConn) belongs to whichever goroutine has
// it: its dialling goroutine, or its loop. The handover is Attach (the
// loop runs OnOpen after it) one way, OnClose starting the goroutine the
// other way: each happens after the last step of the other.

// onLoops reports whether a load on b runs on the event loops.
func onLoops(cfg *config, b backend) bool { return b.nb != "" && cfg.url.Scheme == "http" }

// A loopRun is one load run on the loops.
type loopRun struct {
	ctx     context.Context
	s       *schedule
	stats   *connStats
	dialer  netfd.Dialer
	addr    string
	method  string
	batch   []byte // depth copies of the request
	reqLen  int    // the length of one
	depth   int    // requests per exchange: -pipeline, or 1
	timeout time.Duration
	check   func(*http.Response, []byte) // config.check
	conns   []*loadConn
	loops   *netfd.Loops
	release func() // gives back the spare P

	// mu is held shared by the goroutines that call into the loops
	// (Attach, LoopConn.Do: the dialling goroutines, the sweeper), and
	// exclusively to close them, after which none may.
	mu      sync.RWMutex
	closed  bool           // guarded by mu
	running sync.WaitGroup // connections that have not finished
}

// A loadConn is one of the -c connections of a loopRun.
type loadConn struct {
	r    *loopRun
	w    *worker
	scan wire.ResponseScan
	bo   backoff

	// The loop's while the connection is on it; its goroutine's (or
	// nobody's) otherwise.
	lc      *netfd.LoopConn
	sl      slot   // the requests in flight, or due next (pending)
	got     int    // responses of sl received
	busy    bool   // sl is in flight
	pending bool   // sl is reserved and waits for its due time
	held    int    // bytes of the last OnData not consumed
	body    []byte // the body of the response being read, for check
	expired bool   // -timeout passed with sl in flight
	done    bool   // the run is over for this connection

	// For the sweeper: the connection on a loop, and when the exchange
	// in flight times out (UnixNano; 0: none).
	on       atomic.Pointer[netfd.LoopConn]
	deadline atomic.Int64
}

// startLoops makes the loops of a load on b, if it runs on them, before
// the run's clock starts: a ring takes a while to set up, longer than a
// short run on a busy machine. It returns nil if the load does not run on
// loops, or if they cannot start here (out of memory for a ring): then the
// Transport runs it, as before.
func startLoops(cfg *config, b backend, stats *connStats) *loopRun {
	if !onLoops(cfg, b) {
		return nil
	}
	var one bytes.Buffer
	cfg.newRequest(context.Background()).Write(&one) // into a bytes.Buffer: cannot fail
	depth := max(cfg.pipeline, 1)
	r := &loopRun{
		stats:   stats,
		dialer:  netfd.Dialer{Backend: b.nb, Timeout: cfg.timeout},
		addr:    hostPort(cfg.url.Scheme, cfg.url.Host),
		method:  cfg.method,
		batch:   bytes.Repeat(one.Bytes(), depth),
		reqLen:  one.Len(),
		depth:   depth,
		timeout: cfg.timeout,
		check:   cfg.check,
	}
	n, release := spareP()
	loops, err := netfd.NewLoops(netfd.LoopConfig{Backend: b.nb, Loops: n}, loadHandler{})
	if err != nil {
		release()
		return nil
	}
	r.loops, r.release = loops, release
	return r
}

// run runs the load on the loops, one loadConn per worker, until the
// schedule says the run is over, or ctx is cancelled, and closes them.
func (r *loopRun) run(ctx context.Context, s *schedule, workers []*worker) {
	defer r.release()
	r.ctx, r.s = ctx, s
	for _, w := range workers {
		c := &loadConn{r: r, w: w, scan: wire.ResponseScan{Method: r.method, FramingOnly: r.check == nil}}
		r.conns = append(r.conns, c)
		r.running.Add(1)
		go c.dial()
	}
	finished := make(chan struct{})
	go func() {
		r.running.Wait()
		close(finished)
	}()
	stopSweep := r.sweep()
	select {
	case <-finished:
	case <-ctx.Done(): // the connections on the loops end as the loops close
	}
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	stopSweep()
	r.loops.Close()
	<-finished
}

// spare counts the runs on loops under way, which share one spare P.
var spare struct {
	mu   sync.Mutex
	runs int // guarded by mu
	base int // GOMAXPROCS before the first; guarded by mu
}

// spareP returns the number of loops for a run, one per P, and adds one
// P more to GOMAXPROCS until release is called: a loop that waits in the
// kernel (between two due requests of -rate, say) keeps its P only while
// another P is idle; otherwise the runtime's sysmon takes it back after
// 20 µs, and keeps waking every 20 µs to do so (docs/design.md, "A spare
// P for the load generator's loops"). Runs at once (tests) share it.
func spareP() (loops int, release func()) {
	spare.mu.Lock()
	defer spare.mu.Unlock()
	if spare.runs == 0 {
		spare.base = runtime.GOMAXPROCS(0)
		runtime.GOMAXPROCS(spare.base + 1)
	}
	spare.runs++
	return spare.base, func() {
		spare.mu.Lock()
		defer spare.mu.Unlock()
		if spare.runs--; spare.runs == 0 {
			runtime.GOMAXPROCS(spare.base)
		}
	}
}

// call runs f, which calls into the loops, unless they are closed.
func (r *loopRun) call(f func()) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return false
	}
	f()
	return true
}

// do runs f on lc's loop, for c, if lc is still c's connection by then.
func (c *loadConn) do(lc *netfd.LoopConn, f func()) {
	c.r.call(func() {
		lc.Do(func(lc *netfd.LoopConn) {
			if c.lc == lc {
				f()
			}
		})
	})
}

// dial is the connection's goroutine: it takes the next requests (those
// its last connection left pending, or new ones once due), dials, and
// hands the connection to a loop with them, backing off after a failed
// dial, until the run is over.
func (c *loadConn) dial() {
	r := c.r
	var wait timer
	defer wait.stop()
	for {
		sl, ok := c.sl, c.pending
		c.pending = false
		switch {
		case !ok:
			sl, ok = r.s.next(r.ctx, r.depth, &wait)
		case !sl.ready(time.Now()):
			ok = wait.until(r.ctx, sl.due)
			sl.due = time.Now()
		}
		if !ok {
			c.finish()
			return
		}
		c.w.sending(sl)
		nc, err := r.dialer.DialContext(r.ctx, "tcp", r.addr)
		if err != nil {
			if r.ctx.Err() == nil {
				r.stats.dialFailures.Add(1)
				c.w.fail(sl, err, sl.n)
				r.s.pause(r.ctx, &wait, c.bo.failed())
			}
			continue
		}
		r.stats.dials.Add(1)
		c.bo.reset()
		c.sl, c.got, c.busy = sl, 0, true
		if !r.call(func() { err = r.loops.Attach(nc, nil, c) }) || err != nil {
			nc.Close() // the run is over: the requests are neither answered nor failed
			c.finish()
			return
		}
		return // the loop has c now
	}
}

// finish ends the connection's part in the run.
func (c *loadConn) finish() {
	c.done = true
	c.r.running.Done()
}

// send writes the requests of sl, due now.
func (c *loadConn) send(sl slot, now time.Time) {
	c.w.sending(sl)
	c.sl, c.got, c.busy = sl, 0, true
	c.write(now)
}

// write writes the requests in flight and starts their -timeout.
func (c *loadConn) write(now time.Time) {
	b := c.r.batch[:c.sl.n*c.r.reqLen]
	c.lc.Write(b)
	c.r.stats.written.Add(int64(len(b)))
	c.deadline.Store(now.Add(c.r.timeout).UnixNano())
}

// next takes the next requests once the last ones were answered: it
// sends them if they are due, or waits for them with a timer, or closes
// the connection when the run is over.
func (c *loadConn) next() {
	c.busy = false
	c.deadline.Store(0)
	now := time.Now()
	sl, ok := c.r.s.reserve(c.r.ctx, c.r.depth, now)
	switch {
	case !ok:
		c.done = true
		c.lc.Close()
	case sl.ready(now):
		c.send(sl, now)
	default:
		c.sl, c.pending = sl, true
		c.lc.After(sl.due.Sub(now), c.due)
	}
}

// due sends the pending requests, now due: next's timer on the loop,
// which runs only while the connection is open. Their latency counts
// from now, as schedule.next has it.
func (c *loadConn) due(*netfd.LoopConn) {
	if c.pending {
		c.pending = false
		c.sl.due = time.Now()
		c.send(c.sl, c.sl.due)
	}
}

// consume reads the responses in in (the bytes OnData was given) and
// returns how many bytes it used.
func (c *loadConn) consume(in []byte) int {
	off := 0
	for off < len(in) {
		if !c.busy {
			// Bytes nobody asked for: the connection cannot be trusted.
			c.lc.Close()
			return len(in)
		}
		sc, err := c.scan.Scan(in[off:])
		off += sc.N
		if err != nil {
			c.failRest(err)
			c.lc.Close()
			return len(in)
		}
		if sc.N == 0 {
			break
		}
		if c.r.check != nil {
			c.body = append(c.body, sc.Body...)
		}
		if sc.Done && !c.answered() {
			return len(in)
		}
	}
	return off
}

// answered records the response the scan has just read, unless it is an
// interim (1xx) one, and reports whether the connection goes on.
func (c *loadConn) answered() bool {
	resp := c.scan.Response()
	code := resp.StatusCode
	if code < 200 && code != 101 {
		c.body = c.body[:0]
		return true // 1xx: the final response follows
	}
	c.got++
	if c.r.check != nil {
		c.r.check(resp, c.body)
		c.body = c.body[:0]
	}
	c.w.response(c.sl, code)
	switch {
	case resp.Close || code == 101:
		c.failRest(errUnanswered)
		c.lc.Close()
		return false
	case c.got == c.sl.n:
		c.next()
	}
	return true
}

// failRest fails the requests in flight that got no response.
func (c *loadConn) failRest(err error) {
	if c.busy && c.got < c.sl.n && c.r.ctx.Err() == nil {
		c.w.fail(c.sl, err, c.sl.n-c.got)
	}
	c.busy = false
	c.deadline.Store(0)
}

// sweep starts the goroutine that enforces -timeout on the exchanges in
// flight, and returns the function that stops it. It looks every tenth
// of the timeout (1 ms to 100 ms), so that the hot path only stores a
// deadline.
func (r *loopRun) sweep() (stop func()) {
	tick := min(max(r.timeout/10, time.Millisecond), 100*time.Millisecond)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case now := <-t.C:
				for _, c := range r.conns {
					if d := c.deadline.Load(); d != 0 && now.UnixNano() > d {
						if lc := c.on.Load(); lc != nil {
							c.do(lc, c.expire)
						}
					}
				}
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// expire ends the connection if its exchange is still past -timeout.
func (c *loadConn) expire() {
	if d := c.deadline.Load(); c.busy && d != 0 && time.Now().UnixNano() > d {
		c.expired = true
		c.lc.Abort()
	}
}

// loadHandler is the LoopHandler of a loopRun's loops; a connection's
// context is its loadConn.
type loadHandler struct{}

func (loadHandler) OnOpen(lc *netfd.LoopConn) {
	c := lc.Context().(*loadConn)
	c.lc, c.held, c.expired = lc, 0, false
	c.scan.Reset()
	c.body = c.body[:0]
	c.on.Store(lc)
	c.write(time.Now())
}

func (loadHandler) OnData(lc *netfd.LoopConn, in []byte) int {
	c := lc.Context().(*loadConn)
	c.r.stats.read.Add(int64(len(in) - c.held))
	n := c.consume(in)
	c.held = len(in) - n
	return n
}

// OnEOF: the server closed the connection, which ends a body that runs
// to its end; the requests it did not answer fail.
func (loadHandler) OnEOF(lc *netfd.LoopConn) {
	c := lc.Context().(*loadConn)
	if c.busy {
		done, err := c.scan.End(c.held)
		switch {
		case done:
			if c.answered() {
				c.failRest(errUnanswered)
			}
		case err != nil:
			c.failRest(err)
		default:
			c.failRest(io.EOF)
		}
	}
	lc.Close()
}

// OnClose: the requests in flight fail (the timeout, a reset), and unless
// the run is over for it the connection dials again, taking along the
// requests it had waiting.
func (loadHandler) OnClose(lc *netfd.LoopConn, err error) {
	c := lc.Context().(*loadConn)
	c.on.Store(nil)
	c.lc = nil
	if c.expired {
		err = &net.OpError{Op: "read", Net: "tcp", Addr: lc.RemoteAddr(), Err: os.ErrDeadlineExceeded}
	}
	if err == nil {
		err = errUnanswered
	}
	c.failRest(err)
	if c.done || c.r.ctx.Err() != nil { // the loops close only when every connection is done, or on ctx
		c.finish()
		return
	}
	go c.dial()
}
