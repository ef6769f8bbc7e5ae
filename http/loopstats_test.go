package http_test

import (
	"io"
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
