package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ringnet/ringnet/internal/backendtest"
	"github.com/ringnet/ringnet/internal/nginxtest"
)

// TestProxyRestart runs the binary twice on one port with -reuseport
// behind a real nginx, a keep-alive reverse proxy, and restarts one of
// the two processes while clients send requests through nginx: SIGTERM
// (it drains and exits 0) and a new process on the same port. No client
// sees an error; nginx's error log holds nothing but errors on upstream
// connections that it retried (see bench/proxy.sh, which does the same
// under wrk for 10 s, and docs/robustness.md); the new process
// serves.
func TestProxyRestart(t *testing.T) {
	nginxtest.Binary(t) // skips before the servers start
	backendtest.RunServers(t, func(t *testing.T, b backendtest.Backend) {
		args := []string{"-reuseport", "-access-log", "-backend", b.Name}
		if !b.Std() {
			args[3] = string(b.NB)
		}
		switch {
		case b.Goroutine:
			args = append(args, "-mode", "goroutine")
		case b.Inline:
			args = append(args, "-mode", "inline")
		}
		old := startChild(t, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
		addr := old.addr
		other := startChild(t, append([]string{"-addr", addr}, args...)...)
		defer other.cmd.Process.Signal(syscall.SIGTERM)
		proxy, errorLog := startProxy(t, addr)

		// Clients: keep-alive connections to nginx, GET /plaintext until
		// stop; each response must be 200 "Hello, World!".
		tr := &http.Transport{MaxIdleConnsPerHost: 8}
		defer tr.CloseIdleConnections()
		c := &http.Client{Transport: tr, Timeout: 20 * time.Second}
		var ok, failed atomic.Int64
		var firstErr atomic.Value
		succeeded := make(chan struct{}, 1<<20) // one per response, for the test to count
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if err := getPlaintext(c, "http://"+proxy+"/plaintext"); err != nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err)
					} else {
						ok.Add(1)
						select {
						case succeeded <- struct{}{}:
						default:
						}
					}
				}
			})
		}
		defer func() { close(stop); wg.Wait() }()
		responses := func(n int, what string) {
			t.Helper()
			timeout := time.After(60 * time.Second)
			for range n {
				select {
				case <-succeeded:
				case <-timeout:
					t.Fatalf("%s: fewer than %d responses in 60 s (%d failed; first: %v)", what, n, failed.Load(), firstErr.Load())
				}
			}
		}
		responses(300, "before the restart")
		old.cmd.Process.Signal(syscall.SIGTERM)
		restarted := startChild(t, append([]string{"-addr", addr}, args...)...)
		defer restarted.cmd.Process.Signal(syscall.SIGTERM)
		if code := old.exit(t); code != 0 {
			t.Errorf("old process: exit status %d; stderr:\n%s", code, old.stderr)
		}
		restarted.stdout.waitLines(t, 30) // its access log: the new process serves
		responses(300, "after the restart")
		close(stop)
		wg.Wait()
		stop = make(chan struct{}) // for the deferred close
		if n := failed.Load(); n > 0 {
			t.Errorf("%d of %d requests failed through nginx; first: %v", n, n+ok.Load(), firstErr.Load())
		}
		retried, lines := readNginxErrors(t, errorLog)
		if len(lines) > 0 {
			t.Errorf("nginx's error log:\n%s", strings.Join(lines, "\n"))
		}
		t.Logf("%d requests; nginx retried %d on upstream errors", ok.Load(), retried)
	})
}

func getPlaintext(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 || string(body) != "Hello, World!" {
		return fmt.Errorf("%s %q", resp.Status, body)
	}
	return nil
}

// nginxConf proxies to one upstream address with keep-alive connections,
// fewer than TestProxyRestart's clients so that nginx keeps opening new
// ones too (the kernel spreads those between the processes; kept ones
// stay where they are), and retries a request on another connection when
// one fails before a byte of the response came (proxy_next_upstream
// error). Two failures can hit one request: a kept connection the old
// process closed as nginx sent on it (the keep-alive race every HTTP/1.1
// client must retry), then a new connection that was waiting in the
// closing listener's queue and is reset (net.ipv4.tcp_migrate_req would
// move it to the other listener of the port; bench/proxy.sh sets it in a
// network namespace of its own, a test does not change the machine's).
// nginx tries each entry of an upstream once per request, so the address
// is listed 8 times: 8 tries, more than the kept connections (4) and a
// reset one.
var nginxConf = nginxtest.Conf(`
	access_log off;
	upstream backends {
		{{servers}}
		keepalive 4;
	}
	server {
		listen 127.0.0.1:{{port}};
		location / {
			proxy_pass http://backends;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_next_upstream error timeout;
		}
	}
`)

// startProxy runs nginx in front of upstream until t ends, and returns
// its address and the path of its error log.
func startProxy(t *testing.T, upstream string) (addr, errorLog string) {
	servers := strings.Repeat("server "+upstream+" max_fails=0;\n\t\t", 8)
	n := nginxtest.Start(t, nginxConf, nil, map[string]string{"{{servers}}": servers})
	return n.Addr, n.ErrorLog
}

// readNginxErrors splits nginx's error log into the errors on an upstream
// connection before any byte of the response, which nginx retries
// (counted), and every other line.
func readNginxErrors(t *testing.T, path string) (retried int, other []string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A reset can come while nginx connects (the connection waited in the
	// closing listener's queue) or while it reads the header (a kept
	// connection the old process closed); a refusal while it connects.
	retry := regexp.MustCompile(`\[error\] .*(recv\(\) failed \(104: Connection reset by peer\)|upstream prematurely closed connection|connect\(\) failed \((104: Connection reset by peer|111: Connection refused)\)) while (reading response header from|connecting to) upstream`)
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSuffix(line, "\n")
		switch {
		case retry.MatchString(line):
			retried++
		case line != "":
			other = append(other, line)
		}
	}
	return retried, other
}
