//go:build linux

package netfd_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ringnet/ringnet/internal/backendtest"
	"github.com/ringnet/ringnet/internal/leakcheck"
	"github.com/ringnet/ringnet/netfd"
)

// Fault injection (docs/robustness.md): the op layer's test hook
// (netfd.InjectFaults) makes the syscalls and io_uring ops of a test's
// sockets fail, stall or come up short, and every stream must still
// arrive whole, checked with SHA-256 in both directions. std runs the
// same bodies without injection: the hooks are netfd's, and what an
// application observes must not differ.

var (
	sysOps  = []netfd.FaultOp{netfd.RecvSys, netfd.SendSys}
	ringOps = []netfd.FaultOp{netfd.RecvRing, netfd.SendRing, netfd.RecvMultishot}
	allOps  = append(sysOps[:len(sysOps):len(sysOps)], ringOps...)
	sendOps = []netfd.FaultOp{netfd.SendSys, netfd.SendRing}
	recvOps = []netfd.FaultOp{netfd.RecvSys, netfd.RecvRing, netfd.RecvMultishot}
)

// A faultCase is a set of faults to inject on every op of a test's
// sockets; ringOnly cases have no syscall form to strike on epoll.
type faultCase struct {
	name     string
	faults   []netfd.Fault
	ringOnly bool
}

// streamFaults are the transient faults: each must be invisible to the
// application. On io_uring an EINTR, EAGAIN or ECANCELED becomes the
// op's CQE result (a NOP posting it), on epoll the syscall's error.
var streamFaults = []faultCase{
	{name: "eintr", faults: []netfd.Fault{{Ops: allOps, Errno: syscall.EINTR, Odds: 2}}},
	{name: "eagain-storm", faults: []netfd.Fault{
		{Ops: allOps, Errno: syscall.EAGAIN, Run: 32, Once: true}, // on each socket's first op
		{Ops: allOps, Errno: syscall.EAGAIN, Odds: 8, Run: 32},
	}},
	{name: "short", faults: []netfd.Fault{{Ops: allOps, Limit: 700, Odds: 2}}},
	{name: "ecanceled", faults: []netfd.Fault{
		{Ops: ringOps, Errno: syscall.ECANCELED, Once: true},
		{Ops: ringOps, Errno: syscall.ECANCELED, Odds: 4},
	}, ringOnly: true},
	{name: "mixed", faults: []netfd.Fault{
		{Ops: allOps, Errno: syscall.EINTR, Once: true},
		{Ops: allOps, Errno: syscall.EINTR, Odds: 8},
		{Ops: allOps, Errno: syscall.EAGAIN, Odds: 32, Run: 8},
		{Ops: ringOps, Errno: syscall.ECANCELED, Odds: 8},
		{Ops: allOps, Limit: 3000, Odds: 3},
	}},
}

// streamSize is how many bytes each direction carries per connection:
// 2 MiB, 256 KiB under -race or -short, or RINGNET_FAULT_MIB MiB (the
// long run of docs/robustness.md).
func streamSize() int {
	if mib, err := strconv.Atoi(os.Getenv("RINGNET_FAULT_MIB")); err == nil && mib > 0 {
		return mib << 20
	}
	if testing.Short() || raceEnabled {
		return 256 << 10
	}
	return 2 << 20
}

// inject injects fc's faults on the sockets bound to port, unless b is
// std, and returns the plan (nil on std).
func inject(t *testing.T, b backend, port int, seed uint64, fc faultCase) *netfd.FaultPlan {
	if b.Std() {
		return nil
	}
	return netfd.InjectFaults(t, port, seed, fc.faults...)
}

func portOf(a net.Addr) int { return a.(*net.TCPAddr).Port }

// checkStruck fails t if plan's faults never struck where they should
// have: the test would prove nothing.
func checkStruck(t *testing.T, b backend, fc faultCase, plans ...*netfd.FaultPlan) {
	t.Helper()
	if b.Std() || (fc.ringOnly && b.NB != netfd.Uring) {
		return
	}
	n := 0
	for _, p := range plans {
		n += p.Struck()
	}
	if n == 0 {
		t.Fatalf("%s: no fault struck", fc.name)
	}
	t.Logf("%s on %s: %d faults struck", fc.name, b.Name, n)
}

// TestFaultStream streams both ways at once between two conns, with the
// faults of each case striking both ends' ops.
func TestFaultStream(t *testing.T) {
	size := streamSize()
	run(t, func(t *testing.T, b backend) {
		for i, fc := range streamFaults {
			t.Run(fc.name, func(t *testing.T) {
				ln := b.ListenTCP(t)
				sp := inject(t, b, portOf(ln.Addr()), uint64(i), fc)
				client, server := acceptPair(t, b, ln)
				cp := inject(t, b, portOf(client.LocalAddr()), uint64(i), fc)
				exchange(t, client, server, size, uint64(i), nil)
				checkStruck(t, b, fc, sp, cp)
			})
		}
	})
}

// TestFaultDeadlineRace: deadlines that expire and are cleared again while
// reads and writes are in flight. On io_uring each expiry cancels the op
// in flight, racing its completion: a CQE with data or -ECANCELED, after
// which the op is made again. Timeouts are retried; no byte may be lost.
func TestFaultDeadlineRace(t *testing.T) {
	size := streamSize()
	run(t, func(t *testing.T, b backend) {
		ln := b.ListenTCP(t)
		client, server := acceptPair(t, b, ln)
		timeouts := exchange(t, client, server, size, 7, func(c net.Conn, read bool, started chan<- struct{}, progress, stop <-chan struct{}) {
			set := c.SetWriteDeadline
			if read {
				set = c.SetReadDeadline
			}
			wait := func() bool {
				select {
				case <-progress: // the side made a call since
					return true
				case <-stop:
					return false
				}
			}
			for i := 0; ; i++ {
				set(time.Now())
				if i == 0 {
					close(started) // the side's first call times out
				}
				// Mostly cleared at once, racing the op in flight; every
				// fourth time left expired until a call returns, which
				// then says timeout.
				if i%4 == 0 && !wait() {
					return
				}
				set(time.Time{})
				if !wait() {
					return
				}
			}
		})
		if timeouts == 0 {
			t.Fatal("no call timed out")
		}
		t.Logf("%d timeouts retried", timeouts)
	})
}

// TestFaultCQOverflow streams over 64 connections at once on an io_uring
// driver whose CQ has 16 entries, with the CQ held undrained until the
// kernel has had to keep completions in its overflow list: they are
// flushed from it, none is lost, and every stream arrives whole.
func TestFaultCQOverflow(t *testing.T) {
	b := backend{Name: "uring-smallcq", NB: netfd.UringSmallCQ}
	backendtest.Netfd[1].Available(t)
	// Start its driver first: its ring and reaper live as long as the process.
	if ln, err := b.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	} else {
		ln.Close()
	}
	before := leakcheck.Take()
	t.Cleanup(func() { before.Check(t) })
	size := streamSize() / 8
	ln := b.ListenTCP(t)
	var pairs [64][2]net.Conn
	for i := range pairs {
		pairs[i][0], pairs[i][1] = acceptPair(t, b, ln)
	}
	overflowed, release := netfd.HoldUringCQ(b.NB)
	var wg sync.WaitGroup
	for i, p := range pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			exchange(t, p[0], p[1], size, uint64(100+i), nil)
		}()
	}
	deadline := time.Now().Add(time.Minute)
	for !overflowed() && time.Now().Before(deadline) {
		runtime.Gosched() // the exchanges' first sends complete into the held CQ
	}
	held := overflowed()
	release()
	wg.Wait()
	n := netfd.UringOverflows(b.NB)
	if !held || n == 0 {
		t.Fatalf("CQ overflowed while held: %v; overflow flushed %d times", held, n)
	}
	t.Logf("CQ overflow flushed %d times", n)
}

// TestFaultWriteError: a write that fails in the middle of a stream
// (ECONNRESET, EPIPE) after short writes returns how much was written,
// and the peer receives exactly that much. A read that fails returns the
// bytes before it intact. std sees no fault and writes it all.
func TestFaultWriteError(t *testing.T) {
	size := streamSize()
	data := randomBytes(size, 21)
	run(t, func(t *testing.T, b backend) {
		for _, errno := range []syscall.Errno{syscall.ECONNRESET, syscall.EPIPE} {
			t.Run(errno.Error(), func(t *testing.T) {
				ln := b.ListenTCP(t)
				inject(t, b, portOf(ln.Addr()), 3, faultCase{faults: []netfd.Fault{
					{Ops: sendOps, Errno: errno, After: 40, Once: true},
					{Ops: sendOps, Limit: 3000},
				}})
				client, server := acceptPair(t, b, ln)
				type result struct {
					got []byte
					err error
				}
				read := make(chan result, 1)
				go func() {
					got, err := io.ReadAll(client)
					read <- result{got, err}
				}()
				written, err := writeChunks(server, data, 5, false)
				server.Close()
				r := <-read
				switch {
				case b.Std() && (err != nil || written != size):
					t.Fatalf("wrote %d of %d bytes: %v", written, size, err)
				case !b.Std() && !isOpError(err, errno):
					t.Fatalf("write error %v, want a *net.OpError that is %v", err, errno)
				case !b.Std() && written == size:
					t.Fatal("the fault did not strike")
				}
				if r.err != nil || len(r.got) != written || sha256.Sum256(r.got) != sha256.Sum256(data[:written]) {
					t.Fatalf("peer got %d bytes (%v), Write reported %d: they differ", len(r.got), r.err, written)
				}
			})
		}
		t.Run("read", func(t *testing.T) {
			ln := b.ListenTCP(t)
			client, server := acceptPair(t, b, ln)
			inject(t, b, portOf(client.LocalAddr()), 4, faultCase{faults: []netfd.Fault{
				{Ops: recvOps, Errno: syscall.ECONNRESET, After: 40, Once: true},
				{Ops: recvOps, Limit: 3000},
			}})
			go func() {
				writeChunks(server, data, 6, false)
				server.Close()
			}()
			got, err := io.ReadAll(client)
			switch {
			case b.Std() && (err != nil || len(got) != size):
				t.Fatalf("read %d of %d bytes: %v", len(got), size, err)
			case !b.Std() && !isOpError(err, syscall.ECONNRESET):
				t.Fatalf("read error %v, want a *net.OpError that is ECONNRESET", err)
			}
			if !bytes.Equal(got, data[:len(got)]) {
				t.Fatalf("the %d bytes read before the error differ from the stream's", len(got))
			}
		})
	})
}

func isOpError(err error, errno syscall.Errno) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && errors.Is(err, errno)
}

// acceptPair dials ln on b and returns both ends, closed when the test
// ends.
func acceptPair(t *testing.T, b backend, ln net.Listener) (client, server net.Conn) {
	t.Helper()
	ch := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
		}
		ch <- c
	}()
	client, err := b.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-ch
	if server == nil {
		client.Close()
		t.FailNow()
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// A disturber runs beside one direction of an exchange on conn c (read
// says which side) until stop is closed: that side starts once it closes
// started, and progress receives after each of the side's calls.
type disturber func(c net.Conn, read bool, started chan<- struct{}, progress, stop <-chan struct{})

// exchange sends size random bytes each way between client and server at
// once, in writes and reads of random sizes, then half-closes, and checks
// that each side read exactly what the other wrote (SHA-256). With a
// disturber, deadline errors are retried; it returns how many were.
func exchange(t *testing.T, client, server net.Conn, size int, seed uint64, d disturber) int {
	t.Helper()
	up, down := randomBytes(size, seed), randomBytes(size, seed+1000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	timeouts := 0
	errs := make(chan error, 4)
	stop := make(chan struct{})
	side := func(c net.Conn, read bool, f func(progress chan<- struct{}) (int, error)) {
		progress := make(chan struct{}, 1)
		if d != nil {
			started := make(chan struct{})
			wg.Add(1)
			go func() { defer wg.Done(); d(c, read, started, progress, stop) }()
			<-started
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := f(progress)
			mu.Lock()
			timeouts += n
			mu.Unlock()
			errs <- err
		}()
	}
	send := func(c net.Conn, data []byte, s uint64) func(chan<- struct{}) (int, error) {
		return func(progress chan<- struct{}) (int, error) {
			n, timeouts, err := writeChunksProgress(c, data, s, d != nil, progress)
			if err != nil {
				return timeouts, fmt.Errorf("%v: wrote %d of %d bytes: %w", c.LocalAddr(), n, len(data), err)
			}
			return timeouts, c.(interface{ CloseWrite() error }).CloseWrite()
		}
	}
	recv := func(c net.Conn, want []byte, s uint64) func(chan<- struct{}) (int, error) {
		return func(progress chan<- struct{}) (int, error) {
			sum, n, timeouts, err := readChunks(c, s, d != nil, progress)
			if err != nil {
				return timeouts, fmt.Errorf("%v: read %d bytes: %w", c.LocalAddr(), n, err)
			}
			if n != len(want) || sum != sha256.Sum256(want) {
				return timeouts, fmt.Errorf("%v: read %d bytes, want the %d sent: SHA-256 differs", c.LocalAddr(), n, len(want))
			}
			return timeouts, nil
		}
	}
	side(client, false, send(client, up, seed))
	side(server, false, send(server, down, seed+1))
	side(server, true, recv(server, up, seed+2))
	side(client, true, recv(client, down, seed+3))
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	return timeouts
}

// writeChunks writes data in pieces of random sizes up to 64 KiB and
// returns how much was written.
func writeChunks(c net.Conn, data []byte, seed uint64, retry bool) (int, error) {
	n, _, err := writeChunksProgress(c, data, seed, retry, nil)
	return n, err
}

func writeChunksProgress(c net.Conn, data []byte, seed uint64, retry bool, progress chan<- struct{}) (written, timeouts int, err error) {
	r := rand.New(rand.NewPCG(seed, 1))
	for written < len(data) {
		end := min(len(data), written+1+r.IntN(64<<10))
		n, err := c.Write(data[written:end])
		written += n
		signal(progress)
		if err != nil {
			if retry && errors.Is(err, os.ErrDeadlineExceeded) {
				timeouts++
				continue
			}
			return written, timeouts, err
		}
	}
	return written, timeouts, nil
}

// readChunks reads c to EOF in reads of random sizes up to 64 KiB and
// returns the SHA-256 and the length of what it read.
func readChunks(c net.Conn, seed uint64, retry bool, progress chan<- struct{}) (sum [32]byte, n, timeouts int, err error) {
	r := rand.New(rand.NewPCG(seed, 2))
	h := sha256.New()
	buf := make([]byte, 64<<10)
	for {
		k, err := c.Read(buf[:1+r.IntN(len(buf))])
		h.Write(buf[:k])
		n += k
		signal(progress)
		if err == io.EOF {
			break
		}
		if err != nil {
			if retry && errors.Is(err, os.ErrDeadlineExceeded) {
				timeouts++
				continue
			}
			return sum, n, timeouts, err
		}
	}
	copy(sum[:], h.Sum(nil))
	return sum, n, timeouts, nil
}

func signal(ch chan<- struct{}) {
	if ch == nil {
		return
	}
	select {
	case ch <- struct{}{}:
	default:
	}
}

// loopFaults are streamFaults plus, on the loops, a multishot recv ended
// by ENOBUFS (as if the buffer ring were empty) at every other arming,
// and receives stopped and started again for back-pressure at every few
// KiB (each stop cancels the multishot recv on io_uring, racing the data
// it is posting).
var loopFaults = append(streamFaults[:len(streamFaults):len(streamFaults)],
	faultCase{name: "enobufs", faults: []netfd.Fault{
		{Ops: []netfd.FaultOp{netfd.RecvMultishot}, Errno: syscall.ENOBUFS, Once: true},
		{Ops: []netfd.FaultOp{netfd.RecvMultishot}, Errno: syscall.ENOBUFS, Odds: 2},
	}, ringOnly: true},
	faultCase{name: "backpressure-cancels"},
)

// TestLoopFaults echoes streams through the loops with the faults of each
// case striking the server's ops; after the client half-closes, the
// server streams bytes of its own. On io_uring every case runs with a
// tiny buffer ring and CQ as well, so that ENOBUFS and CQ overflow come
// on top of the injected faults.
func TestLoopFaults(t *testing.T) {
	size := streamSize() / 2
	conns := 8
	down := randomBytes(size, 5000)
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		for i, fc := range loopFaults {
			for _, small := range []bool{false, true} {
				if small && b.NB != netfd.Uring {
					continue
				}
				name := fc.name
				if small {
					name += "-small-ring"
				}
				t.Run(name, func(t *testing.T) {
					size := size
					if small { // 1 KiB of buffers: slow on purpose
						size /= 4
					}
					cfg := netfd.LoopConfig{Backend: b.NB, Loops: 2}
					if fc.name == "backpressure-cancels" {
						cfg.MaxQueued = 4 << 10
					}
					h := &funcs{eof: func(c *netfd.LoopConn) {
						c.Write(down[:size])
						c.Close()
					}}
					var g *netfd.Loops
					var err error
					if small {
						g, err = netfd.NewLoopsSmallRing(cfg, h, 8, 16, 4, 256)
					} else {
						g, err = netfd.NewLoops(cfg, h)
					}
					if err != nil {
						t.Fatal(err)
					}
					addr := serveOn(t, g)
					_, port, _ := net.SplitHostPort(addr)
					p, _ := strconv.Atoi(port)
					plan := inject(t, b, p, uint64(i), fc)
					var wg sync.WaitGroup
					for k := range conns {
						c := dialT(t, b, addr)
						wg.Add(1)
						go func() {
							defer wg.Done()
							loopExchange(t, c, size, uint64(200+k), down[:size])
						}()
					}
					wg.Wait()
					if fc.faults != nil {
						checkStruck(t, b, fc, plan)
					}
					if small {
						g.Close()
						enobufs, overflows := g.RingStats()
						t.Logf("ENOBUFS %d times, CQ overflowed in %d passes", enobufs, overflows)
						if enobufs == 0 {
							t.Fatal("the buffer ring never ran dry")
						}
					}
				})
			}
		}
	})
}

// loopExchange sends size random bytes to the echoing server on c and
// half-closes; it must read the echo, then down, then EOF.
func loopExchange(t *testing.T, c net.Conn, size int, seed uint64, down []byte) {
	up := randomBytes(size, seed)
	errc := make(chan error, 1)
	go func() {
		_, err := writeChunks(c, up, seed, false)
		if err == nil {
			err = c.(interface{ CloseWrite() error }).CloseWrite()
		}
		errc <- err
	}()
	sum, n, _, err := readChunks(c, seed, false, nil)
	if werr := <-errc; werr != nil {
		t.Errorf("write: %v", werr)
		return
	}
	want := sha256.New()
	want.Write(up)
	want.Write(down)
	if err != nil || n != size+len(down) || !bytes.Equal(sum[:], want.Sum(nil)) {
		t.Errorf("read %d bytes (%v), want the %d echoed and the %d of the server: SHA-256 differs", n, err, size, len(down))
	}
}

// TestLoopFaultError: a send that fails in the middle of a stream
// (ECONNRESET, EPIPE), after short sends, ends the connection with that
// error in OnClose, and the peer has received a prefix of the stream
// intact; so does a receive that fails (ECONNRESET) for the echo.
func TestLoopFaultError(t *testing.T) {
	size := streamSize()
	data := randomBytes(size, 31)
	cases := []struct {
		name  string
		on    netfd.Backend // "": both
		write bool
		errno syscall.Errno
		ops   []netfd.FaultOp
		after int // ops of ops before the fault: far fewer arms of a multishot recv
	}{
		{"write-ECONNRESET", "", true, syscall.ECONNRESET, sendOps, 40},
		{"write-EPIPE", "", true, syscall.EPIPE, sendOps, 40},
		{"read-ECONNRESET", netfd.Epoll, false, syscall.ECONNRESET, []netfd.FaultOp{netfd.RecvSys}, 40},
		{"read-ECONNRESET", netfd.Uring, false, syscall.ECONNRESET, []netfd.FaultOp{netfd.RecvMultishot}, 2},
	}
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		for i, tc := range cases {
			if tc.on != "" && tc.on != b.NB {
				continue
			}
			t.Run(tc.name, func(t *testing.T) {
				write := tc.write
				closed := make(chan error, 1)
				h := &funcs{close: func(c *netfd.LoopConn, err error) { closed <- err }}
				if write {
					h.open = func(c *netfd.LoopConn) { c.Write(data); c.Close() }
				}
				// A small ring on io_uring: its recv ends (ENOBUFS) and is
				// armed again often.
				g, err := netfd.NewLoopsSmallRing(netfd.LoopConfig{Backend: b.NB, Loops: 1}, h, 8, 16, 4, 256)
				if err != nil {
					t.Fatal(err)
				}
				addr := serveOn(t, g)
				_, port, _ := net.SplitHostPort(addr)
				p, _ := strconv.Atoi(port)
				plan := netfd.InjectFaults(t, p, uint64(i),
					netfd.Fault{Ops: tc.ops, Errno: tc.errno, After: tc.after, Once: true},
					netfd.Fault{Ops: tc.ops, Limit: 3000})
				c := dialT(t, b, addr)
				c.SetDeadline(time.Now().Add(time.Minute))
				if !write {
					go writeChunks(c, data, 32, false) // fails once the server is gone
				}
				got, _ := io.ReadAll(c) // EOF or a reset
				if !bytes.Equal(got, data[:len(got)]) {
					t.Fatalf("the %d bytes received differ from the stream's", len(got))
				}
				if len(got) == size {
					t.Fatal("the whole stream arrived: the fault did not strike")
				}
				if err := <-closed; !isOpError(err, tc.errno) {
					t.Fatalf("OnClose(%v), want a *net.OpError that is %v", err, tc.errno)
				}
				t.Logf("%d bytes arrived before the fault; %d faults struck", len(got), plan.Struck())
			})
		}
	})
}

// TestLoopHandlerFaults runs one loop with four connections streaming
// through it (echo, then the server's own bytes, SHA-256 both ways) while
// other connections' handlers panic in each LoopHandler method, panic
// after the loop was handed off, or hang: each panicking connection is
// closed with the panic in OnClose, its method runs once, the hung one
// is served once it returns, and the streams and a new connection
// afterwards are served as if nothing happened.
func TestLoopHandlerFaults(t *testing.T) {
	size := streamSize() / 4
	down := randomBytes(size, 5000)
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		release := make(chan struct{})
		hung := make(chan struct{}, 4)
		var panicOpen sync.Mutex // held: the next OnOpen panics
		openPanics := false
		var mu sync.Mutex
		calls := map[string]int{} // marker -> OnData calls that saw it
		closed := make(chan error, 16)
		h := &funcs{}
		h.open = func(c *netfd.LoopConn) {
			panicOpen.Lock()
			p := openPanics
			openPanics = false
			panicOpen.Unlock()
			if p {
				panic("boom in OnOpen")
			}
		}
		h.data = func(c *netfd.LoopConn, in []byte) int {
			for _, m := range []string{"panic\n", "late-panic\n", "hang\n", "eof-panic\n"} {
				if !bytes.HasPrefix(in, []byte(m)) {
					continue
				}
				mu.Lock()
				calls[m]++
				mu.Unlock()
				switch m {
				case "panic\n":
					c.Write([]byte("dropped"))
					panic("boom in OnData")
				case "late-panic\n":
					hung <- struct{}{}
					<-release // long past HandOffAfter
					c.Write([]byte("dropped"))
					panic("boom in OnData, handed off")
				case "hang\n":
					hung <- struct{}{}
					<-release
					c.Write([]byte("released\n"))
				case "eof-panic\n":
					c.SetContext("eof-panic")
				}
				return len(m)
			}
			c.Write(in)
			return len(in)
		}
		h.eof = func(c *netfd.LoopConn) {
			if c.Context() == "eof-panic" {
				panic("boom in OnEOF")
			}
			c.Write(down)
			c.Close()
		}
		h.close = func(c *netfd.LoopConn, err error) {
			if err != nil {
				closed <- err
			}
		}
		g, err := netfd.NewLoops(netfd.LoopConfig{Backend: b.NB, Loops: 1, HandOffAfter: 5 * time.Millisecond}, h)
		if err != nil {
			t.Fatal(err)
		}
		addr := serveOn(t, g)

		var streams sync.WaitGroup
		for k := range 4 {
			c := dialT(t, b, addr)
			streams.Add(1)
			go func() {
				defer streams.Done()
				loopExchange(t, c, size, uint64(300+k), down)
			}()
		}
		// Closed by the server, after nothing or after what it was
		// written before the fault.
		expectClosed := func(c net.Conn, want string) {
			t.Helper()
			c.SetDeadline(time.Now().Add(time.Minute))
			got, _ := io.ReadAll(c)
			if string(got) != want {
				t.Errorf("read %q before the close, want %q", got, want)
			}
		}
		panics := 0
		for _, m := range []string{"panic\n", "eof-panic\n"} {
			c := dialT(t, b, addr)
			c.Write([]byte(m))
			if m == "eof-panic\n" {
				c.(*netfd.Conn).CloseWrite()
			}
			expectClosed(c, "")
			panics++
		}
		panicOpen.Lock()
		openPanics = true
		panicOpen.Unlock()
		expectClosed(dialT(t, b, addr), "")
		panics++

		late, hang := dialT(t, b, addr), dialT(t, b, addr)
		late.Write([]byte("late-panic\n"))
		hang.Write([]byte("hang\n"))
		<-hung
		<-hung
		// Both handlers hold goroutines of their own now; the loop goes on.
		o := dialT(t, b, addr)
		o.SetDeadline(time.Now().Add(time.Minute))
		o.Write([]byte("ping"))
		if got := make([]byte, 4); func() bool { _, err := io.ReadFull(o, got); return err != nil || string(got) != "ping" }() {
			t.Fatal("a new connection is not served while two handlers hang")
		}
		close(release)
		expectClosed(late, "")
		panics++
		hang.SetDeadline(time.Now().Add(time.Minute))
		if line, err := readLine(hang); err != nil || line != "released\n" {
			t.Fatalf("hung connection read %q, %v after its handler returned", line, err)
		}
		hang.Write([]byte("still served"))
		if got := make([]byte, 12); func() bool { _, err := io.ReadFull(hang, got); return err != nil || string(got) != "still served" }() {
			t.Fatal("the hung connection is not served by the loop after its handler returned")
		}
		streams.Wait()

		for range panics {
			if err := <-closed; !strings.Contains(fmt.Sprint(err), "panicked") {
				t.Errorf("OnClose(%v), want the panic", err)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for m, n := range calls {
			if n != 1 {
				t.Errorf("OnData saw %q %d times, want once", m, n)
			}
		}
	})
}

func readLine(c net.Conn) (string, error) {
	var line []byte
	b := make([]byte, 1)
	for {
		if _, err := c.Read(b); err != nil {
			return string(line), err
		}
		line = append(line, b[0])
		if b[0] == '\n' {
			return string(line), nil
		}
	}
}
