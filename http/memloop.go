package http

import (
	"context"
	"net/http"

	"github.com/ringnet/ringnet/internal/memloop"
	"github.com/ringnet/ringnet/netfd"
)

func init() { memloop.ServeHTTP = serveMemory }

// serveMemory is memloop.ServeHTTP, the in-memory benchmark's server: h
// on one event loop, in ModeAuto, whose one connection is mc. The loop's
// kernel is memory; the serve path is the one a netfd listener's
// connections take.
func serveMemory(h http.Handler, mc *memloop.Conn) error {
	s := &Server{Handler: h, loopCount: 1}
	err := s.runLoops(s.withServer(context.Background()), memloop.Backend, func(loops *netfd.Loops) error {
		memloop.Attach(loops, mc)
		<-mc.Closed()
		return nil
	})
	s.Close()
	return err
}
