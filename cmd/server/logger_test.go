package main

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
	"github.com/ringnet/ringnet/netfd"
)

// Durations, ringhttp.Mode and netfd.Backend print as words in both
// formats: slog's JSON would print nanoseconds and the mode's number.
func TestLogValues(t *testing.T) {
	for _, tc := range []struct {
		json bool
		want string
	}{
		{false, `level=INFO msg=x elapsed=1.5s mode=inline backend=uring`},
		{true, `"level":"INFO","msg":"x","elapsed":"1.5s","mode":"inline","backend":"uring"}`},
	} {
		var out strings.Builder
		newLogger(&out, tc.json).Info("x", "elapsed", 1500*time.Millisecond, "mode", ringhttp.ModeInline, "backend", netfd.Uring)
		if !strings.HasSuffix(out.String(), tc.want+"\n") {
			t.Errorf("json %v: %q, want it to end in %q", tc.json, out.String(), tc.want)
		}
	}
	for m, want := range map[ringhttp.Mode]string{ringhttp.ModeAuto: "auto", ringhttp.ModeInline: "inline", ringhttp.ModeGoroutine: "goroutine", 7: "Mode(7)"} {
		if got := m.String(); got != want {
			t.Errorf("Mode %d: %q, want %q", uint8(m), got, want)
		}
	}
}

// The server's own lines with -log-json: durations as strings.
func TestLogJSON(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		cfg := testConfig(b)
		cfg.logJSON = true
		ts := startServer(t, cfg)
		ts.sigs <- syscall.SIGTERM
		if err := ts.wait(t); err != nil {
			t.Fatal(err)
		}
		ts.log.waitFor(t, `"msg":"shutting down","signal":"terminated","timeout":"10s"}`)
		line := ts.log.waitFor(t, `"msg":"shutdown complete"`)
		var rec struct{ Elapsed string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if _, err := time.ParseDuration(rec.Elapsed); err != nil {
			t.Errorf("elapsed %q in %s: %v", rec.Elapsed, line, err)
		}
	})
}

// A handler's panic is logged with its stack: in text, the line and then
// the stack as it is, one frame a line, as net/http prints it; in JSON,
// one record with the stack in one field.
func TestLogPanicStack(t *testing.T) {
	backendtest.RunServers(t, func(t *testing.T, b backendtest.Backend) {
		for _, logJSON := range []bool{false, true} {
			log := &lineSink{}
			s := &ringhttp.Server{ErrorLog: newLogger(log, logJSON), Handler: http.HandlerFunc(panicking)}
			b.SetMode(s)
			ln := b.ListenTCP(t)
			backendtest.Serve(t, ln, s, ringhttp.ErrServerClosed)
			c := newClient(t, nil)
			if resp, err := c.Get("http://" + ln.Addr().String() + "/"); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				t.Fatalf("a panicking handler answered %s", resp.Status)
			}
			// The connection closed after the panic was logged.
			out := log.String()
			if !logJSON {
				first, stack, _ := strings.Cut(out, "\n")
				if !regexp.MustCompile(`^time=\S+ level=ERROR msg="http: panic serving 127\.0\.0\.1:\d+" panic="handler gave up"$`).MatchString(first) {
					t.Errorf("text: first line %q", first)
				}
				if !regexp.MustCompile(`^goroutine \d+ \[running\]:\n(.+\n)+$`).MatchString(stack) || !strings.Contains(stack, "cmd/server.panicking(") {
					t.Errorf("text: not a stack after the line:\n%s", out)
				}
				continue
			}
			if strings.Count(out, "\n") != 1 {
				t.Errorf("json: %d lines, want one record:\n%s", strings.Count(out, "\n"), out)
			}
			var rec struct{ Level, Msg, Panic, Stack string }
			if err := json.Unmarshal([]byte(out), &rec); err != nil {
				t.Fatalf("json: %v\n%s", err, out)
			}
			if rec.Level != "ERROR" || !strings.HasPrefix(rec.Msg, "http: panic serving 127.0.0.1:") || rec.Panic != "handler gave up" ||
				!strings.HasPrefix(rec.Stack, "goroutine ") || !strings.Contains(rec.Stack, "cmd/server.panicking(") {
				t.Errorf("json: %+v", rec)
			}
		}
	})
}

func panicking(http.ResponseWriter, *http.Request) { panic("handler gave up") }
