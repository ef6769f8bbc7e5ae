//go:build !race

package http_test

import (
	"io"
	"log"
	"net"
	"net/http"
	"testing"

	ringhttp "github.com/ringnet/ringnet/http"
)

// TestRequestAllocs pins the allocations of one keep-alive request on
// every backend (server and the test's raw client together), next to
// net/http's figure for the same exchange. Backends run one after the
// other: AllocsPerRun counts the whole process.
func TestRequestAllocs(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "Hello, World!")
	})
	measure := func(addr string) float64 {
		c := dial(t, addr)
		req := []byte("GET /plaintext HTTP/1.1\r\nHost: localhost\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n")
		buf := make([]byte, 4096)
		return testing.AllocsPerRun(500, func() {
			if _, err := c.Write(req); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Read(buf); err != nil {
				t.Fatal(err)
			}
		})
	}
	std := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go std.Serve(ln)
	t.Logf("net/http: %v allocs per request", measure(ln.Addr().String()))
	std.Close()

	const max = 16
	for _, b := range allBackends {
		n := measure(serve(t, b, &ringhttp.Server{Handler: h}))
		t.Logf("%s: %v allocs per request", b.Name, n)
		if n > max {
			t.Errorf("%s: %v allocs per request, want at most %d", b.Name, n, max)
		}
	}
}
