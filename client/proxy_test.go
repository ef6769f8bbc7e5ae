package client_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ringnet/ringnet/client"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// A testProxy is a forward proxy on a listener of b: absolute-form
// requests are forwarded with net/http's Transport, CONNECT requests
// tunneled to target (whatever host they name). It records what it saw.
type testProxy struct {
	url *url.URL
	mu  sync.Mutex
	log []string // method, request target, Proxy-Authorization, client address
}

func newTestProxy(t *testing.T, b backendtest.Backend, target string) *testProxy {
	p := &testProxy{}
	upstream := stdTransport(t, b)
	var tunnels sync.WaitGroup
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.log = append(p.log, r.Method+" "+r.RequestURI+" "+r.Header.Get("Proxy-Authorization")+" "+r.RemoteAddr)
		p.mu.Unlock()
		if r.Method == "CONNECT" {
			up, err := b.Dial("tcp", target)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			c, brw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				up.Close()
				return
			}
			io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
			pipe := func(dst, src net.Conn, r io.Reader) {
				defer tunnels.Done()
				io.Copy(struct{ io.Writer }{dst}, struct{ io.Reader }{r})
				dst.Close()
				src.Close()
			}
			tunnels.Add(2)
			go pipe(up, c, brw)
			go pipe(c, up, up)
			return
		}
		r.RequestURI = ""
		r.Header.Del("Proxy-Authorization")
		resp, err := upstream.RoundTrip(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})
	ln := b.ListenTCP(t)
	serveStd(t, ln, h)
	t.Cleanup(tunnels.Wait)
	p.url = &url.URL{Scheme: "http", Host: ln.Addr().String(), User: url.UserPassword("user", "secret")}
	return p
}

func (p *testProxy) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

// TestProxyHTTP: plain http through a proxy goes in absolute form, with
// the proxy's credentials, on one kept-alive connection to the proxy.
func TestProxyHTTP(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		s := newConnServer(t, b)
		p := newTestProxy(t, b, "")
		c := &http.Client{Transport: newTransport(t, b, client.Options{Proxy: http.ProxyURL(p.url)})}
		for range 2 {
			if _, body := mustGet(t, c, s.url+"/path?x=1"); body != "ok" {
				t.Fatalf("body %q", body)
			}
		}
		seen := p.seen()
		if len(seen) != 2 {
			t.Fatalf("proxy saw %q", seen)
		}
		first, second := seen[0], seen[1]
		want := "GET " + s.url + "/path?x=1 Basic dXNlcjpzZWNyZXQ="
		if first[:len(want)] != want || first != second {
			t.Errorf("proxy saw %q and %q; want %q from one connection", first, second, want+" ...")
		}
	})
}

// TestProxyCONNECT: https through a proxy tunnels with one CONNECT per
// connection, then speaks TLS to the target inside the tunnel.
func TestProxyCONNECT(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		s := newConnServerTLS(t, b, serverTLSConfig())
		p := newTestProxy(t, b, s.addr)
		var dials atomic.Int32
		proxyAddr := p.url.Host
		c := &http.Client{Transport: newTransport(t, b, client.Options{
			Proxy: http.ProxyURL(p.url), TLSClientConfig: clientTLSConfig(),
			DialContext: dialTo(b, proxyAddr, &dials)})}
		for range 2 {
			resp, body := mustGet(t, c, s.url+"/")
			if body != "ok" || resp.TLS == nil || resp.TLS.ServerName != "example.test" {
				t.Fatalf("body %q, TLS %+v", body, resp.TLS)
			}
		}
		seen := p.seen()
		_, port, _ := net.SplitHostPort(s.addr)
		if want := "CONNECT example.test:" + port + " Basic dXNlcjpzZWNyZXQ="; len(seen) != 1 || seen[0][:len(want)] != want {
			t.Errorf("proxy saw %q, want one %q", seen, want)
		}
		if dials.Load() != 1 {
			t.Errorf("%d dials to the proxy, want 1", dials.Load())
		}
	})
}
