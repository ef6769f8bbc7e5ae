package main

import (
	"context"
	"log"

	"github.com/ringnet/ringnet/netfd"
)

// serveLoops serves addr on netfd's event loops with echoHandler until ctx
// is done.
func serveLoops(ctx context.Context, b netfd.Backend, addr string, loops int) error {
	lc := netfd.ListenConfig{Backend: b}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return err
	}
	g, err := netfd.NewLoops(netfd.LoopConfig{Backend: b, Loops: loops}, echoHandler{})
	if err != nil {
		ln.Close()
		return err
	}
	log.Printf("listening on %s, backend %s, mode loop, loops %d (0: GOMAXPROCS)", ln.Addr(), g.Backend(), loops)
	go func() {
		<-ctx.Done()
		ln.Close()
		g.Close()
	}()
	return g.Serve(ln)
}

// echoHandler writes back every byte that arrives.
type echoHandler struct{}

func (echoHandler) OnOpen(*netfd.LoopConn) {}

func (echoHandler) OnData(c *netfd.LoopConn, in []byte) int {
	c.Write(in)
	return len(in)
}

// OnEOF closes the connection once the peer has shut down its side.
func (echoHandler) OnEOF(c *netfd.LoopConn) { c.Close() }

func (echoHandler) OnClose(*netfd.LoopConn, error) {}
