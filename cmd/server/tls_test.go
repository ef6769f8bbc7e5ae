package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ringnet/ringnet/internal/backendtest"
)

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files
// in a temporary directory, and returns their paths and a pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ringnet test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// -tls-cert and -tls-key serve HTTPS (HTTP/1.1) on every backend; a
// key that does not load fails start, before it listens.
func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
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
