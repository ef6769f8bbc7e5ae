//go:build linux

package netfd_test

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/ringnet/ringnet/internal/backendtest"
	"github.com/ringnet/ringnet/netfd"
)

// After runs its function on the loop as a method for the connection
// (which can write) once its time has come: never before, in the order of
// the due times whatever the order of the calls, and not at all for a
// connection closed meanwhile. One loop, so that the timers of both
// connections share its clock and its order.
func TestLoopAfter(t *testing.T) {
	backendtest.RunNetfd(t, func(t *testing.T, b backend) {
		const ms = time.Millisecond
		early := make(chan string, 10)
		closedRan := make(chan bool, 1)
		h := &funcs{
			data: func(c *netfd.LoopConn, in []byte) int {
				start := time.Now()
				switch string(in) {
				case "order":
					for _, d := range []time.Duration{30 * ms, 10 * ms, 20 * ms, 0} {
						c.After(d, func(c *netfd.LoopConn) {
							if e := time.Since(start); e < d {
								early <- fmt.Sprintf("%v timer ran after %v", d, e)
							}
							fmt.Fprintf(c, "%d ", d/ms)
						})
					}
				case "close":
					c.After(5*ms, func(*netfd.LoopConn) { closedRan <- true })
					c.Close()
				case "after":
					c.After(25*ms, func(c *netfd.LoopConn) { c.Write([]byte("done")) })
				}
				return len(in)
			},
		}
		addr := serveLoops(t, b, netfd.LoopConfig{Loops: 1}, h)
		c := dialT(t, b, addr)
		c.Write([]byte("order"))
		got := make([]byte, len("0 10 20 30 "))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != "0 10 20 30 " {
			t.Errorf("timers wrote %q, %v; want them in the order of their due times", got, err)
		}

		closing, after := dialT(t, b, addr), dialT(t, b, addr)
		closing.Write([]byte("close"))
		if _, err := closing.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("closed connection: %v", err)
		}
		after.Write([]byte("after")) // due after the closed one's timer
		if _, err := io.ReadFull(after, make([]byte, 4)); err != nil {
			t.Fatal(err)
		}
		select {
		case <-closedRan:
			t.Error("a timer ran for a connection closed before it was due")
		default:
		}
		close(early)
		for e := range early {
			t.Error(e)
		}
	})
}
