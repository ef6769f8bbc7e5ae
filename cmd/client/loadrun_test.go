package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// A countingServer counts the requests it answers and says when the
// busy-th arrives. In the closed model that means the client has had
// responses: each connection sends its next request after the last
// response.
type countingServer struct {
	url  string
	n    atomic.Int64
	busy chan struct{} // closed at request busyAt
}

const busyAt = 20

func newCountingServer(t *testing.T) *countingServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &countingServer{url: "http://" + ln.Addr().String() + "/", busy: make(chan struct{})}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.n.Add(1) == busyAt {
			close(s.busy)
		}
		io.WriteString(w, "counted\n")
	})
	backendtest.Serve(t, ln, &ringhttp.Server{Handler: h}, ringhttp.ErrServerClosed)
	return s
}

// -n stops after that many requests, before -d if both are given, in the
// closed model, pipelined (the last batch cut short) and in the open model.
func TestLoadRequests(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		for _, args := range [][]string{
			{"-c", "4", "-n", "50", "-d", "1m"},
			{"-c", "3", "-n", "10", "-pipeline", "4"},
			{"-c", "2", "-n", "20", "-rate", "1000"},
		} {
			srv := newCountingServer(t)
			code, r, _ := loadJSON(t, append([]string{"-load", "-backend", b.Name, srv.url}, args...)...)
			want := uint64(r.MaxRequests)
			if code != exitOK || r.Requests != want || r.Sent != want || srv.n.Load() != int64(want) || r.ElapsedSeconds > 30 || r.Dropped != 0 {
				t.Errorf("%q: exit %d, server saw %d, %+v", args, code, srv.n.Load(), r)
			}
		}
		code, out, _ := runClient(t, "-load", "-backend", b.Name, "-c", "1", "-n", "5", newCountingServer(t).url)
		if code != exitOK || !strings.Contains(out, ": 1 connections for 5 requests, closed model") || !strings.Contains(out, "  requests  5 in ") {
			t.Errorf("-n 5, text: exit %d:\n%s", code, out)
		}
	})
}

// Requests of the warm-up reach the server but not the report, whose
// elapsed time starts after it.
func TestLoadWarmup(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		srv := newCountingServer(t)
		code, r, _ := loadJSON(t, "-load", "-backend", b.Name, "-c", "2", "-warmup", "200ms", "-d", "200ms", srv.url)
		total := uint64(srv.n.Load())
		if code != exitOK || r.Requests == 0 || r.Requests >= total || r.WarmupSeconds != 0.2 || r.ElapsedSeconds >= 0.39 {
			t.Errorf("exit %d, server saw %d, %+v", code, total, r)
		}

		srv = newCountingServer(t)
		code, r, _ = loadJSON(t, "-load", "-backend", b.Name, "-c", "2", "-warmup", "100ms", "-n", "20", srv.url)
		if code != exitOK || r.Requests != 20 || srv.n.Load() <= 20 {
			t.Errorf("-warmup -n 20: exit %d, server saw %d, %+v", code, srv.n.Load(), r)
		}
	})
}

// A server that cannot keep up with -rate: one connection whose requests
// all stall until -timeout. The report counts the requests sent late
// and those never sent, and warns that the rate was not reached.
func TestLoadRateShortfall(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		url := server(t) + "/stall"
		code, out, errOut := runClient(t, "-load", "-json", "-backend", b.Name, "-c", "1", "-rate", "100", "-d", "300ms", "-timeout", "50ms", url)
		var r jsonResult
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if code != exitFailed || r.Dropped < 10 || r.Late == 0 || r.Sent+r.Dropped < 29 || r.Sent+r.Dropped > 31 ||
			!r.BelowRate || r.SentPerSecond >= 95 || r.Errors["timeout"] != r.Sent {
			t.Errorf("exit %d, %+v", code, r)
		}
		if !matches(`^client: warning: `+b.Name+` sent [\d.]+ requests/s, \d+% of -rate 100 \(\d+ due requests dropped, \d+ sent late\)`, errOut) {
			t.Errorf("stderr %q", errOut)
		}

		code, out, _ = runClient(t, "-load", "-s", "-backend", b.Name, "-c", "1", "-rate", "100", "-d", "100ms", "-timeout", "50ms", url)
		if code != exitFailed || !matches(`\n  rate      target 100/s, sent [\d.]+/s \([\d.]+%\); \d+ late, [1-9]\d* dropped\n`, out) {
			t.Errorf("text: exit %d:\n%s", code, out)
		}
	})
}

// An interrupted run reports what ran, says so in every format, and
// exits 130; so does -compare, whose backends not reached say so.
func TestLoadInterrupted(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		html := filepath.Join(t.TempDir(), "page.html")
		for _, args := range [][]string{{"-json"}, {"-pipeline", "2"}, {"-html", html}} {
			code, out, errOut := runInterrupted(t, append([]string{"-load", "-backend", b.Name, "-c", "2", "-d", "1m"}, args...)...)
			switch {
			case code != exitInterrupted:
				t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
			case args[0] == "-json":
				var r jsonResult
				if err := json.Unmarshal([]byte(out), &r); err != nil || !r.Interrupted || r.ElapsedSeconds >= 30 || r.Requests == 0 {
					t.Errorf("-json: %v, %s", err, out)
				}
			default:
				if !matches(`\n  INTERRUPTED after \d+\.\d\ds of 1m0s: the numbers cover that part only\n`, out) {
					t.Errorf("%q: text:\n%s", args, out)
				}
			}
		}
		if page, err := os.ReadFile(html); err != nil || !strings.Contains(string(page), `<p class="warn">`+b.Name+": INTERRUPTED after ") {
			t.Errorf("-html: %v, no interruption note", err)
		}
	})
	code, out, _ := runInterrupted(t, "-compare", "-c", "2", "-d", "1m", "-rounds", "1")
	if code != exitInterrupted || !strings.Contains(out, "  INTERRUPTED: ") ||
		!strings.Contains(out, "| std | not run: interrupted |") || !matches(`\n\| epoll \| \d+ \|`, out) {
		t.Errorf("-compare: exit %d:\n%s", code, out)
	}
}

// runInterrupted runs the command against a counting server and cancels
// its context once the server has had busyAt requests.
func runInterrupted(t *testing.T, args ...string) (code int, stdout, stderr string) {
	srv := newCountingServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-srv.busy:
			cancel()
		case <-ctx.Done():
		}
	}()
	var out, errOut bytes.Buffer
	code = run(ctx, append(args, srv.url), &out, &errOut)
	return code, out.String(), errOut.String()
}

// -json has the run second by second: the responses add up to the total,
// and each second with responses has its p50 and p99.
func TestLoadSeries(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		code, r, _ := loadJSON(t, "-load", "-backend", b.Name, "-c", "2", "-d", "1100ms", server(t)+"/text")
		var sum uint64
		for i, s := range r.Series {
			sum += s.Responses
			if s.T != i || s.Responses > 0 && (s.P50 == nil || s.P99 == nil || *s.P50 > *s.P99 || s.RPS <= 0) {
				t.Errorf("second %d: %+v", i, s)
			}
		}
		if code != exitOK || len(r.Series) < 2 || len(r.Series) > 3 || sum != r.Requests || r.Series[0].Responses == 0 {
			t.Errorf("exit %d, %d requests, series %+v", code, r.Requests, r.Series)
		}
	})
}

func matches(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }
