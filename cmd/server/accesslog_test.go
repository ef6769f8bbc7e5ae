package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ringnet/ringnet/internal/backendtest"
)

// -access-log writes one Combined Log Format line per request.
func TestAccessLog(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		cfg := testConfig(b)
		cfg.accessLog = true
		ts := startServer(t, cfg)
		client := newClient(t, nil)

		req, _ := http.NewRequest("GET", ts.url+"/hello/log?x=1", nil)
		req.Header.Set("Referer", "http://example.com/from")
		req.Header.Set("User-Agent", `agent "quoted" \ x`)
		do(t, client, req)
		req, _ = http.NewRequest("POST", ts.url+"/echo", nil) // no body: bytes "-"
		req.Header.Set("User-Agent", "")                      // not sent: "-"
		do(t, client, req)
		get(t, client, ts.url+"/nope")

		const date = `\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]`
		for substr, pattern := range map[string]string{
			"/hello/": `^127\.0\.0\.1 - - ` + date + ` "GET /hello/log\?x=1 HTTP/1\.1" 200 12 "http://example\.com/from" "agent \\"quoted\\" \\\\ x"$`,
			"/echo":   `^127\.0\.0\.1 - - ` + date + ` "POST /echo HTTP/1\.1" 200 - "-" "-"$`,
			"/nope":   `^127\.0\.0\.1 - - ` + date + ` "GET /nope HTTP/1\.1" 404 19 "-" "Go-http-client/1\.1"$`,
		} {
			if line := ts.access.waitFor(t, substr); !regexp.MustCompile(pattern).MatchString(line) {
				t.Errorf("access log line\n%s\ndoes not match\n%s", line, pattern)
			}
		}
		ts.access.waitFor(t, "/nope")
		if n := strings.Count(ts.access.String(), "\n"); n != 3 {
			t.Errorf("%d lines for 3 requests:\n%s", n, ts.access)
		}
	})
}

// Behind the access log a static file still reaches the engine's
// ReadFrom (sendfile), arrives whole, and is logged with its size.
func TestAccessLogFile(t *testing.T) {
	var _ io.ReaderFrom = (*recorder)(nil)
	dir := t.TempDir()
	data := bytes.Repeat([]byte("0123456789abcdef"), 300<<10/16)
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		cfg := testConfig(b)
		cfg.accessLog, cfg.dir = true, dir
		ts := startServer(t, cfg)
		_, body := get(t, newClient(t, nil), ts.url+"/static/big.bin")
		if body != string(data) {
			t.Errorf("got %d bytes, not the file's %d", len(body), len(data))
		}
		pattern := `"GET /static/big\.bin HTTP/1\.1" 200 ` + strconv.Itoa(len(data)) + ` `
		if line := ts.access.waitFor(t, "/static/big.bin"); !regexp.MustCompile(pattern).MatchString(line) {
			t.Errorf("access log line\n%s\ndoes not match\n%s", line, pattern)
		}
	})
}

// Without -access-log and -admin, the handler is the routes themselves,
// with no recorder in between.
func TestNoObserverByDefault(t *testing.T) {
	ts := startServer(t, testConfig(backendtest.All[0]))
	if _, ok := ts.http.Handler.(http.HandlerFunc); ok {
		t.Error("the default handler is wrapped")
	}
}

func do(t *testing.T, c *http.Client, req *http.Request) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// Client strings cannot end a field or a line.
func TestAppendEscaped(t *testing.T) {
	in := "a\"b\\c\nd\x00\x7f\xffé"
	want := `a\"b\\c\x0ad\x00\x7f\xff\xc3\xa9`
	if got := string(appendEscaped(nil, in)); got != want {
		t.Errorf("appendEscaped(%q) = %s, want %s", in, got, want)
	}
}
