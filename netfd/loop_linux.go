package netfd

import (
	"errors"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

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

	handOffAfter time.Duration // 0: never
	tick         atomic.Int64  // the watchdog's clock, in halves of handOffAfter
	stopWatch    chan struct{} // closed to stop the watchdog
	watchDone    chan struct{}
}

// A loopKernel is the backend side of one loop: an epoll instance
// (loop_epoll_linux.go) or an io_uring ring (loop_uring_linux.go). Its
// methods run on the loop goroutine, except wake.
//
//	add(c) error       start receiving on c, a new connection
//	send(c)            c.out holds bytes and no send is busy: start sending
//	stopRecv(c)        stop receiving on c; when the kernel has let go of
//	                   c's receive, c.recvArmed is false and settle(c) runs
//	resumeRecv(c)      receive again after stopRecv, for back-pressure
//	release(c)         forget c, whose descriptor stays open (Detach)
//	wait(block)        submit what is queued, wait for events (only if block)
//	                   and dispatch them to the loop
//	wake()             make a blocked wait return; any goroutine
//	takeOver()         prepare for a new loop goroutine (hand-off), called
//	                   while the old one may still run a LoopHandler method
//	close()            release the kernel interface; no op is in flight
type loopKernel interface {
	add(c *LoopConn) error
	send(c *LoopConn)
	stopRecv(c *LoopConn)
	resumeRecv(c *LoopConn)
	release(c *LoopConn)
	wait(block bool) error
	wake()
	takeOver()
	close()
}

// A loop is one loop goroutine and what it owns. Fields without a comment
// belong to the loop goroutine.
type loop struct {
	g     *Loops
	k     loopKernel
	conns []*LoopConn // by slot
	free  []uint32    // free slots
	gen   uint32
	live  int // connections in conns
	dirty []*LoopConn
	bufs  bufPool

	inMu    sync.Mutex // guards inbox
	inbox   []func()
	pending atomic.Bool // inbox is not empty: a wake-up was sent
	stop    bool        // Close was called: close every connection, then exit

	// The batches a pass works through keep their cursor here, so that a
	// goroutine taking the loop over goes on where the old one stopped.
	inboxRun []func()
	inboxPos int
	dirtyPos int

	// call identifies the LoopHandler method now running (odd, from
	// seq), 0 when none runs, callTaken once the loop was handed off
	// during it: whoever moves it from a start time to callTaken (the
	// watchdog, or Leave) hands the loop off. callConn is the connection
	// of that method, written before call.
	call       atomic.Int64
	callTick   atomic.Int64 // g.tick when the running method (or piece) began
	seq        atomic.Int64 // numbers the calls, so that call values never repeat
	callConn   *LoopConn
	canHandOff bool // false for a ring owned by a locked thread

	exited chan struct{} // closed when the loop has stopped for good
}

// callTaken marks a loop handed off during the running method.
const callTaken = -1

// errLostLoop unwinds the goroutine that lost its loop, from where its
// LoopHandler method returned to the top of the loop goroutine.
var errLostLoop = errors.New("netfd: loop handed off")

// NewLoops starts the loops, each on its own goroutine.
func NewLoops(cfg LoopConfig, h LoopHandler) (*Loops, error) {
	return newLoops(cfg, h, uringLoopDefaults)
}

// newLoops is NewLoops with io_uring rings set up as ucfg says (tests
// shrink them, benchmarks try the variants docs/design.md measured).
func newLoops(cfg LoopConfig, h LoopHandler, ucfg uringLoopConfig) (*Loops, error) {
	b, _, err := resolve(cfg.Backend)
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
		l := &loop{g: g, exited: make(chan struct{})}
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
	defer func() {
		if p := recover(); p != nil && p != errLostLoop {
			panic(p)
		}
	}()
	l.run()
	l.k.close()
	close(l.exited)
	l.g.done.Done()
}

// run is the loop: run what other goroutines posted, flush the queued
// writes, wait for the kernel and dispatch its events, until Close.
func (l *loop) run() {
	for {
		l.runInbox()
		if l.stop && l.live == 0 && !l.pending.Load() {
			return
		}
		l.flush()
		if err := l.k.wait(!l.pending.Load()); err != nil {
			panic("netfd: loop: " + err.Error()) // the kernel interface failed; nothing can be served
		}
	}
}

// post runs f on the loop goroutine at the start of its next pass.
func (l *loop) post(f func()) {
	l.inMu.Lock()
	l.inbox = append(l.inbox, f)
	l.inMu.Unlock()
	if l.pending.CompareAndSwap(false, true) {
		l.k.wake()
	}
}

// soon is post from the loop goroutine: f runs at the start of the next
// pass, after the current LoopHandler method, and no wake-up is needed.
// OnClose and Detach's function go this way, so that they never run
// inside the Close or Detach that caused them, on either backend.
func (l *loop) soon(f func()) {
	l.inMu.Lock()
	l.inbox = append(l.inbox, f)
	l.inMu.Unlock()
	l.pending.Store(true)
}

func (l *loop) runInbox() {
	if l.inboxPos == len(l.inboxRun) {
		if !l.pending.Load() {
			return
		}
		l.inMu.Lock()
		l.inboxRun, l.inboxPos = l.inbox, 0
		l.inbox = nil
		l.pending.Store(false)
		l.inMu.Unlock()
	}
	for l.inboxPos < len(l.inboxRun) {
		f := l.inboxRun[l.inboxPos]
		l.inboxRun[l.inboxPos] = nil
		l.inboxPos++
		f()
	}
}

// flush starts a send on every connection that queued bytes this pass.
func (l *loop) flush() {
	for l.dirtyPos < len(l.dirty) {
		c := l.dirty[l.dirtyPos]
		l.dirty[l.dirtyPos] = nil
		l.dirtyPos++
		c.dirty = false
		if len(c.out) > 0 && !c.sendBusy && c.sysfd >= 0 {
			l.k.send(c)
		}
	}
	l.dirty, l.dirtyPos = l.dirty[:0], 0
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
		unix.Close(c.sysfd)
		c.sysfd = -1
		c.state = connDone
		err = c.opError("register", err)
		l.invoke(c, nil, nil, func() int {
			l.g.h.OnOpen(c)
			l.g.h.OnClose(c, err)
			return 0
		}, nil)
		return
	}
	l.invoke(c, nil, nil, func() int { l.g.h.OnOpen(c); return 0 }, nil)
	if len(buffered) > 0 && c.state == connOpen {
		l.deliver(c, buffered, nil)
	}
}

func (l *loop) alloc(c *LoopConn) uint32 {
	l.gen++
	c.gen = l.gen & genMask
	l.live++
	if n := len(l.free); n > 0 {
		slot := l.free[n-1]
		l.free = l.free[:n-1]
		l.conns[slot] = c
		return slot
	}
	l.conns = append(l.conns, c)
	return uint32(len(l.conns) - 1)
}

// genMask keeps generations to 24 bits, the room io_uring user_data has
// beside the slot and the op kind.
const genMask = 1<<24 - 1

// lookup returns the connection in slot if its generation is gen.
func (l *loop) lookup(slot, gen uint32) *LoopConn {
	if int(slot) < len(l.conns) {
		if c := l.conns[slot]; c != nil && c.gen == gen {
			return c
		}
	}
	return nil
}

// deliver hands bytes that arrived on c to the handler and keeps what it
// did not consume. lost runs if the handler's goroutine loses the loop
// (see invoke): it gives back what data lives in.
func (l *loop) deliver(c *LoopConn, data []byte, lost func()) {
	if c.away {
		// The handler's goroutine left the loop: keep the bytes for its
		// Leave, within bounds.
		c.awayIn = append(c.awayIn, data...)
		if len(c.awayIn) > l.g.maxQueued {
			l.k.stopRecv(c)
		}
		return
	}
	if c.state != connOpen {
		if c.state == connDetaching {
			c.in = l.bufs.append(c.in, data) // handed over to the net.Conn
		}
		return // closing: the owner does not want more
	}
	if c.paused {
		// Back-pressure: the kernel delivered this before it saw the
		// receive stop. Hold it until the queue drains.
		c.in = l.bufs.append(c.in, data)
		return
	}
	in := data
	if len(c.in) > 0 {
		c.in = l.bufs.append(c.in, data)
		in = c.in
	}
	n := l.invoke(c, in, nil, func() int { return l.g.h.OnData(c, in) }, lost)
	n = min(max(n, 0), len(in))
	switch {
	case len(c.in) == 0 && n < len(in):
		c.in = l.bufs.append(c.in, in[n:])
	case len(c.in) > 0 && n == len(c.in):
		l.bufs.put(c.in)
		c.in = nil
	case len(c.in) > 0:
		c.in = c.in[:copy(c.in, c.in[n:])]
	}
}

// deliverHeld hands the bytes held while c was paused to the handler, in
// pieces no larger than the room in c's queue, so that the queue stays
// bounded; a piece the handler cannot use is grown to all of them.
func (l *loop) deliverHeld(c *LoopConn) {
	for len(c.in) > 0 && !c.paused && c.state == connOpen {
		k := min(len(c.in), max(l.g.maxQueued-c.queued(), 4<<10))
		in := c.in[:k]
		n := l.invoke(c, in, c.in[k:], func() int { return l.g.h.OnData(c, in) }, nil)
		n = min(max(n, 0), k)
		if n == 0 && k < len(c.in) && c.state == connOpen {
			in = c.in
			n = l.invoke(c, in, nil, func() int { return l.g.h.OnData(c, in) }, nil)
			n = min(max(n, 0), len(c.in))
		}
		if c.state != connOpen {
			return
		}
		if n == 0 {
			return
		}
		c.in = c.in[:copy(c.in, c.in[n:])]
	}
	if len(c.in) == 0 {
		l.bufs.put(c.in)
		c.in = nil
	}
	l.tellEOF(c)
}

// eof tells the handler that the peer shut down its side.
func (l *loop) eof(c *LoopConn) {
	c.eof = true
	l.peerGone(c)
	l.tellEOF(c)
}

// tellEOF calls OnEOF once, after the bytes held for back-pressure.
func (l *loop) tellEOF(c *LoopConn) {
	if c.eof && !c.eofSent && !c.paused && !c.away && c.state == connOpen {
		c.eofSent = true
		l.invoke(c, nil, nil, func() int { l.g.h.OnEOF(c); return 0 }, nil)
	}
}

// sent records that the kernel took all of c's output so far.
func (l *loop) sent(c *LoopConn) {
	if c.shutWr && c.err == nil {
		if err := c.shutdownWrite(); err != nil {
			c.fail(err)
			return
		}
	}
	if c.paused && c.queued() <= l.g.maxQueued/2 && c.state == connOpen {
		c.paused = false
		l.k.resumeRecv(c)
		l.deliverHeld(c)
	}
	l.settle(c)
}

// settle finishes a Close or Detach once nothing is in flight on c.
func (l *loop) settle(c *LoopConn) {
	if c.state != connClosing && c.state != connDetaching {
		return
	}
	if c.recvArmed || c.sendBusy || (len(c.out) > 0 && c.err == nil) {
		return
	}
	if c.state == connDetaching && c.err == nil {
		l.finishDetach(c)
		return
	}
	l.remove(c)
	err := unix.Close(c.sysfd)
	c.sysfd = -1
	c.state = connDone
	if c.err == nil && err != nil {
		c.err = c.opError("close", os.NewSyscallError("close", err))
	}
	l.peerGone(c)
	if fn := c.detach; fn != nil { // a Detach or Leave that failed
		err := c.err
		if err == nil {
			err = c.opError("detach", net.ErrClosed)
		}
		if c.leaving {
			fn(nil, err)
		} else {
			l.soon(func() { l.invoke(c, nil, nil, func() int { fn(nil, err); return 0 }, nil) })
		}
		return
	}
	if !c.away { // else its goroutine learns it from Leave or comeBack
		l.soon(func() { l.tellClose(c) })
	}
}

// tellClose calls OnClose for c, once. Not while c's method is away: a
// method that closed c and then lost the loop (the hand-off) still runs,
// and comeBack tells it when the method has returned.
func (l *loop) tellClose(c *LoopConn) {
	if c.toldClose || c.away {
		return
	}
	c.toldClose = true
	l.invoke(c, nil, nil, func() int { l.g.h.OnClose(c, c.err); return 0 }, nil)
}

// remove takes c out of the loop's table and returns its buffers.
func (l *loop) remove(c *LoopConn) {
	l.conns[c.slot] = nil
	l.free = append(l.free, c.slot)
	l.live--
	l.bufs.put(c.out)
	c.out = nil
	if c.state != connDetaching {
		l.bufs.put(c.in)
		c.in = nil
	}
}

// finishDetach moves c to the blocking mode and gives it to its owner.
func (l *loop) finishDetach(c *LoopConn) {
	l.k.release(c)
	held := c.in
	c.in = nil
	l.remove(c)
	s := c.sysfd
	c.sysfd = -1
	c.state = connDone
	fn := c.detach
	var conn net.Conn
	drv, err := driverFor(l.g.backend)
	if err != nil {
		unix.Close(s)
		err = c.opError("detach", err)
	} else if fd, ferr := newFD(s, drv); ferr != nil {
		err = c.opError("detach", ferr)
	} else {
		fd.pending = append([]byte(nil), held...)
		conn = newConn(fd, c.network, c.laddr, c.raddr)
	}
	l.bufs.put(held)
	if c.leaving {
		fn(conn, err)
		return
	}
	l.soon(func() { l.invoke(c, nil, nil, func() int { fn(conn, err); return 0 }, nil) })
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
	}
	k, err := newEpollLoop(l)
	if err != nil {
		return nil, false, err
	}
	return k, false, nil
}
