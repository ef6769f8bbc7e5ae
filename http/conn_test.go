package http_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// countingListener counts the Write calls made on its accepted conns.
type countingListener struct {
	net.Listener
	writes atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, l: l}, nil
}

type countingConn struct {
	net.Conn
	l *countingListener
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.l.writes.Add(1)
	return c.Conn.Write(p)
}

// serveOn serves s on ln until the test ends.
func serveOn(t *testing.T, s *ringhttp.Server, ln net.Listener) {
	t.Helper()
	serveQuiet(s)
	backendtest.Serve(t, ln, s, ringhttp.ErrServerClosed)
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

// readResponse reads one response from br with net/http's client parser.
func readResponse(t *testing.T, br *bufio.Reader, method string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// TestPipelineCoalesced checks that responses to requests that arrived
// together leave in order and in one write.
func TestPipelineCoalesced(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		ln := &countingListener{Listener: b.ListenTCP(t)}
		serveOn(t, &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, r.URL.Path)
		})}, ln)
		c := dial(t, ln.Addr().String())
		var reqs strings.Builder
		const n = 16
		for i := 0; i < n; i++ {
			reqs.WriteString("GET /" + string(rune('a'+i)) + " HTTP/1.1\r\nHost: x\r\n\r\n")
		}
		if _, err := io.WriteString(c, reqs.String()); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		for i := 0; i < n; i++ {
			_, body := readResponse(t, br, "GET")
			if want := "/" + string(rune('a'+i)); body != want {
				t.Fatalf("response %d: body %q, want %q", i, body, want)
			}
		}
		if w := ln.writes.Load(); w != 1 {
			t.Errorf("%d pipelined responses took %d writes, want 1", n, w)
		}
	})
}

// TestPipelinePartialNext checks that a response goes out while the next
// request has only begun to arrive: a client may send the rest only once
// it has the response (the responses used to wait for the next request
// to be whole, in every mode).
func TestPipelinePartialNext(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		addr := serve(t, b, &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, r.URL.Path)
		})})
		c := dial(t, addr)
		io.WriteString(c, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HT")
		br := bufio.NewReader(c)
		if _, body := readResponse(t, br, "GET"); body != "/a" {
			t.Fatalf("first body %q", body)
		}
		io.WriteString(c, "TP/1.1\r\nHost: x\r\n\r\n")
		if _, body := readResponse(t, br, "GET"); body != "/b" {
			t.Fatalf("second body %q", body)
		}
	})
}

// TestExpectContinue checks that 100 Continue goes out only when the
// handler reads the body.
func TestExpectContinue(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		addr := serve(t, b, &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/read" {
				body, _ := io.ReadAll(r.Body)
				w.Write(body)
				return
			}
			io.WriteString(w, "not reading")
		})})

		c := dial(t, addr)
		io.WriteString(c, "POST /read HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
		br := bufio.NewReader(c)
		line, err := br.ReadString('\n')
		if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
			t.Fatalf("interim response %q, %v", line, err)
		}
		if l, _ := br.ReadString('\n'); l != "\r\n" {
			t.Fatalf("after 100: %q", l)
		}
		io.WriteString(c, "ping")
		if _, body := readResponse(t, br, "POST"); body != "ping" {
			t.Fatalf("body %q", body)
		}

		c2 := dial(t, addr)
		io.WriteString(c2, "POST /skip HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
		resp, body := readResponse(t, bufio.NewReader(c2), "POST")
		if resp.StatusCode != 200 || body != "not reading" || !resp.Close {
			t.Fatalf("got %d %q close=%v, want 200 without 100 and a close", resp.StatusCode, body, resp.Close)
		}
	})
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPanic checks that a panicking handler closes its connection, is
// logged with its stack, and that http.ErrAbortHandler is not logged.
func TestPanic(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		var logs lockedBuffer
		addr := serve(t, b, &ringhttp.Server{
			ErrorLog: slog.New(slog.NewTextHandler(&logs, nil)),
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/abort" {
					panic(http.ErrAbortHandler)
				}
				panic("boom-" + r.URL.Path)
			}),
		})
		for _, path := range []string{"/abort", "/x"} {
			c := dial(t, addr)
			io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
			got, err := io.ReadAll(c)
			if err != nil || len(got) != 0 {
				t.Fatalf("%s: got %q, %v; want a close without response", path, got, err)
			}
		}
		// The connection closes after the log line is written.
		l := logs.String()
		if !strings.Contains(l, "boom-/x") || !strings.Contains(l, "conn_test.go") {
			t.Errorf("panic not logged with its stack:\n%s", l)
		}
		if strings.Contains(l, "abort") {
			t.Errorf("ErrAbortHandler logged:\n%s", l)
		}
	})
}

// TestHijack checks that a hijacked connection carries the bytes the
// server had read ahead and is no longer the server's.
func TestHijack(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		var states sync.Map
		addr := serve(t, b, &ringhttp.Server{
			ConnState: func(c net.Conn, st http.ConnState) { states.Store(st, true) },
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				conn, rw, err := w.(http.Hijacker).Hijack()
				if err != nil {
					t.Error(err)
					return
				}
				defer conn.Close()
				line, _ := rw.ReadString('\n')
				rw.WriteString("echo:" + line)
				rw.Flush()
			}),
		})
		c := dial(t, addr)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\nahead\n")
		got, err := io.ReadAll(c)
		if err != nil || string(got) != "echo:ahead\n" {
			t.Fatalf("got %q, %v", got, err)
		}
		if _, ok := states.Load(http.StateHijacked); !ok {
			t.Error("no StateHijacked callback")
		}
	})
}

// TestConnState checks the callbacks of a keep-alive connection.
func TestConnState(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		var mu sync.Mutex
		var seen []http.ConnState
		closed := make(chan struct{})
		addr := serve(t, b, &ringhttp.Server{
			ConnState: func(c net.Conn, st http.ConnState) {
				mu.Lock()
				seen = append(seen, st)
				mu.Unlock()
				if st == http.StateClosed {
					close(closed)
				}
			},
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}),
		})
		c := dial(t, addr)
		br := bufio.NewReader(c)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		readResponse(t, br, "GET")
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		readResponse(t, br, "GET")
		<-closed
		mu.Lock()
		defer mu.Unlock()
		want := []http.ConnState{http.StateNew, http.StateActive, http.StateIdle, http.StateActive, http.StateClosed}
		if len(seen) != len(want) {
			t.Fatalf("states %v, want %v", seen, want)
		}
		for i := range want {
			if seen[i] != want[i] {
				t.Fatalf("states %v, want %v", seen, want)
			}
		}
	})
}

// TestResponseController checks deadlines and flushing through
// http.ResponseController.
func TestResponseController(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		addr := serve(t, b, &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rc := http.NewResponseController(w)
			if err := rc.SetReadDeadline(time.Now().Add(time.Minute)); err != nil {
				t.Error(err)
			}
			if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
				t.Error(err)
			}
			if err := rc.EnableFullDuplex(); err != nil {
				t.Error(err)
			}
			io.WriteString(w, "first")
			if err := rc.Flush(); err != nil {
				t.Error(err)
			}
			body, _ := io.ReadAll(r.Body)
			w.Write(body)
		})})
		c := dial(t, addr)
		io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, &http.Request{Method: "POST"})
		if err != nil {
			t.Fatal(err)
		}
		first := make([]byte, 5)
		if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "first" {
			t.Fatalf("flushed part %q, %v", first, err)
		}
		io.WriteString(c, "second")
		rest, err := io.ReadAll(resp.Body)
		if err != nil || string(rest) != "second" {
			t.Fatalf("rest %q, %v", rest, err)
		}
	})
}

// TestLimits checks the request-target limit (414) and the default
// header limit (431).
func TestLimits(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		addr := serve(t, b, &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})})
		for _, c := range []struct{ req, want string }{
			{"GET /" + strings.Repeat("a", 64<<10) + " HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 414 Request URI Too Long\r\n"},
			{"GET /" + strings.Repeat("a", 60<<10) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK\r\n"},
			{"GET / HTTP/1.1\r\nHost: x\r\nX: " + strings.Repeat("a", 1<<20+4096) + "\r\n\r\n", "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
		} {
			got := exchange(t, addr, c.req, false)
			if !strings.HasPrefix(got, c.want) {
				t.Errorf("got %.80q, want %q", got, c.want)
			}
		}
	})
}

// TestSuperfluousWriteHeaderLoggedOnce checks the misuse log of repeated
// WriteHeader calls: one line per response, the first status kept.
func TestSuperfluousWriteHeaderLoggedOnce(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		var logs lockedBuffer
		addr := serve(t, b, &ringhttp.Server{
			ErrorLog: slog.New(slog.NewTextHandler(&logs, nil)),
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusTeapot)
				w.WriteHeader(http.StatusOK)
				w.WriteHeader(http.StatusAccepted)
			}),
		})
		c := dial(t, addr)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		resp, _ := readResponse(t, bufio.NewReader(c), "GET")
		if resp.StatusCode != http.StatusTeapot {
			t.Fatalf("status %d, want 418", resp.StatusCode)
		}
		io.ReadAll(c) // the server logs before it closes
		if n := strings.Count(logs.String(), "superfluous"); n != 1 {
			t.Fatalf("%d superfluous WriteHeader lines logged, want 1:\n%s", n, logs.String())
		}
	})
}

// A malformed chunked body gets the server's 400 instead of the handler's
// response while none of that response has left, and the handler's own
// response once part of it has (it cannot be taken back).
func TestMalformedChunkedBody(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/flushed" {
				io.WriteString(w, "early\n")
				w.(http.Flusher).Flush()
			}
			_, err := io.ReadAll(r.Body)
			fmt.Fprintf(w, "err=%v\n", err)
		})
		addr := serve(t, b, &ringhttp.Server{Handler: h})
		const body = "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n"
		got := normalize(exchange(t, addr, "POST /buffered HTTP/1.1\r\nHost: x\r\n"+body, false))
		want := "HTTP/1.1 400 Bad Request: malformed chunked encoding\r\nDate: *\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request: malformed chunked encoding"
		if got != want {
			t.Errorf("buffered response:\n got %q\nwant %q", got, want)
		}
		got = exchange(t, addr, "POST /flushed HTTP/1.1\r\nHost: x\r\n"+body, false)
		if !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || !strings.Contains(got, "early\n") ||
			!strings.Contains(got, "err=malformed chunked encoding\n") || !strings.HasSuffix(got, "0\r\n\r\n") {
			t.Errorf("flushed response: got %q, want the handler's 200 with both writes, chunked", got)
		}
	})
}
