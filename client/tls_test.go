package client_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ringnet/ringnet/client"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// testCert is the shared test certificate and the pool that trusts it.
var testCert = backendtest.Cert

func serverTLSConfig() *tls.Config {
	cert, _ := testCert()
	return &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
}

func clientTLSConfig() *tls.Config {
	_, pool := testCert()
	return &tls.Config{RootCAs: pool}
}

// dialTo dials addr with b whatever address it is asked for, and counts
// the dials.
func dialTo(b backendtest.Backend, addr string, dials *atomic.Int32) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		dials.Add(1)
		return b.DialContext(ctx, network, addr)
	}
}

// TestTLS: https with SNI from the URL's host, the connection state on
// the response, and connection reuse.
func TestTLS(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		s := newConnServerTLS(t, b, serverTLSConfig())
		var dials atomic.Int32
		tr := client.NewTransport(client.Options{Backend: b.NB, TLSClientConfig: clientTLSConfig(),
			DialContext: dialTo(b, s.addr, &dials)})
		t.Cleanup(tr.CloseIdleConnections)
		c := &http.Client{Transport: tr}
		var conns []string
		for range 3 {
			resp, _ := mustGet(t, c, s.url+"/")
			if resp.TLS == nil || resp.TLS.ServerName != "example.test" || resp.TLS.NegotiatedProtocol != "http/1.1" {
				t.Fatalf("TLS state %+v", resp.TLS)
			}
			conns = append(conns, resp.Header.Get("X-Conn"))
		}
		if conns[0] != conns[1] || conns[1] != conns[2] || dials.Load() != 1 {
			t.Errorf("connections %v, %d dials; want one", conns, dials.Load())
		}
		// A certificate the client does not trust fails the request.
		bad := client.NewTransport(client.Options{DialContext: dialTo(b, s.addr, &dials)})
		if _, err := (&http.Client{Transport: bad}).Get(s.url + "/"); err == nil {
			t.Error("untrusted certificate accepted")
		}
	})
}

// TestTLSFreshIdleConn: a TLS connection dialed for a request that was
// served by another one goes idle before its first request, with
// whatever the server sent after its handshake (session tickets: the
// client has a session cache); the liveness check must not take it for
// dead (TestTLSIdleRead covers records waiting on the socket).
func TestTLSFreshIdleConn(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		s := newConnServerTLS(t, b, serverTLSConfig())
		var dials atomic.Int32
		secondDial, releaseDial := make(chan struct{}), make(chan struct{})
		dial := dialTo(b, s.addr, &dials)
		cfg := clientTLSConfig()
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		tr := client.NewTransport(client.Options{TLSClientConfig: cfg,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if dials.Load() == 1 {
					close(secondDial)
					<-releaseDial
				}
				return dial(ctx, network, addr)
			}})
		t.Cleanup(tr.CloseIdleConnections)
		idle := make(chan struct{}, 16)
		client.SetTestHookIdle(tr, func() { idle <- struct{}{} })
		c := &http.Client{Transport: tr}

		var wg sync.WaitGroup
		wg.Go(func() { get(t, c, s.url+"/hold?id=A") })
		waitFor(t, s.entered, "A")
		wg.Go(func() { get(t, c, s.url+"/hold?id=B") })
		waitFor(t, secondDial, "B's dial")
		s.unhold("A")
		waitFor(t, s.entered, "B on A's connection")
		close(releaseDial)
		waitFor(t, idle, "the second connection to go idle, unused")
		get(t, c, s.url+"/") // on the second connection
		s.unhold("B")
		wg.Wait()
		if n := dials.Load(); n != 2 {
			t.Errorf("%d dials, want 2", n)
		}
	})
}

// tls13Cache is a client session cache: with one, TLS 1.3 servers send
// session tickets after the handshake.
func tls13Cache() tls.ClientSessionCache { return tls.NewLRUClientSessionCache(8) }
