package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
	"github.com/ringnet/ringnet/internal/nginxtest"
)

// The load generator's behaviour with real and scripted servers, every
// response checked byte for byte, on every backend: std runs the
// Transport, epoll and uring the event loops (loopload.go).

// loadChecked runs a load with args on b, every final response handed to
// check, and returns what it measured.
func loadChecked(t *testing.T, b backendtest.Backend, check func(*http.Response, []byte), args ...string) *result {
	t.Helper()
	cfg, err := parseArgs(append([]string{"-load", "-backend", b.Name}, args...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.check = check
	bk, err := parseBackend(cfg.backend)
	if err != nil {
		t.Fatal(err)
	}
	return runLoad(context.Background(), cfg, bk)
}

// A checker checks the responses of one load run: want says what body
// (and framing) response n must have. With numbered, n is the response's
// X-N field, and each number may be seen once; else it is 0. It counts
// the responses checked.
type checker struct {
	t        *testing.T
	want     func(n int) (body string, chunked bool)
	numbered bool
	// anyFraming: HEAD's responses, whose framing is the one a GET
	// would have had, the server's choice.
	anyFraming bool
	mu         sync.Mutex
	seen       map[int]bool
	n          atomic.Uint64
}

func newChecker(t *testing.T, numbered bool, want func(n int) (string, bool)) *checker {
	return &checker{t: t, want: want, numbered: numbered, seen: map[int]bool{}}
}

func (c *checker) check(resp *http.Response, body []byte) {
	c.n.Add(1)
	n, again := 0, false
	if c.numbered {
		var err error
		if n, err = strconv.Atoi(resp.Header.Get("X-N")); err != nil {
			c.t.Errorf("response without X-N: %s %v", resp.Status, resp.Header)
			return
		}
		c.mu.Lock()
		again = c.seen[n]
		c.seen[n] = true
		c.mu.Unlock()
	}
	want, chunked := c.want(n)
	isChunked := slices.Equal(resp.TransferEncoding, []string{"chunked"})
	if c.anyFraming {
		chunked = isChunked
	}
	if again || string(body) != want || isChunked != chunked {
		c.t.Errorf("response %d (again %v): chunked %v, body %d bytes %.40q; want chunked %v, %d bytes %.40q",
			n, again, isChunked, len(body), body, chunked, len(want), want)
	}
}

// numbered is the body of response n: its number, then n%5000 bytes of
// a pattern that shifts with n, so that a byte out of place shows.
func numbered(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d|", n)
	for i := range n % 5000 {
		b.WriteByte(byte('a' + (n+i)%26))
	}
	return b.String()
}

// mixedServer is ringnet's server answering request n (counted over the
// server) by its kind, n%4: Content-Length; chunked (two flushes);
// Content-Length and Connection: close; a large chunked body in pieces.
func mixedServer(t *testing.T) (url string, served *atomic.Int64) {
	served = new(atomic.Int64)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(served.Add(1))
		body := numbered(n)
		w.Header().Set("X-N", strconv.Itoa(n))
		switch n % 4 {
		case 0:
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		case 1:
			io.WriteString(w, body[:len(body)/2])
			w.(http.Flusher).Flush()
			body = body[len(body)/2:]
		case 2:
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Header().Set("Connection", "close")
		case 3:
			body += strings.Repeat(body, 20) // up to 100 KB, in many chunks
			for len(body) > 0 {
				k := min(len(body), 3000)
				io.WriteString(w, body[:k])
				w.(http.Flusher).Flush()
				body = body[k:]
			}
		}
		io.WriteString(w, body)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	backendtest.Serve(t, ln, &ringhttp.Server{Handler: h}, ringhttp.ErrServerClosed)
	return "http://" + ln.Addr().String() + "/", served
}

// mixedWant is what mixedServer sends for response n; with head, the
// response to HEAD: no body.
func mixedWant(head bool) func(n int) (string, bool) {
	return func(n int) (string, bool) {
		body := numbered(n)
		if n%4 == 3 {
			body += strings.Repeat(body, 20)
		}
		if head {
			return "", false
		}
		return body, n%2 == 1
	}
}

// Against ringnet's server, every response is read exactly, whatever its
// framing, and a response that closes the connection has the connection
// dialled again; pipelined, the requests it leaves unanswered fail as
// reset, and nothing else fails. HEAD responses have no body, whatever
// their header says.
func TestLoadEveryResponse(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		for _, tc := range []struct {
			args []string
			head bool
		}{
			{[]string{"-c", "4", "-n", "120"}, false},
			{[]string{"-c", "3", "-n", "120", "-pipeline", "4"}, false},
			{[]string{"-c", "3", "-n", "120", "-X", "HEAD"}, true},
			{[]string{"-c", "2", "-n", "60", "-rate", "300", "-pipeline", "2"}, false},
		} {
			url, served := mixedServer(t)
			ck := newChecker(t, true, mixedWant(tc.head))
			ck.anyFraming = tc.head
			r := loadChecked(t, b, ck.check, append(tc.args, url)...)
			resets, pipelined := r.errors[errReset], slices.Contains(tc.args, "-pipeline")
			n, _ := strconv.ParseUint(tc.args[slices.Index(tc.args, "-n")+1], 10, 64)
			if r.requests < r.sent/4 || ck.n.Load() != r.requests || r.status[200] != r.requests ||
				r.failed() != resets || (!pipelined && resets != 0) || r.requests+resets != r.sent ||
				r.sent != n || uint64(served.Load()) < r.requests || r.conns.dials < int64(r.requests/5) {
				t.Errorf("%q: %d served, %d checked; %d requests, %d sent, errors %v (%v), %d dials",
					tc.args, served.Load(), ck.n.Load(), r.requests, r.sent, r.errors, r.samples, r.conns.dials)
			}
		}
	})
}

var loadNginxConf = nginxtest.Conf(`
	access_log off;
	default_type application/octet-stream;
	server {
		listen 127.0.0.1:{{port}};
		root {{dir}}/www;
		keepalive_requests 1000000;
		location = /hello { return 200 "hello from nginx\n"; }
		location /sub/ { sub_filter 'a' 'A'; sub_filter_once off; sub_filter_types *; }
		location = /limited { keepalive_requests 3; return 200 "limited\n"; }
	}
`)

// Against nginx: a fixed body, a static file larger than a read, a
// chunked body (nginx's sub_filter), HEAD, and nginx's keep-alive limit
// (Connection: close on every third response), each response read
// exactly; the limit's unanswered pipelined requests fail as reset.
func TestLoadNginx(t *testing.T) {
	text := strings.Repeat("a banana and an apple; ", 400) // sub_filter is slow: nginx's one worker serves every backend
	n := nginxtest.Start(t, loadNginxConf, map[string]string{"www/big.txt": text, "www/sub/text.txt": text}, nil)
	base := "http://" + n.Addr
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		for _, tc := range []struct {
			path, body string
			chunked    bool
			args       []string
		}{
			{"/hello", "hello from nginx\n", false, nil},
			{"/hello", "hello from nginx\n", false, []string{"-pipeline", "8"}},
			{"/big.txt", text, false, []string{"-pipeline", "2"}},
			{"/big.txt", "", false, []string{"-X", "HEAD"}},
			{"/sub/text.txt", strings.ReplaceAll(text, "a", "A"), true, []string{"-pipeline", "3"}},
			{"/limited", "limited\n", false, nil},
			{"/limited", "limited\n", false, []string{"-pipeline", "4"}},
		} {
			ck := newChecker(t, false, func(int) (string, bool) { return tc.body, tc.chunked })
			args := append([]string{"-c", "3", "-n", "60", base + tc.path}, tc.args...)
			r := loadChecked(t, b, ck.check, args...)
			resets := r.errors[errReset]
			limited := tc.path == "/limited"
			if r.requests < 30 || r.requests+resets != 60 || ck.n.Load() != r.requests || r.status[200] != r.requests || r.failed() != resets ||
				(resets != 0) != (limited && len(tc.args) > 0) || (limited && r.conns.dials < int64(r.requests/3)) {
				t.Errorf("%q: %d checked; %d requests, %d sent, errors %v (%v), %d dials",
					args, ck.n.Load(), r.requests, r.sent, r.errors, r.samples, r.conns.dials)
			}
		}
	})
}

// rawServer runs a server that reads requests on each connection and
// answers request n (counted over the server) with respond, which writes
// on c as it likes (bytes at a time, a reset): the tests' one scripted
// server. The connection closes when respond says so. Closing,
// it half-closes and reads on until the client hangs up, so that no
// unread request resets the connection under the response.
func rawServer(t *testing.T, respond func(n int, c net.Conn) (keep bool)) (url string, served *atomic.Int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served = new(atomic.Int64)
	var wg sync.WaitGroup
	conns := map[net.Conn]bool{}
	var mu sync.Mutex
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				defer func() {
					mu.Lock()
					delete(conns, c)
					mu.Unlock()
					c.Close()
				}()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					if !respond(int(served.Add(1)), c) {
						break
					}
				}
				if tc, ok := c.(*net.TCPConn); ok {
					tc.CloseWrite()
					io.Copy(io.Discard, c)
				}
			})
		}
	})
	return "http://" + ln.Addr().String() + "/", served
}

// reset closes c with a reset (RST) rather than a FIN.
func reset(c net.Conn) {
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
}

// A server that resets the connection in the middle of a response, or
// after two whole ones: each request it cuts off fails as reset, never
// as a response, and the connection is dialled again at once (no
// back-off, which is for failed dials).
func TestLoadServerResets(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		for _, every := range []int{1, 3} {
			for _, pipeline := range []string{"0", "2"} {
				url, served := rawServer(t, func(n int, c net.Conn) bool {
					body := numbered(n)
					head := fmt.Sprintf("HTTP/1.1 200 OK\r\nX-N: %d\r\nContent-Length: %d\r\n\r\n", n, len(body))
					if n%every != 0 {
						io.WriteString(c, head+body)
						return true
					}
					io.WriteString(c, head+body[:len(body)/2])
					reset(c)
					return false
				})
				ck := newChecker(t, true, func(n int) (string, bool) { return numbered(n), false })
				r := loadChecked(t, b, ck.check, url, "-c", "2", "-n", "20", "-pipeline", pipeline)
				resets := r.errors[errReset]
				if resets == 0 || r.failed() != resets || ck.n.Load() != r.requests || r.requests+resets != r.sent ||
					(every == 1) != (r.requests == 0) || r.sent != 20 || r.conns.dials < int64(resets)/2 || r.conns.dialFailures != 0 ||
					uint64(served.Load()) > r.sent {
					t.Errorf("reset every %d, pipeline %s: %d served, %d checked; %d requests, %d sent, errors %v (%v), %d dials",
						every, pipeline, served.Load(), ck.n.Load(), r.requests, r.sent, r.errors, r.samples, r.conns.dials)
				}
			}
		}
	})
}

// A server that answers slowly: after a pause, or a few bytes at a time
// (a head and a body split over many reads, an interim 103 response
// first, Content-Length, chunked, and a body that ends with the
// connection). Every response is read exactly, its latency counts the
// wait, and nothing fails.
func TestLoadSlowServer(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		const pause = 30 * time.Millisecond
		url, _ := rawServer(t, func(n int, c net.Conn) bool {
			time.Sleep(pause)
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX-N: %d\r\nContent-Length: %d\r\n\r\n%s", n, len(numbered(n)), numbered(n))
			return true
		})
		ck := newChecker(t, true, func(n int) (string, bool) { return numbered(n), false })
		r := loadChecked(t, b, ck.check, url, "-c", "2", "-n", "8")
		if r.requests != 8 || r.failed() != 0 || ck.n.Load() != r.requests || r.latency.Min() < pause {
			t.Errorf("pausing: %d checked; %d requests, errors %v (%v), latency min %v",
				ck.n.Load(), r.requests, r.errors, r.samples, r.latency.Min())
		}

		url, _ = rawServer(t, func(n int, c net.Conn) bool {
			body := numbered(n % 100)
			msg := fmt.Sprintf("HTTP/1.1 103 Early Hints\r\nLink: </n>\r\n\r\nHTTP/1.1 200 OK\r\nX-N: %d\r\n", n)
			switch n % 3 {
			case 0:
				msg += fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
			case 1:
				msg += fmt.Sprintf("Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n%x\r\n%s\r\n0\r\nX-T: t\r\n\r\n",
					len(body)/2, body[:len(body)/2], len(body)-len(body)/2, body[len(body)/2:])
			case 2:
				msg += "\r\n" + body // to the end of the connection
			}
			for len(msg) > 0 {
				k := min(len(msg), 1+n%7)
				if _, err := io.WriteString(c, msg[:k]); err != nil {
					return false
				}
				msg = msg[k:]
				time.Sleep(100 * time.Microsecond)
			}
			return n%3 != 2
		})
		ck = newChecker(t, true, func(n int) (string, bool) { return numbered(n % 100), n%3 == 1 })
		r = loadChecked(t, b, ck.check, url, "-c", "3", "-n", "12")
		if r.requests != 12 || r.failed() != 0 || ck.n.Load() != r.requests || len(r.status) != 1 || r.requests != r.sent {
			t.Errorf("trickling: %d checked; %d requests of %d sent, status %v, errors %v (%v)",
				ck.n.Load(), r.requests, r.sent, r.status, r.errors, r.samples)
		}
	})
}

// -n is exact when the server closes every connection after one response
// (the client dials again each time), and when every request fails: N
// requests sent, N counted, N reached the server.
func TestLoadRequestsExact(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		url, served := rawServer(t, func(n int, c net.Conn) bool {
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX-N: %d\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", n, len(numbered(n)), numbered(n))
			return false
		})
		ck := newChecker(t, true, func(n int) (string, bool) { return numbered(n), false })
		r := loadChecked(t, b, ck.check, url, "-c", "3", "-n", "31")
		if r.requests != 31 || r.sent != 31 || served.Load() != 31 || ck.n.Load() != 31 || r.failed() != 0 || r.conns.dials < 31 {
			t.Errorf("closing: %d served; %d requests, %d sent, errors %v (%v), %d dials",
				served.Load(), r.requests, r.sent, r.errors, r.samples, r.conns.dials)
		}

		url, served = rawServer(t, func(n int, c net.Conn) bool {
			reset(c)
			return false
		})
		r = loadChecked(t, b, nil, url, "-c", "2", "-n", "9", "-pipeline", "2")
		if r.requests != 0 || r.sent != 9 || r.errors[errReset] != 9 || r.failed() != 9 || served.Load() < 5 {
			t.Errorf("resetting: %d served; %d requests, %d sent, errors %v (%v)", served.Load(), r.requests, r.sent, r.errors, r.samples)
		}
	})
}

// Ctrl-C: the command, run as a process, stops at SIGINT, prints the
// report of what ran and exits 130.
func TestLoadSIGINT(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		srv := newCountingServer(t)
		cmd := exec.Command(os.Args[0], "-load", "-backend", b.Name, "-c", "2", "-d", "1m", srv.url)
		cmd.Env = append(os.Environ(), "CLIENT_TEST_MAIN=1")
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-srv.busy:
		case <-time.After(30 * time.Second):
			t.Fatal("no requests after 30 s")
		}
		cmd.Process.Signal(syscall.SIGINT)
		err := cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		if code != exitInterrupted || !matches(`\n  requests  [1-9]\d* in \d+\.\d\ds`, out.String()) ||
			!matches(`\n  INTERRUPTED after \d+\.\d\ds of 1m0s`, out.String()) {
			t.Errorf("exit %d (%v), stdout:\n%s\nstderr: %s", code, err, out.String(), errOut.String())
		}
	})
}

// Runs on loops add one P while they last, shared by the runs at once,
// and the last one takes it away.
func TestLoadSpareP(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	n, release := spareP()
	m, release2 := spareP()
	if n != before || m != before || runtime.GOMAXPROCS(0) != before+1 {
		t.Errorf("two runs of %d and %d loops: GOMAXPROCS %d, was %d", n, m, runtime.GOMAXPROCS(0), before)
	}
	release()
	release2()
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Errorf("GOMAXPROCS %d after the runs, was %d", got, before)
	}
}
