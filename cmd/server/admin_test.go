package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// -admin serves pprof, expvar and /metrics on its own listener; the
// metrics count the main server's requests and connections, and
// promtool accepts them.
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
		if ct := resp.Header.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		for _, pattern := range []string{
			`(?m)^ringnet_http_requests_total\{code="4xx"\} 1$`,
			`(?m)^ringnet_http_requests_total\{code="2xx"\} [12]$`,
			`(?m)^ringnet_http_requests_total\{code="5xx"\} 0$`,
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
		} {
			if !regexp.MustCompile(pattern).MatchString(text) {
				t.Errorf("/metrics lacks %s:\n%s", pattern, text)
			}
		}
		// The client's connection, kept alive, is on one of the loops.
		loopConns := 0
		for _, m := range regexp.MustCompile(`(?m)^ringnet_loop_connections\{loop="\d+"\} (\d+)$`).FindAllStringSubmatch(text, -1) {
			n, _ := strconv.Atoi(m[1])
			loopConns += n
		}
		if want := map[bool]int{true: 0, false: 1}[b.Name == "std"]; loopConns != want {
			t.Errorf("ringnet_loop_connections sum to %d, want %d:\n%s", loopConns, want, text)
		}
		promtool(t, text)

		c := newClient(t, nil)
		if resp, body := get(t, c, admin+"/debug/pprof/"); resp.StatusCode != 200 || !strings.Contains(body, "goroutine") {
			t.Errorf("/debug/pprof/: %s\n%.300s", resp.Status, body)
		}
		if resp, body := get(t, c, admin+"/debug/pprof/goroutine?debug=1"); resp.StatusCode != 200 || !strings.Contains(body, "goroutine profile") {
			t.Errorf("/debug/pprof/goroutine: %s\n%.300s", resp.Status, body)
		}
		resp, body := get(t, c, admin+"/debug/vars")
		var vars map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &vars); resp.StatusCode != 200 || err != nil || vars["memstats"] == nil {
			t.Errorf("/debug/vars: %s %v\n%.300s", resp.Status, err, body)
		}
		if resp, _ := get(t, c, ts.url+"/metrics"); resp.StatusCode != 404 {
			t.Errorf("/metrics on the main server: %s", resp.Status)
		}
	})
}

// promtool checks an exposition: it skips, or fails when
// RINGNET_REQUIRE_TOOLS is set, if promtool is not installed.
func promtool(t *testing.T, text string) {
	t.Helper()
	requireTool(t, "prometheus", "promtool")
	cmd := exec.Command("promtool", "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s\n%s", err, out, text)
	}
}

// The gauges follow connections through their states.
func TestConnGauges(t *testing.T) {
	m := newMetrics("epoll")
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	gauges := func() string {
		text := string(m.appendText(nil))
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

// Requests land in their status class and latency bucket.
func TestMetricsCounts(t *testing.T) {
	m := newMetrics("uring")
	m.loops = func() ringhttp.LoopStats {
		return ringhttp.LoopStats{Conns: []int{2, 0}, HandOffs: 7, BlockingRoutes: 1}
	}
	for _, r := range []struct {
		status  int
		elapsed time.Duration
	}{{200, 3 * time.Millisecond}, {204, 5 * time.Millisecond}, {503, 7 * time.Millisecond}, {301, 20 * time.Second}} {
		m.observe(nil, &recorder{code: r.status}, time.Time{}, r.elapsed)
	}
	text := string(m.appendText(nil))
	for _, line := range []string{
		`ringnet_http_requests_total{code="2xx"} 2`,
		`ringnet_http_requests_total{code="3xx"} 1`,
		`ringnet_http_requests_total{code="5xx"} 1`,
		`ringnet_http_request_duration_seconds_bucket{le="0.005"} 2`, // le is inclusive
		`ringnet_http_request_duration_seconds_bucket{le="0.01"} 3`,
		`ringnet_http_request_duration_seconds_bucket{le="10"} 3`,
		`ringnet_http_request_duration_seconds_bucket{le="+Inf"} 4`,
		`ringnet_http_request_duration_seconds_sum 20.015`,
		`ringnet_http_request_duration_seconds_count 4`,
		`ringnet_backend_info{backend="uring"} 1`,
		`ringnet_loop_connections{loop="0"} 2`,
		`ringnet_loop_connections{loop="1"} 0`,
		`ringnet_loop_handoffs_total 7`,
		`ringnet_http_blocking_routes 1`,
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("metrics lack %s:\n%s", line, text)
		}
	}
	promtool(t, text)
}
