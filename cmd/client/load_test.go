package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// loadJSON runs the command with -json and decodes its report.
func loadJSON(t *testing.T, args ...string) (int, jsonResult, string) {
	t.Helper()
	code, out, errOut := runClient(t, append([]string{"-json"}, args...)...)
	var r jsonResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%q: exit %d, stdout %q, stderr %q: %v", args, code, out, errOut, err)
	}
	return code, r, errOut
}

// A short load completes requests without errors and reports in text and
// in JSON with every field of the schema; with stderr not a terminal, it
// prints no progress.
func TestLoad(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		url := server(t) + "/text"
		code, out, errOut := runClient(t, "-load", "-backend", b.Name, "-c", "4", "-d", "300ms", url)
		for _, re := range []string{
			`^GET ` + regexp.QuoteMeta(url) + `: 4 connections for 300ms, closed model, on ` + b.Name + `\n`,
			`\n  requests  [1-9]\d* in 0\.\d\ds = [\d.]+/s\n`,
			`\n  bytes     [\d.]+ [kMG]?B read = [\d.]+ [kMG]?B/s, [\d.]+ [kMG]?B written = [\d.]+ [kMG]?B/s\n`,
			`\n  connects  [1-4] \(0 failed\)\n`,
			`\n  errors    0\n`,
			`\n  status    200: [1-9]\d*\n`,
			`\n  latency   p50 \S+  p90 \S+  p99 \S+  p99\.9 \S+  max \S+  \(min \S+, mean \S+\)\n`,
			`\n  run       \d{4}-\d\d-\d\dT\S+, ringnet \S.*, go\S+, Linux \S+, \d+ × .+, backend ` + b.Name + `\n$`,
		} {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Errorf("report lacks %s:\n%s", re, out)
			}
		}
		if code != exitOK || errOut != "" {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}

		code, out, _ = runClient(t, "-load", "-json", "-backend", b.Name, "-c", "4", "-d", "300ms", url)
		var fields map[string]any
		if err := json.Unmarshal([]byte(out), &fields); err != nil {
			t.Fatalf("-json: %v\n%s", err, out)
		}
		for _, k := range []string{"url", "method", "backend", "interrupted", "meta", "connections", "pipeline", "rate",
			"duration_s", "max_requests", "warmup_s", "elapsed_s", "requests", "requests_per_s", "sent", "late", "dropped",
			"bytes_read", "bytes_read_per_s", "bytes_written", "connects", "connect_failures", "errors", "status",
			"latency_us", "series"} {
			if _, ok := fields[k]; !ok {
				t.Errorf("-json lacks %q: %s", k, out)
			}
		}
		var r jsonResult
		json.Unmarshal([]byte(out), &r)
		lat := r.LatencyMicros
		if code != exitOK || r.Requests == 0 || r.Errors["total"] != 0 || r.Status["200"] != r.Requests ||
			r.Backend != b.Name || r.Connections != 4 || r.DurationSeconds != 0.3 || r.BytesRead == 0 ||
			r.Interrupted || r.Sent != r.Requests || r.Connects == 0 || r.Connects > 4 || lat == nil ||
			!(0 < lat.Min && lat.Min <= lat.P50 && lat.P50 <= lat.P90 && lat.P90 <= lat.P99 && lat.P99 <= lat.P999 && lat.P999 <= lat.Max) {
			t.Errorf("-json: exit %d, %s", code, out)
		}
		m := r.Meta
		if _, err := time.Parse(time.RFC3339, m.Date); err != nil || m.Version == "" || m.Go != runtime.Version() ||
			m.Kernel == "" || m.CPU == "" || m.CPUs != runtime.NumCPU() {
			t.Errorf("-json meta: %+v (%v)", m, err)
		}
	})
}

// A refused connection counts as connect_refused, with a sample message,
// no latency, and dials backed off rather than repeated in a loop; the
// exit status is 1.
func TestLoadErrors(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln.Close()
		refused := "http://" + ln.Addr().String()
		for _, pipeline := range []string{"0", "2"} {
			// Without the back-off, 300 ms are thousands of dials; with it, about 6 per connection.
			code, r, _ := loadJSON(t, "-load", "-backend", b.Name, "-pipeline", pipeline, "-c", "2", "-d", "300ms", refused)
			if code != exitFailed || r.Requests != 0 || r.Errors["connect_refused"] == 0 || r.Errors["total"] != r.Errors["connect_refused"] ||
				r.ConnectFailures == 0 || r.ConnectFailures > 20 || r.Connects != r.ConnectFailures || r.LatencyMicros != nil ||
				!strings.Contains(r.ErrorSamples["connect_refused"], "connection refused") {
				t.Errorf("refused, pipeline %s: exit %d, %+v", pipeline, code, r)
			}
		}
		code, out, _ := runClient(t, "-load", "-backend", b.Name, "-c", "1", "-d", "100ms", refused)
		for _, re := range []string{
			`\n  errors    [1-9]\d*\n            connect_refused [1-9]\d*, e\.g\. .*connection refused\n`,
			`\n  latency   n/a: no responses\n`,
		} {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Errorf("refused, text: exit %d, no %s in\n%s", code, re, out)
			}
		}
	})
}

// -pipeline 4 against ringnet's server: every batch answered in full.
func TestLoadPipeline(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		url := server(t) + "/echo"
		code, r, errOut := loadJSON(t, "-load", "-backend", b.Name, "-pipeline", "4", "-c", "3", "-d", "300ms", "-data", "x", url)
		if code != exitOK || r.Requests == 0 || r.Requests%4 != 0 || r.Errors["total"] != 0 || r.Pipeline != 4 || errOut != "" {
			t.Errorf("exit %d, stderr %q, %+v", code, errOut, r)
		}
	})
}

// A server that answers one request per connection and closes it, saying
// so or not: of each pipelined batch of 4, one response arrives and the
// other 3 requests count as reset, and the client redials.
func TestLoadPipelineServerCloses(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		for _, announce := range []bool{true, false} {
			url := oneShotServer(t, announce)
			code, r, _ := loadJSON(t, "-load", "-backend", b.Name, "-pipeline", "4", "-c", "2", "-d", "200ms", url)
			if code != exitFailed || r.Requests < 2 || r.Errors["reset"] != 3*r.Requests || r.Errors["total"] != 3*r.Requests {
				t.Errorf("Connection: close %v: exit %d, %+v", announce, code, r)
			}
		}
	})
}

// oneShotServer answers the first request on each connection with a
// 200, with "Connection: close" if announce is set, and then closes the
// connection (rawServer: without resetting it).
func oneShotServer(t *testing.T, announce bool) string {
	header := ""
	if announce {
		header = "Connection: close\r\n"
	}
	url, _ := rawServer(t, func(_ int, c net.Conn) bool {
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n%s\r\nok", header)
		return false
	})
	return url
}

// -rate sends at a fixed total rate: 200/s for 500 ms is 100 requests,
// fewer only if the machine is too slow to send them all in time.
func TestLoadRate(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		url := server(t) + "/text"
		for _, pipeline := range []string{"0", "5"} {
			code, r, _ := loadJSON(t, "-load", "-backend", b.Name, "-rate", "200", "-pipeline", pipeline, "-c", "2", "-d", "500ms", url)
			if code != exitOK || r.Requests < 50 || r.Requests > 100 || r.Rate != 200 || r.Sent != r.Requests ||
				r.Sent+r.Dropped < 99 || r.Sent+r.Dropped > 101 || r.SentPerSecond == 0 {
				t.Errorf("pipeline %s: exit %d, %d requests, want 100: %+v", pipeline, code, r.Requests, r)
			}
		}
	})
}

// -html writes a page with the charts as inline SVG and nothing external.
func TestLoadHTML(t *testing.T) {
	file := filepath.Join(t.TempDir(), "report.html")
	url := server(t) + "/text"
	code, out, errOut := runClient(t, "-load", "-backend", "std", "-c", "2", "-d", "200ms", "-html", file, url)
	page, err := os.ReadFile(file)
	if code != exitOK || err != nil || !strings.HasPrefix(out, "GET ") || errOut != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q, %v", code, out, errOut, err)
	}
	html := string(page)
	for _, want := range []string{"<!DOCTYPE html>", "<title>ringnet client: GET " + url + "</title>",
		"<table>", "</span> std</td>", "Latency by percentile", "<polyline", ">99%<", "</svg>", "</html>\n",
		"<td>kernel</td><td>Linux ", "<td>Go</td><td>" + runtime.Version() + "</td>", "<td>backend</td><td>std</td>",
		"Requests per second", "Latency per second", `stroke-dasharray="5 4"`} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(html, "<svg "); n != 4 {
		t.Errorf("page has %d charts, want 4", n)
	}
	for _, external := range []string{"<script", "src=", "href=", "@import", "url("} {
		if strings.Contains(html, external) {
			t.Errorf("page refers to something external: %q", external)
		}
	}
}

// The progress line names the backend, the time, the counts and the rate.
func TestProgressLine(t *testing.T) {
	b := backend{name: "auto", nb: "uring"}
	if got, want := progressLine(b, 3*1e9, 45678, 15226, 2), "auto=uring    3s  45678 responses  15226/s  2 failed"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// statusServer answers its requests 200, 301, 404, 500, 200, ... in turn.
func statusServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	codes := []int{200, 301, 404, 500}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := codes[(n.Add(1)-1)%int64(len(codes))]
		if code == 301 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(code)
		io.WriteString(w, "status\n")
	})
	backendtest.Serve(t, ln, &ringhttp.Server{Handler: h}, ringhttp.ErrServerClosed)
	return "http://" + ln.Addr().String() + "/"
}

// Responses are counted by status code in every report, and none is an
// error; -expect-status (2xx by default) decides the exit status, and
// the codes outside it are named on stderr with their counts.
func TestLoadStatuses(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		for _, pipeline := range []string{"0", "2"} {
			for _, tc := range []struct {
				expect  []string
				code    int
				outside string // on stderr
			}{
				{nil, exitFailed, "30 responses outside -expect-status 2xx: 301: 10, 404: 10, 500: 10"},
				{[]string{"-expect-status", "200-404"}, exitFailed, "10 responses outside -expect-status 200-404: 500: 10"},
				{[]string{"-expect-status", "200,301,4xx,500"}, exitOK, ""},
				{[]string{"-expect-status", "1xx,2xx,3xx,4xx,5xx"}, exitOK, ""},
			} {
				args := append([]string{"-load", "-backend", b.Name, "-pipeline", pipeline, "-c", "2", "-n", "40"}, tc.expect...)
				code, r, errOut := loadJSON(t, append(args, statusServer(t))...)
				want := map[string]uint64{"200": 10, "301": 10, "404": 10, "500": 10}
				if code != tc.code || r.Requests != 40 || r.Errors["total"] != 0 || !maps.Equal(r.Status, want) ||
					uint64(len(r.UnexpectedStatus)) != uint64(strings.Count(tc.outside, ": 10")) {
					t.Errorf("%q: exit %d, want %d; %+v", args, code, tc.code, r)
				}
				if wantErr := "client: " + b.Name + ": " + tc.outside + "\n"; tc.outside == "" && errOut != "" || tc.outside != "" && errOut != wantErr {
					t.Errorf("%q: stderr %q, want %q", args, errOut, wantErr)
				}
			}
		}
		file := filepath.Join(t.TempDir(), "page.html")
		code, out, _ := runClient(t, "-load", "-backend", b.Name, "-c", "1", "-n", "8", "-html", file, statusServer(t))
		if code != exitFailed || !strings.Contains(out, "\n  errors    0\n  status    200: 2, 301: 2, 404: 2, 500: 2 (6 outside -expect-status 2xx)\n") {
			t.Errorf("text: exit %d:\n%s", code, out)
		}
		page, err := os.ReadFile(file)
		if err != nil || !strings.Contains(string(page), `<td>200: 2, <span class="warn">301: 2</span>, <span class="warn">404: 2</span>, <span class="warn">500: 2</span></td>`) ||
			!strings.Contains(string(page), `<p class="warn">`+b.Name+`: 6 responses outside -expect-status 2xx: 301: 2, 404: 2, 500: 2.</p>`) {
			t.Errorf("-html: %v; no status cell or note in\n%s", err, page)
		}
	})
}

// A connection whose TLS handshakes fail backs off as one whose dials
// fail does: 4 connections for 500 ms against a server whose certificate
// the client does not trust make about 6 handshakes each (10, 20, 40, ...
// ms apart), not hundreds.
func TestLoadTLSBackoff(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		for _, pipeline := range []string{"0", "2"} {
			var handshakes atomic.Int64
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					handshakes.Add(1)
				}
			}
			srv.StartTLS()
			code, r, _ := loadJSON(t, "-load", "-backend", b.Name, "-pipeline", pipeline, "-c", "4", "-d", "500ms", srv.URL)
			srv.Close()
			n := handshakes.Load()
			if code != exitFailed || r.Requests != 0 || r.Errors["tls"] == 0 || r.Errors["tls"] != r.Errors["total"] || n < 4 || n > 40 {
				t.Errorf("pipeline %s: exit %d, %d handshakes (want 4 to 40), errors %v", pipeline, code, n, r.Errors)
			}
			t.Logf("pipeline %s: %d handshakes, %d tls errors", pipeline, n, r.Errors["tls"])
		}
	})
}
