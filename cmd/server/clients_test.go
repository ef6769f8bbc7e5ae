package main

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/ringnet/ringnet/internal/backendtest"
	"github.com/ringnet/ringnet/internal/testtool"
)

// TestRealClients drives cmd/server on every backend with the clients
// people point at servers: curl, ab -k, h2load --h1 and wrk. Each must see
// every request answered with 2xx. A missing tool skips (testtool.Path).
func TestRealClients(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		url := startServer(t, testConfig(b)).url

		out := tool(t, "curl", "curl", "-sS", "-i", url+"/plaintext")
		if !strings.HasPrefix(out, "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(out, "\r\n\r\nHello, World!") {
			t.Errorf("curl GET: %q", out)
		}
		if out := tool(t, "curl", "curl", "-sS", "--data-binary", "posted body", url+"/echo"); out != "posted body" {
			t.Errorf("curl POST /echo: %q", out)
		}

		out = tool(t, "apache2-utils", "ab", "-k", "-n", "2000", "-c", "8", url+"/plaintext")
		expect(t, "ab", out, `Complete requests:\s+2000`, `Failed requests:\s+0`, `Keep-Alive requests:\s+2000`)
		if strings.Contains(out, "Non-2xx") {
			t.Errorf("ab saw non-2xx answers:\n%s", out)
		}

		out = tool(t, "nghttp2-client", "h2load", "--h1", "-n", "2000", "-c", "8", url+"/json")
		expect(t, "h2load", out, `2000 succeeded, 0 failed, 0 errored, 0 timeout`, `status codes: 2000 2xx`)

		out = tool(t, "wrk", "wrk", "-t1", "-c16", "-d1s", url+"/plaintext")
		expect(t, "wrk", out, `\d+ requests in`)
		if strings.Contains(out, "Non-2xx") || strings.Contains(out, "Socket errors") {
			t.Errorf("wrk saw errors:\n%s", out)
		}
	})
}

// tool runs a client, skipping (or failing, in CI) if it is not installed.
func tool(t *testing.T, pkg, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(testtool.Path(t, name, pkg), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	return string(out)
}

func expect(t *testing.T, name, out string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(out) {
			t.Errorf("%s output lacks %q:\n%s", name, p, out)
		}
	}
}
