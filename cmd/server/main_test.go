package main

import (
	"io"
	"net/http"
	"testing"
)

// The server answers on every backend it offers.
func TestServerBackends(t *testing.T) {
	for _, backend := range []string{"std", "epoll", "uring", "auto"} {
		t.Run(backend, func(t *testing.T) {
			ln, resolved, err := listen("127.0.0.1:0", backend)
			if err != nil {
				t.Fatal(err)
			}
			if backend == "auto" && resolved != "uring" && resolved != "epoll" {
				t.Fatalf("auto resolved to %q", resolved)
			}
			srv := &http.Server{Handler: routes()}
			go srv.Serve(ln)
			defer srv.Close()
			for path, want := range map[string]string{"/": "Hello, World!\n", "/hello/ringnet": "Hello, ringnet!\n"} {
				resp, err := http.Get("http://" + ln.Addr().String() + path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(body) != want {
					t.Errorf("%s: %d %q, want 200 %q", path, resp.StatusCode, body, want)
				}
			}
		})
	}
	http.DefaultClient.CloseIdleConnections()
}
