package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ringnet/ringnet/internal/backendtest"
)

// childEnv makes the test binary run main instead of the tests: the
// binary tests start the server as a child process that way.
const childEnv = "RINGNET_CMD_SERVER_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		main() // exits
	}
	backendtest.Main(m)
}

// testConfig is the default configuration on b, on 127.0.0.1:0: -mode
// goroutine for backendtest.Servers' goroutine backends.
func testConfig(b backendtest.Backend) config {
	cfg := defaultConfig()
	cfg.addr = "127.0.0.1:0"
	cfg.backend = "std"
	if !b.Std() {
		cfg.backend = string(b.NB)
	}
	switch {
	case b.Goroutine:
		cfg.mode = "goroutine"
	case b.Inline:
		cfg.mode = "inline"
	}
	return cfg
}

// A testServer is the command's server running in the test process, with
// a signal channel the test sends to and its logs collected.
type testServer struct {
	*server
	url    string // http://addr or https://addr
	sigs   chan os.Signal
	done   chan struct{} // closed when serve has returned
	err    error         // serve's result, once done
	log    *lineSink     // slog text, as the command writes it
	access *lineSink     // access log lines
}

// startServer starts the server for cfg; it is stopped when the test
// ends, by as many signals as it takes.
func startServer(t *testing.T, cfg config) *testServer {
	t.Helper()
	ts := &testServer{sigs: make(chan os.Signal, 2), done: make(chan struct{}), log: &lineSink{}, access: &lineSink{}}
	s, err := start(cfg, newLogger(ts.log, cfg.logJSON), ts.access)
	if err != nil {
		t.Fatal(err)
	}
	ts.server = s
	ts.url = "http://" + s.ln.Addr().String()
	if cfg.tlsCert != "" {
		ts.url = "https://" + s.ln.Addr().String()
	}
	go func() {
		ts.err = s.serve(ts.sigs)
		close(ts.done)
	}()
	t.Cleanup(func() {
		for {
			select {
			case <-ts.done:
				return
			case ts.sigs <- syscall.SIGINT:
			}
		}
	})
	return ts
}

// wait waits for serve to return and returns its error.
func (ts *testServer) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-ts.done:
		return ts.err
	case <-time.After(10 * time.Second):
		t.Fatalf("serve did not return; log:\n%s", ts.log)
		return nil
	}
}

// waitDraining waits until Shutdown has started.
func (ts *testServer) waitDraining(t *testing.T) {
	t.Helper()
	select {
	case <-ts.draining:
	case <-time.After(10 * time.Second):
		t.Fatalf("shutdown did not start; log:\n%s", ts.log)
	}
}

// A lineSink collects what is written to it, for a test to wait for a
// line. It may be written concurrently.
type lineSink struct {
	mu      sync.Mutex
	buf     []byte
	changed chan struct{} // closed at the next Write, if a waiter made it
}

func (s *lineSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return len(p), nil
}

func (s *lineSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.buf)
}

// waitFor waits for a whole line containing substr and returns it
// without its newline.
func (s *lineSink) waitFor(t *testing.T, substr string) string {
	t.Helper()
	var found string
	s.wait(t, "a line with "+strconv.Quote(substr), func(buf string) bool {
		for line := range strings.Lines(buf) {
			if strings.HasSuffix(line, "\n") && strings.Contains(line, substr) {
				found = strings.TrimSuffix(line, "\n")
				return true
			}
		}
		return false
	})
	return found
}

// waitLines waits until s holds at least n whole lines.
func (s *lineSink) waitLines(t *testing.T, n int) {
	t.Helper()
	s.wait(t, strconv.Itoa(n)+" lines", func(buf string) bool { return strings.Count(buf, "\n") >= n })
}

// wait waits up to 10 s until done holds for what was written.
func (s *lineSink) wait(t *testing.T, what string, done func(string) bool) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		if done(string(s.buf)) {
			s.mu.Unlock()
			return
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("no %s in:\n%s", what, s)
		}
	}
}

// newClient is an http.Client whose connections close when the test ends.
func newClient(t *testing.T, tr *http.Transport) *http.Client {
	if tr == nil {
		tr = &http.Transport{}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// get does a GET and returns the response with its body read.
func get(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// rawGet sends target as it is, which a client would clean ("/a/../b"),
// on a connection of its own, and returns the status and body.
func rawGet(t *testing.T, addr, target string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n", target)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	return resp.StatusCode, string(body)
}

// The server answers every route on every backend, in every way it serves.
func TestRoutes(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("static file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	backendtest.RunServers(t, func(t *testing.T, b backendtest.Backend) {
		cfg := testConfig(b)
		cfg.dir = dir
		ts := startServer(t, cfg)
		client := newClient(t, nil)
		for _, tc := range []struct {
			method, path, body string
			status             int
			want, ctype        string
		}{
			{"GET", "/", "", 200, "ringnet on " + cfg.backend + "\n", "text/plain; charset=utf-8"},
			{"GET", "/plaintext", "", 200, "Hello, World!", "text/plain"},
			{"GET", "/json", "", 200, `{"message":"Hello, World!"}` + "\n", "application/json"},
			{"POST", "/echo", "echo me", 200, "echo me", ""},
			{"GET", "/hello/ringnet", "", 200, "Hello, ringnet!\n", ""},
			{"GET", "/sleep/3", "", 200, "slept 3 ms\n", ""},
			{"GET", "/sleep/0", "", 200, "slept 0 ms\n", ""},
			{"GET", "/sleep/soon", "", 400, "{ms} must be a whole number of milliseconds\n", ""},
			{"GET", "/spin/3", "", 200, "spun 3 ms\n", ""},
			{"GET", "/spin/-1", "", 400, "{ms} must be a whole number of milliseconds\n", ""},
			{"POST", "/sleep/1", "", 405, "Method Not Allowed\n", ""},
			{"GET", "/static/a.txt", "", 200, "static file\n", "text/plain; charset=utf-8"},
			{"GET", "/nope", "", 404, "404 page not found\n", ""},
			{"DELETE", "/plaintext", "", 405, "Method Not Allowed\n", ""},
		} {
			req, _ := http.NewRequest(tc.method, ts.url+tc.path, strings.NewReader(tc.body))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got := string(body)
			if tc.path == "/" {
				got, _, _ = strings.Cut(got, "\n")
				got += "\n"
			}
			if resp.StatusCode != tc.status || got != tc.want {
				t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, resp.StatusCode, got, tc.status, tc.want)
			}
			if tc.ctype != "" && resp.Header.Get("Content-Type") != tc.ctype {
				t.Errorf("%s: Content-Type %q, want %q", tc.path, resp.Header.Get("Content-Type"), tc.ctype)
			}
		}
	})
}

// -backend auto resolves to a netfd backend, never std.
func TestAutoBackend(t *testing.T) {
	ln, resolved, err := listen("127.0.0.1:0", "auto", false)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if resolved != "uring" && resolved != "epoll" {
		t.Fatalf("auto resolved to %q", resolved)
	}
}
