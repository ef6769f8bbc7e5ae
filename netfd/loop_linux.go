package netfd

import (
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringnet/ringnet/internal/memloop"
	"golang.org/x/sys/unix"
)

// ErrLoopsClosed is returned by Serve and Attach once the Loops was closed.
var ErrLoopsClosed = errors.New("netfd: loops closed")

// Loops is a set of event loops, one goroutine each, serving connections
// through a LoopHandler. Serve, Attach and Close may be called from any
// goroutine, but not from a LoopHandler method.
type Loops struct {
	backend   Backend
	h         LoopHandler
	maxQueued int
	loops     []*loop
	next      atomic.Uint32 // round-robin choice of a loop for a new connection
	uringCfg  uringLoopConfig

	mu        sync.Mutex // guards closed and listeners
	closed    bool
	listeners map[net.Listener]struct{}
	done      sync.WaitGroup // the goroutines running the loops, not those that lost one

	handOffs     atomic.Uint64 // loops given to a new goroutine (Stats)
	handOffAfter time.Duration // 0: never
	tick         atomic.Int64  // the watchdog's clock, in halves of handOffAfter
	stopWatch    chan struct{} // closed to stop the watchdog
	watchDone    chan struct{}
}

// A loopKernel is the backend side of one loop: an epoll instance
// (loop_epoll_linux.go) or an io_uring ring (loop_uring_linux.go). It only
// reaps: it turns what the kernel reports into op-state updates and events
// on the loop's queue, and never calls LoopHandler code (the dispatcher
// does, loop_dispatch_linux.go). Its methods run on the loop goroutine,
// except wake.
//
//	add(c) error       start receiving on c, a new connection
//	send(c)            c.out holds bytes and no send is busy: start sending
//	stopRecv(c)        stop receiving on c; when the kernel has let go of
//	                   c's receive, c.recvArmed() is false and settle(c) runs
//	resumeRecv(c)      receive again after stopRecv, for back-pressure
//	release(c)         forget c, whose descriptor stays open (Detach)
//	reap(wait)         submit what is queued, wait for the kernel (at most
//	                   wait; not at all if 0, without limit if negative)
//	                   and queue what it reports; every event queued
//	                   before was dispatched
//	done(ev)           ev was dispatched: its bytes may be reused
//	read(c) bool       the dispatcher's, for evReadable (epoll): read c and
//	                   deliver each read; false if the goroutine lost the
//	                   loop meanwhile
//	waiting() bool     the kernel holds completions or readiness for the
//	                   loop; any goroutine (the watchdog)
//	wake()             make a blocked reap return; any goroutine
//	takeOver()         prepare for a new loop goroutine (hand-off), called
//	                   while the old one may still run a LoopHandler method
//	close()            release the kernel interface; no op is in flight
type loopKernel interface {
	add(c *LoopConn) error
	send(c *LoopConn)
	stopRecv(c *LoopConn)
	resumeRecv(c *LoopConn)
	release(c *LoopConn)
	reap(wait time.Duration) error
	done(ev event)
	read(c *LoopConn) bool
	waiting() bool
	wake()
	takeOver()
	close()
}

// A loop is one loop goroutine and what it owns. Fields without a comment
// belong to the goroutine that runs the loop.
type loop struct {
	g      *Loops
	k      loopKernel
	conns  []*LoopConn // by slot
	free   []uint32    // free slots
	gen    uint32
	live   int          // connections in conns
	nconns atomic.Int32 // live, for Stats
	dirty  []*LoopConn
	bufs   bufPool
	events []event // for the dispatcher; events[next:] still to dispatch
	next   int
	opGen  uint32    // the generation of the last op's user_data (opUD)
	timers timerHeap // LoopConn.After's (loop_timer_linux.go)
	epoch  time.Time // the timers' clock (clock) starts here
	// now is the wall clock LoopConn.Now reports: Unix ns, read once per
	// pass and at a hand-off, for what needs no finer time (a Date
	// header, the deadlines a sweeper enforces); the timers use clock.
	now atomic.Int64

	// queued is the bytes written on the loop's connections that the
	// kernel has not taken (LoopConn.queued, summed); nqueued is what
	// Stats sees, published at the end of each step of a pass (publish).
	queued  int
	nqueued atomic.Int64

	inMu    sync.Mutex // guards inbox
	inbox   []func()
	pending atomic.Bool // inbox is not empty: a wake-up was sent
	stop    bool        // Close was called: close every connection, then exit

	// The method now running and the hand-off (loop_handoff_linux.go):
	// call is the state of the running method, callTick when it (or its
	// piece since the last Checkpoint) began, seq numbers the calls;
	// callConn is the running method's connection, written before call.
	call       atomic.Int64
	callTick   atomic.Int64
	seq        atomic.Int64
	callConn   *LoopConn
	canHandOff bool        // false for a ring owned by a locked thread
	backlog    atomic.Bool // events or output wait besides the running method (othersWait)
	kmu        sync.Mutex  // guards kclosed, so that the watchdog asks k only while it is open
	kclosed    bool

	exited chan struct{} // closed when the loop has stopped for good
}

// NewLoops starts the loops, each on its own goroutine.
func NewLoops(cfg LoopConfig, h LoopHandler) (*Loops, error) {
	return newLoops(cfg, h, uringLoopDefaults)
}

// newLoops is NewLoops with io_uring rings set up as ucfg says (tests
// shrink them, benchmarks try the variants docs/design.md measured).
func newLoops(cfg LoopConfig, h LoopHandler, ucfg uringLoopConfig) (*Loops, error) {
	b, _, err := resolve(cfg.Backend)
	if cfg.Backend == memloop.Backend { // the in-memory benchmark's (loop_mem_linux.go)
		b, err = cfg.Backend, nil
	}
	if err != nil {
		return nil, err
	}
	n := cfg.Loops
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	g := &Loops{backend: b, h: h, maxQueued: cfg.MaxQueued, uringCfg: ucfg, listeners: map[net.Listener]struct{}{},
		handOffAfter: cfg.HandOffAfter}
	if g.maxQueued <= 0 {
		g.maxQueued = 1 << 20
	}
	g.handOffAfter = max(g.handOffAfter, 0)
	for range n {
		l := &loop{g: g, exited: make(chan struct{}), epoch: time.Now()}
		if err := l.start(); err != nil {
			g.Close()
			return nil, err
		}
		g.loops = append(g.loops, l)
	}
	if g.handOffAfter > 0 {
		g.stopWatch, g.watchDone = make(chan struct{}), make(chan struct{})
		go g.watch()
	}
	return g, nil
}

// LoopStats is a snapshot of a Loops' counters (Loops.Stats).
type LoopStats struct {
	Conns []int // connections each loop serves now
	// Queued is, for each loop, the bytes its connections' handlers wrote
	// that the kernel has not taken yet (a send in flight on io_uring
	// counts), as of the loop's last pass: what slow readers hold.
	Queued   []int
	HandOffs uint64 // times a loop was given to a new goroutine because a method blocked (the watchdog, HandOff, Leave)
}

// Stats returns the loops' counters; any goroutine may call it.
func (g *Loops) Stats() LoopStats {
	st := LoopStats{Conns: make([]int, len(g.loops)), Queued: make([]int, len(g.loops)), HandOffs: g.handOffs.Load()}
	for i, l := range g.loops {
		st.Conns[i] = int(l.nconns.Load())
		st.Queued[i] = int(l.nqueued.Load())
	}
	return st
}

// Backend reports the backend the loops run on.
func (g *Loops) Backend() Backend { return g.backend }

// start creates the loop's kernel side on the loop goroutine itself (an
// io_uring ring with SINGLE_ISSUER belongs to the thread that made it) and
// waits until it is ready.
func (l *loop) start() error {
	ready := make(chan error, 1)
	l.g.done.Add(1)
	go func() {
		k, locked, err := newLoopKernel(l)
		l.k = k
		l.canHandOff = !locked
		ready <- err
		if err != nil {
			close(l.exited)
			l.g.done.Done()
			return
		}
		l.runOwned()
	}()
	return <-ready
}

// runOwned runs the loop on the calling goroutine until Close, then
// releases the kernel side, or returns early if the goroutine lost the
// loop to a successor during a LoopHandler method.
func (l *loop) runOwned() {
	if !l.run() {
		return
	}
	l.kmu.Lock()
	l.kclosed = true
	l.kmu.Unlock()
	l.k.close()
	close(l.exited)
	l.g.done.Done()
}

// run is the loop: run what other goroutines posted, dispatch the events,
// flush the queued writes, reap what the kernel reports (waiting until
// the first timer is due at most) and queue the timers that are due,
// until Close (true) or until the goroutine loses the loop (false).
func (l *loop) run() bool {
	for {
		l.now.Store(time.Now().UnixNano())
		l.runInbox()
		l.publish() // what the reap changed, before a method asks
		if !l.dispatch() {
			return false
		}
		if l.stop && l.live == 0 && !l.pending.Load() {
			return true
		}
		l.flush()   // may queue events (a send that failed closes its connection)
		l.publish() // what the methods and the sends changed, before the loop waits
		if err := l.k.reap(l.wait()); err != nil {
			panic("netfd: loop: " + err.Error()) // the kernel interface failed; nothing can be served
		}
		l.fireTimers()
	}
}

// publish makes queued visible to Stats. It stores only a change: on
// epoll a pass usually ends with every byte sent, as it began.
func (l *loop) publish() {
	if q := int64(l.queued); l.nqueued.Load() != q {
		l.nqueued.Store(q)
	}
}

// post has f run on the loop goroutine at the start of its next pass. f
// does the loop's bookkeeping and never calls the handler: it queues an
// event for that.
func (l *loop) post(f func()) {
	l.inMu.Lock()
	l.inbox = append(l.inbox, f)
	l.inMu.Unlock()
	if l.pending.CompareAndSwap(false, true) {
		l.k.wake()
	}
}

func (l *loop) runInbox() {
	if !l.pending.Load() {
		return
	}
	l.inMu.Lock()
	run := l.inbox
	l.inbox = nil
	l.pending.Store(false)
	l.inMu.Unlock()
	for _, f := range run {
		f()
	}
}

// flush starts a send on every connection that queued bytes this pass.
func (l *loop) flush() {
	for i, c := range l.dirty {
		l.dirty[i] = nil
		c.dirty = false
		if len(c.out) > 0 && !c.sendBusy() && c.sysfd >= 0 {
			l.k.send(c)
		}
	}
	l.dirty = l.dirty[:0]
}

// Serve accepts connections on ln, a Listener of this package on the
// Loops' backend, and hands each to a loop. It returns when ln fails or is
// closed, or ErrLoopsClosed once the Loops is closed. Out of descriptors
// or memory, it waits (5 ms, doubling up to 1 s) and accepts again, as
// net/http does; the connection that could not be taken stays in the
// listen queue meanwhile.
func (g *Loops) Serve(ln net.Listener) error {
	if _, err := g.listener(ln); err != nil {
		return err
	}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return ErrLoopsClosed
	}
	g.listeners[ln] = struct{}{}
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.listeners, ln)
		g.mu.Unlock()
	}()
	var backoff time.Duration
	for {
		err := g.Accept(ln)
		if err == nil {
			backoff = 0
			continue
		}
		if err == ErrLoopsClosed {
			return err
		}
		if errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) || errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.ENOMEM) {
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			time.Sleep(backoff) // out of descriptors: let some close
			continue
		}
		return err
	}
}

// Accept waits for one connection on ln, a Listener of this package on
// the Loops' backend, and hands it to a loop: Serve's step, for a caller
// that runs its own accept loop (to limit or log). Unlike Serve it does
// not track ln; Close does not close it. Its error is ln's accept error
// as a *net.OpError, or ErrLoopsClosed once the Loops is closed.
func (g *Loops) Accept(ln net.Listener) error {
	nl, err := g.listener(ln)
	if err != nil {
		return err
	}
	s, rsa, err := nl.fd.Accept()
	if err != nil {
		if g.isClosed() {
			return ErrLoopsClosed
		}
		return &net.OpError{Op: "accept", Net: nl.network, Addr: nl.addr, Err: err}
	}
	g.adopt(s, nl.network, nl.acceptedLocal(), sockaddrToAddr(nl.network, rsa), nil, nil)
	return nil
}

func (g *Loops) listener(ln net.Listener) (*Listener, error) {
	nl, ok := ln.(*Listener)
	if !ok || nl.Backend() != g.backend {
		return nil, errors.New("netfd: Loops.Serve needs a netfd Listener on backend " + string(g.backend))
	}
	return nl, nil
}

func (g *Loops) isClosed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

// Attach moves c, a Conn of this package on the Loops' backend, into a
// loop: c's blocked operations return net.ErrClosed, c must not be used
// any more, and the connection goes on as a LoopConn whose OnOpen sees ctx
// in Context. The bytes that c read but its user did not consume are
// passed as buffered and delivered first, followed by those c itself
// still held (received in a loop before a Detach and not read yet).
func (g *Loops) Attach(c net.Conn, buffered []byte, ctx any) error {
	nc, ok := c.(*Conn)
	if !ok || nc.Backend() != g.backend {
		return errors.New("netfd: Loops.Attach needs a netfd Conn on backend " + string(g.backend))
	}
	if g.isClosed() {
		return ErrLoopsClosed
	}
	s, held, err := nc.fd.release()
	if err != nil {
		return nc.opError("attach", err)
	}
	// The caller read buffered from c before what c still holds.
	g.adopt(s, nc.network, nc.laddr, nc.raddr, append(buffered[:len(buffered):len(buffered)], held...), ctx)
	return nil
}

// adopt hands the connected socket s to the next loop.
func (g *Loops) adopt(s int, network string, laddr, raddr net.Addr, buffered []byte, ctx any) {
	l := g.loops[g.next.Add(1)%uint32(len(g.loops))]
	c := &LoopConn{l: l, sysfd: s, network: network, laddr: laddr, raddr: raddr, ctx: ctx}
	l.post(func() { l.open(c, buffered) })
}

// Close closes every listener Serve is accepting on and every connection
// (their OnClose sees net.ErrClosed), and stops the loops. It returns once
// the loops have exited.
func (g *Loops) Close() error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return ErrLoopsClosed
	}
	g.closed = true
	for ln := range g.listeners {
		ln.Close()
	}
	g.mu.Unlock()
	for _, l := range g.loops {
		l.post(l.shutdown)
	}
	g.done.Wait()
	if g.stopWatch != nil { // after the loops: one stuck in a method still needs it
		close(g.stopWatch)
		<-g.watchDone
	}
	return nil
}

// shutdown closes every connection; run exits once the last one is gone.
func (l *loop) shutdown() {
	l.stop = true
	for _, c := range l.conns {
		if c != nil {
			c.fail(net.ErrClosed)
		}
	}
}

// open registers c with the loop and tells the handler.
func (l *loop) open(c *LoopConn, buffered []byte) {
	if l.stop {
		unix.Close(c.sysfd)
		return
	}
	c.slot = l.alloc(c)
	if err := l.k.add(c); err != nil {
		l.conns[c.slot] = nil
		l.free = append(l.free, c.slot)
		l.live--
		l.nconns.Store(int32(l.live))
		unix.Close(c.sysfd)
		c.sysfd = -1
		c.state = connDone
		c.err = c.opError("register", err)
		l.queue(event{c: c, kind: evOpen})
		l.queue(event{c: c, kind: evClose})
		return
	}
	l.queue(event{c: c, kind: evOpen})
	if len(buffered) > 0 {
		c.in = l.bufs.append(nil, buffered)
		l.queue(event{c: c, kind: evHeld})
	}
}

func (l *loop) alloc(c *LoopConn) uint32 {
	l.gen++
	c.gen = l.gen
	l.live++
	l.nconns.Store(int32(l.live))
	if n := len(l.free); n > 0 {
		slot := l.free[n-1]
		l.free = l.free[:n-1]
		l.conns[slot] = c
		return slot
	}
	l.conns = append(l.conns, c)
	return uint32(len(l.conns) - 1)
}

// lookup returns the connection in slot if its generation is gen (an
// epoll event's token).
func (l *loop) lookup(slot, gen uint32) *LoopConn {
	if int(slot) < len(l.conns) {
		if c := l.conns[slot]; c != nil && c.gen == gen {
			return c
		}
	}
	return nil
}

// bufPool recycles a loop's connection buffers, so that an idle connection
// holds none and a busy one does not allocate per request. Owned by the
// loop goroutine.
type bufPool struct{ free [][]byte }

const (
	poolBufSize = 4 << 10
	poolMax     = 256 // buffers kept per loop
)

// append returns b with p appended, taking a pooled buffer when b is nil.
func (bp *bufPool) append(b, p []byte) []byte {
	if b == nil && len(p) <= poolBufSize {
		if n := len(bp.free); n > 0 {
			b = bp.free[n-1][:0]
			bp.free = bp.free[:n-1]
		} else {
			b = make([]byte, 0, poolBufSize)
		}
	}
	return append(b, p...)
}

// put returns b to the pool if it has the pooled size.
func (bp *bufPool) put(b []byte) {
	if cap(b) == poolBufSize && len(bp.free) < poolMax {
		bp.free = append(bp.free, b[:0])
	}
}

// newLoopKernel makes the kernel side of a loop for its backend and says
// whether the loop goroutine locks its OS thread.
func newLoopKernel(l *loop) (loopKernel, bool, error) {
	switch l.g.backend {
	case Uring:
		cfg := l.g.uringCfg
		if cfg.lock {
			runtime.LockOSThread() // before the ring exists: SINGLE_ISSUER binds it to this thread
		}
		k, err := newUringLoop(l, cfg)
		if err != nil {
			return nil, cfg.lock, err
		}
		return k, cfg.lock, nil
	case memloop.Backend:
		return newMemLoop(l), false, nil
	}
	k, err := newEpollLoop(l)
	if err != nil {
		return nil, false, err
	}
	return k, false, nil
}
