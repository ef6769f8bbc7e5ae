package client_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/ringnet/ringnet/client"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// cannedServer answers every request (GET, no body) on a listener of b
// with the same response, without allocating, so that AllocsPerRun
// counts the client's allocations alone.
func cannedServer(t *testing.T, b backendtest.Backend) string {
	const resp = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!"
	return rawServer(t, b, func(_ int, c net.Conn) {
		var buf [4096]byte
		out := []byte(resp)
		for {
			n, err := c.Read(buf[:])
			if err != nil {
				return
			}
			for range bytes.Count(buf[:n], []byte("\r\n\r\n")) {
				if _, err := c.Write(out); err != nil {
					return
				}
			}
		}
	}) + "/plaintext"
}

// TestAllocsPerRequest pins the client's allocations for a GET on a
// kept-alive connection, body read and closed, next to net/http's. Run
// one backend after another: AllocsPerRun counts the whole process.
func TestAllocsPerRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are noisy in -short runs")
	}
	for _, b := range backendtest.All {
		t.Run(b.Name, func(t *testing.T) {
			b.Available(t)
			url := cannedServer(t, b)
			ours := newTransport(t, b, client.Options{})
			std := stdTransport(t, b)
			count := func(rt http.RoundTripper) float64 {
				req, _ := http.NewRequest("GET", url, nil)
				do := func() {
					resp, err := rt.RoundTrip(req)
					if err != nil {
						t.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				do()
				return testing.AllocsPerRun(200, do)
			}
			got, ref := count(ours), count(std)
			t.Logf("allocations per request: ringnet %.1f, net/http %.1f", got, ref)
			if got > 8 || got >= ref/2 {
				t.Errorf("ringnet's Transport makes %.1f allocations per request, net/http's %.1f; want at most 8 and under half", got, ref)
			}
		})
	}
}
