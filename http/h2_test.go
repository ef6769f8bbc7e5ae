package http_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
	"github.com/ringnet/ringnet/internal/testtool"
)

// tlsServer serves TLS with the certificate in the Server's TLSConfig.
type tlsServer struct{ *ringhttp.Server }

func (s tlsServer) Serve(l net.Listener) error { return s.ServeTLS(l, "", "") }

// serveTLS starts s with ServeTLS on a fresh listener of b, in b's mode,
// with the test certificate unless s has a TLSConfig, and returns its
// address; the server is closed, and ServeTLS has returned, when the test
// ends.
func serveTLS(t *testing.T, b backend, s *ringhttp.Server) string {
	t.Helper()
	setMode(b, s)
	serveQuiet(s)
	if s.TLSConfig == nil {
		cert, _ := backendtest.Cert()
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	ln := b.ListenTCP(t)
	backendtest.Serve(t, ln, tlsServer{s}, ringhttp.ErrServerClosed)
	return ln.Addr().String()
}

// An h2Client is a client that speaks HTTP/2 over TLS, with the local
// address of the last connection it dialed, and how many it dialed.
type h2Client struct {
	name  string
	rt    http.RoundTripper
	close func()
	dials atomic.Int32
	local atomic.Value // string
}

func (c *h2Client) dialed(nc net.Conn) net.Conn {
	c.dials.Add(1)
	c.local.Store(nc.LocalAddr().String())
	return nc
}

// h2Clients are Go's two HTTP/2 clients: x/net's http2.Transport, and
// net/http's Transport with ForceAttemptHTTP2.
func h2Clients(pool *x509.CertPool) []*h2Client {
	x := &h2Client{name: "x-net-http2"}
	xt := &http2.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		DialTLSContext: func(ctx context.Context, network, addr string, cfg *tls.Config) (net.Conn, error) {
			nc, err := (&tls.Dialer{Config: cfg}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return x.dialed(nc), nil
		},
	}
	x.rt, x.close = xt, xt.CloseIdleConnections
	n := &h2Client{name: "net-http"}
	nt := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return n.dialed(nc), nil
		},
	}
	n.rt, n.close = nt, nt.CloseIdleConnections
	return []*h2Client{x, n}
}

type ctxKey struct{ name string }

// h2Handler serves what the HTTP/2 tests ask of a server: who served
// (/info), an echo, trailers, a push, and a barrier that answers when
// concurrent requests have all arrived.
func h2Handler(s *ringhttp.Server, concurrent int) http.Handler {
	var (
		mu      sync.Mutex
		arrived int
		all     = make(chan struct{})
	)
	mux := http.NewServeMux()
	mux.HandleFunc("/info", func(w http.ResponseWriter, r *http.Request) {
		alpn := ""
		if r.TLS != nil {
			alpn = r.TLS.NegotiatedProtocol
		}
		fmt.Fprintf(w, "proto=%s major=%d alpn=%q remote=%s ctx=%v,%v server=%v",
			r.Proto, r.ProtoMajor, alpn, r.RemoteAddr, r.Context().Value(ctxKey{"base"}), r.Context().Value(ctxKey{"conn"}),
			r.Context().Value(ringhttp.ServerContextKey) == s)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, r.Body)
	})
	mux.HandleFunc("/trailers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Declared")
		io.WriteString(w, "body")
		w.(http.Flusher).Flush() // streamed: curl shows trailers only then
		w.Header().Set("X-Declared", "d")
		w.Header().Set(http.TrailerPrefix+"X-Undeclared", "u")
	})
	mux.HandleFunc("/push", func(w http.ResponseWriter, r *http.Request) {
		p, ok := w.(http.Pusher)
		if !ok {
			io.WriteString(w, "no Pusher")
			return
		}
		fmt.Fprint(w, p.Push("/info", nil))
	})
	mux.HandleFunc("/barrier", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if arrived++; arrived == concurrent {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
			io.WriteString(w, "together")
		case <-time.After(10 * time.Second):
			io.WriteString(w, "alone")
		}
	})
	return mux
}

// newH2Server is a Server with h2Handler, and a BaseContext and a
// ConnContext the handler reports.
func newH2Server(concurrent int) *ringhttp.Server {
	s := &ringhttp.Server{
		BaseContext: func(net.Listener) context.Context {
			return context.WithValue(context.Background(), ctxKey{"base"}, "base")
		},
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, ctxKey{"conn"}, "conn")
		},
	}
	s.Handler = h2Handler(s, concurrent)
	return s
}

func do(t *testing.T, rt http.RoundTripper, method, url string, body []byte) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return resp, string(got)
}

// randomBody is n bytes that do not compress or repeat.
func randomBody(n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{'h', '2'}).Read(b)
	return b
}

// TestHTTP2 serves HTTP/2 over TLS on every backend and mode to Go's two
// HTTP/2 clients: the request as handlers see it (Proto, TLS, RemoteAddr,
// the contexts), request bodies small and large, response trailers,
// server push refused (Go's clients turn it off), and concurrent streams
// on one connection.
func TestHTTP2(t *testing.T) {
	_, pool := backendtest.Cert()
	large := randomBody(3<<20 + 17)
	const concurrent = 8
	run(t, func(t *testing.T, b backend) {
		for _, c := range h2Clients(pool) {
			t.Run(c.name, func(t *testing.T) {
				defer c.close()
				s := newH2Server(concurrent)
				url := "https://" + serveTLS(t, b, s)

				resp, body := do(t, c.rt, "GET", url+"/info", nil)
				want := fmt.Sprintf("proto=HTTP/2.0 major=2 alpn=%q remote=%s ctx=base,conn server=true", "h2", c.local.Load())
				if resp.Proto != "HTTP/2.0" || body != want {
					t.Errorf("GET /info over %s:\n got %q\nwant %q", resp.Proto, body, want)
				}

				if _, body := do(t, c.rt, "POST", url+"/echo", []byte("posted")); body != "posted" {
					t.Errorf("POST /echo: %q", body)
				}
				if _, body := do(t, c.rt, "POST", url+"/echo", large); body != string(large) {
					t.Errorf("POST /echo of %d bytes: %d came back, equal %v", len(large), len(body), body == string(large))
				}

				resp, body = do(t, c.rt, "GET", url+"/trailers", nil)
				if body != "body" || resp.Trailer.Get("X-Declared") != "d" || resp.Trailer.Get("X-Undeclared") != "u" {
					t.Errorf("GET /trailers: %q, trailer %v", body, resp.Trailer)
				}

				if _, body := do(t, c.rt, "GET", url+"/push", nil); body != http.ErrNotSupported.Error() {
					t.Errorf("Push with push off: %q, want %q", body, http.ErrNotSupported)
				}

				var wg sync.WaitGroup
				bodies := make(chan string, concurrent)
				for range concurrent {
					wg.Go(func() {
						_, body := do(t, c.rt, "GET", url+"/barrier", nil)
						bodies <- body
					})
				}
				wg.Wait()
				close(bodies)
				for body := range bodies {
					if body != "together" {
						t.Errorf("concurrent streams: %q", body)
					}
				}
				if n := c.dials.Load(); n != 1 {
					t.Errorf("%d connections dialed, want every request on one", n)
				}
			})
		}
	})
}

// TestHTTP2Off: without HTTP2 in Protocols, ALPN offers only http/1.1,
// so Go's client asking for h2 gets HTTP/1.1 from the engine.
func TestHTTP2Off(t *testing.T) {
	_, pool := backendtest.Cert()
	run(t, func(t *testing.T, b backend) {
		s := newH2Server(1)
		s.Protocols = new(http.Protocols)
		s.Protocols.SetHTTP1(true)
		url := "https://" + serveTLS(t, b, s)
		c := h2Clients(pool)[1] // net/http's: it falls back to HTTP/1.1
		defer c.close()
		resp, body := do(t, c.rt, "GET", url+"/info", nil)
		want := fmt.Sprintf("proto=HTTP/1.1 major=1 alpn=%q remote=%s ctx=base,conn server=true", "http/1.1", c.local.Load())
		if resp.Proto != "HTTP/1.1" || body != want {
			t.Errorf("GET /info over %s:\n got %q\nwant %q", resp.Proto, body, want)
		}
		x := h2Clients(pool)[0] // x/net's: h2 or nothing
		defer x.close()
		req, _ := http.NewRequest("GET", url+"/info", nil)
		if resp, err := x.rt.RoundTrip(req); err == nil {
			resp.Body.Close()
			t.Errorf("x/net/http2 got %s from a server with HTTP/2 off", resp.Proto)
		}
	})
}

// A stateLog records the ConnState calls a server makes, by connection,
// and tells of each close.
type stateLog struct {
	mu     sync.Mutex
	states map[net.Conn][]string
	closed chan net.Conn
}

func newStateLog() *stateLog {
	return &stateLog{states: map[net.Conn][]string{}, closed: make(chan net.Conn, 16)}
}

func (l *stateLog) hook(c net.Conn, st http.ConnState) {
	l.mu.Lock()
	l.states[c] = append(l.states[c], st.String())
	l.mu.Unlock()
	if st == http.StateClosed {
		l.closed <- c
	}
}

// waitClosed returns the states of the next connection to close.
func (l *stateLog) waitClosed(t *testing.T) string {
	t.Helper()
	select {
	case c := <-l.closed:
		l.mu.Lock()
		defer l.mu.Unlock()
		return strings.Join(l.states[c], " ")
	case <-time.After(10 * time.Second):
		t.Fatal("no connection closed within 10 s")
		return ""
	}
}

// TestHTTP2GODEBUG: with GODEBUG=http2server=0, which turns net/http's
// HTTP/2 server off, ALPN does not offer h2 either: a client that asks
// for it gets HTTP/1.1, as from net/http.
func TestHTTP2GODEBUG(t *testing.T) {
	t.Setenv("GODEBUG", "http2server=0")
	_, pool := backendtest.Cert()
	run(t, func(t *testing.T, b backend) {
		c := h2Clients(pool)[1]
		defer c.close()
		resp, _ := do(t, c.rt, "GET", "https://"+serveTLS(t, b, newH2Server(1))+"/info", nil)
		if resp.Proto != "HTTP/1.1" || resp.TLS.NegotiatedProtocol != "http/1.1" {
			t.Errorf("GODEBUG=http2server=0: served over %s, ALPN %q", resp.Proto, resp.TLS.NegotiatedProtocol)
		}
	})
}

// TestHTTP2ConnState: an HTTP/2 connection goes through the ConnState
// transitions it goes through in net/http (New, then Active and Idle as
// the HTTP/2 server reports them, then Closed) as one net.Conn, and
// MaxConns counts it until it closes.
func TestHTTP2ConnState(t *testing.T) {
	cert, pool := backendtest.Cert()
	exercise := func(t *testing.T, url string, log *stateLog) string {
		c := h2Clients(pool)[0]
		do(t, c.rt, "GET", url+"/info", nil)
		c.close()
		return log.waitClosed(t)
	}
	stdLog := newStateLog()
	std := &http.Server{Handler: newH2Server(1).Handler, ConnState: stdLog.hook, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	ln := backendtest.All[0].ListenTCP(t)
	go std.ServeTLS(ln, "", "")
	want := exercise(t, "https://"+ln.Addr().String(), stdLog)
	std.Close()
	run(t, func(t *testing.T, b backend) {
		log := newStateLog()
		s := newH2Server(1)
		s.MaxConns = 1
		s.ConnState = log.hook
		url := "https://" + serveTLS(t, b, s)
		if got := exercise(t, url, log); got != want {
			t.Errorf("states %q, net/http's %q", got, want)
		}
		log.mu.Lock()
		if len(log.states) != 1 {
			t.Errorf("states reported on %d net.Conns: %v", len(log.states), log.states)
		}
		log.mu.Unlock()
		// The slot is free again: a second connection is served.
		c2 := h2Clients(pool)[1]
		defer c2.close()
		if resp, _ := do(t, c2.rt, "GET", url+"/info", nil); resp.StatusCode != 200 {
			t.Errorf("second connection: %s", resp.Status)
		}
	})
}

// TestHTTP2IdleTimeout: an HTTP/2 connection idle for IdleTimeout is
// closed (a GOAWAY, as net/http maps IdleTimeout).
func TestHTTP2IdleTimeout(t *testing.T) {
	_, pool := backendtest.Cert()
	run(t, func(t *testing.T, b backend) {
		closed := make(chan struct{})
		s := newH2Server(1)
		s.IdleTimeout = 50 * time.Millisecond
		s.ConnState = func(c net.Conn, st http.ConnState) {
			if st == http.StateClosed {
				close(closed)
			}
		}
		url := "https://" + serveTLS(t, b, s)
		c := h2Clients(pool)[0]
		defer c.close()
		do(t, c.rt, "GET", url+"/info", nil)
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatal("idle HTTP/2 connection still open 10 s past IdleTimeout")
		}
	})
}

// dialH2 opens an HTTP/2 connection to addr by hand: TLS with ALPN h2,
// the client preface and an empty SETTINGS.
func dialH2(t *testing.T, addr string, pool *x509.CertPool) (*tls.Conn, *http2.Framer) {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("ALPN chose %q", p)
	}
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(c, c)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	return c, fr
}

// writeRequest sends the head of a request for path on stream id, which
// ends the stream unless a body is to follow.
func writeRequest(t *testing.T, fr *http2.Framer, id uint32, method, path string, bodyFollows bool) {
	t.Helper()
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range [][2]string{{":method", method}, {":scheme", "https"}, {":authority", "example.test"}, {":path", path}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block.Bytes(), EndStream: !bodyFollows, EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
}

// readUntil reads frames until one satisfies stop, and returns it.
func readUntil(t *testing.T, fr *http2.Framer, what string, stop func(http2.Frame) bool) http2.Frame {
	t.Helper()
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if stop(f) {
			return f
		}
	}
}

// TestHTTP2Timeouts: ReadTimeout and WriteTimeout bound each HTTP/2
// stream, as net/http maps them: a body that does not come within
// ReadTimeout fails the handler's read with os.ErrDeadlineExceeded, a
// stream still open at WriteTimeout is reset (INTERNAL_ERROR); the
// connection's other streams go on.
func TestHTTP2Timeouts(t *testing.T) {
	_, pool := backendtest.Cert()
	run(t, func(t *testing.T, b backend) {
		readErr := make(chan error, 1)
		// ReadHeaderTimeout bounds the TLS handshake (ReadTimeout would,
		// as in net/http), which -race on a busy machine can make slow.
		rs := &ringhttp.Server{ReadTimeout: 50 * time.Millisecond, ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := io.ReadAll(r.Body)
			readErr <- err
		})}
		_, fr := dialH2(t, serveTLS(t, b, rs), pool)
		writeRequest(t, fr, 1, "POST", "/", true) // and no body
		select {
		case err := <-readErr:
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("ReadTimeout: the handler's body read returned %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("ReadTimeout: the handler's body read still waits 10 s on")
		}

		// Long enough for the quick stream on a busy machine.
		ws := &ringhttp.Server{WriteTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/stuck" {
				<-r.Context().Done() // the reset cancels it
				return
			}
			io.WriteString(w, "quick")
		})}
		_, fr = dialH2(t, serveTLS(t, b, ws), pool)
		writeRequest(t, fr, 1, "GET", "/stuck", false)
		f := readUntil(t, fr, "RST_STREAM", func(f http2.Frame) bool { _, ok := f.(*http2.RSTStreamFrame); return ok })
		if rst := f.(*http2.RSTStreamFrame); rst.StreamID != 1 || rst.ErrCode != http2.ErrCodeInternal {
			t.Errorf("WriteTimeout: RST_STREAM %v on stream %d", rst.ErrCode, rst.StreamID)
		}
		writeRequest(t, fr, 3, "GET", "/quick", false)
		readUntil(t, fr, "the next stream's response", func(f http2.Frame) bool {
			d, ok := f.(*http2.DataFrame)
			return ok && d.StreamID == 3 && string(d.Data()) == "quick"
		})
	})
}

// TestHTTP2Shutdown: Shutdown sends an open HTTP/2 connection a GOAWAY
// that lets its stream in flight finish, and waits for it; Close closes
// an HTTP/2 connection at once.
func TestHTTP2Shutdown(t *testing.T) {
	_, pool := backendtest.Cert()
	run(t, func(t *testing.T, b backend) {
		started, release := make(chan struct{}), make(chan struct{})
		s := &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(started)
			<-release
			io.WriteString(w, "finished")
		})}
		addr := serveTLS(t, b, s)
		c, fr := dialH2(t, addr, pool)
		writeRequest(t, fr, 1, "GET", "/", false)
		<-started
		shut := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			shut <- s.Shutdown(ctx)
		}()
		f := readUntil(t, fr, "GOAWAY", func(f http2.Frame) bool { _, ok := f.(*http2.GoAwayFrame); return ok })
		if ga := f.(*http2.GoAwayFrame); ga.ErrCode != http2.ErrCodeNo || ga.LastStreamID != 1 {
			t.Errorf("GOAWAY %v, last stream %d; want NO_ERROR, 1", ga.ErrCode, ga.LastStreamID)
		}
		select {
		case err := <-shut:
			t.Fatalf("Shutdown returned (%v) with a stream in flight", err)
		default:
		}
		close(release)
		var body []byte
		readUntil(t, fr, "the response", func(f http2.Frame) bool {
			if d, ok := f.(*http2.DataFrame); ok && d.StreamID == 1 {
				body = append(body, d.Data()...)
				return d.StreamEnded()
			}
			return false
		})
		if string(body) != "finished" {
			t.Errorf("stream in flight at Shutdown got %q", body)
		}
		c.Close()
		if err := <-shut; err != nil {
			t.Errorf("Shutdown: %v", err)
		}

		s2 := &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})}
		_, fr2 := dialH2(t, serveTLS(t, b, s2), pool)
		readUntil(t, fr2, "SETTINGS", func(f http2.Frame) bool { _, ok := f.(*http2.SettingsFrame); return ok })
		s2.Close()
		for {
			if _, err := fr2.ReadFrame(); err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatal("HTTP/2 connection open 10 s after Close")
				}
				break
			}
		}
	})
}

// serverFrames returns the first frame a server sends an HTTP/2 client
// that has sent its preface: its SETTINGS, byte for byte.
func serverFrames(t *testing.T, c net.Conn) []byte {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	fr := http2.NewFramer(c, io.TeeReader(c, &got))
	if f, err := fr.ReadFrame(); err != nil {
		t.Fatal(err)
	} else if _, ok := f.(*http2.SettingsFrame); !ok {
		t.Fatalf("first frame %v", f)
	}
	return got.Bytes()
}

// TestHTTP2Settings: the HTTP/2 server opens a connection with the
// SETTINGS net/http's sends for the same settings (MaxHeaderBytes as
// SETTINGS_MAX_HEADER_LIST_SIZE, the HTTP2 field), over TLS and as h2c.
func TestHTTP2Settings(t *testing.T) {
	cert, pool := backendtest.Cert()
	settings := func() (int, *http.HTTP2Config, *http.Protocols) {
		p := new(http.Protocols)
		p.SetHTTP1(true)
		p.SetHTTP2(true)
		p.SetUnencryptedHTTP2(true)
		return 8192, &http.HTTP2Config{MaxConcurrentStreams: 17, MaxReadFrameSize: 1 << 20}, p
	}
	var want, wantH2C []byte
	{
		maxHeader, cfg, protocols := settings()
		std := &http.Server{MaxHeaderBytes: maxHeader, HTTP2: cfg, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, Protocols: protocols}
		ln := backendtest.All[0].ListenTCP(t)
		go std.ServeTLS(ln, "", "")
		defer std.Close()
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pool, NextProtos: []string{"h2"}})
		if err != nil {
			t.Fatal(err)
		}
		want = serverFrames(t, c)
		c.Close()
		lnc := backendtest.All[0].ListenTCP(t)
		go std.Serve(lnc)
		cc, err := net.Dial("tcp", lnc.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		wantH2C = serverFrames(t, cc)
		cc.Close()
	}
	run(t, func(t *testing.T, b backend) {
		maxHeader, cfg, protocols := settings()
		s := &ringhttp.Server{MaxHeaderBytes: maxHeader, HTTP2: cfg, Protocols: protocols}
		c, err := tls.Dial("tcp", serveTLS(t, b, s), &tls.Config{RootCAs: pool, NextProtos: []string{"h2"}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if got := serverFrames(t, c); !bytes.Equal(got, want) {
			t.Errorf("TLS: server's first frames\n got %x\nwant %x (net/http's)", got, want)
		}
		cc, err := net.Dial("tcp", serve(t, b, &ringhttp.Server{MaxHeaderBytes: maxHeader, HTTP2: cfg, Protocols: protocols}))
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close()
		if got := serverFrames(t, cc); !bytes.Equal(got, wantH2C) {
			t.Errorf("h2c: server's first frames\n got %x\nwant %x (net/http's)", got, wantH2C)
		}
	})
}

// h2cProtocols is HTTP/1 and h2c, or h2c alone.
func h2cProtocols(http1 bool) *http.Protocols {
	p := new(http.Protocols)
	p.SetHTTP1(http1)
	p.SetUnencryptedHTTP2(true)
	return p
}

// TestH2C: with UnencryptedHTTP2 in Protocols, a cleartext connection
// that opens with the HTTP/2 preface is served as HTTP/2 (on every mode:
// off its loop), beside HTTP/1.1 on the same port; without HTTP1 an
// HTTP/1.1 request gets the connection closed unanswered, as from
// net/http.
func TestH2C(t *testing.T) {
	large := randomBody(1<<20 + 3)
	const http11 = "GET /info HTTP/1.1\r\nHost: x\r\n\r\n"
	want11 := exchange(t, backendtest.ServeNetHTTPServer(t, &http.Server{Protocols: h2cProtocols(false)}), http11, false)
	stdLog := newStateLog()
	stdAddr := backendtest.ServeNetHTTPServer(t, &http.Server{Protocols: h2cProtocols(true), ConnState: stdLog.hook, Handler: newH2Server(1).Handler})
	stdTr := &http.Transport{Protocols: h2cProtocols(false)}
	do(t, stdTr, "GET", "http://"+stdAddr+"/info", nil)
	do(t, stdTr, "POST", "http://"+stdAddr+"/echo", large)
	stdTr.CloseIdleConnections()
	wantStates := stdLog.waitClosed(t)
	run(t, func(t *testing.T, b backend) {
		log := newStateLog()
		s := newH2Server(1)
		s.Protocols = h2cProtocols(true)
		s.ConnState = log.hook
		addr := serve(t, b, s)
		var local atomic.Value
		tr := &http.Transport{Protocols: h2cProtocols(false), DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err == nil {
				local.Store(nc.LocalAddr().String())
			}
			return nc, err
		}}
		resp, body := do(t, tr, "GET", "http://"+addr+"/info", nil)
		want := fmt.Sprintf(`proto=HTTP/2.0 major=2 alpn="" remote=%s ctx=base,conn server=true`, local.Load())
		if resp.Proto != "HTTP/2.0" || body != want {
			t.Errorf("h2c GET /info over %s:\n got %q\nwant %q", resp.Proto, body, want)
		}
		if _, body := do(t, tr, "POST", "http://"+addr+"/echo", large); body != string(large) {
			t.Errorf("h2c POST /echo of %d bytes: %d came back", len(large), len(body))
		}
		tr.CloseIdleConnections()
		if got := log.waitClosed(t); got != wantStates {
			t.Errorf("h2c states %q, net/http's %q", got, wantStates)
		}

		tr1 := &http.Transport{}
		defer tr1.CloseIdleConnections()
		if resp, body := do(t, tr1, "GET", "http://"+addr+"/info", nil); resp.Proto != "HTTP/1.1" || !strings.HasPrefix(body, "proto=HTTP/1.1 ") {
			t.Errorf("HTTP/1.1 beside h2c: %s %q", resp.Proto, body)
		}

		only := newH2Server(1)
		only.Protocols = h2cProtocols(false)
		onlyAddr := serve(t, b, only)
		if got := exchange(t, onlyAddr, http11, false); got != want11 {
			t.Errorf("HTTP/1.1 to an h2c-only server: %q, net/http: %q", got, want11)
		}
		tr2 := &http.Transport{Protocols: h2cProtocols(false)}
		defer tr2.CloseIdleConnections()
		if resp, _ := do(t, tr2, "GET", "http://"+onlyAddr+"/info", nil); resp.Proto != "HTTP/2.0" {
			t.Errorf("h2c-only server answered over %s", resp.Proto)
		}
	})
}

// TestHTTP2Curl: curl --http2 over TLS, and --http2-prior-knowledge for
// h2c, on every backend and mode.
func TestHTTP2Curl(t *testing.T) {
	curlPath := testtool.Path(t, "curl", "curl")
	certFile, keyFile, _ := backendtest.CertFiles(t)
	dir := t.TempDir()
	large := randomBody(2<<20 + 5)
	if err := os.WriteFile(dir+"/large", large, 0o600); err != nil {
		t.Fatal(err)
	}
	curl := func(t *testing.T, args ...string) string {
		t.Helper()
		out, err := exec.Command(curlPath, append([]string{"-sS", "--max-time", "10", "--cacert", certFile}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run(t, func(t *testing.T, b backend) {
		s := newH2Server(1)
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		url := "https://" + serveTLS(t, b, s)

		out := curl(t, "--http2", "-w", " %{http_version}", url+"/info")
		if !strings.HasPrefix(out, `proto=HTTP/2.0 major=2 alpn="h2" remote=127.0.0.1:`) || !strings.HasSuffix(out, " 2") {
			t.Errorf("curl --http2 /info: %q", out)
		}
		out = curl(t, "--http2", "-D", "-", url+"/trailers")
		if !strings.HasPrefix(out, "HTTP/2 200 \r\n") || !strings.Contains(out, "\r\n\r\nbodyx-declared: d\r\nx-undeclared: u\r\n") {
			t.Errorf("curl --http2 /trailers: %q", out)
		}
		got := dir + "/got-" + b.Name
		curl(t, "--http2", "--data-binary", "@"+dir+"/large", "-o", got, url+"/echo")
		if echoed, err := os.ReadFile(got); err != nil || !bytes.Equal(echoed, large) {
			t.Errorf("curl --http2 POST /echo of %d bytes: %d came back (%v)", len(large), len(echoed), err)
		}

		h2c := "http://" + serve(t, b, newH2CServer())
		out = curl(t, "--http2-prior-knowledge", "-w", " %{http_version}", h2c+"/info")
		if !strings.HasPrefix(out, `proto=HTTP/2.0 major=2 alpn="" remote=127.0.0.1:`) || !strings.HasSuffix(out, " 2") {
			t.Errorf("curl --http2-prior-knowledge /info: %q", out)
		}
	})
}

func newH2CServer() *ringhttp.Server {
	s := newH2Server(1)
	s.Protocols = h2cProtocols(true)
	return s
}
