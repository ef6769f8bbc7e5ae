//go:build !race

package http_test

import (
	"io"
	"log"
	"net"
	"net/http"
	"testing"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// TestRequestAllocs pins the allocations of one keep-alive plaintext GET,
// end to end through a real server and a raw client in this process
// (AllocsPerRun counts the whole process: the server, its loops or
// goroutines, and the client, whose Write and Read allocate nothing), on
// every way the server runs, next to net/http's figure for the same
// exchange. The servers are measured one after the other, never in
// parallel. docs/design.md ("Allocations per request on the loops") says
// what each remaining allocation is.
//
// "same" repeats one request, as a benchmark or a poller does: its header
// block is the previous one's, whose string the connection reuses.
// "varying" alternates two paths, so every block is new and costs its
// string.
func TestRequestAllocs(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "Hello, World!")
	})
	reqs := [][]byte{
		[]byte("GET /plaintext HTTP/1.1\r\nHost: localhost\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n"),
		[]byte("GET /plaintexu HTTP/1.1\r\nHost: localhost\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n"),
	}
	measure := func(t *testing.T, addr string, varying bool) float64 {
		c := dial(t, addr)
		buf := make([]byte, 4096)
		i := 0
		one := func() {
			req := reqs[0]
			if varying {
				req = reqs[i%2]
				i++
			}
			if _, err := c.Write(req); err != nil {
				t.Fatal(err)
			}
			if n, err := c.Read(buf); err != nil || n < 100 {
				t.Fatalf("read %d bytes (%q), %v", n, buf[:n], err)
			}
		}
		for range 50 { // warm up: buffers, maps, pools, the Date cache
			one()
		}
		return testing.AllocsPerRun(1000, one)
	}

	std := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go std.Serve(ln)
	t.Logf("net/http: %v allocs per request", measure(t, ln.Addr().String(), false))
	std.Close()

	// The most allocations per request, same and varying: 4 and 5 on the
	// loops and on goroutines alike (the engine is the same code).
	const maxSame, maxVarying = 4, 5
	for _, b := range backendtest.Servers {
		t.Run(b.Name, func(t *testing.T) {
			b.Available(t)
			addr := serve(t, b, &ringhttp.Server{Handler: h})
			// A loaded machine only adds allocations: a handler that
			// looks slow has its loop handed off (a goroutine), and three
			// in a row make the route run handed off from the start. So
			// the least of three measurements is the engine's figure.
			same, varying := measure(t, addr, false), measure(t, addr, true)
			for range 2 {
				same, varying = min(same, measure(t, addr, false)), min(varying, measure(t, addr, true))
			}
			t.Logf("%s: %v allocs per request (same), %v (varying)", b.Name, same, varying)
			if same > maxSame || varying > maxVarying {
				t.Errorf("%s: %v (same), %v (varying) allocs per request, want at most %d, %d", b.Name, same, varying, maxSame, maxVarying)
			}
		})
	}
}
