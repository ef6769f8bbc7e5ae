package http_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
)

// TestLoopStats: the server counts its loops' connections, the hand-offs
// of handlers that block, and the routes it learned to run off the loops;
// a server without loops (std, goroutine mode) reports none of them.
func TestLoopStats(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /block", func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(20 * time.Millisecond) // blocks: 20 handOffAfter
			io.WriteString(w, "blocked")
		})
		s := &ringhttp.Server{Handler: mux}
		addr := serve(t, b, s)
		client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
		defer client.CloseIdleConnections()
		for range 4 {
			resp, err := client.Get("http://" + addr + "/block")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		st := s.LoopStats()
		conns := 0
		for _, n := range st.Conns {
			conns += n
		}
		switch {
		case b.Std() || b.Goroutine:
			if conns != 0 || st.HandOffs != 0 || st.BlockingRoutes != 0 {
				t.Fatalf("LoopStats %+v from a server without loops", st)
			}
		case b.Inline:
			if conns != 1 || st.HandOffs != 0 {
				t.Fatalf("LoopStats %+v: want the one connection and no hand-off (inline mode)", st)
			}
		default:
			// Three slow runs teach the server that the route blocks (the
			// watchdog need not hand off a loop that has nothing else to
			// do); from then on its runs are handed off from the start.
			if conns != 1 || st.HandOffs < 1 || st.BlockingRoutes != 1 {
				t.Fatalf("LoopStats %+v: want the one connection, GET /block learned as blocking and its last run handed off", st)
			}
		}
	})
}

// TestLoopStatsSweeperCloses: a keep-alive connection left idle past
// IdleTimeout is closed by the loops' sweeper and counted; the goroutine
// engine closes it by the socket's deadline and counts nothing. Queued
// has an entry per loop, zero once every response was read (netfd's
// TestLoopStatsQueued counts a client that does not read).
func TestLoopStatsSweeperCloses(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		s := &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "hi")
		}), IdleTimeout: 20 * time.Millisecond}
		addr := serve(t, b, s)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second)) // a failure detector
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		// Idle now: the server closes the connection after IdleTimeout.
		if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Fatalf("read on the idle connection: %d, %v; want EOF", n, err)
		}
		st := s.LoopStats()
		if len(st.Queued) != len(st.Conns) {
			t.Fatalf("LoopStats %+v: Queued and Conns differ in length", st)
		}
		for _, q := range st.Queued {
			if q != 0 {
				t.Fatalf("LoopStats %+v: bytes queued with no response unread", st)
			}
		}
		want := uint64(1)
		if b.Std() || b.Goroutine {
			want = 0
		}
		if st.SweeperCloses != want {
			t.Fatalf("LoopStats %+v: SweeperCloses %d, want %d", st, st.SweeperCloses, want)
		}
	})
}
