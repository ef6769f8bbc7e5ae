package client_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringnet/ringnet/client"
	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// A connServer is ringnet's server on a listener of b that says which
// connection carried each request (X-Conn: the client's address) and
// counts connections: open now, at most at once, and in all.
type connServer struct {
	url               string
	addr              string // where it listens
	open, peak, total atomic.Int32
	closed            chan string // remote address of each closed connection
	mu                sync.Mutex
	held              map[string]chan struct{} // /hold?id= requests waiting for release
	entered           chan string              // id of each /hold request that arrived
	order             []string                 // the n of each /?n= request, in arrival order; guarded by mu
}

func newConnServer(t *testing.T, b backendtest.Backend) *connServer {
	return newConnServerTLS(t, b, nil)
}

// newConnServerTLS is newConnServer over TLS if cfg is not nil; its URL
// then names the host example.test, which dialTo maps to its address.
func newConnServerTLS(t *testing.T, b backendtest.Backend, cfg *tls.Config) *connServer {
	t.Helper()
	s := &connServer{
		closed:  make(chan string, 1024),
		held:    map[string]chan struct{}{},
		entered: make(chan string, 1024),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Conn", r.RemoteAddr)
		if n := r.URL.Query().Get("n"); n != "" {
			s.mu.Lock()
			s.order = append(s.order, n)
			s.mu.Unlock()
		}
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/hold", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Conn", r.RemoteAddr)
		id := r.URL.Query().Get("id")
		s.entered <- id
		select {
		case <-s.release(id):
		case <-r.Context().Done():
		}
		io.WriteString(w, "held "+id)
	})
	var ln net.Listener = b.ListenTCP(t)
	s.addr = ln.Addr().String()
	s.url = "http://" + s.addr
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
		_, port, _ := net.SplitHostPort(s.addr)
		s.url = "https://example.test:" + port
	}
	srv := &ringhttp.Server{Handler: mux, ConnState: func(c net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			s.total.Add(1)
			n := s.open.Add(1)
			for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
			}
		case http.StateClosed, http.StateHijacked:
			s.open.Add(-1)
			s.closed <- c.RemoteAddr().String()
		}
	}}
	serveRingServer(t, ln, srv)
	return s
}

func (s *connServer) release(id string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.held[id]
	if ch == nil {
		ch = make(chan struct{})
		s.held[id] = ch
	}
	return ch
}

// unhold lets the /hold?id= request answer.
func (s *connServer) unhold(id string) { close(s.release(id)) }

// get does a GET of path and returns the connection that carried it.
func get(t testing.TB, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Error(err)
		return ""
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Error(err)
	}
	return resp.Header.Get("X-Conn")
}

func waitFor[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// TestMaxConnsPerHost sends 500 requests at once with MaxConnsPerHost 8:
// the server never sees more than 8 connections, and all succeed.
func TestMaxConnsPerHost(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		s := newConnServer(t, b)
		c := &http.Client{Transport: newTransport(t, b, client.Options{MaxConnsPerHost: 8})}
		var wg sync.WaitGroup
		for range 500 {
			wg.Go(func() {
				if get(t, c, s.url+"/") == "" {
					t.Error("no X-Conn")
				}
			})
		}
		wg.Wait()
		if peak, total := s.peak.Load(), s.total.Load(); peak > 8 || total > 8 {
			t.Errorf("server saw %d connections at once, %d in all; want at most 8", peak, total)
		}
	})
}

// TestMaxIdleConnsPerHost: after a burst on many connections, only
// MaxIdleConnsPerHost stay idle; the others are closed.
func TestMaxIdleConnsPerHost(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		s := newConnServer(t, b)
		tr := newTransport(t, b, client.Options{MaxIdleConnsPerHost: 3})
		c := &http.Client{Transport: tr}
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Go(func() { get(t, c, s.url+"/hold?id="+strconv.Itoa(i)) })
			waitFor(t, s.entered, "request "+strconv.Itoa(i))
		}
		for i := range 10 {
			s.unhold(strconv.Itoa(i))
		}
		wg.Wait()
		if n := client.IdleConns(tr); n != 3 {
			t.Errorf("%d idle connections, want 3", n)
		}
		for i := range 7 {
			waitFor(t, s.closed, fmt.Sprintf("close %d of 7", i+1))
		}
	})
}

// TestMaxIdleConns: the total idle limit closes the least recently used
// connection, whatever its host.
func TestMaxIdleConns(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		s1, s2 := newConnServer(t, b), newConnServer(t, b)
		tr := newTransport(t, b, client.Options{MaxIdleConns: 1})
		c := &http.Client{Transport: tr}
		first := get(t, c, s1.url+"/")
		get(t, c, s2.url+"/")
		if got := waitFor(t, s1.closed, "the LRU connection to close"); got != first {
			t.Errorf("closed %s, want %s", got, first)
		}
		if n := client.IdleConns(tr); n != 1 {
			t.Errorf("%d idle connections, want 1", n)
		}
	})
}

// TestWaitersFIFO: with one connection allowed, queued requests get it
// in the order they asked.
func TestWaitersFIFO(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		s := newConnServer(t, b)
		tr := newTransport(t, b, client.Options{MaxConnsPerHost: 1})
		queued := make(chan struct{}, 16)
		client.SetTestHookQueued(tr, func() { queued <- struct{}{} })
		c := &http.Client{Transport: tr}

		var wg sync.WaitGroup
		wg.Go(func() { get(t, c, s.url+"/hold?id=first") })
		waitFor(t, queued, "first request queued")
		waitFor(t, s.entered, "first request at the server")
		for i := range 6 {
			wg.Go(func() { get(t, c, s.url+"/?n="+strconv.Itoa(i)) })
			waitFor(t, queued, "request "+strconv.Itoa(i)+" queued")
		}
		s.unhold("first")
		wg.Wait()
		s.mu.Lock()
		defer s.mu.Unlock()
		if want := []string{"0", "1", "2", "3", "4", "5"}; !slices.Equal(s.order, want) {
			t.Errorf("served in order %v, want %v", s.order, want)
		}
		if n := s.total.Load(); n != 1 {
			t.Errorf("%d connections, want 1", n)
		}
	})
}

// TestMostRecentlyUsedFirst: of two idle connections, the one that went
// idle last carries the next request.
func TestMostRecentlyUsedFirst(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		s := newConnServer(t, b)
		c := &http.Client{Transport: newTransport(t, b, client.Options{})}
		conns := make(chan string, 2)
		var wg sync.WaitGroup
		for _, id := range []string{"a", "b"} {
			wg.Go(func() { conns <- get(t, c, s.url+"/hold?id="+id) })
		}
		waitFor(t, s.entered, "first hold")
		waitFor(t, s.entered, "second hold")
		s.unhold("a")
		first := waitFor(t, conns, "first response")
		s.unhold("b")
		last := waitFor(t, conns, "second response")
		wg.Wait()
		if first == last {
			t.Fatalf("both requests on %s", first)
		}
		for range 3 {
			if got := get(t, c, s.url+"/"); got != last {
				t.Fatalf("request on %s, want the most recently used %s (not %s)", got, last, first)
			}
		}
	})
}

// TestIdleConnTimeout: an idle connection is closed after
// IdleConnTimeout, and the next request dials a new one.
func TestIdleConnTimeout(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		s := newConnServer(t, b)
		tr := newTransport(t, b, client.Options{IdleConnTimeout: 50 * time.Millisecond})
		c := &http.Client{Transport: tr}
		first := get(t, c, s.url+"/")
		if got := waitFor(t, s.closed, "the idle connection to close"); got != first {
			t.Fatalf("closed %s, want %s", got, first)
		}
		if n := client.IdleConns(tr); n != 0 {
			t.Errorf("%d idle connections after the timeout", n)
		}
		if second := get(t, c, s.url+"/"); second == first {
			t.Errorf("second request on the timed-out connection %s", first)
		}
	})
}

// TestAsyncDialHandoff: a request that started a dial takes the
// connection another request frees first; the dial, once done, goes to
// the pool and serves a later request.
func TestAsyncDialHandoff(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		s := newConnServer(t, b)
		var dials atomic.Int32
		secondDial, releaseDial := make(chan struct{}), make(chan struct{})
		tr := client.NewTransport(client.Options{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials.Add(1) == 2 {
				close(secondDial)
				<-releaseDial
			}
			return b.DialContext(ctx, network, addr)
		}})
		t.Cleanup(tr.CloseIdleConnections)
		idle := make(chan struct{}, 16)
		client.SetTestHookIdle(tr, func() { idle <- struct{}{} })
		c := &http.Client{Transport: tr}

		connA := make(chan string, 1)
		go func() { connA <- get(t, c, s.url+"/hold?id=A") }()
		waitFor(t, s.entered, "request A")
		connB := make(chan string, 1)
		go func() { connB <- get(t, c, s.url+"/hold?id=B") }()
		waitFor(t, secondDial, "B's dial")
		s.unhold("A")
		a := waitFor(t, connA, "A's response")
		waitFor(t, s.entered, "request B on A's connection")
		close(releaseDial)
		waitFor(t, idle, "B's dial to go idle")
		s.unhold("B")
		if b := waitFor(t, connB, "B's response"); b != a {
			t.Errorf("B on %s, want A's connection %s", b, a)
		}
		// Both connections are pooled now: two requests at once need no dial.
		var wg sync.WaitGroup
		for _, id := range []string{"C", "D"} {
			wg.Go(func() { get(t, c, s.url+"/hold?id="+id) })
		}
		waitFor(t, s.entered, "request C")
		waitFor(t, s.entered, "request D")
		s.unhold("C")
		s.unhold("D")
		wg.Wait()
		if n := dials.Load(); n != 2 {
			t.Errorf("%d dials, want 2", n)
		}
	})
}

// A rawServer runs serve on each connection accepted on a listener of b,
// with i its number, from 0.
func rawServer(t *testing.T, b backendtest.Backend, serve func(i int, c net.Conn)) string {
	t.Helper()
	ln := b.ListenTCP(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for i := 0; ; i++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { serve(i, c); c.Close() })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + ln.Addr().String()
}

// readRequest reads one request and its body; it returns "" at EOF.
func readRequest(br *bufio.Reader) (method, body string) {
	req, err := http.ReadRequest(br)
	if err != nil {
		return "", ""
	}
	b, _ := io.ReadAll(req.Body)
	return req.Method, string(b)
}

func respond(c net.Conn, body string) error {
	_, err := fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	return err
}

// TestDeadIdleConnNotReused: a connection the server closed while idle is
// noticed before a request is written on it, so even a POST, which is
// never retried, succeeds on a new connection.
func TestDeadIdleConnNotReused(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		closed := make(chan struct{})
		var requestsOn [8]atomic.Int32
		url := rawServer(t, b, func(i int, c net.Conn) {
			br := bufio.NewReader(c)
			for {
				method, _ := readRequest(br)
				if method == "" {
					return
				}
				requestsOn[i].Add(1)
				respond(c, "conn "+strconv.Itoa(i))
				if i == 0 {
					c.Close()
					close(closed)
					return
				}
			}
		})
		c := &http.Client{Transport: newTransport(t, b, client.Options{})}
		if _, body := mustGet(t, c, url); body != "conn 0" {
			t.Fatalf("first response %q", body)
		}
		waitFor(t, closed, "the server to close connection 0")
		for i := range 3 {
			resp, err := c.Post(url, "text/plain", strings.NewReader("not idempotent"))
			if err != nil {
				t.Fatalf("POST %d: %v", i, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != "conn 1" {
				t.Fatalf("POST %d answered %q, want conn 1", i, body)
			}
		}
		if n := requestsOn[0].Load(); n != 1 {
			t.Errorf("the closed connection got %d requests, want 1", n)
		}
	})
}

// TestRetryOnce: a request that fails on a reused connection before any
// response byte is sent again on a new connection if it is idempotent
// and its body can be rewound; never twice, and never after a failure on
// a new connection.
func TestRetryOnce(t *testing.T) {
	type attempt struct {
		conn         int
		method, body string
	}
	cases := []struct {
		name    string
		req     func(url string) *http.Request
		wantErr bool
		want    []attempt // requests the server sees after the first, good one
	}{
		{"GET", func(url string) *http.Request {
			r, _ := http.NewRequest("GET", url, nil)
			return r
		}, false, []attempt{{0, "GET", ""}, {1, "GET", ""}}},
		{"POST", func(url string) *http.Request {
			r, _ := http.NewRequest("POST", url, strings.NewReader("once"))
			return r
		}, true, []attempt{{0, "POST", "once"}}},
		{"POST with Idempotency-Key", func(url string) *http.Request {
			r, _ := http.NewRequest("POST", url, strings.NewReader("twice"))
			r.Header.Set("Idempotency-Key", "k1")
			return r
		}, false, []attempt{{0, "POST", "twice"}, {1, "POST", "twice"}}},
		{"PUT with X-Idempotency-Key, body not rewindable", func(url string) *http.Request {
			r, _ := http.NewRequest("PUT", url, opaqueBody{strings.NewReader("stream")})
			r.Header.Set("X-Idempotency-Key", "k2")
			return r
		}, true, []attempt{{0, "PUT", "stream"}}},
	}
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		for _, tc := range cases {
			var mu sync.Mutex
			var seen []attempt
			url := rawServer(t, b, func(i int, c net.Conn) {
				br := bufio.NewReader(c)
				for n := 0; ; n++ {
					method, body := readRequest(br)
					if method == "" {
						return
					}
					mu.Lock()
					seen = append(seen, attempt{i, method, body})
					mu.Unlock()
					if i == 0 && n == 1 { // the second request on the first connection
						return
					}
					respond(c, "ok")
				}
			})
			c := &http.Client{Transport: newTransport(t, b, client.Options{})}
			mustGet(t, c, url)
			resp, err := c.Do(tc.req(url))
			if err == nil {
				io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if (err != nil) != tc.wantErr {
				t.Errorf("%s: error %v, want error: %v", tc.name, err, tc.wantErr)
			}
			mu.Lock()
			if got := seen[1:]; !slices.Equal(got, tc.want) {
				t.Errorf("%s: server saw %v, want %v", tc.name, got, tc.want)
			}
			mu.Unlock()
		}
	})
}

// TestNoRetryOnNewConn: a request that fails on a connection it dialed,
// or on its retry, is not sent again.
func TestNoRetryOnNewConn(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		var requests atomic.Int32
		url := rawServer(t, b, func(i int, c net.Conn) {
			br := bufio.NewReader(c)
			for n := 0; ; n++ {
				if method, _ := readRequest(br); method == "" {
					return
				}
				requests.Add(1)
				if i > 0 || n > 0 { // only the very first request is answered
					return
				}
				respond(c, "ok")
			}
		})
		c := &http.Client{Transport: newTransport(t, b, client.Options{})}
		mustGet(t, c, url)
		if _, err := c.Get(url); err == nil {
			t.Fatal("GET succeeded on a server that hangs up")
		}
		if n := requests.Load(); n != 3 { // the good one, the failure, one retry
			t.Errorf("server got %d requests, want 3", n)
		}
		if _, err := c.Get(url); err == nil {
			t.Fatal("GET succeeded on a server that hangs up")
		}
		if n := requests.Load(); n != 4 { // a new connection: no retry
			t.Errorf("server got %d requests, want 4", n)
		}
	})
}
