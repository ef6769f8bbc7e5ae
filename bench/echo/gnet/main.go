// Command gnet is gnet v2's echo server for the echo benchmark (issue 11,
// bench/echo/run.sh): github.com/panjf2000/gnet/v2 with one event loop
// per P (multicore) and otherwise its default options; OnTraffic takes
// everything buffered with c.Next(-1) and writes it back with c.Write,
// which sends at once and buffers only what the socket does not take.
//
//	gnet -addr 127.0.0.1:9000
package main

import (
	"flag"
	"log"
	"runtime"

	"github.com/panjf2000/gnet/v2"
)

type echo struct{ gnet.BuiltinEventEngine }

func (*echo) OnTraffic(c gnet.Conn) gnet.Action {
	buf, err := c.Next(-1)
	if err != nil {
		return gnet.Close
	}
	if _, err := c.Write(buf); err != nil {
		return gnet.Close
	}
	return gnet.None
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address")
	flag.Parse()
	log.Fatal(gnet.Run(&echo{}, "tcp://"+*addr, gnet.WithMulticore(true), gnet.WithNumEventLoop(runtime.GOMAXPROCS(0))))
}
