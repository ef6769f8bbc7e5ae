package compat_test

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringnet/ringnet/internal/backendtest"
	"github.com/ringnet/ringnet/internal/leakcheck"
	"github.com/ringnet/ringnet/netfd"
)

// A backend is one implementation of listen and dial: std's net package (the
// reference) or a netfd backend.
type backend = backendtest.Backend

// backends lists std first: it is the reference the others are compared to.
var backends = backendtest.All

// scenarioTimeout bounds one scenario on one backend; past it everything the
// scenario opened is closed so that a stuck operation returns and shows up
// in the diff instead of hanging the suite.
const scenarioTimeout = 20 * time.Second

// A scenario performs a fixed sequence of operations through e and records
// what the application observes in o. It must record only what is
// deterministic on std (no read sizes, no timings), and must not return
// before every goroutine it started has finished.
type scenario func(e *env, o *obs)

// compat runs sc once per backend as parallel subtests and, once all of
// them are done, compares each netfd backend's observation with std's.
func compat(t *testing.T, sc scenario) {
	t.Parallel()
	results := make([]*obs, len(backends))
	t.Cleanup(func() {
		if results[0] == nil {
			t.Errorf("std produced no observation; nothing to compare against")
			return
		}
		for i, b := range backends[1:] {
			got := results[i+1]
			if got == nil {
				t.Errorf("backend %s produced no observation (its subtest failed)", b.Name)
				continue
			}
			if d := diff(results[0], got, b.Name); d != "" {
				t.Errorf("backend %s differs from std:\n%s", b.Name, d)
			}
		}
	})
	for i, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			results[i] = runOne(t, b, sc)
		})
	}
}

// runOne runs sc on b with a watchdog and closes everything it opened.
func runOne(t *testing.T, b backend, sc scenario) *obs {
	if !b.Std() {
		// Never skip: io_uring works on the machines this suite runs on,
		// and a skipped uring run would hide every difference.
		if got, err := netfd.Resolve(b.NB); err != nil || got != b.NB {
			t.Fatalf("backend %s must be usable here: Resolve = %q, %v", b.Name, got, err)
		}
	}
	e := &env{t: t, b: b}
	t.Cleanup(e.closeAll)
	o := &obs{}
	done := make(chan struct{})
	timer := time.AfterFunc(scenarioTimeout, func() { e.watchdog(done) })
	sc(e, o)
	close(done)
	timer.Stop()
	e.closeAll()
	if e.stuck.Load() {
		t.Errorf("%s: scenario stuck for %v; closed everything to unblock it. Goroutines then:\n%s",
			b.Name, scenarioTimeout, e.stack)
	}
	if testing.Verbose() {
		t.Logf("observed on %s:\n%s", b.Name, o)
	}
	if dup := o.duplicate(); dup != "" {
		t.Errorf("scenario records field %q twice (bug in the scenario)", dup)
	}
	return o
}

// watchdog runs when a scenario has taken scenarioTimeout: it closes
// everything the scenario opened, each Close in its own goroutine since a
// stuck backend may block in Close too, so that blocked operations return
// and the run fails with a diff. If that does not unblock the scenario, no
// test can make progress any more: it exits the process with every
// goroutine's stack rather than hang until go test's own timeout.
func (e *env) watchdog(done <-chan struct{}) {
	e.stack = allStacks()
	e.stuck.Store(true)
	e.mu.Lock()
	cs := e.closers
	e.mu.Unlock()
	for _, c := range cs {
		go c.Close()
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		fmt.Fprintf(os.Stderr, "compat: %s stuck for %v, and closing its conns and listeners did not unblock it.\n"+
			"goroutines when the watchdog fired:\n%s\ngoroutines now:\n%s",
			e.t.Name(), scenarioTimeout, e.stack, allStacks())
		os.Exit(2)
	}
}

func allStacks() string {
	buf := make([]byte, 4<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// An env is one scenario run on one backend: it listens and dials on that
// backend and remembers every listener and connection so they are closed
// when the run ends (or when the watchdog fires).
type env struct {
	t     *testing.T
	b     backend
	stuck atomic.Bool
	stack string // goroutine dump taken when the watchdog fired

	mu      sync.Mutex
	closers []interface{ Close() error }
	dirs    []string
}

func (e *env) track(c interface{ Close() error }) {
	e.mu.Lock()
	e.closers = append(e.closers, c)
	e.mu.Unlock()
}

func (e *env) closeAll() {
	e.mu.Lock()
	cs, dirs := e.closers, e.dirs
	e.closers, e.dirs = nil, nil
	e.mu.Unlock()
	for _, c := range cs {
		c.Close()
	}
	for _, d := range dirs {
		os.RemoveAll(d)
	}
}

// checkBackend fails the run if x (a listener or conn) does not run on the
// backend under test, so that a silent fallback cannot pass for uring.
func (e *env) checkBackend(x any) {
	if e.b.Std() {
		return
	}
	bk, ok := x.(interface{ Backend() netfd.Backend })
	if !ok {
		e.t.Fatalf("%T has no Backend method; is it a netfd type?", x)
	}
	if got := bk.Backend(); got != e.b.NB {
		e.t.Fatalf("%T runs on backend %q, want %q", x, got, e.b.NB)
	}
}

// address returns a fresh address to listen on: loopback port 0 for TCP, a
// path in a new short temporary directory for unix sockets.
func (e *env) address(network string) string {
	if network != "unix" {
		return "127.0.0.1:0"
	}
	dir, err := os.MkdirTemp("", "compat")
	if err != nil {
		e.t.Fatal(err)
	}
	e.mu.Lock()
	e.dirs = append(e.dirs, dir)
	e.mu.Unlock()
	return dir + "/s"
}

// listen listens on network at a fresh address; it fails the run on error.
func (e *env) listen(network string) net.Listener {
	e.t.Helper()
	addr := e.address(network)
	ln, err := e.b.Listen(network, addr)
	if err != nil {
		e.t.Fatalf("listen %s %s: %v", network, addr, err)
	}
	e.checkBackend(ln)
	e.track(ln)
	return ln
}

// dial connects to addr; errors are returned, for scenarios to record.
func (e *env) dial(network, addr string) (net.Conn, error) {
	c, err := e.b.Dial(network, addr)
	if c != nil {
		e.track(c)
	}
	return c, err
}

// pair returns both ends of a fresh connection on network and the listener's
// address; the listener is closed, the conns are closed when the run ends.
func (e *env) pair(network string) (client, server net.Conn, laddr net.Addr) {
	e.t.Helper()
	ln := e.listen(network)
	defer ln.Close()
	type accepted struct {
		c   net.Conn
		err error
	}
	ch := make(chan accepted, 1)
	go func() {
		c, err := ln.Accept()
		if c != nil {
			e.track(c)
		}
		ch <- accepted{c, err}
	}()
	client, err := e.dial(network, ln.Addr().String())
	if err != nil {
		ln.Close()
		<-ch
		e.t.Fatalf("dial %s: %v", ln.Addr(), err)
	}
	a := <-ch
	if a.err != nil {
		e.t.Fatalf("accept: %v", a.err)
	}
	e.checkBackend(client)
	e.checkBackend(a.c)
	return client, a.c, ln.Addr()
}

// TestMain starts each backend's shared machinery (pollers, rings) before
// taking the leak baseline, runs the suite, then fails it if descriptors or
// goroutines outlived it.
func TestMain(m *testing.M) {
	leakcheck.WarmUp(netfd.Epoll, netfd.Uring)
	before := leakcheck.Take()
	code := m.Run()
	if code == 0 {
		if msg := before.Wait(5 * time.Second); msg != "" {
			fmt.Fprintln(os.Stderr, "compat: leak after the suite:", msg)
			code = 1
		}
	}
	os.Exit(code)
}
