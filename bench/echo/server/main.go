// Command server is the echo server of the echo benchmark (issue 11,
// bench/echo/run.sh) for ringnet and, for reference, Go's net package.
// It sends back every byte it receives.
//
//	server -backend epoll|uring|std -mode goroutine|loop -addr 127.0.0.1:9000
//
// -mode goroutine is the blocking net.Conn path: a listener of netfd
// (netfd.ListenConfig{Backend: ...}.Listen) or, with -backend std, of Go's
// net package, and one goroutine per connection that reads into its own
// -buf bytes and writes back what it read.
//
// -mode loop serves the connections on netfd's event loops (netfd.Loops,
// one loop per P by default) with an OnData that writes its input back
// (loops.go).
//
// SIGINT and SIGTERM close the listener (and the loops) and exit.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os/signal"
	"syscall"
	"time"

	"github.com/ringnet/ringnet/netfd"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address")
	backend := flag.String("backend", "epoll", "epoll, uring, or std (Go's net package)")
	mode := flag.String("mode", "goroutine", "goroutine (one goroutine per connection, blocking Read and Write) or loop (netfd event loops)")
	buf := flag.Int("buf", 4096, "goroutine mode: read buffer per connection, in bytes")
	loops := flag.Int("loops", 0, "loop mode: event loops; 0 means GOMAXPROCS")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("server: ")

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	switch *mode {
	case "goroutine":
		err = serveGoroutines(ctx, *backend, *addr, *buf)
	case "loop":
		if *backend != "epoll" && *backend != "uring" {
			err = fmt.Errorf("-mode loop needs -backend epoll or uring, not %q", *backend)
		} else {
			err = serveLoops(ctx, netfd.Backend(*backend), *addr, *loops)
		}
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err != nil && ctx.Err() == nil {
		log.Fatal(err)
	}
}

// serveGoroutines accepts on a listener of the backend and echoes on one
// goroutine per connection until ctx is done.
func serveGoroutines(ctx context.Context, backend, addr string, bufSize int) error {
	var ln net.Listener
	var err error
	switch backend {
	case "std":
		ln, err = net.Listen("tcp", addr)
	case "epoll", "uring":
		lc := netfd.ListenConfig{Backend: netfd.Backend(backend)}
		ln, err = lc.Listen(context.Background(), "tcp", addr)
	default:
		err = fmt.Errorf("unknown -backend %q", backend)
	}
	if err != nil {
		return err
	}
	log.Printf("listening on %s, backend %s, mode goroutine, %d-byte buffer per connection", ln.Addr(), backend, bufSize)
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Out of descriptors and the like: wait, as net/http does.
			log.Print(err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go echo(c, bufSize)
	}
}

// echo writes back what it reads from c until c fails or the peer closes.
// It does what io.Copy(c, c) does, without the splice path Go's
// *net.TCPConn would take, and with a buffer of the size asked for
// (io.Copy's is 32 KiB).
func echo(c net.Conn, bufSize int) {
	defer c.Close()
	buf := make([]byte, bufSize)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
