//go:build linux

package netfd_test

import (
	"fmt"
	"io"
	"log"

	"github.com/ringnet/ringnet/netfd"
)

// echoLoop is a LoopHandler that sends back what it receives.
type echoLoop struct{}

func (echoLoop) OnOpen(c *netfd.LoopConn) {}

func (echoLoop) OnData(c *netfd.LoopConn, in []byte) int {
	c.Write(in) // queued; sent at the end of the loop's pass
	return len(in)
}

func (echoLoop) OnEOF(c *netfd.LoopConn) { c.Close() }

func (echoLoop) OnClose(c *netfd.LoopConn, err error) {}

// An echo server on event loops: one loop per P, handlers run on the
// loops, no goroutine per connection.
func ExampleNewLoops() {
	loops, err := netfd.NewLoops(netfd.LoopConfig{}, echoLoop{}) // Auto backend
	if err != nil {
		log.Fatal(err)
	}
	defer loops.Close()
	ln, err := netfd.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go loops.Serve(ln) // returns when ln or loops is closed

	c, err := netfd.Dial("tcp", ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("hello, loops"))
	buf := make([]byte, 12)
	io.ReadFull(c, buf)
	fmt.Println(string(buf))
	// Output: hello, loops
}
