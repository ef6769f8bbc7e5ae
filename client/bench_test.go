package client_test

import (
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringnet/ringnet/client"
	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// benchConns is how many requests are in flight at once, each on its own
// goroutine and keep-alive connection.
const benchConns = 64

// benchServer starts the server every benchmark talks to: ringnet's
// HTTP server on a Go listener, answering "Hello, World!".
func benchServer(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "Hello, World!")
	})}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/plaintext"
}

// ourTransport is ringnet's Transport on backend be (Go's net for std).
func ourTransport(be backendtest.Backend) *client.Transport {
	o := client.Options{Backend: be.NB}
	if be.Std() {
		o.DialContext = (&net.Dialer{}).DialContext
	}
	return client.NewTransport(o)
}

// BenchmarkTransport sends GET /plaintext from 64 goroutines at once, each
// reusing its request, through net/http's Transport and through ours on
// every backend. req/s is the figure to compare; allocs/op counts the
// server's allocations too, the same for every client
// (TestAllocsPerRequest counts the client's alone).
//
//	go test -run '^$' -bench 'Transport$' -benchtime=2s -count=3 ./client/
func BenchmarkTransport(b *testing.B) {
	url := benchServer(b)
	b.Run("net-http", func(b *testing.B) {
		tr := &http.Transport{MaxIdleConnsPerHost: benchConns}
		defer tr.CloseIdleConnections()
		benchRoundTrips(b, tr, url)
	})
	for _, be := range backendtest.All {
		b.Run("ringnet-"+be.Name, func(b *testing.B) {
			be.Available(b)
			tr := ourTransport(be)
			defer tr.CloseIdleConnections()
			benchRoundTrips(b, tr, url)
		})
	}
}

// BenchmarkVsNetHTTP is BenchmarkTransport's load through net/http's
// Transport and ours in alternating rounds, so that a machine whose
// speed drifts (other load) affects both alike; x-net-http is the ratio
// of the requests per second, ours over net/http's.
//
//	go test -run '^$' -bench VsNetHTTP -benchtime=2s -count=3 ./client/
func BenchmarkVsNetHTTP(b *testing.B) {
	url := benchServer(b)
	for _, be := range backendtest.All {
		b.Run(be.Name, func(b *testing.B) {
			be.Available(b)
			std := &http.Transport{MaxIdleConnsPerHost: benchConns}
			ours := ourTransport(be)
			defer std.CloseIdleConnections()
			defer ours.CloseIdleConnections()
			stdReqs, ourReqs := newRequests(url), newRequests(url)
			runRoundTrips(b, std, stdReqs, benchConns)
			runRoundTrips(b, ours, ourReqs, benchConns)
			b.ResetTimer()
			const rounds = 10
			per := max(b.N/rounds, benchConns)
			var tStd, tOurs time.Duration
			for range rounds {
				tStd += runRoundTrips(b, std, stdReqs, per)
				tOurs += runRoundTrips(b, ours, ourReqs, per)
			}
			n := float64(per * rounds)
			b.ReportMetric(n/tOurs.Seconds(), "req/s")
			b.ReportMetric(n/tStd.Seconds(), "net-http-req/s")
			b.ReportMetric(tStd.Seconds()/tOurs.Seconds(), "x-net-http")
		})
	}
}

// BenchmarkLivenessCheck measures what the check of an idle connection
// before reuse (a poll(2) per request, see persistConn.alive) costs:
// the same load as BenchmarkTransport, with and without it.
func BenchmarkLivenessCheck(b *testing.B) {
	url := benchServer(b)
	for _, be := range backendtest.All[1:] {
		for _, check := range []bool{true, false} {
			name := be.Name + "/check"
			if !check {
				name = be.Name + "/no-check"
			}
			b.Run(name, func(b *testing.B) {
				be.Available(b)
				tr := ourTransport(be)
				if !check {
					client.DisableLivenessCheck(tr)
				}
				defer tr.CloseIdleConnections()
				benchRoundTrips(b, tr, url)
			})
		}
	}
}

func newRequests(url string) []*http.Request {
	reqs := make([]*http.Request, benchConns)
	for i := range reqs {
		reqs[i], _ = http.NewRequest("GET", url, nil)
	}
	return reqs
}

func benchRoundTrips(b *testing.B, rt http.RoundTripper, url string) {
	reqs := newRequests(url)
	runRoundTrips(b, rt, reqs, benchConns) // open the connections
	b.ReportAllocs()
	b.ResetTimer()
	runRoundTrips(b, rt, reqs, b.N)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// runRoundTrips does n round trips, one goroutine per request of reqs
// (each reused once its response is read), and returns how long they took.
func runRoundTrips(b *testing.B, rt http.RoundTripper, reqs []*http.Request, n int) time.Duration {
	start := time.Now()
	var done atomic.Int64
	var wg sync.WaitGroup
	for _, req := range reqs {
		wg.Go(func() {
			for done.Add(1) <= int64(n) {
				resp, err := rt.RoundTrip(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}
