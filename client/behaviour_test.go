package client_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringnet/ringnet/client"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// TestRequestBytes pins what goes on the wire, byte for byte: fields in
// a fixed order (Host, User-Agent, framing, then the rest sorted), one
// chunk per body read, trailers after the last chunk.
func TestRequestBytes(t *testing.T) {
	cases := []struct {
		name string
		req  func(url string) *http.Request
		want string
	}{
		{"get", func(url string) *http.Request {
			r, _ := http.NewRequest("GET", url+"/path/x%2Fy?q=1&r", nil)
			r.Header.Set("X-B", "2")
			r.Header.Set("X-A", " 1 ")
			r.Header.Set("Accept", "*/*")
			return r
		}, "GET /path/x%2Fy?q=1&r HTTP/1.1\r\nHost: HOST\r\nUser-Agent: ringnet-client/1.1\r\n" +
			"Accept-Encoding: gzip\r\nAccept: */*\r\nX-A: 1\r\nX-B: 2\r\n\r\n"},
		{"post", func(url string) *http.Request {
			r, _ := http.NewRequest("POST", url+"/p", strings.NewReader("hello"))
			r.Header.Set("Content-Type", "text/plain")
			r.Header.Set("User-Agent", "mine/1")
			return r
		}, "POST /p HTTP/1.1\r\nHost: HOST\r\nUser-Agent: mine/1\r\nContent-Length: 5\r\n" +
			"Accept-Encoding: gzip\r\nContent-Type: text/plain\r\n\r\nhello"},
		{"chunked-with-trailer", func(url string) *http.Request {
			r, _ := http.NewRequest("PUT", url+"/c", opaqueBody{strings.NewReader("hello")})
			r.Header["User-Agent"] = []string{""} // none
			r.Header.Set("Accept-Encoding", "identity")
			r.Trailer = http.Header{"X-T": {"v"}}
			return r
		}, "PUT /c HTTP/1.1\r\nHost: HOST\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n" +
			"Accept-Encoding: identity\r\n\r\n5\r\nhello\r\n0\r\nX-T: v\r\n\r\n"},
		{"head-close", func(url string) *http.Request {
			r, _ := http.NewRequest("HEAD", url+"/", nil)
			r.Close = true
			r.Host = "example.test"
			return r
		}, "HEAD / HTTP/1.1\r\nHost: example.test\r\nUser-Agent: ringnet-client/1.1\r\nConnection: close\r\n\r\n"},
	}
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		for _, tc := range cases {
			got := make(chan string, 1)
			url := rawServer(t, b, func(i int, c net.Conn) {
				var buf bytes.Buffer
				br := bufio.NewReader(io.TeeReader(c, &buf))
				req, err := http.ReadRequest(br)
				if err != nil {
					got <- err.Error()
					return
				}
				io.ReadAll(req.Body)
				got <- buf.String()
				respond(c, "")
			})
			c := &http.Client{Transport: newTransport(t, b, client.Options{})}
			resp, err := c.Do(tc.req(url))
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			resp.Body.Close()
			want := strings.ReplaceAll(tc.want, "HOST", strings.TrimPrefix(url, "http://"))
			if g := <-got; g != want {
				t.Errorf("%s: sent\n%q\nwant\n%q", tc.name, g, want)
			}
		}
	})
}

// TestInvalidRequests are refused before any connection is made.
func TestInvalidRequests(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		s := newConnServer(t, b)
		tr := newTransport(t, b, client.Options{})
		mk := func(f func(r *http.Request)) *http.Request {
			r, _ := http.NewRequest("GET", s.url+"/", nil)
			f(r)
			return r
		}
		for name, req := range map[string]*http.Request{
			"nil URL":             mk(func(r *http.Request) { r.URL = nil }),
			"nil Header":          mk(func(r *http.Request) { r.Header = nil }),
			"bad method":          mk(func(r *http.Request) { r.Method = "GET /" }),
			"bad field name":      mk(func(r *http.Request) { r.Header["X Y"] = []string{"1"} }),
			"CR LF in value":      mk(func(r *http.Request) { r.Header.Set("X", "1\r\nEvil: 1") }),
			"CTL in query":        mk(func(r *http.Request) { r.URL.RawQuery = "a=\n" }),
			"bad Host":            mk(func(r *http.Request) { r.Host = "a b" }),
			"no host":             mk(func(r *http.Request) { r.URL.Host = "" }),
			"scheme":              mk(func(r *http.Request) { r.URL.Scheme = "gopher" }),
			"length without body": mk(func(r *http.Request) { r.ContentLength = 3 }),
		} {
			if _, err := tr.RoundTrip(req); err == nil {
				t.Errorf("%s: no error", name)
			}
		}
		if n := s.total.Load(); n != 0 {
			t.Errorf("%d connections made", n)
		}
	})
}

// TestCancelWhileQueued: a request canceled while it waits for a
// connection leaves the queue; the connection serves the next one.
func TestCancelWhileQueued(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		s := newConnServer(t, b)
		tr := newTransport(t, b, client.Options{MaxConnsPerHost: 1})
		queued := make(chan struct{}, 4)
		client.SetTestHookQueued(tr, func() { queued <- struct{}{} })
		c := &http.Client{Transport: tr}
		held := make(chan string, 1)
		go func() { held <- get(t, c, s.url+"/hold?id=A") }()
		waitFor(t, queued, "A queued")
		waitFor(t, s.entered, "A at the server")

		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", s.url+"/", nil)
			_, err := c.Do(req)
			errc <- err
		}()
		waitFor(t, queued, "B queued")
		cancel()
		if err := waitFor(t, errc, "B's error"); !errors.Is(err, context.Canceled) {
			t.Errorf("B: %v, want context.Canceled", err)
		}
		s.unhold("A")
		a := waitFor(t, held, "A's response")
		if got := get(t, c, s.url+"/"); got != a {
			t.Errorf("C on %s, want A's connection %s", got, a)
		}
	})
}

// TestCancelDuringBody: canceling the context while the body is read
// fails the read with the context's error, as in net/http, and the
// connection is not reused.
func TestCancelDuringBody(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		url := start(t, b, servers[0], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Conn", r.RemoteAddr)
			io.WriteString(w, "first part")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}))
		for _, rt := range []http.RoundTripper{newTransport(t, b, client.Options{}), stdTransport(t, b)} {
			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 10)
			if _, err := io.ReadFull(resp.Body, buf); err != nil {
				t.Fatal(err)
			}
			cancel()
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%T: body read after cancel: %v, want context.Canceled", rt, err)
			}
		}
	})
}

// TestResponseHeaderTimeout: both Transports fail with a timeout error
// that matches context.DeadlineExceeded, though the context has none.
func TestResponseHeaderTimeout(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		url := start(t, b, servers[0], diffHandler()) + "/wait"
		std := stdTransport(t, b)
		std.ResponseHeaderTimeout = 50 * time.Millisecond
		ours := newTransport(t, b, client.Options{ResponseHeaderTimeout: 50 * time.Millisecond})
		for _, rt := range []http.RoundTripper{ours, std} {
			req, _ := http.NewRequest("GET", url, nil)
			_, err := rt.RoundTrip(req)
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%T: %v, want a timeout", rt, err)
			}
		}
	})
}

// TestBodyCloseDrains: closing a body early keeps the connection if the
// rest is small and quick to read, and closes it otherwise.
func TestBodyCloseDrains(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		mux := http.NewServeMux()
		mux.HandleFunc("/size/{n}", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Conn", r.RemoteAddr)
			n := map[string]int{"64k": 64 << 10, "1m": 1 << 20}[r.PathValue("n")]
			w.Write(bytes.Repeat([]byte("z"), n))
		})
		mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Conn", r.RemoteAddr)
			chunk := bytes.Repeat([]byte("e"), 4096)
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		})
		url := start(t, b, servers[0], mux)
		c := &http.Client{Transport: newTransport(t, b, client.Options{})}
		for _, tc := range []struct {
			path string
			kept bool
		}{{"/size/64k", true}, {"/size/1m", false}, {"/endless", false}} {
			resp, err := c.Get(url + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			io.ReadFull(resp.Body, make([]byte, 10))
			resp.Body.Close()
			conn := resp.Header.Get("X-Conn")
			resp2, err := c.Get(url + "/size/64k")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp2.Body)
			resp2.Body.Close()
			if kept := resp2.Header.Get("X-Conn") == conn; kept != tc.kept {
				t.Errorf("%s: connection kept %v, want %v", tc.path, kept, tc.kept)
			}
		}
	})
}

// TestSwitchingProtocols: a 101 response's body is the connection, for
// the new protocol.
func TestSwitchingProtocols(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		url := rawServer(t, b, func(i int, c net.Conn) {
			br := bufio.NewReader(c)
			if m, _ := readRequest(br); m == "" {
				return
			}
			io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
			// Plain reads and writes: splice would leave pipes behind in
			// the net package's pool, which the leak check counts.
			io.Copy(struct{ io.Writer }{c}, struct{ io.Reader }{br})
		})
		c := &http.Client{Transport: newTransport(t, b, client.Options{})}
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Upgrade", "echo")
		req.Header.Set("Connection", "Upgrade")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		rw, ok := resp.Body.(io.ReadWriteCloser)
		if resp.StatusCode != 101 || !ok {
			t.Fatalf("status %d, body %T", resp.StatusCode, resp.Body)
		}
		io.WriteString(rw, "ping")
		buf := make([]byte, 4)
		if _, err := io.ReadFull(rw, buf); err != nil || string(buf) != "ping" {
			t.Errorf("echo: %q, %v", buf, err)
		}
		rw.Close()
	})
}

// TestDisableKeepAlives: every request says "Connection: close" and gets
// a connection of its own.
func TestDisableKeepAlives(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		s := newConnServer(t, b)
		tr := newTransport(t, b, client.Options{DisableKeepAlives: true})
		c := &http.Client{Transport: tr}
		conns := map[string]bool{}
		for range 3 {
			conns[get(t, c, s.url+"/")] = true
		}
		if len(conns) != 3 || client.IdleConns(tr) != 0 {
			t.Errorf("%d connections for 3 requests, %d idle", len(conns), client.IdleConns(tr))
		}
		for range 3 {
			waitFor(t, s.closed, "a connection to close")
		}
	})
}

// TestExpectContinueTimeout: a server that never says 100 gets the body
// once ExpectContinueTimeout has passed.
func TestExpectContinueTimeout(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		url := rawServer(t, b, func(i int, c net.Conn) {
			br := bufio.NewReader(c)
			for {
				_, body := readRequest(br) // no 100: reads the body when it comes
				if body == "" {
					return
				}
				respond(c, "got "+body)
			}
		})
		c := &http.Client{Transport: newTransport(t, b, client.Options{ExpectContinueTimeout: 20 * time.Millisecond})}
		for _, body := range []string{"small", strings.Repeat("large ", 10000)} {
			req, _ := http.NewRequest("POST", url, strings.NewReader(body))
			req.Header.Set("Expect", "100-continue")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(got) != "got "+body {
				t.Errorf("response %.40q, want %.40q", got, "got "+body)
			}
		}
	})
}

// TestDialTimeout: DialTimeout bounds the dial's context, and a dial
// error is returned as is.
func TestDialTimeout(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		var mu sync.Mutex
		var left time.Duration
		dialErr := errors.New("no route")
		tr := client.NewTransport(client.Options{DialTimeout: 5 * time.Second,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				dl, _ := ctx.Deadline()
				mu.Lock()
				left = time.Until(dl)
				mu.Unlock()
				return nil, &net.OpError{Op: "dial", Net: network, Err: dialErr}
			}})
		_, err := (&http.Client{Transport: tr}).Get("http://example.test/")
		var oe *net.OpError
		if !errors.As(err, &oe) || !errors.Is(err, dialErr) {
			t.Errorf("error %v, want the dial's *net.OpError", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if left <= 0 || left > 5*time.Second {
			t.Errorf("dial had %v left, want (0, 5s]", left)
		}
	})
}

// TestCloseDuringRead: closing a body while another goroutine is blocked
// reading it ends the read at once.
func TestCloseDuringRead(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		url := start(t, b, servers[0], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "some")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}))
		c := &http.Client{Transport: newTransport(t, b, client.Options{})}
		resp, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() {
			_, err := io.ReadAll(resp.Body)
			errc <- err
		}()
		resp.Body.Close()
		if err := waitFor(t, errc, "the read to end"); err == nil {
			t.Error("read of a closed, unfinished body ended without error")
		}
	})
}

// TestClientTimeout: http.Client's Timeout works through the request's
// context, as with net/http's Transport. (The Client only sometimes
// words the error "Client.Timeout exceeded" for a Transport that is not
// its own: it races its timer against the context's; the error's class
// is the same either way.)
func TestClientTimeout(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		url := start(t, b, servers[0], diffHandler()) + "/wait"
		for _, rt := range []http.RoundTripper{newTransport(t, b, client.Options{}), stdTransport(t, b)} {
			c := &http.Client{Transport: rt, Timeout: 50 * time.Millisecond}
			_, err := c.Get(url)
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%T: %v, want a timeout", rt, err)
			}
		}
	})
}
