//go:build linux

package netfd_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync/atomic"
	"testing"

	"github.com/ringnet/ringnet/internal/testtool"
)

// TestHTTP serves Go's net/http over a backend's listener and talks to it
// with net/http's client dialing through the backend, and with curl.
func TestHTTP(t *testing.T) {
	curl := testtool.Path(t, "curl", "curl")
	body := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{'h', 't', 't', 'p'}).Read(body)
	bodyFile := t.TempDir() + "/body"
	if err := os.WriteFile(bodyFile, body, 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, func(t *testing.T, b backend) {
		ln, err := b.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello, %s", r.PathValue("name"))
		})
		mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
			io.Copy(w, r.Body)
		})
		srv := &http.Server{Handler: mux}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		defer func() {
			srv.Close()
			if err := <-served; err != http.ErrServerClosed {
				t.Errorf("Serve: %v", err)
			}
		}()
		url := "http://" + ln.Addr().String()

		var dials atomic.Int32
		tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return b.DialContext(ctx, network, addr)
		}}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr}
		for i := range 5 {
			want := fmt.Sprintf("hello, n%d", i)
			if got := get(t, client, fmt.Sprintf("%s/hello/n%d", url, i)); got != want {
				t.Fatalf("GET = %q, want %q", got, want)
			}
		}
		if n := dials.Load(); n != 1 {
			t.Errorf("5 sequential requests dialed %d connections, want 1 kept alive", n)
		}
		resp, err := client.Post(url+"/echo", "application/octet-stream", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("POST echo: %d bytes, %v; want the %d bytes sent", len(got), err, len(body))
		}

		out, err := exec.Command(curl, "-sS", "--max-time", "20", url+"/hello/curl").Output()
		if err != nil {
			t.Fatalf("curl GET: %v", err)
		}
		if string(out) != "hello, curl" {
			t.Fatalf("curl GET = %q, want \"hello, curl\"", out)
		}
		out, err = exec.Command(curl, "-sS", "--max-time", "20", "-H", "Expect:",
			"--data-binary", "@"+bodyFile, url+"/echo").Output()
		if err != nil {
			t.Fatalf("curl POST: %v", err)
		}
		if !bytes.Equal(out, body) {
			t.Fatalf("curl POST echo: %d bytes differing from the %d sent", len(out), len(body))
		}
	})
}

func get(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return string(b)
}
