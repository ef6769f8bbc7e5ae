// Command gnet serves the TechEmpower plaintext response on a
// github.com/panjf2000/gnet/v2 event loop per core, with the minimal
// request framing of plaintext.Responder (no HTTP parser).
package main

import (
	"flag"
	"log"
	"sync"

	"github.com/panjf2000/gnet/v2"
	"github.com/ringnet/ringnet/bench/internal/plaintext"
)

type server struct {
	gnet.BuiltinEventEngine
	resp *plaintext.Responder
	bufs sync.Pool // *[]byte, the responses of one OnTraffic call
}

// OnTraffic answers every complete request buffered on c and leaves a
// partial one buffered for the next call.
func (s *server) OnTraffic(c gnet.Conn) gnet.Action {
	in, err := c.Peek(-1)
	if err != nil {
		return gnet.Close
	}
	bp := s.bufs.Get().(*[]byte)
	out, n := s.resp.AppendResponses((*bp)[:0], in)
	c.Discard(n)
	if len(out) > 0 {
		c.Write(out) // copies what the socket does not take at once
	}
	*bp = out
	s.bufs.Put(bp)
	return gnet.None
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	s := &server{resp: plaintext.NewResponder()}
	s.bufs.New = func() any { b := make([]byte, 0, 4096); return &b }
	go s.resp.Run(nil)
	log.Fatal(gnet.Run(s, "tcp://"+*addr, gnet.WithMulticore(true)))
}
