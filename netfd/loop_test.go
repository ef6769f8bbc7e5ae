//go:build linux

package netfd_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ringnet/ringnet/internal/backendtest"
	"github.com/ringnet/ringnet/internal/leakcheck"
	"github.com/ringnet/ringnet/netfd"
)

// funcs is a LoopHandler made of optional functions: by default it echoes
// what arrives and closes on EOF.
type funcs struct {
	open  func(c *netfd.LoopConn)
	data  func(c *netfd.LoopConn, in []byte) int
	eof   func(c *netfd.LoopConn)
	close func(c *netfd.LoopConn, err error)
}

func (h *funcs) OnOpen(c *netfd.LoopConn) {
	if h.open != nil {
		h.open(c)
	}
}

func (h *funcs) OnData(c *netfd.LoopConn, in []byte) int {
	if h.data != nil {
		return h.data(c, in)
	}
	c.Write(in)
	return len(in)
}

func (h *funcs) OnEOF(c *netfd.LoopConn) {
	if h.eof != nil {
		h.eof(c)
		return
	}
	c.Close()
}

func (h *funcs) OnClose(c *netfd.LoopConn, err error) {
	if h.close != nil {
		h.close(c, err)
	}
}

// serveLoops runs loops with h on b, serving a listener on 127.0.0.1:0,
// until the test ends; it returns the listener's address.
func serveLoops(t *testing.T, b backend, cfg netfd.LoopConfig, h netfd.LoopHandler) string {
	t.Helper()
	cfg.Backend = b.NB
	g, err := netfd.NewLoops(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, g)
}

func serveOn(t *testing.T, g *netfd.Loops) string {
	t.Helper()
	lc := netfd.ListenConfig{Backend: g.Backend()}
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		g.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- g.Serve(ln) }()
	t.Cleanup(func() {
		if err := g.Close(); err != nil && !errors.Is(err, netfd.ErrLoopsClosed) {
			t.Errorf("Loops.Close: %v", err)
		}
		if err := <-done; !errors.Is(err, netfd.ErrLoopsClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

func dialT(t *testing.T, b backend, addr string) net.Conn {
	t.Helper()
	c, err := b.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// randomBytes returns n pseudo-random bytes from seed.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

func TestLoopEcho(t *testing.T) {
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		addr := serveLoops(t, b, netfd.LoopConfig{}, &funcs{})
		var wg sync.WaitGroup
		for i := range 16 {
			c := dialT(t, b, addr)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range 50 {
					msg := []byte(fmt.Sprintf("conn %d message %d\n", i, j))
					if _, err := c.Write(msg); err != nil {
						t.Error(err)
						return
					}
					got := make([]byte, len(msg))
					if _, err := io.ReadFull(c, got); err != nil {
						t.Error(err)
						return
					}
					if !bytes.Equal(got, msg) {
						t.Errorf("echo %q, want %q", got, msg)
						return
					}
				}
			}()
		}
		wg.Wait()
	})
}

// TestLoopPartialConsume: bytes OnData does not consume come back in front
// of the next ones, so a line protocol sees whole lines however the bytes
// were split.
func TestLoopPartialConsume(t *testing.T) {
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		addr := serveLoops(t, b, netfd.LoopConfig{}, &funcs{data: func(c *netfd.LoopConn, in []byte) int {
			n := bytes.LastIndexByte(in, '\n') + 1
			for _, line := range bytes.SplitAfter(in[:n], []byte("\n")) {
				if len(line) > 0 {
					c.Write([]byte(strconv.Itoa(len(line)-1) + " "))
				}
			}
			return n
		}})
		c := dialT(t, b, addr)
		go func() {
			for _, piece := range []string{"a", "bc", "\nde", "f\n\n", "ghij", "k\n"} {
				c.Write([]byte(piece))
			}
		}()
		got := make([]byte, len("3 3 0 5 "))
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatal(err)
		}
		if string(got) != "3 3 0 5 " {
			t.Fatalf("line lengths %q, want %q", got, "3 3 0 5 ")
		}
	})
}

// TestLoopManyConns holds 10,000 connections on the loops at once, each
// echoing.
func TestLoopManyConns(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	n = connsThatFit(t, n)
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		var open atomic.Int64
		addr := serveLoops(t, b, netfd.LoopConfig{}, &funcs{
			open:  func(*netfd.LoopConn) { open.Add(1) },
			close: func(*netfd.LoopConn, error) { open.Add(-1) },
		})
		cs := make([]net.Conn, n)
		for i := range cs {
			cs[i] = dialT(t, b, addr)
			if _, err := cs[i].Write([]byte(strconv.Itoa(i))); err != nil {
				t.Fatal(i, err)
			}
		}
		for i, c := range cs {
			want := strconv.Itoa(i)
			got := make([]byte, len(want))
			if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
				t.Fatalf("conn %d: %q, %v", i, got, err)
			}
		}
		if got := open.Load(); got != int64(n) {
			t.Fatalf("%d connections open on the loops, want %d", got, n)
		}
	})
}

// TestLoopBulk sends 64 MiB each way through the loops and checks both
// with SHA-256: the client's bytes are echoed, and the server streams
// 64 MiB of its own after the client half-closes.
func TestLoopBulk(t *testing.T) {
	size := 64 << 20
	if testing.Short() || raceEnabled {
		size = 8 << 20
	}
	upload := randomBytes(size, 1)
	download := randomBytes(size, 2)
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		addr := serveLoops(t, b, netfd.LoopConfig{}, &funcs{
			eof: func(c *netfd.LoopConn) {
				c.Write(download)
				c.Close()
			},
		})
		c := dialT(t, b, addr)
		go func() {
			c.Write(upload)
			c.(*netfd.Conn).CloseWrite()
		}()
		h := sha256.New()
		if _, err := io.CopyN(h, c, int64(size)); err != nil {
			t.Fatal(err)
		}
		if got, want := h.Sum(nil), sha256.Sum256(upload); !bytes.Equal(got, want[:]) {
			t.Fatal("echoed bytes differ from the upload")
		}
		h.Reset()
		n, err := io.Copy(h, c)
		if err != nil || n != int64(size) {
			t.Fatalf("download: %d bytes, %v; want %d", n, err, size)
		}
		if got, want := h.Sum(nil), sha256.Sum256(download); !bytes.Equal(got, want[:]) {
			t.Fatal("downloaded bytes differ")
		}
	})
}

// TestLoopPeerReset: a peer that resets reaches OnClose as a *net.OpError
// that is ECONNRESET.
func TestLoopPeerReset(t *testing.T) {
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		closed := make(chan error, 1)
		got := make(chan struct{}, 1)
		addr := serveLoops(t, b, netfd.LoopConfig{}, &funcs{
			data:  func(c *netfd.LoopConn, in []byte) int { got <- struct{}{}; return len(in) },
			close: func(c *netfd.LoopConn, err error) { closed <- err },
		})
		c := dialT(t, b, addr)
		c.Write([]byte("x"))
		<-got
		c.(interface{ SetLinger(int) error }).SetLinger(0)
		c.Close()
		err := <-closed
		var oe *net.OpError
		if !errors.As(err, &oe) || !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("OnClose(%v), want a *net.OpError that is ECONNRESET", err)
		}
	})
}

// TestLoopHalfClose: the peer's half-close reaches OnEOF and the server can
// still answer; the server's CloseWrite gives the peer EOF while it keeps
// receiving.
func TestLoopHalfClose(t *testing.T) {
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		var received bytes.Buffer // on the loop only until OnEOF
		addr := serveLoops(t, b, netfd.LoopConfig{}, &funcs{
			data: func(c *netfd.LoopConn, in []byte) int {
				if received.Len() == 0 {
					c.Write([]byte("first"))
					c.CloseWrite()
				}
				received.Write(in)
				return len(in)
			},
			eof: func(c *netfd.LoopConn) {
				c.Write([]byte(" and more?"))
				c.Close()
			},
		})
		c := dialT(t, b, addr)
		c.Write([]byte("hello"))
		all, err := io.ReadAll(c)
		if err != nil || string(all) != "first" {
			t.Fatalf("read %q, %v; want %q then EOF", all, err, "first")
		}
		if _, err := c.Write([]byte(" world")); err != nil {
			t.Fatal("writing after the server's CloseWrite:", err)
		}
		c.(*netfd.Conn).CloseWrite()
		// The server's write after its own CloseWrite fails; the peer sees
		// nothing more.
		if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Fatalf("read after EOF: %d, %v", n, err)
		}
	})
}

// TestLoopBackPressure: a peer that sends without reading stops being read
// once MaxQueued bytes wait for it; nothing is lost when it reads again.
func TestLoopBackPressure(t *testing.T) {
	const maxQueued = 256 << 10
	size := 16 << 20
	data := randomBytes(size, 3)
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		var peak atomic.Int64
		full := make(chan struct{})
		var once sync.Once
		addr := serveLoops(t, b, netfd.LoopConfig{MaxQueued: maxQueued}, &funcs{data: func(c *netfd.LoopConn, in []byte) int {
			c.Write(in)
			q := int64(c.Queued())
			if q > peak.Load() {
				peak.Store(q)
			}
			if q > maxQueued {
				once.Do(func() { close(full) })
			}
			return len(in)
		}})
		c := dialT(t, b, addr)
		go c.Write(data)
		<-full // the queue filled while the client is not reading
		h := sha256.New()
		if _, err := io.CopyN(h, c, int64(size)); err != nil {
			t.Fatal(err)
		}
		if got, want := h.Sum(nil), sha256.Sum256(data); !bytes.Equal(got, want[:]) {
			t.Fatal("echoed bytes differ")
		}
		// One receive past the limit at most: 64 KiB on epoll, a provided
		// buffer on io_uring.
		if p := peak.Load(); p > maxQueued+64<<10 {
			t.Fatalf("queue peaked at %d bytes, limit %d", p, maxQueued)
		}
	})
}

// TestLoopCloseFlushes: Close sends what is queued before closing.
func TestLoopCloseFlushes(t *testing.T) {
	data := randomBytes(4<<20, 4)
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		closed := make(chan error, 1)
		addr := serveLoops(t, b, netfd.LoopConfig{}, &funcs{
			data: func(c *netfd.LoopConn, in []byte) int {
				c.Write(data[:1<<20])
				c.Write(data[1<<20:])
				c.Close()
				if _, err := c.Write([]byte("late")); !errors.Is(err, net.ErrClosed) {
					t.Errorf("Write after Close: %v, want net.ErrClosed", err)
				}
				return len(in)
			},
			close: func(c *netfd.LoopConn, err error) { closed <- err },
		})
		c := dialT(t, b, addr)
		c.Write([]byte("go"))
		got, err := io.ReadAll(c)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read %d bytes, %v; want the %d queued, then EOF", len(got), err, len(data))
		}
		if err := <-closed; err != nil {
			t.Fatalf("OnClose(%v) after Close, want nil", err)
		}
	})
}

// TestLoopCloseAll: closing the Loops closes every connection with
// net.ErrClosed.
func TestLoopCloseAll(t *testing.T) {
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		errs := make(chan error, 8)
		opened := make(chan struct{}, 8)
		g, err := netfd.NewLoops(netfd.LoopConfig{Backend: b.NB}, &funcs{
			open:  func(*netfd.LoopConn) { opened <- struct{}{} },
			close: func(c *netfd.LoopConn, err error) { errs <- err },
		})
		if err != nil {
			t.Fatal(err)
		}
		lc := netfd.ListenConfig{Backend: b.NB}
		ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- g.Serve(ln) }()
		var cs []net.Conn
		for range 8 {
			cs = append(cs, dialT(t, b, ln.Addr().String()))
			<-opened
		}
		g.Close()
		if err := <-served; !errors.Is(err, netfd.ErrLoopsClosed) {
			t.Fatalf("Serve: %v", err)
		}
		for range 8 {
			if err := <-errs; !errors.Is(err, net.ErrClosed) {
				t.Fatalf("OnClose(%v), want net.ErrClosed", err)
			}
		}
		for _, c := range cs {
			if _, err := c.Read(make([]byte, 1)); err == nil {
				t.Fatal("read from a connection the loops closed succeeded")
			}
		}
		if err := g.Close(); !errors.Is(err, netfd.ErrLoopsClosed) {
			t.Fatalf("second Close: %v", err)
		}
	})
}

// TestLoopModeSwitch moves connections between the loop and the blocking
// mode again and again while the client streams numbered lines: each mode
// echoes what it reads, and the client must get back exactly what it sent.
func TestLoopModeSwitch(t *testing.T) {
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		var g *netfd.Loops
		var wg sync.WaitGroup
		h := &funcs{}
		h.open = func(c *netfd.LoopConn) { c.SetContext(0) }
		h.data = func(c *netfd.LoopConn, in []byte) int {
			n := bytes.LastIndexByte(in, '\n') + 1
			if n == 0 {
				return 0
			}
			// Echo a few lines, then leave the loop with the rest unconsumed.
			k := c.Context().(int)
			end := 0
			for end < n && k < 7 {
				end += bytes.IndexByte(in[end:], '\n') + 1
				k++
			}
			c.Write(in[:end])
			c.SetContext(k)
			if k == 7 {
				wg.Add(1)
				c.Detach(func(nc net.Conn, err error) {
					if err != nil {
						wg.Done()
						t.Error("detach:", err)
						return
					}
					go func() {
						defer wg.Done()
						blockingTurn(t, g, nc)
					}()
				})
			}
			return end
		}
		h.eof = func(c *netfd.LoopConn) { c.Close() }
		var err error
		g, err = netfd.NewLoops(netfd.LoopConfig{Backend: b.NB}, h)
		if err != nil {
			t.Fatal(err)
		}
		addr := serveOn(t, g)
		var clients sync.WaitGroup
		for i := range 4 {
			c := dialT(t, b, addr)
			clients.Add(1)
			go func() {
				defer clients.Done()
				var sent bytes.Buffer
				for j := range 2000 {
					fmt.Fprintf(&sent, "client %d line %d %s\n", i, j, bytes.Repeat([]byte("x"), j%97))
				}
				want := sent.Bytes()
				go func() {
					// Uneven writes, so lines straddle reads.
					for p := want; len(p) > 0; {
						k := min(len(p), 1+len(p)%1500)
						c.Write(p[:k])
						p = p[k:]
					}
					c.(*netfd.Conn).CloseWrite()
				}()
				got, err := io.ReadAll(c)
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("client %d: %d bytes back, %v; want the %d sent", i, len(got), err, len(want))
				}
			}()
		}
		clients.Wait()
		wg.Wait()
	})
}

// blockingTurn serves nc in the blocking mode for a few lines, then
// attaches it back to g with what it read beyond them.
func blockingTurn(t *testing.T, g *netfd.Loops, nc net.Conn) {
	r := bufio.NewReader(nc)
	for range 5 {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			nc.Write(line)
			continue
		}
		// EOF in the blocking mode: finish here.
		if err == io.EOF {
			nc.(*netfd.Conn).CloseWrite()
		}
		nc.Close()
		return
	}
	rest, _ := r.Peek(r.Buffered())
	if err := g.Attach(nc, bytes.Clone(rest), 0); err != nil && !errors.Is(err, netfd.ErrLoopsClosed) {
		t.Error("attach:", err)
	}
}

// connsThatFit returns n, or fewer if the descriptor limit cannot hold two
// per connection for both backends at once.
func connsThatFit(t *testing.T, n int) int {
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	if lim.Cur < lim.Max || lim.Max < uint64(5*n) {
		lim.Cur = max(lim.Max, uint64(5*n))
		lim.Max = lim.Cur
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim) // as root; else as high as allowed
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	if fit := int(lim.Cur-200) / 4; fit < n {
		t.Logf("RLIMIT_NOFILE %d holds %d connections per backend, not %d", lim.Cur, fit, n)
		return fit
	}
	return n
}

// TestLoopRingStarved runs the io_uring loop with 4 provided buffers of
// 256 bytes and a 16-entry CQ under 32 connections echoing 64 KiB each:
// the buffer ring keeps running dry (ENOBUFS ends the multishot recv,
// which is armed again) and completions overflow the CQ, and every byte
// still comes back in order.
func TestLoopRingStarved(t *testing.T) {
	b := backendtest.Netfd[1]
	b.Available(t)
	before := leakcheck.Take()
	t.Cleanup(func() { before.Check(t) })
	const conns, size = 32, 64 << 10
	g, err := netfd.NewLoopsSmallRing(netfd.LoopConfig{Backend: b.NB}, &funcs{}, 8, 16, 4, 256)
	if err != nil {
		t.Fatal(err)
	}
	addr := serveOn(t, g)
	var wg sync.WaitGroup
	for i := range conns {
		c := dialT(t, b, addr)
		data := randomBytes(size, uint64(10+i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			go c.Write(data)
			got := make([]byte, size)
			if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, data) {
				t.Errorf("conn %d: echo differs (%v)", i, err)
			}
		}()
	}
	wg.Wait()
	g.Close()
	enobufs, overflows := g.RingStats()
	t.Logf("ENOBUFS %d times, CQ overflowed in %d passes", enobufs, overflows)
	if enobufs == 0 || overflows == 0 {
		t.Fatalf("ENOBUFS %d, CQ overflows %d: the test did not starve the ring", enobufs, overflows)
	}
}

// TestLoopHandOff: with one loop and HandOffAfter set, a handler that
// blocks does not hold up the loop's other connections; what it writes
// after the hand-off arrives in order, the bytes that came meanwhile are
// delivered after it returns, and the client going away while it blocks
// is reported through OnGone.
func TestLoopHandOff(t *testing.T) {
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		releases := make(chan chan struct{}, 2)
		blocked := make(chan struct{}, 1)
		gone := make(chan struct{})
		var goneOnce sync.Once
		g, err := netfd.NewLoops(netfd.LoopConfig{Backend: b.NB, Loops: 1, HandOffAfter: time.Millisecond}, &funcs{
			data: func(c *netfd.LoopConn, in []byte) int {
				if bytes.HasPrefix(in, []byte("block")) {
					c.OnGone(func() { goneOnce.Do(func() { close(gone) }) })
					release := make(chan struct{})
					releases <- release
					blocked <- struct{}{}
					<-release
					c.Write([]byte("unblocked;"))
					return len("block")
				}
				c.Write(in)
				return len(in)
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		addr := serveOn(t, g)
		a := dialT(t, b, addr)
		a.Write([]byte("block"))
		<-blocked
		a.Write([]byte("after;")) // arrives while the handler is away
		// Another connection on the same (only) loop is served meanwhile.
		o := dialT(t, b, addr)
		o.SetDeadline(time.Now().Add(10 * time.Second))
		for i := range 20 {
			msg := []byte("ping " + strconv.Itoa(i))
			o.Write(msg)
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(o, got); err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("other connection while a handler blocks: %q, %v", got, err)
			}
		}
		close(<-releases)
		want := "unblocked;after;"
		got := make([]byte, len(want))
		a.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(a, got); err != nil || string(got) != want {
			t.Fatalf("blocked connection read %q, %v; want %q", got, err, want)
		}
		// Once more, and this time the client goes away while it blocks.
		a.Write([]byte("block"))
		<-blocked
		a.Close()
		<-gone
		close(<-releases)
	})
}

// TestLoopHandOffReleasesInput: a connection whose method lost the loop
// (HandOff) and returned no longer refers to the input it was given once
// it is back on the loop and idle: the reference would pin the read
// buffer the loop replaced at the hand-off (64 KiB on epoll; an idle
// connection kept one each, found with a heap profile of idle
// connections).
func TestLoopHandOffReleasesInput(t *testing.T) {
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		conns := make(chan *netfd.LoopConn, 1)
		g, err := netfd.NewLoops(netfd.LoopConfig{Backend: b.NB, Loops: 1, HandOffAfter: time.Hour}, &funcs{
			data: func(c *netfd.LoopConn, in []byte) int {
				c.HandOff()
				c.Write(in)
				conns <- c
				return len(in)
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		a := dialT(t, b, serveOn(t, g))
		a.Write([]byte("hello"))
		got := make([]byte, 5)
		a.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(a, got); err != nil || string(got) != "hello" {
			t.Fatalf("read %q, %v", got, err)
		}
		if in := netfd.CallInOnLoop(<-conns); in != nil {
			t.Errorf("back on the loop, the connection still refers to %d bytes of its method's input", len(in))
		}
	})
}

// TestLoopLeave: a handler leaves the loop with the unconsumed bytes,
// serves the connection in blocking mode with deadlines, and attaches it
// back; the other connections of the loop are served all along.
func TestLoopLeave(t *testing.T) {
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		var g *netfd.Loops
		left := make(chan struct{}, 1)
		g, err := netfd.NewLoops(netfd.LoopConfig{Backend: b.NB, Loops: 1, HandOffAfter: time.Hour}, &funcs{
			data: func(c *netfd.LoopConn, in []byte) int {
				i := bytes.Index(in, []byte("leave\n"))
				if i < 0 {
					c.Write(in)
					return len(in)
				}
				c.Write(in[:i])
				nc, err := c.Leave(i + len("leave\n"))
				if err != nil {
					t.Error("Leave:", err)
					return 0
				}
				left <- struct{}{}
				// Blocking mode: read one line with a deadline, answer it.
				nc.SetReadDeadline(time.Now().Add(10 * time.Second))
				r := bufio.NewReader(nc)
				line, err := r.ReadString('\n')
				if err != nil {
					t.Error("blocking read:", err)
					nc.Close()
					return 0
				}
				nc.Write([]byte("blocking:" + line))
				nc.SetReadDeadline(time.Time{})
				rest, _ := r.Peek(r.Buffered())
				if err := g.Attach(nc, bytes.Clone(rest), nil); err != nil {
					t.Error("Attach:", err)
				}
				return 0 // ignored after Leave
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		addr := serveOn(t, g)
		a := dialT(t, b, addr)
		a.SetDeadline(time.Now().Add(10 * time.Second))
		a.Write([]byte("one;leave\ntwo\nthr"))
		<-left
		o := dialT(t, b, addr)
		o.SetDeadline(time.Now().Add(10 * time.Second))
		o.Write([]byte("other"))
		if got := make([]byte, 5); func() bool { _, err := io.ReadFull(o, got); return err != nil || string(got) != "other" }() {
			t.Fatal("other connection not served while one left the loop")
		}
		a.Write([]byte("ee"))
		want := "one;blocking:two\nthree"
		got := make([]byte, len(want))
		if _, err := io.ReadFull(a, got); err != nil || string(got) != want {
			t.Fatalf("read %q, %v; want %q", got, err, want)
		}
	})
}

// TestLoopFlush: Flush sends what was written while the method still
// runs: the handler writes, flushes, and waits until the client has read
// it before it returns (without Flush the bytes would wait for the end of
// the loop's pass, and the test would time out).
func TestLoopFlush(t *testing.T) {
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		read := make(chan struct{})
		addr := serveLoops(t, b, netfd.LoopConfig{Loops: 1}, &funcs{
			data: func(c *netfd.LoopConn, in []byte) int {
				for i := range 3 {
					c.Write([]byte(fmt.Sprintf("piece %d;", i)))
					if err := c.Flush(); err != nil {
						t.Error("Flush:", err)
					}
					select {
					case <-read:
					case <-time.After(10 * time.Second):
						t.Error("the client did not get a flushed piece")
						return len(in)
					}
				}
				c.Write([]byte("end"))
				return len(in)
			},
		})
		c := dialT(t, b, addr)
		c.SetDeadline(time.Now().Add(20 * time.Second))
		c.Write([]byte("go"))
		for i := range 3 {
			want := fmt.Sprintf("piece %d;", i)
			got := make([]byte, len(want))
			if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
				t.Fatalf("piece %d: %q, %v", i, got, err)
			}
			read <- struct{}{}
		}
		got := make([]byte, 3)
		if _, err := io.ReadFull(c, got); err != nil || string(got) != "end" {
			t.Fatalf("after the pieces: %q, %v", got, err)
		}
	})
}

// TestLoopGone: while a method holds the loop, Gone tells whether the
// peer has shut down (false while it is there, true once it closed).
func TestLoopGone(t *testing.T) {
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		asked, closed, answer := make(chan struct{}), make(chan struct{}), make(chan [2]bool, 1)
		addr := serveLoops(t, b, netfd.LoopConfig{Loops: 1}, &funcs{
			data: func(c *netfd.LoopConn, in []byte) int {
				before := c.Gone()
				close(asked)
				<-closed
				answer <- [2]bool{before, c.Gone()}
				return len(in)
			},
		})
		c := dialT(t, b, addr)
		c.Write([]byte("x"))
		<-asked
		c.Close()
		close(closed)
		if got := <-answer; got != [2]bool{false, true} {
			t.Fatalf("Gone before and after the peer closed: %v, want [false true]", got)
		}
	})
}

// TestLoopLeaveKeepsInput: after LeaveKeepingInput, the method may still
// read the input it was given, while the loop goes on reading other connections
// (into a buffer of its own): the bytes stay as they were.
func TestLoopLeaveKeepsInput(t *testing.T) {
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		first := bytes.Repeat([]byte("k"), 1000)
		other := make(chan struct{})
		kept := make(chan bool, 1)
		addr := serveLoops(t, b, netfd.LoopConfig{Loops: 1}, &funcs{
			data: func(c *netfd.LoopConn, in []byte) int {
				if in[0] != 'k' {
					c.Write(in) // the other connection: echo
					return len(in)
				}
				nc, err := c.LeaveKeepingInput(len(in))
				if err != nil {
					t.Error("LeaveKeepingInput:", err)
					return 0
				}
				<-other // the loop has read and served the other connection
				kept <- bytes.Equal(in, first)
				nc.Close()
				return 0
			},
		})
		a := dialT(t, b, addr)
		a.Write(first)
		o := dialT(t, b, addr)
		o.SetDeadline(time.Now().Add(10 * time.Second))
		o.Write(bytes.Repeat([]byte("o"), 1000))
		if _, err := io.ReadFull(o, make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
		close(other)
		if !<-kept {
			t.Fatal("the input of the method that left changed under it")
		}
	})
}
