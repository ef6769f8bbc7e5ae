package http_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
	"github.com/ringnet/ringnet/internal/leakcheck"
)

// TestBlockingHandlersIsolated: while 16 connections call a handler that
// sleeps 50 ms and one calls a handler that spins for 2 ms, the plaintext
// p99 of 64 other connections stays within 2x + 2 ms of its p99 without
// them, on every backend and mode. On the event loops that is the
// hand-off at work: a handler that blocks gives its loop away.
//
// It measures latency, so its subtests run one at a time, each against a
// baseline taken in the same subtest, in interleaved rounds whose medians
// are compared: the machine is a noisy 2-core one.
func TestBlockingHandlersIsolated(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("latency test: not under -race (.ci/run runs it without)")
	}
	before := leakcheck.Take()
	t.Cleanup(func() { before.Check(t) })
	mux := http.NewServeMux()
	mux.HandleFunc("GET /plaintext", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "Hello, World!")
	})
	mux.HandleFunc("GET /sleep", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		io.WriteString(w, "slept")
	})
	mux.HandleFunc("GET /spin", func(w http.ResponseWriter, r *http.Request) {
		for end := time.Now().Add(2 * time.Millisecond); time.Now().Before(end); {
		}
		io.WriteString(w, "spun")
	})
	for _, b := range backendtest.Servers {
		if b.Inline {
			continue // ModeInline is for handlers that never block: these do
		}
		t.Run(b.Name, func(t *testing.T) {
			b.Available(t)
			addr := serve(t, b, &ringhttp.Server{Handler: mux})
			// A busy machine can spoil one measurement: the bound must hold
			// in one of three, and fails if it never does.
			var msgs []string
			for range 3 {
				b, l := isolationRound(t, addr)
				msg := fmt.Sprintf("plaintext p99 (median of 3 rounds): %v alone, %v beside blocking handlers", b, l)
				t.Log(msg)
				if l <= 2*b+2*time.Millisecond {
					return
				}
				msgs = append(msgs, msg)
			}
			t.Errorf("plaintext p99 beside blocking handlers over 2x+2ms of its p99 alone, in every attempt: %q", msgs)
		})
	}
}

// isolationRound measures the plaintext p99 without and with blocking
// handlers beside it, in three interleaved rounds, and returns the medians.
func isolationRound(t *testing.T, addr string) (alone, beside time.Duration) {
	const conns, perConn, rounds = 64, 50, 3
	var base, loaded []time.Duration
	for range rounds {
		base = append(base, plaintextP99(t, addr, conns, perConn))
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i := range 17 {
			path := "/sleep"
			if i == 16 {
				path = "/spin"
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				hammer(t, addr, path, stop)
			}()
		}
		loaded = append(loaded, plaintextP99(t, addr, conns, perConn))
		close(stop)
		wg.Wait()
	}
	slices.Sort(base)
	slices.Sort(loaded)
	return base[rounds/2], loaded[rounds/2]
}

// plaintextP99 runs perConn GET /plaintext on each of conns keep-alive
// connections at once and returns the 99th percentile latency.
func plaintextP99(t *testing.T, addr string, conns, perConn int) time.Duration {
	t.Helper()
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			br := bufio.NewReader(c)
			mine := make([]time.Duration, 0, perConn)
			for range perConn {
				start := time.Now()
				if err := roundTrip(c, br, "/plaintext"); err != nil {
					t.Error(err)
					return
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(lat) == 0 {
		t.Fatal("no request completed")
	}
	slices.Sort(lat)
	return lat[len(lat)*99/100]
}

// hammer calls path on one keep-alive connection until stop closes.
func hammer(t *testing.T, addr, path string, stop chan struct{}) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Error(err)
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	br := bufio.NewReader(c)
	for {
		select {
		case <-stop:
			return
		default:
		}
		if err := roundTrip(c, br, path); err != nil {
			t.Error(err)
			return
		}
	}
}

func roundTrip(c net.Conn, br *bufio.Reader, path string) error {
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path); err != nil {
		return err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %s", path, resp.Status)
	}
	return err
}
