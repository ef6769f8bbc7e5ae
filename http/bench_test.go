package http_test

import (
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"testing"

	ringhttp "github.com/ringnet/ringnet/http"
)

// plaintext is the TechEmpower plaintext handler.
var plaintext = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "Hello, World!")
})

const plaintextRequest = "GET /plaintext HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\nAccept: text/plain\r\n\r\n"

// BenchmarkServer measures one connection sending plaintext requests,
// one at a time (keepalive) or 16 at once (pipelined), to net/http and to
// this server on each backend. The client is a raw connection that reads
// fixed-size responses, so it costs little next to the server.
func BenchmarkServer(b *testing.B) {
	for _, depth := range []int{1, 16} {
		name := "keepalive"
		if depth > 1 {
			name = "pipelined16"
		}
		b.Run(name+"/net-http", func(b *testing.B) {
			s := &http.Server{Handler: plaintext, ErrorLog: log.New(io.Discard, "", 0)}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			go s.Serve(ln)
			defer s.Close()
			benchConn(b, ln.Addr().String(), depth)
		})
		for _, be := range allBackends {
			b.Run(name+"/"+be.Name, func(b *testing.B) {
				s := &ringhttp.Server{Handler: plaintext}
				ln := be.ListenTCP(b)
				go s.Serve(ln)
				defer s.Close()
				benchConn(b, ln.Addr().String(), depth)
			})
		}
	}
}

func benchConn(b *testing.B, addr string, depth int) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	batch := bytes.Repeat([]byte(plaintextRequest), depth)
	// Learn the response size from one exchange.
	c.Write([]byte(plaintextRequest))
	buf := make([]byte, 64<<10)
	size, err := c.Read(buf)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += depth {
		if _, err := c.Write(batch); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf[:size*depth]); err != nil {
			b.Fatal(err)
		}
	}
}
