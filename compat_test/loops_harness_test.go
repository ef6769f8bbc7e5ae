package compat_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ringnet/ringnet/internal/backendtest"
	"github.com/ringnet/ringnet/netfd"
)

// Loop-mode scenarios: netfd's event loops (netfd.Loops) have no
// counterpart in std, so the reference is epoll and uring is compared to
// it. A loop scenario is an ordinary scenario: it runs through runOne
// (watchdog, closing what it opened, duplicate fields) and records in an
// obs; what the loop handler sees is recorded per connection in a
// loopConn and merged into the obs at a fixed point, once the scenario
// knows the handler is done with it.

// loopRef is the backend a loop scenario's other observations are compared
// with.
const loopRef = "epoll"

// compatLoops runs sc once per backend that has event loops
// (backendtest.Netfd: epoll, uring) as parallel subtests, inside
// backendtest.RunNetfd's descriptor and goroutine leak check, and once both
// are done compares uring's observation with epoll's.
//
// Unlike compat the test itself is not parallel: the leak check counts the
// whole process's descriptors and goroutines, so no other test may run
// meanwhile, and the compat tests, which call t.Parallel first thing, wait
// until every sequential test is done.
func compatLoops(t *testing.T, sc scenario) {
	nets := backendtest.Netfd
	if nets[0].Name != loopRef {
		t.Fatalf("backendtest.Netfd starts with %s, want %s as the reference", nets[0].Name, loopRef)
	}
	results := make([]*obs, len(nets))
	t.Cleanup(func() {
		if results[0] == nil {
			t.Errorf("%s produced no observation; nothing to compare against", loopRef)
			return
		}
		for i, b := range nets[1:] {
			got := results[i+1]
			if got == nil {
				t.Errorf("backend %s produced no observation (its subtest failed)", b.Name)
				continue
			}
			if d := diffRef(results[0], got, loopRef, b.Name); d != "" {
				t.Errorf("backend %s differs from %s:\n%s", b.Name, loopRef, d)
			}
		}
	})
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		i := slices.IndexFunc(nets, func(x backend) bool { return x.Name == b.Name })
		results[i] = runOne(t, b, sc)
	})
}

// diffRef is diff with the reference called ref instead of std. diff puts
// "std" right after the first ": " of each line, and no field name of a
// loop scenario holds ": ".
func diffRef(want, got *obs, ref, name string) string {
	lines := strings.SplitAfter(diff(want, got, name), "\n")
	for i, l := range lines {
		lines[i] = strings.Replace(l, ": std ", ": "+ref+" ", 1)
	}
	return strings.Join(lines, "")
}

// check records name = ok and fails the run when ok is false: the
// reference itself is under test here, so the few facts every backend
// must show (every byte echoed, the documented OnClose error) are
// asserted as well as compared.
func (e *env) check(o *obs, name string, ok bool, format string, args ...any) {
	e.t.Helper()
	o.setf(name, "%v", ok)
	if !ok {
		e.t.Errorf("%s on %s: %s", name, e.b.Name, fmt.Sprintf(format, args...))
	}
}

// A loopServer is a netfd.Loops on the backend under test, serving a TCP
// listener of that backend.
type loopServer struct {
	g      *netfd.Loops
	addr   string
	served chan error // Serve's result
}

// serveLoops starts loops with h on the backend under test and serves a
// fresh TCP listener with them. The Loops is closed when the run ends if
// the scenario has not closed it; shutdown closes it and records how.
func (e *env) serveLoops(cfg netfd.LoopConfig, h netfd.LoopHandler) *loopServer {
	e.t.Helper()
	if e.b.Std() {
		e.t.Fatalf("std has no event loops")
	}
	cfg.Backend = e.b.NB
	g, err := netfd.NewLoops(cfg, h)
	if err != nil {
		e.t.Fatalf("NewLoops on %s: %v", e.b.Name, err)
	}
	e.track(g)
	e.checkBackend(g)
	ln := e.listen("tcp")
	ls := &loopServer{g: g, addr: ln.Addr().String(), served: make(chan error, 1)}
	go func() { ls.served <- g.Serve(ln) }()
	return ls
}

// shutdown closes the Loops and records what Close, Serve and a second
// Close return.
func (ls *loopServer) shutdown(o *obs) {
	o.err("loops.close", ls.g.Close())
	err := <-ls.served
	o.err("loops.serve", err)
	o.setf("loops.serve.is.closed", "%v", errors.Is(err, netfd.ErrLoopsClosed))
	o.err("loops.close.again", ls.g.Close())
}

// A loopHandler is a netfd.LoopHandler made of optional functions, given
// the connection's loopConn (its Context). OnOpen makes a loopConn for a
// connection Serve accepted and hands it to the scenario on opened; a
// connection that Attach brought in keeps the loopConn it was given. By
// default OnData consumes everything, OnEOF closes, and OnClose records
// the error. Every method records into the loopConn only.
type loopHandler struct {
	opened chan *loopConn
	open   func(c *netfd.LoopConn, lc *loopConn)
	data   func(c *netfd.LoopConn, lc *loopConn, in []byte) int
	eof    func(c *netfd.LoopConn, lc *loopConn)
	close  func(c *netfd.LoopConn, lc *loopConn, err error)
}

func newLoopHandler() *loopHandler { return &loopHandler{opened: make(chan *loopConn, 16)} }

func (h *loopHandler) OnOpen(c *netfd.LoopConn) {
	lc, ok := c.Context().(*loopConn)
	if !ok {
		lc = newLoopConn()
		lc.local, lc.remote = c.LocalAddr().String(), c.RemoteAddr().String()
		c.SetContext(lc)
		h.opened <- lc
	}
	lc.opens++
	lc.rec(func(o *obs) { o.setf(fmt.Sprintf("open%d.attached", lc.opens), "%v", ok) })
	if h.open != nil {
		h.open(c, lc)
	}
}

func (h *loopHandler) OnData(c *netfd.LoopConn, in []byte) int {
	lc := c.Context().(*loopConn)
	if len(in) == 0 {
		lc.emptyData++
	}
	if h.data != nil {
		return h.data(c, lc, in)
	}
	return len(in)
}

func (h *loopHandler) OnEOF(c *netfd.LoopConn) {
	lc := c.Context().(*loopConn)
	lc.eofs++
	lc.rec(func(o *obs) { o.setf(fmt.Sprintf("eof%d", lc.eofs), "after %d lines", len(lc.lineLens)) })
	if h.eof != nil {
		h.eof(c, lc)
		return
	}
	err := lc.closeConn(c)
	lc.rec(func(o *obs) { o.err("eof.close", err) })
}

func (h *loopHandler) OnClose(c *netfd.LoopConn, err error) {
	lc := c.Context().(*loopConn)
	lc.rec(func(o *obs) {
		o.setf("data.empty.calls", "%d", lc.emptyData)
		o.setf("data.lost.prefix", "%d", lc.badPrefix)
		o.err("onclose", err)
		o.setf("onclose.inside.close", "%v", lc.inClose)
		n, werr := c.Write([]byte("after OnClose"))
		o.io("onclose.write", n, werr)
	})
	if h.close != nil {
		h.close(c, lc, err)
	}
	lc.closeErr = err
	close(lc.closed)
}

// A loopConn is what a scenario's handler knows and records about one
// connection. Its fields belong to the loop goroutine serving the
// connection (or to whoever holds the connection between Detach and
// Attach); r may be used from anywhere.
type loopConn struct {
	mu     sync.Mutex
	r      obs
	ev     chan string   // the handler tells the scenario where it is
	closed chan struct{} // closed after OnClose

	opens, eofs int
	emptyData   int    // OnData calls with nothing in in
	badPrefix   int    // OnData calls whose in did not start with kept
	kept        []byte // what the last OnData left unconsumed
	lineLens    []int
	lineSum     hash.Hash
	role        string
	inClose     bool   // closeConn is calling LoopConn.Close
	round       int    // how many times it left the loop (Detach)
	got         []byte // what a handler that consumes everything received
	closeErr    error  // what OnClose was given; read after closed
	local       string // its addresses, as OnOpen saw them
	remote      string
}

func newLoopConn() *loopConn {
	return &loopConn{ev: make(chan string, 16), closed: make(chan struct{}), lineSum: sha256.New()}
}

// closeConn calls c.Close and notes that it runs, so that OnClose records
// whether the loop called it from inside Close. Like any LoopConn method
// that may call the handler back, it must not be called inside rec.
func (lc *loopConn) closeConn(c *netfd.LoopConn) error {
	lc.inClose = true
	defer func() { lc.inClose = false }()
	return c.Close()
}

// rec records into the connection's observation. f must not call a
// LoopConn method that may call the handler back (Close, Detach): the
// handler records too.
func (lc *loopConn) rec(f func(o *obs)) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	f(&lc.r)
}

// obs returns a copy of what was recorded so far.
func (lc *loopConn) obs() *obs {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return &obs{fields: slices.Clone(lc.r.fields)}
}

// What a line function wants done with the line it was given.
type lineAction int

const (
	lineNext lineAction = iota // consume it and go on
	lineLast                   // consume it and stop: the rest stays unconsumed
	lineKeep                   // leave it (and the rest) unconsumed
)

// lines is the partial-consume path of a line protocol: it hands fn the
// whole newline-terminated lines at the start of in, one at a time with
// the bytes after it, and returns how many bytes of in it consumed; a
// partial line at the end is never consumed, so the loop hands it back,
// grown, with the next bytes. It counts the OnData calls whose in does not
// start with the bytes the previous call left, and every consumed line.
func (lc *loopConn) lines(in []byte, fn func(line, rest []byte) lineAction) int {
	if !bytes.HasPrefix(in, lc.kept) {
		lc.badPrefix++
	}
	n := 0
	for {
		i := bytes.IndexByte(in[n:], '\n')
		if i < 0 {
			break
		}
		line := in[n : n+i+1]
		act := fn(line, in[n+i+1:])
		if act == lineKeep {
			break
		}
		n += len(line)
		lc.lineLens = append(lc.lineLens, len(line))
		lc.lineSum.Write(line)
		if act == lineLast {
			break
		}
	}
	lc.kept = append(lc.kept[:0], in[n:]...)
	return n
}

// recordLines records the lines consumed so far: how many, their lengths,
// and the SHA-256 of all of them.
func (lc *loopConn) recordLines(o *obs, name string) {
	lens := make([]string, len(lc.lineLens))
	for i, n := range lc.lineLens {
		lens[i] = fmt.Sprint(n)
	}
	o.setf(name+".count", "%d", len(lc.lineLens))
	o.set(name+".lens", strings.Join(lens, ","))
	o.setf(name+".sha256", "%x", lc.lineSum.Sum(nil))
}
