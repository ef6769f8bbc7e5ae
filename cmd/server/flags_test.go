package main

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ringnet/ringnet/internal/backendtest"
)

// The command line: exit status 2 and a message for a bad one, 0 for -h
// (which lists the routes) and -version.
func TestCommandLine(t *testing.T) {
	for _, tc := range []struct {
		args           []string
		code           int
		stdout, stderr []string // each must appear
	}{
		{[]string{"-backend", "foo"}, 2, nil, []string{`invalid value "foo" for flag -backend: must be one of auto, epoll, uring, std`}},
		{[]string{"-mode", "fast"}, 2, nil, []string{`invalid value "fast" for flag -mode: must be one of auto, inline, goroutine`}},
		{[]string{"-mode", ""}, 2, nil, []string{`invalid value "" for flag -mode`}},
		{[]string{"-read-timeout", "-1s"}, 2, nil, []string{"-read-timeout -1s: negative"}},
		{[]string{"-shutdown-timeout", "0s"}, 2, nil, []string{"-shutdown-timeout 0s: must be positive"}},
		{[]string{"-max-conns", "-1"}, 2, nil, []string{"-max-conns -1: negative"}},
		{[]string{"-tls-cert", "cert.pem"}, 2, nil, []string{"-tls-cert and -tls-key go together"}},
		{[]string{"-write-timeout", "soon"}, 2, nil, []string{`invalid value "soon" for flag -write-timeout`}},
		{[]string{"serve"}, 2, nil, []string{`unexpected arguments ["serve"]`}},
		{[]string{"-h"}, 0, nil, []string{
			"Routes:", "GET  /plaintext", "POST /echo", "GET  /hello/{name}", "GET  /sleep/{ms}", "GET  /spin/{ms}", "GET  /static/",
			"-mode mode", "auto, inline, goroutine", "goroutine: a goroutine per connection",
			"/debug/pprof/", "/metrics", "-shutdown-timeout duration", "(default 10s)",
			"-read-header-timeout", "-write-timeout", "(default 1m0s)", "-idle-timeout", "(default 2m0s)",
			"-tls-cert", "-access-log", "-log-json", "-admin", "-dotfiles", "-version",
			"-reuseport", "tcp_migrate_req", "-max-conns int",
			"Environment:", "RINGNET_BACKEND=epoll|uring",
		}},
		{[]string{"-version"}, 0, []string{"github.com/ringnet/ringnet/cmd/server", runtime.Version()}, nil},
	} {
		var stdout, stderr bytes.Buffer
		code := command(tc.args, &stdout, &stderr, nil)
		if code != tc.code {
			t.Errorf("%q: exit status %d, want %d\nstderr:\n%s", tc.args, code, tc.code, &stderr)
		}
		for _, want := range tc.stdout {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("%q: stdout lacks %q:\n%s", tc.args, want, &stdout)
			}
		}
		for _, want := range tc.stderr {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("%q: stderr lacks %q:\n%s", tc.args, want, &stderr)
			}
		}
	}
}

// No flags: :8080 on auto, the safe timeouts, and nothing optional on.
func TestDefaults(t *testing.T) {
	cfg, err := parseFlags(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		addr:              ":8080",
		backend:           "auto",
		mode:              "auto",
		readHeaderTimeout: 10 * time.Second,
		readTimeout:       time.Minute,
		writeTimeout:      time.Minute,
		idleTimeout:       2 * time.Minute,
		shutdownTimeout:   10 * time.Second,
	}
	if cfg != want {
		t.Errorf("defaults %+v, want %+v", cfg, want)
	}
}

// The timeout flags reach the ringhttp.Server, 0 meaning no limit.
func TestTimeoutFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-addr", "127.0.0.1:0", "-backend", "std", "-read-header-timeout", "0", "-idle-timeout", "0", "-read-timeout", "3s", "-write-timeout", "4s"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, cfg)
	s := ts.http
	if s.ReadHeaderTimeout >= 0 || s.IdleTimeout >= 0 || s.ReadTimeout != 3*time.Second || s.WriteTimeout != 4*time.Second {
		t.Errorf("header %v, idle %v, read %v, write %v", s.ReadHeaderTimeout, s.IdleTimeout, s.ReadTimeout, s.WriteTimeout)
	}
}

// -max-conns reaches the ringhttp.Server and -reuseport the listener's
// socket, on every backend: without it a second listener on the port
// fails, with it both listen.
func TestLimitFlags(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		cfg := testConfig(b)
		cfg.maxConns, cfg.reusePort = 7, true
		ts := startServer(t, cfg)
		if ts.http.MaxConns != 7 {
			t.Errorf("MaxConns %d, want 7", ts.http.MaxConns)
		}
		addr := ts.ln.Addr().String()
		ln, _, err := listen(addr, cfg.backend, true)
		if err != nil {
			t.Fatalf("second listener with SO_REUSEPORT on %s: %v", addr, err)
		}
		ln.Close()
		if ln, _, err := listen(addr, cfg.backend, false); err == nil {
			ln.Close()
			t.Errorf("a listener without SO_REUSEPORT took %s too", addr)
		}
	})
}
