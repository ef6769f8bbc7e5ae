package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// -mode reaches the ringhttp.Server and the "listening" line, which names
// the mode that runs: goroutine on std whatever -mode says.
func TestModeFlag(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		for _, mode := range modeNames {
			cfg, err := parseFlags([]string{"-addr", "127.0.0.1:0", "-backend", testConfig(b).backend, "-mode", mode}, &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			ts := startServer(t, cfg)
			want := map[string]ringhttp.Mode{"auto": ringhttp.ModeAuto, "inline": ringhttp.ModeInline, "goroutine": ringhttp.ModeGoroutine}[mode]
			if ts.http.Mode != want {
				t.Errorf("-mode %s: Server.Mode %v, want %v", mode, ts.http.Mode, want)
			}
			runs := mode
			if b.Std() {
				runs = "goroutine"
			}
			ts.log.waitFor(t, "level=INFO msg=listening addr="+ts.ln.Addr().String()+" backend="+cfg.backend+" mode="+runs+" tls=false")
			if _, body := get(t, newClient(t, nil), ts.url+"/sleep/2"); body != "slept 2 ms\n" {
				t.Errorf("-mode %s: /sleep/2: %q", mode, body)
			}
		}
	})
}

// /sleep/{ms} and /spin/{ms} take at least {ms}; while a request sleeps,
// the server answers others (-mode auto hands the loop off, goroutine
// has a goroutine per connection).
func TestSleepAndSpin(t *testing.T) {
	backendtest.RunServers(t, func(t *testing.T, b backendtest.Backend) {
		ts := startServer(t, testConfig(b))
		for _, tc := range []struct {
			path, want string
			least      time.Duration
		}{
			{"/sleep/50", "slept 50 ms\n", 50 * time.Millisecond},
			{"/spin/50", "spun 50 ms\n", 50 * time.Millisecond},
		} {
			begin := time.Now()
			resp, body := get(t, newClient(t, nil), ts.url+tc.path)
			if elapsed := time.Since(begin); resp.StatusCode != 200 || body != tc.want || elapsed < tc.least {
				t.Errorf("%s: %s %q after %v, want 200 %q after at least %v", tc.path, resp.Status, body, elapsed, tc.want, tc.least)
			}
		}

		slept := make(chan string, 1)
		sleeper := newClient(t, nil)
		go func() {
			// Not get: t.Fatal is for the test's goroutine.
			resp, err := sleeper.Get(ts.url + "/sleep/1500")
			if err != nil {
				slept <- err.Error()
				return
			}
			var buf bytes.Buffer
			buf.ReadFrom(resp.Body)
			resp.Body.Close()
			slept <- buf.String()
		}()
		time.Sleep(100 * time.Millisecond) // let the sleep begin
		if _, body := get(t, newClient(t, nil), ts.url+"/plaintext"); body != "Hello, World!" {
			t.Errorf("/plaintext during a sleep: %q", body)
		}
		select {
		case body := <-slept:
			t.Errorf("/plaintext was answered after /sleep/1500 (%q): the sleep stalled it", body)
		default:
		}
		if body := <-slept; body != "slept 1500 ms\n" {
			t.Errorf("/sleep/1500: %q", body)
		}
	})
}

// {ms} is cut to the route's cap; anything but a whole number is 400.
func TestMillis(t *testing.T) {
	for _, tc := range []struct {
		ms     string
		max    time.Duration
		want   time.Duration
		status int
	}{
		{"0", maxSleep, 0, 200},
		{"1", maxSleep, time.Millisecond, 200},
		{"10000", maxSleep, 10 * time.Second, 200},
		{"10001", maxSleep, 10 * time.Second, 200},
		{"99999999999999999999999", maxSleep, 10 * time.Second, 200},
		{"1000", maxSpin, time.Second, 200},
		{"5000", maxSpin, time.Second, 200},
		{"-1", maxSleep, 0, 400},
		{"+1", maxSleep, 0, 400},
		{"1.5", maxSleep, 0, 400},
		{"1ms", maxSleep, 0, 400},
		{"", maxSleep, 0, 400},
	} {
		req := httptest.NewRequest("GET", "/sleep/x", nil)
		req.SetPathValue("ms", tc.ms)
		w := httptest.NewRecorder()
		d, ok := millis(w, req, tc.max)
		if d != tc.want || ok != (tc.status == 200) || w.Code != tc.status {
			t.Errorf("millis(%q, %v) = %v, %v, status %d; want %v, %v, %d", tc.ms, tc.max, d, ok, w.Code, tc.want, tc.status == 200, tc.status)
		}
		if !ok && !strings.Contains(w.Body.String(), "{ms}") {
			t.Errorf("millis(%q): body %q", tc.ms, w.Body)
		}
	}
}

// The README's section on cmd/server names every route -h lists.
func TestREADMERoutes(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "<!-- cmd/server -->")
	section, _, _ = strings.Cut(section, "<!-- /cmd/server -->")
	for _, r := range routeDocs {
		_, path, _ := strings.Cut(r.route, "/")
		if !strings.Contains(section, "`"+strings.Fields(r.route)[0]+" /"+path+"`") && !strings.Contains(section, "`/"+path+"`") {
			t.Errorf("README.md's cmd/server section lacks the route %s", r.route)
		}
	}
}
