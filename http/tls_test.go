package http_test

import (
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"testing"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// TestServeTLS checks HTTP/1.1 over crypto/tls on every backend, with
// Request.TLS filled in, for a client that asks for http/1.1 by ALPN
// (h2_test.go has HTTP/2).
func TestServeTLS(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		certFile, keyFile, pool := backendtest.CertFiles(t)
		s := &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.TLS == nil || !r.TLS.HandshakeComplete || r.TLS.NegotiatedProtocol != "http/1.1" {
				t.Errorf("Request.TLS = %+v", r.TLS)
			}
			io.WriteString(w, "secure")
		})}
		serveQuiet(s)
		ln := b.ListenTCP(t)
		done := make(chan error, 1)
		go func() { done <- s.ServeTLS(ln, certFile, keyFile) }()
		defer func() {
			s.Close()
			if err := <-done; !errors.Is(err, ringhttp.ErrServerClosed) {
				t.Errorf("ServeTLS: %v", err)
			}
		}()
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, NextProtos: []string{"http/1.1"}}}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Get("https://" + ln.Addr().String() + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "secure" || resp.ProtoMajor != 1 {
			t.Fatalf("got %q over %s", body, resp.Proto)
		}
	})
}
