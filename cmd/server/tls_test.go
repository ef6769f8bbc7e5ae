package main

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/ringnet/ringnet/internal/backendtest"
)

// -tls-cert and -tls-key serve HTTPS on every backend: HTTP/2 to a
// client that offers h2 by ALPN, HTTP/1.1 to one that does not; a key
// that does not load fails start, before it listens.
func TestTLS(t *testing.T) {
	certFile, keyFile, pool := backendtest.CertFiles(t)
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		cfg := testConfig(b)
		cfg.tlsCert, cfg.tlsKey = certFile, keyFile
		ts := startServer(t, cfg)
		ts.log.waitFor(t, "tls=true")
		for _, c := range []struct {
			proto, alpn string
			tr          *http.Transport
		}{
			{"HTTP/2.0", "h2", &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}},
			{"HTTP/1.1", "http/1.1", &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, NextProtos: []string{"http/1.1"}}}},
		} {
			client := newClient(t, c.tr)
			resp, body := get(t, client, ts.url+"/plaintext")
			if resp.StatusCode != 200 || body != "Hello, World!" || resp.TLS == nil || resp.TLS.NegotiatedProtocol != c.alpn || resp.Proto != c.proto {
				t.Errorf("GET over TLS: %s %s %q (TLS %v), want %s by ALPN %q", resp.Proto, resp.Status, body, resp.TLS != nil, c.proto, c.alpn)
			}
			resp, err := client.Post(ts.url+"/echo", "text/plain", strings.NewReader("posted body"))
			if err != nil {
				t.Fatal(err)
			}
			echoed, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(echoed) != "posted body" || resp.Proto != c.proto {
				t.Errorf("POST /echo over %s: %q", resp.Proto, echoed)
			}
		}

		bad := testConfig(b)
		bad.tlsCert, bad.tlsKey = certFile, certFile
		if _, err := start(bad, slog.New(slog.DiscardHandler), nil); err == nil {
			t.Error("start with a certificate as its key succeeded")
		}
	})
}
