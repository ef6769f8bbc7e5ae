package main

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"testing"

	"github.com/ringnet/ringnet/internal/backendtest"
)

// -tls-cert and -tls-key serve HTTPS (HTTP/1.1) on every backend; a
// key that does not load fails start, before it listens.
func TestTLS(t *testing.T) {
	certFile, keyFile, pool := backendtest.CertFiles(t)
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		cfg := testConfig(b)
		cfg.tlsCert, cfg.tlsKey = certFile, keyFile
		ts := startServer(t, cfg)
		ts.log.waitFor(t, "tls=true")
		client := newClient(t, &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}})
		resp, body := get(t, client, ts.url+"/plaintext")
		if resp.StatusCode != 200 || body != "Hello, World!" || resp.TLS == nil || resp.Proto != "HTTP/1.1" {
			t.Errorf("GET over TLS: %s %s %q (TLS %v)", resp.Proto, resp.Status, body, resp.TLS != nil)
		}

		bad := testConfig(b)
		bad.tlsCert, bad.tlsKey = certFile, certFile
		if _, err := start(bad, slog.New(slog.DiscardHandler), nil); err == nil {
			t.Error("start with a certificate as its key succeeded")
		}
	})
}
