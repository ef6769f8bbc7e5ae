package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ringhttp "github.com/ringnet/ringnet/http"
)

// The server answers every route on every backend it offers.
func TestServerBackends(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("static file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, backend := range []string{"std", "epoll", "uring", "auto"} {
		t.Run(backend, func(t *testing.T) {
			ln, resolved, err := listen("127.0.0.1:0", backend)
			if err != nil {
				t.Fatal(err)
			}
			if backend == "auto" && resolved != "uring" && resolved != "epoll" {
				t.Fatalf("auto resolved to %q", resolved)
			}
			srv := &ringhttp.Server{Handler: routes(resolved, dir)}
			go srv.Serve(ln)
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{}}
			defer client.CloseIdleConnections()
			base := "http://" + ln.Addr().String()
			for _, tc := range []struct {
				method, path, body string
				status             int
				want, ctype        string
			}{
				{"GET", "/", "", 200, "ringnet on " + resolved + "\n", "text/plain; charset=utf-8"},
				{"GET", "/plaintext", "", 200, "Hello, World!", "text/plain"},
				{"GET", "/json", "", 200, `{"message":"Hello, World!"}` + "\n", "application/json"},
				{"POST", "/echo", "echo me", 200, "echo me", ""},
				{"GET", "/hello/ringnet", "", 200, "Hello, ringnet!\n", ""},
				{"GET", "/static/a.txt", "", 200, "static file\n", "text/plain; charset=utf-8"},
				{"GET", "/nope", "", 404, "404 page not found\n", ""},
				{"DELETE", "/plaintext", "", 405, "Method Not Allowed\n", ""},
			} {
				req, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				got := string(body)
				if tc.path == "/" {
					got, _, _ = strings.Cut(got, "\n")
					got += "\n"
				}
				if resp.StatusCode != tc.status || got != tc.want {
					t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, resp.StatusCode, got, tc.status, tc.want)
				}
				if tc.ctype != "" && resp.Header.Get("Content-Type") != tc.ctype {
					t.Errorf("%s: Content-Type %q, want %q", tc.path, resp.Header.Get("Content-Type"), tc.ctype)
				}
			}
		})
	}
}
