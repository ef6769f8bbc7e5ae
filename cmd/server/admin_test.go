package main

import (
	"encoding/json"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
	"github.com/ringnet/ringnet/internal/testtool"
)

// -admin serves pprof, expvar and /metrics on its own listener; the
// metrics count the main server's requests and connections, beside the
// Go runtime's and the process's series, and promtool accepts them.
// /debug/vars has the same ringnet figures.
func TestAdmin(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		cfg := testConfig(b)
		cfg.admin = "127.0.0.1:0"
		ts := startServer(t, cfg)
		admin := "http://" + ts.adminLn.Addr().String()
		ts.log.waitFor(t, `msg="admin listening" addr=`+ts.adminLn.Addr().String())

		// One connection: each request starts after the previous one's
		// handler returned, so all but the last are counted by now.
		client := newClient(t, &http.Transport{MaxConnsPerHost: 1})
		for _, path := range []string{"/nope", "/plaintext", "/json"} {
			get(t, client, ts.url+path)
		}
		resp, text := get(t, newClient(t, nil), admin+"/metrics")
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4; charset=utf-8") {
			t.Errorf("Content-Type %q", ct)
		}
		for _, pattern := range []string{
			`(?m)^ringnet_http_requests_total\{code="404",method="get"\} 1$`,
			`(?m)^ringnet_http_requests_total\{code="200",method="get"\} [12]$`,
			`(?m)^ringnet_http_request_duration_seconds_bucket\{le="0\.005"\} \d+$`,
			`(?m)^ringnet_http_request_duration_seconds_bucket\{le="\+Inf"\} [23]$`,
			`(?m)^ringnet_http_request_duration_seconds_count [23]$`,
			`(?m)^ringnet_http_request_duration_seconds_sum \S+$`,
			`(?m)^ringnet_http_open_connections 1$`, // the client's, kept alive
			`(?m)^ringnet_http_idle_connections [01]$`,
			`(?m)^ringnet_backend_info\{backend="` + b.Name + `"\} 1$`,
			`(?m)^# TYPE ringnet_http_request_duration_seconds histogram$`,
			`(?m)^# HELP ringnet_http_open_connections .+$`,
			`(?m)^ringnet_loop_handoffs_total \d+$`,
			`(?m)^ringnet_http_blocking_routes 0$`,
			`(?m)^ringnet_loop_sweeper_closes_total 0$`,
			// The Go and process collectors.
			`(?m)^go_goroutines \d+$`,
			`(?m)^go_info\{version="go[^"]+"\} 1$`,
			`(?m)^go_gc_duration_seconds_count \d+$`,
			`(?m)^process_resident_memory_bytes \S+$`,
			`(?m)^process_open_fds \d+$`,
		} {
			if !regexp.MustCompile(pattern).MatchString(text) {
				t.Errorf("/metrics lacks %s:\n%s", pattern, text)
			}
		}
		// The client's connection, kept alive, is on one of the loops, and
		// its responses were all taken by the kernel.
		loops := 0
		if b.Name != "std" {
			loops = runtime.GOMAXPROCS(0)
		}
		if n := sumSeries(t, text, "ringnet_loop_connections", loops); n != min(loops, 1) {
			t.Errorf("ringnet_loop_connections sum to %d, want %d:\n%s", n, min(loops, 1), text)
		}
		// The last response reached the client before its loop may have
		// seen the kernel take it (io_uring's send completion is reaped
		// on the loop's next pass): the count comes down to 0 then.
		n := sumSeries(t, text, "ringnet_loop_queued_bytes", loops)
		for i := 0; n != 0 && i < 1000; i++ {
			_, text = get(t, newClient(t, nil), admin+"/metrics")
			n = sumSeries(t, text, "ringnet_loop_queued_bytes", loops)
		}
		if n != 0 {
			t.Errorf("ringnet_loop_queued_bytes sum to %d, want 0:\n%s", n, text)
		}
		c := newClient(t, nil)
		if resp, body := get(t, c, admin+"/debug/pprof/"); resp.StatusCode != 200 || !strings.Contains(body, "goroutine") {
			t.Errorf("/debug/pprof/: %s\n%.300s", resp.Status, body)
		}
		if resp, body := get(t, c, admin+"/debug/pprof/goroutine?debug=1"); resp.StatusCode != 200 || !strings.Contains(body, "goroutine profile") {
			t.Errorf("/debug/pprof/goroutine: %s\n%.300s", resp.Status, body)
		}
		resp, body := get(t, c, admin+"/debug/vars")
		var vars struct {
			Memstats json.RawMessage
			Cmdline  []string
			Ringnet  struct {
				Requests  map[string]float64 `json:"http_requests_total"`
				Open      float64            `json:"http_open_connections"`
				HandOffs  *float64           `json:"loop_handoffs_total"`
				LoopConns map[string]float64 `json:"loop_connections"`
				Backend   map[string]float64 `json:"backend_info"`
				Latency   struct{ Count float64 }
			}
		}
		if err := json.Unmarshal([]byte(body), &vars); resp.StatusCode != 200 || err != nil || vars.Memstats == nil || len(vars.Cmdline) == 0 {
			t.Fatalf("/debug/vars: %s %v\n%.300s", resp.Status, err, body)
		}
		if r := vars.Ringnet; r.Requests["code=404,method=get"] != 1 || r.Open != 1 || r.HandOffs == nil ||
			len(r.LoopConns) != loops || r.Backend["backend="+b.Name] != 1 {
			t.Errorf("/debug/vars: ringnet is %+v:\n%s", r, body)
		}
		if resp, _ := get(t, c, ts.url+"/metrics"); resp.StatusCode != 404 {
			t.Errorf("/metrics on the main server: %s", resp.Status)
		}
		promtool(t, text) // last: it skips without promtool
	})
}

// sumSeries adds up the values of the series of a metric with a loop
// label in an exposition, which must have one per loop.
func sumSeries(t *testing.T, text, name string, loops int) int {
	t.Helper()
	sum := 0
	series := regexp.MustCompile(`(?m)^`+name+`\{loop="\d+"\} (\d+)$`).FindAllStringSubmatch(text, -1)
	for _, m := range series {
		n, _ := strconv.Atoi(m[1])
		sum += n
	}
	if len(series) != loops {
		t.Errorf("%d series of %s, want one per loop (%d)", len(series), name, loops)
	}
	return sum
}

// promtool checks an exposition; without promtool it skips
// (testtool.Path).
func promtool(t *testing.T, text string) {
	t.Helper()
	cmd := exec.Command(testtool.Path(t, "promtool", "prometheus"), "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s\n%s", err, out, text)
	}
}

// exposition is what m's /metrics serves, in the text format.
func exposition(t *testing.T, m *metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.handler(slog.New(slog.DiscardHandler)).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d\n%s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// The gauges follow connections through their states.
func TestConnGauges(t *testing.T) {
	m := newMetrics("epoll")
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	gauges := func() string {
		text := exposition(t, m)
		open := regexp.MustCompile(`(?m)^ringnet_http_open_connections (\d+)$`).FindStringSubmatch(text)
		idle := regexp.MustCompile(`(?m)^ringnet_http_idle_connections (\d+)$`).FindStringSubmatch(text)
		return open[1] + " " + idle[1]
	}
	for i, step := range []struct {
		c    net.Conn
		st   http.ConnState
		want string // open idle
	}{
		{c1, http.StateNew, "1 0"},
		{c1, http.StateActive, "1 0"},
		{c1, http.StateIdle, "1 1"},
		{c2, http.StateNew, "2 1"},
		{c2, http.StateActive, "2 1"},
		{c2, http.StateIdle, "2 2"},
		{c1, http.StateActive, "2 1"},
		{c2, http.StateClosed, "1 0"}, // closed while idle
		{c1, http.StateHijacked, "0 0"},
	} {
		m.connState(step.c, step.st)
		if got := gauges(); got != step.want {
			t.Fatalf("step %d (%v): open idle %s, want %s", i, step.st, got, step.want)
		}
	}
}

// Requests land in their code and method and in their latency bucket;
// the loops' figures are exported as LoopStats reports them, on /metrics
// and /debug/vars alike.
func TestMetricsCounts(t *testing.T) {
	m := newMetrics("uring")
	m.loops = func() ringhttp.LoopStats {
		return ringhttp.LoopStats{Conns: []int{2, 0}, Queued: []int{4096, 0}, HandOffs: 7, BlockingRoutes: 1, SweeperCloses: 3}
	}
	for _, r := range []struct {
		method  string
		status  int
		elapsed time.Duration
	}{
		{"GET", 200, 3 * time.Millisecond},
		{"GET", 200, 5 * time.Millisecond},
		{"POST", 503, 7 * time.Millisecond},
		{"HEAD", 301, 20 * time.Second},
		{"BREW", 200, time.Millisecond}, // not a standard method
	} {
		m.observe(httptest.NewRequest(r.method, "/", nil), &recorder{code: r.status}, time.Time{}, r.elapsed)
	}
	text := exposition(t, m)
	for _, line := range []string{
		`ringnet_http_requests_total{code="200",method="get"} 2`,
		`ringnet_http_requests_total{code="503",method="post"} 1`,
		`ringnet_http_requests_total{code="301",method="head"} 1`,
		`ringnet_http_requests_total{code="200",method="unknown"} 1`,
		`ringnet_http_request_duration_seconds_bucket{le="0.005"} 3`, // le is inclusive
		`ringnet_http_request_duration_seconds_bucket{le="0.01"} 4`,
		`ringnet_http_request_duration_seconds_bucket{le="10"} 4`,
		`ringnet_http_request_duration_seconds_bucket{le="+Inf"} 5`,
		`ringnet_http_request_duration_seconds_count 5`,
		`ringnet_backend_info{backend="uring"} 1`,
		`ringnet_loop_connections{loop="0"} 2`,
		`ringnet_loop_connections{loop="1"} 0`,
		`ringnet_loop_queued_bytes{loop="0"} 4096`,
		`ringnet_loop_queued_bytes{loop="1"} 0`,
		`ringnet_loop_handoffs_total 7`,
		`ringnet_http_blocking_routes 1`,
		`ringnet_loop_sweeper_closes_total 3`,
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("metrics lack %s:\n%s", line, text)
		}
	}
	if sum := regexp.MustCompile(`(?m)^ringnet_http_request_duration_seconds_sum (\S+)$`).FindStringSubmatch(text); sum == nil || !near(sum[1], 20.016) {
		t.Errorf("latency sum %q, want 20.016:\n%s", sum, text)
	}

	rec := httptest.NewRecorder()
	m.serveVars(rec, httptest.NewRequest("GET", "/debug/vars", nil))
	var vars map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &vars); err != nil || vars["memstats"] == nil {
		t.Fatalf("/debug/vars: %v\n%.300s", err, rec.Body)
	}
	var ringnet map[string]any
	if err := json.Unmarshal(vars["ringnet"], &ringnet); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"http_requests_total": map[string]any{
			"code=200,method=get": 2.0, "code=503,method=post": 1.0, "code=301,method=head": 1.0, "code=200,method=unknown": 1.0,
		},
		"http_request_duration_seconds": map[string]any{"count": 5.0, "sum": ringnet["http_request_duration_seconds"].(map[string]any)["sum"]},
		"http_open_connections":         0.0,
		"http_idle_connections":         0.0,
		"backend_info":                  map[string]any{"backend=uring": 1.0},
		"loop_connections":              map[string]any{"loop=0": 2.0, "loop=1": 0.0},
		"loop_queued_bytes":             map[string]any{"loop=0": 4096.0, "loop=1": 0.0},
		"loop_handoffs_total":           7.0,
		"http_blocking_routes":          1.0,
		"loop_sweeper_closes_total":     3.0,
	}
	if !reflect.DeepEqual(ringnet, want) {
		t.Errorf("/debug/vars ringnet:\n%v\nwant\n%v", ringnet, want)
	}
	promtool(t, text) // last: it skips without promtool
}

// near reports whether the decimal s is within a millionth of want.
func near(s string, want float64) bool {
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && math.Abs(f-want) < 1e-6
}
