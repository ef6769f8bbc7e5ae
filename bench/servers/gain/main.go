//go:build gain

// Command gain serves the TechEmpower plaintext response on
// github.com/pawelgaczynski/gain (io_uring), with the minimal request
// framing of plaintext.Responder (no HTTP parser).
//
// gain v0.4.0-alpha reaches into the runtime with go:linkname, so on
// Go >= 1.23 it links only with -ldflags=-checklinkname=0; the build tag
// keeps `go build ./...` and `go vet ./...` working without that flag:
//
//	go build -tags gain -ldflags=-checklinkname=0 ./servers/gain
package main

import (
	"flag"
	"log"

	"github.com/pawelgaczynski/gain"
	"github.com/pawelgaczynski/gain/logger"
	"github.com/ringnet/ringnet/bench/internal/plaintext"
)

type server struct {
	gain.DefaultEventHandler
	resp *plaintext.Responder
}

// OnRead answers every complete request buffered on c and leaves a partial
// one buffered for the next call. Write copies into c's outbound buffer,
// which gain sends after OnRead returns.
func (s *server) OnRead(c gain.Conn, _ int) {
	in, err := c.Peek(-1)
	if err != nil {
		return
	}
	var stack [4096]byte
	out, n := s.resp.AppendResponses(stack[:0], in)
	c.Discard(n)
	if len(out) > 0 {
		c.Write(out)
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	s := &server{resp: plaintext.NewResponder()}
	go s.resp.Run(nil)
	log.Fatal(gain.ListenAndServe("tcp://"+*addr, s, gain.WithLoggerLevel(logger.WarnLevel)))
}
