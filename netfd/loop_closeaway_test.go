//go:build linux

package netfd_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringnet/ringnet/internal/backendtest"
	"github.com/ringnet/ringnet/netfd"
)

// TestLoopCloseThenHandOff: a handler closes its connection and then
// blocks, so the loop is handed off and finishes the close while the
// handler is away. OnClose still comes, once, when the handler returns
// (an HTTP server counts its connections by it).
func TestLoopCloseThenHandOff(t *testing.T) {
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		release := make(chan struct{})
		closed := make(chan struct{}, 2)
		var closes atomic.Int32
		g, err := netfd.NewLoops(netfd.LoopConfig{Backend: b.NB, Loops: 1, HandOffAfter: time.Millisecond}, &funcs{
			data: func(c *netfd.LoopConn, in []byte) int {
				c.Write([]byte("bye"))
				c.Close()
				<-release // the loop sends "bye" and closes meanwhile: it was handed off
				return len(in)
			},
			close: func(c *netfd.LoopConn, err error) {
				if err != nil {
					t.Errorf("OnClose: %v", err)
				}
				closes.Add(1)
				closed <- struct{}{}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		addr := serveOn(t, g)
		c := dialT(t, b, addr)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.Write([]byte("x"))
		if got, err := io.ReadAll(c); err != nil || string(got) != "bye" {
			t.Fatalf("read %q, %v; want bye and EOF", got, err)
		}
		close(release)
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatal("no OnClose for a connection closed while its handler was away")
		}
		g.Close() // the loop is done: no OnClose can follow
		if n := closes.Load(); n != 1 {
			t.Fatalf("OnClose called %d times, want once", n)
		}
	})
}

// TestLoopEOFHandOff: OnEOF loses the loop (the watchdog or HandOff) and
// closes its connection, before or after the hand-off. The receive ended
// with the EOF; the connection must still close and OnClose come, and
// Loops.Close return. The io_uring loop once kept the ended receive marked
// armed when the goroutine that took the EOF lost the loop, so the close
// cancelled a receive that no longer existed and waited for it forever
// (cmd/server under slowloris: Shutdown timed out, Close hung).
func TestLoopEOFHandOff(t *testing.T) {
	for _, closeFirst := range []bool{false, true} {
		name := "HandOffThenClose"
		if closeFirst {
			name = "CloseThenHandOff"
		}
		t.Run(name, func(t *testing.T) {
			backendtest.RunNetfd(t, func(t *testing.T, b backend) {
				closed := make(chan error, 1)
				opened := make(chan *netfd.LoopConn, 2)
				var returned atomic.Bool                     // the closed connection's OnEOF returned
				var bystander atomic.Pointer[netfd.LoopConn] // kept open on the same loop
				g, err := netfd.NewLoops(netfd.LoopConfig{Backend: b.NB, Loops: 1, HandOffAfter: time.Hour}, &funcs{
					open: func(c *netfd.LoopConn) { opened <- c },
					eof: func(c *netfd.LoopConn) {
						if c == bystander.Load() { // the test is over
							c.Close()
							return
						}
						defer returned.Store(true)
						if closeFirst {
							c.Close()
						}
						if !c.HandOff() {
							t.Error("OnEOF: HandOff returned false")
						}
						if !closeFirst {
							c.Close() // takes effect when OnEOF returns
						}
						// Wait for a pass of the new loop goroutine: it must
						// not call OnClose while this method still runs.
						pass := make(chan struct{})
						bystander.Load().Do(func(*netfd.LoopConn) { close(pass) })
						select {
						case <-pass:
						case <-time.After(10 * time.Second):
							t.Error("the loop made no pass after the hand-off")
						}
					},
					close: func(c *netfd.LoopConn, err error) {
						if c == bystander.Load() {
							return
						}
						if !returned.Load() {
							t.Error("OnClose ran while OnEOF, which lost the loop, was still running")
						}
						closed <- err
					},
				})
				if err != nil {
					t.Fatal(err)
				}
				addr := serveOn(t, g)
				keep := dialT(t, b, addr)
				defer keep.Close()
				bystander.Store(<-opened)
				c := dialT(t, b, addr)
				c.Close()
				select {
				case err := <-closed:
					if err != nil {
						t.Errorf("OnClose: %v", err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("no OnClose for a connection closed in an OnEOF that lost the loop")
				}
			})
		})
	}
}

// TestLoopEOFAfterHandOff: the peer half-closes while the method that
// was given a partial message is away from the loop (handed off). When
// it returns, keeping the partial message, the loop offers the bytes
// again and then calls OnEOF: no more bytes will come to complete them.
func TestLoopEOFAfterHandOff(t *testing.T) {
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		gone := make(chan struct{})
		handed := make(chan struct{})
		eof := make(chan string, 1)
		var calls int
		h := &funcs{
			data: func(c *netfd.LoopConn, in []byte) int {
				calls++
				if calls == 1 {
					c.OnGone(func() { close(gone) })
					if !c.HandOff() {
						t.Error("HandOff failed")
					}
					close(handed)
					<-gone // the loop saw the FIN while this method was away
				}
				return 0 // "abc" is no whole message: keep it
			},
			eof: func(c *netfd.LoopConn) {
				eof <- string(c.Context().(string))
				c.Close()
			},
			open: func(c *netfd.LoopConn) { c.SetContext("open") },
		}
		addr := serveLoops(t, b, netfd.LoopConfig{}, h)
		c := dialT(t, b, addr)
		c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := c.Write([]byte("abc")); err != nil {
			t.Fatal(err)
		}
		<-handed
		c.(interface{ CloseWrite() error }).CloseWrite()
		select {
		case got := <-eof:
			if got != "open" {
				t.Fatalf("OnEOF saw context %q", got)
			}
		case <-time.After(15 * time.Second): // a failure detector, not synchronization
			t.Fatal("OnEOF was not called after the handed-off method returned")
		}
		if calls != 2 {
			t.Fatalf("OnData called %d times, want 2 (the held bytes offered again)", calls)
		}
		if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
			t.Fatalf("read after OnEOF closed: %d, %v; want EOF", n, err)
		}
	})
}

// TestLoopStats: Stats counts each loop's connections and the hand-offs.
func TestLoopStats(t *testing.T) {
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		opened := make(chan struct{}, 3)
		handed := make(chan bool, 1)
		g, err := netfd.NewLoops(netfd.LoopConfig{Backend: b.NB, Loops: 1}, &funcs{
			open: func(c *netfd.LoopConn) { opened <- struct{}{} },
			data: func(c *netfd.LoopConn, in []byte) int {
				handed <- c.HandOff()
				return len(in)
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		addr := serveOn(t, g)
		var cs []net.Conn
		for range 3 {
			cs = append(cs, dialT(t, b, addr))
			<-opened
		}
		if st := g.Stats(); len(st.Conns) != 1 || st.Conns[0] != 3 || st.HandOffs != 0 {
			t.Fatalf("Stats %+v, want 3 connections on the one loop and no hand-off", st)
		}
		cs[0].Write([]byte("x"))
		if !<-handed {
			t.Fatal("HandOff failed")
		}
		if st := g.Stats(); st.HandOffs != 1 {
			t.Fatalf("Stats %+v after one HandOff", st)
		}
	})
}

// TestLoopStatsQueued: Stats counts, per loop, the bytes written that the
// kernel has not taken: what a client that does not read holds. The count
// falls back to zero once the client reads them all, and once a client
// that never reads them goes away.
func TestLoopStatsQueued(t *testing.T) {
	const size = 8 << 20 // more than loopback's socket buffers take from a client that does not read
	data := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		closed := make(chan struct{}, 2) // the slow connections'
		var g *netfd.Loops
		g, err := netfd.NewLoops(netfd.LoopConfig{Backend: b.NB, Loops: 1, MaxQueued: 2 * size}, &funcs{
			data: func(c *netfd.LoopConn, in []byte) int {
				switch string(in) {
				case "write":
					c.SetContext("slow")
					c.Write(data)
				case "stats":
					fmt.Fprintf(c, "%d\n", g.Stats().Queued[0])
				}
				return len(in)
			},
			close: func(c *netfd.LoopConn, err error) {
				if c.Context() == "slow" {
					closed <- struct{}{}
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		addr := serveOn(t, g)
		probe := dialT(t, b, addr)
		pr := bufio.NewReader(probe)
		// queued asks the loop, from a method of probe's: every pass
		// before it has published what it changed.
		queued := func() int {
			t.Helper()
			probe.Write([]byte("stats"))
			line, err := pr.ReadString('\n')
			n, perr := strconv.Atoi(strings.TrimSpace(line))
			if err != nil || perr != nil {
				t.Fatalf("stats: %q, %v %v", line, err, perr)
			}
			return n
		}
		if n := queued(); n != 0 {
			t.Fatalf("Queued %d before any write, want 0", n)
		}

		for _, goes := range []string{"reads it all", "closes without reading"} {
			slow := dialT(t, b, addr)
			slow.Write([]byte("write"))
			first := make([]byte, 1)
			if _, err := io.ReadFull(slow, first); err != nil { // the loop has sent what the socket took
				t.Fatal(err)
			}
			if n := queued(); n <= 0 || n > size {
				t.Fatalf("Queued %d while the client does not read %d bytes", n, size)
			}
			if goes == "reads it all" {
				rest, err := io.ReadAll(io.LimitReader(slow, size-1))
				if err != nil || !bytes.Equal(append(first, rest...), data) {
					t.Fatalf("read %d bytes, %v; want the %d written", 1+len(rest), err, size)
				}
			} else {
				// Unread bytes make the close a reset: the loop's send
				// fails, and the connection closes.
				slow.Close()
				<-closed
			}
			if n := queued(); n != 0 {
				t.Fatalf("Queued %d after the client %s, want 0", n, goes)
			}
		}
	})
}

// TestLoopHandOffOnlyWhenOthersWait: the watchdog hands a loop off only
// when something else waits for it. A method that runs long on a loop
// with nothing else to do keeps it; one that runs long while another
// connection's bytes wait gives it away, and those are served meanwhile.
func TestLoopHandOffOnlyWhenOthersWait(t *testing.T) {
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		blocked := make(chan struct{}, 1)
		release := make(chan struct{})
		opened := make(chan struct{}, 2)
		g, err := netfd.NewLoops(netfd.LoopConfig{Backend: b.NB, Loops: 1, HandOffAfter: time.Millisecond}, &funcs{
			open: func(c *netfd.LoopConn) { opened <- struct{}{} },
			data: func(c *netfd.LoopConn, in []byte) int {
				switch string(in) {
				case "alone":
					time.Sleep(30 * time.Millisecond) // the method blocks: 30 HandOffAfter
				case "block":
					blocked <- struct{}{}
					<-release
				}
				c.Write(in)
				return len(in)
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		addr := serveOn(t, g)
		a, other := dialT(t, b, addr), dialT(t, b, addr)
		<-opened
		<-opened // both on the loop: nothing waits for it
		a.SetDeadline(time.Now().Add(20 * time.Second))
		other.SetDeadline(time.Now().Add(20 * time.Second))
		buf := make([]byte, 16)
		a.Write([]byte("alone"))
		if n, err := io.ReadFull(a, buf[:5]); err != nil || string(buf[:n]) != "alone" {
			t.Fatalf("read %q, %v", buf[:n], err)
		}
		if st := g.Stats(); st.HandOffs != 0 {
			t.Fatalf("%d hand-offs of a loop that had nothing else to do", st.HandOffs)
		}
		a.Write([]byte("block"))
		<-blocked
		other.Write([]byte("other")) // waits in the kernel for the blocked loop
		if n, err := io.ReadFull(other, buf[:5]); err != nil || string(buf[:n]) != "other" {
			t.Fatalf("other connection: read %q, %v while the first one's method blocked", buf[:n], err)
		}
		close(release)
		if n, err := io.ReadFull(a, buf[:5]); err != nil || string(buf[:n]) != "block" {
			t.Fatalf("read %q, %v", buf[:n], err)
		}
		if st := g.Stats(); st.HandOffs != 1 {
			t.Fatalf("%d hand-offs, want 1", st.HandOffs)
		}
	})
}
