package http_test

import (
	"crypto/tls"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"path/filepath"
	"testing"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
	"github.com/ringnet/ringnet/netfd"
)

// get fetches url with a client that closes each connection, so that
// nothing of the server's outlives the request, and returns the body.
func get(t *testing.T, url string, tlsConfig *tls.Config) string {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true, TLSClientConfig: tlsConfig}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// TestPackageServe checks the package-level Serve and ServeTLS: they serve
// h (ServeTLS over HTTP/2 too) until the listener is closed, then return
// the Accept error, leaving nothing running (the leak check) once their
// connections are closed.
func TestPackageServe(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.URL.Path)
	})
	run(t, func(t *testing.T, b backend) {
		certFile, keyFile, pool := backendtest.CertFiles(t)
		for _, tc := range []struct {
			scheme string
			serve  func(net.Listener) error
		}{
			{"http", func(ln net.Listener) error { return ringhttp.Serve(ln, h) }},
			{"https", func(ln net.Listener) error { return ringhttp.ServeTLS(ln, h, certFile, keyFile) }},
		} {
			ln := b.ListenTCP(t)
			done := make(chan error, 1)
			go func() { done <- tc.serve(ln) }()
			if got := get(t, tc.scheme+"://"+ln.Addr().String()+"/hi", &tls.Config{RootCAs: pool}); got != "/hi" {
				t.Errorf("%s: got %q", tc.scheme, got)
			}
			if tc.scheme == "https" {
				c := h2Clients(pool)[0]
				if resp, body := do(t, c.rt, "GET", "https://"+ln.Addr().String()+"/h2", nil); resp.Proto != "HTTP/2.0" || body != "/h2" {
					t.Errorf("https over %s: got %q", resp.Proto, body)
				}
				c.close()
			}
			ln.Close()
			if err := <-done; !errors.Is(err, net.ErrClosed) {
				t.Errorf("%s: Serve returned %v, want net.ErrClosed", tc.scheme, err)
			}
		}
	})
}

// TestPackageServeTLSBadCert checks that ListenAndServeTLS and ServeTLS
// return the certificate's error, having closed their listener.
func TestPackageServeTLSBadCert(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.pem")
	if err := ringhttp.ListenAndServeTLS("127.0.0.1:0", missing, missing, nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ListenAndServeTLS: %v, want fs.ErrNotExist", err)
	}
	run(t, func(t *testing.T, b backend) {
		ln := b.ListenTCP(t)
		if err := ringhttp.ServeTLS(ln, nil, missing, missing); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ServeTLS: %v, want fs.ErrNotExist", err)
		}
		if c, err := ln.Accept(); err == nil {
			c.Close()
			t.Error("listener still open after ServeTLS failed")
		}
	})
}

// TestBackendInUse checks that a Server reports the backend of the
// listener it serves, through TLS too, to its own handlers: "" for std's.
func TestBackendInUse(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		certFile, keyFile, pool := backendtest.CertFiles(t)
		for _, scheme := range []string{"http", "https"} {
			s := &ringhttp.Server{}
			s.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, string(s.BackendInUse()))
			})
			if got := s.BackendInUse(); got != "" {
				t.Errorf("before Serve: %q", got)
			}
			serveQuiet(s)
			ln := b.ListenTCP(t)
			done := make(chan error, 1)
			if scheme == "https" {
				go func() { done <- s.ServeTLS(ln, certFile, keyFile) }()
			} else {
				go func() { done <- s.Serve(ln) }()
			}
			got := get(t, scheme+"://"+ln.Addr().String()+"/", &tls.Config{RootCAs: pool})
			if netfd.Backend(got) != b.NB {
				t.Errorf("%s: BackendInUse = %q, want %q", scheme, got, b.NB)
			}
			s.Close()
			if err := <-done; !errors.Is(err, ringhttp.ErrServerClosed) {
				t.Errorf("%s: Serve: %v", scheme, err)
			}
		}
	})
}
