package client_test

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/ringnet/ringnet/client"
	"github.com/ringnet/ringnet/internal/backendtest"
	"github.com/ringnet/ringnet/internal/nginxtest"
)

// An nginx is a running nginx serving the files of the test.
type nginx struct {
	url, tlsURL string
	big         []byte // www/big.bin
	text        string // www/sub/text.txt and www/gz/text.txt
}

var nginxConf = nginxtest.Conf(`
	log_format conn '$connection $connection_requests "$request" $status';
	access_log {{dir}}/access.log conn;
	default_type application/octet-stream;
	keepalive_requests 1000;
	client_max_body_size 16m;
	server {
		listen 127.0.0.1:{{port}};
		listen 127.0.0.1:{{tlsport}} ssl;
		ssl_certificate {{dir}}/cert.pem;
		ssl_certificate_key {{dir}}/key.pem;
		root {{dir}}/www;
		add_header X-Conn $connection always;
		add_header X-Conn-Requests $connection_requests always;
		location = /hello { return 200 "hello from nginx\n"; }
		location /sub/ { sub_filter 'a' 'A'; sub_filter_once off; sub_filter_types *; }
		location /gz/ { gzip on; gzip_types *; gzip_min_length 0; }
		location = /limited { keepalive_requests 3; return 200 "limited\n"; }
		location = /small { client_max_body_size 1k; return 200 "small\n"; }
	}
`)

// startNginx runs nginx on the files of the test until t ends.
func startNginx(t *testing.T) *nginx {
	n := &nginx{big: make([]byte, 32<<20), text: strings.Repeat("a banana and an apple; ", 5000)}
	rand.Read(n.big)
	ng := nginxtest.Start(t, nginxConf, map[string]string{
		"www/big.bin":      string(n.big),
		"www/sub/text.txt": n.text,
		"www/gz/text.txt":  n.text,
		"cert.pem":         certPEM(),
		"key.pem":          keyPEM(),
	}, nil)
	n.url, n.tlsURL = "http://"+ng.Addr, "https://localhost:"+strings.TrimPrefix(ng.TLSAddr, "127.0.0.1:")
	return n
}

func certPEM() string {
	cert, _ := testCert()
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}))
}

func keyPEM() string {
	cert, _ := testCert()
	der, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// TestNginx runs the client against a real nginx: keep-alive reuse
// (nginx's $connection says which connection served a request), chunked
// and gzip responses, a 32 MiB file, ranges, Connection: close, nginx's
// own keep-alive limit, request bodies it discards, TLS, and a
// connection limit under concurrency.
func TestNginx(t *testing.T) {
	n := startNginx(t)
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		tr := newTransport(t, b, client.Options{})
		c := &http.Client{Transport: tr}

		t.Run("keep-alive", func(t *testing.T) {
			var conn string
			for i := 1; i <= 20; i++ {
				resp, body := mustGet(t, c, n.url+"/hello")
				if body != "hello from nginx\n" {
					t.Fatalf("body %q", body)
				}
				if i == 1 {
					conn = resp.Header.Get("X-Conn")
				}
				if got := resp.Header.Get("X-Conn"); got != conn {
					t.Fatalf("request %d on nginx connection %s, want %s", i, got, conn)
				}
			}
		})
		t.Run("chunked", func(t *testing.T) {
			req, _ := http.NewRequest("GET", n.url+"/sub/text.txt", nil)
			req.Header.Set("Accept-Encoding", "identity")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.ContentLength != -1 || len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
				t.Errorf("length %d, transfer coding %q; want chunked", resp.ContentLength, resp.TransferEncoding)
			}
			if want := strings.ReplaceAll(n.text, "a", "A"); string(body) != want {
				t.Errorf("body of %d bytes differs from the %d expected", len(body), len(want))
			}
		})
		t.Run("gzip", func(t *testing.T) {
			resp, body := mustGet(t, c, n.url+"/gz/text.txt")
			if !resp.Uncompressed || body != n.text || resp.Header.Get("Content-Encoding") != "" {
				t.Errorf("uncompressed %v, Content-Encoding %q, body of %d bytes (want %d)",
					resp.Uncompressed, resp.Header.Get("Content-Encoding"), len(body), len(n.text))
			}
			// Asked for by the caller: left compressed.
			req, _ := http.NewRequest("GET", n.url+"/gz/text.txt", nil)
			req.Header.Set("Accept-Encoding", "gzip")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if plain, err := io.ReadAll(zr); err != nil || string(plain) != n.text {
				t.Errorf("gunzipped %d bytes, %v", len(plain), err)
			}
		})
		t.Run("large-file", func(t *testing.T) {
			resp, err := c.Get(n.url + "/big.bin")
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			nr, err := io.Copy(h, resp.Body)
			resp.Body.Close()
			if err != nil || nr != int64(len(n.big)) || resp.ContentLength != int64(len(n.big)) {
				t.Fatalf("read %d of %d bytes (Content-Length %d): %v", nr, len(n.big), resp.ContentLength, err)
			}
			if want := sha256.Sum256(n.big); !bytes.Equal(h.Sum(nil), want[:]) {
				t.Error("SHA-256 differs")
			}
		})
		t.Run("range-and-head", func(t *testing.T) {
			req, _ := http.NewRequest("GET", n.url+"/big.bin", nil)
			req.Header.Set("Range", "bytes=100-199")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			part, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 206 || !bytes.Equal(part, n.big[100:200]) {
				t.Errorf("status %d, %d bytes", resp.StatusCode, len(part))
			}
			resp, err = c.Head(n.url + "/big.bin")
			if err != nil || resp.ContentLength != int64(len(n.big)) || resp.Body != http.NoBody {
				t.Fatalf("HEAD: %v, length %d, body %T", err, resp.ContentLength, resp.Body)
			}
			after, _ := mustGet(t, c, n.url+"/hello")
			if after.Header.Get("X-Conn") != resp.Header.Get("X-Conn") {
				t.Error("connection not reused after HEAD")
			}
		})
		t.Run("connection-close", func(t *testing.T) {
			first, _ := mustGet(t, c, n.url+"/hello")
			req, _ := http.NewRequest("GET", n.url+"/hello", nil)
			req.Close = true
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if !resp.Close || resp.Header.Get("X-Conn") != first.Header.Get("X-Conn") {
				t.Errorf("Close %v on %s, want true on %s", resp.Close, resp.Header.Get("X-Conn"), first.Header.Get("X-Conn"))
			}
			if next, _ := mustGet(t, c, n.url+"/hello"); next.Header.Get("X-Conn") == first.Header.Get("X-Conn") {
				t.Error("request on a connection closed by Connection: close")
			}
		})
		t.Run("server-keepalive-limit", func(t *testing.T) {
			conns := map[string][]string{}
			for range 7 {
				resp, _ := mustGet(t, c, n.url+"/limited")
				conns[resp.Header.Get("X-Conn")] = append(conns[resp.Header.Get("X-Conn")], resp.Header.Get("X-Conn-Requests"))
			}
			if len(conns) < 3 {
				t.Errorf("7 requests on %d connections with a limit of 3 per connection: %v", len(conns), conns)
			}
		})
		t.Run("request-body", func(t *testing.T) {
			// nginx answers before it has read (and discarded) the body: the
			// connection goes back to the pool once the body is all sent.
			tr := newTransport(t, b, client.Options{})
			idle := make(chan struct{}, 4)
			client.SetTestHookIdle(tr, func() { idle <- struct{}{} })
			pc := &http.Client{Transport: tr}
			body := bytes.Repeat([]byte("upload "), 150000) // ~1 MiB
			var conn string
			for i := range 3 {
				resp, err := pc.Post(n.url+"/hello", "application/octet-stream", bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(got) != "hello from nginx\n" {
					t.Fatalf("POST %d: %d %q", i, resp.StatusCode, got)
				}
				if i == 0 {
					conn = resp.Header.Get("X-Conn")
				} else if resp.Header.Get("X-Conn") != conn {
					t.Errorf("POST %d on a new connection", i)
				}
				waitFor(t, idle, "the connection back in the pool")
			}
		})
		t.Run("early-response", func(t *testing.T) {
			// nginx answers 413 before reading a body over its limit: the
			// response is what the caller gets, not an error from writing.
			resp, err := c.Post(n.url+"/small", "application/octet-stream", bytes.NewReader(make([]byte, 4<<20)))
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d, want 413", resp.StatusCode)
			}
			mustGet(t, c, n.url+"/hello")
		})
		t.Run("tls", func(t *testing.T) {
			cfg := clientTLSConfig()
			cfg.ClientSessionCache = tls13Cache()
			tc := &http.Client{Transport: newTransport(t, b, client.Options{TLSClientConfig: cfg})}
			var conn string
			for i := range 3 {
				resp, body := mustGet(t, tc, n.tlsURL+"/hello")
				if body != "hello from nginx\n" || resp.TLS == nil || resp.TLS.ServerName != "localhost" {
					t.Fatalf("body %q, TLS %+v", body, resp.TLS)
				}
				if i == 0 {
					conn = resp.Header.Get("X-Conn")
				} else if resp.Header.Get("X-Conn") != conn {
					t.Errorf("request %d on a new TLS connection", i)
				}
			}
		})
		t.Run("concurrent-limit", func(t *testing.T) {
			lc := &http.Client{Transport: newTransport(t, b, client.Options{MaxConnsPerHost: 4})}
			var mu sync.Mutex
			conns := map[string]bool{}
			var wg sync.WaitGroup
			for range 64 {
				wg.Go(func() {
					resp, err := lc.Get(n.url + "/hello")
					if err != nil {
						t.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					mu.Lock()
					conns[resp.Header.Get("X-Conn")] = true
					mu.Unlock()
				})
			}
			wg.Wait()
			if len(conns) > 4 {
				t.Errorf("%d nginx connections, want at most 4", len(conns))
			}
		})
	})
}
