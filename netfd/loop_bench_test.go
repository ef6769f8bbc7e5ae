//go:build linux

package netfd_test

import (
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ringnet/ringnet/netfd"
)

// BenchmarkLoopEcho compares the loop designs of docs/design.md with the
// blocking path on the same echo load: C connections from std net clients
// in this process, each making round trips of size bytes (write, then read
// the echo back). ns/op is per round trip; cpu-us/op is the whole
// process's CPU (client included) per round trip.
//
//	go test -run '^$' -bench LoopEcho -benchtime 200000x -count 3 ./netfd/
func BenchmarkLoopEcho(b *testing.B) {
	for _, load := range []struct {
		name        string
		conns, size int
	}{{"c256-1KiB", 256, 1024}, {"c1-1KiB", 1, 1024}} {
		for _, name := range append(netfd.LoopVariantNames[:len(netfd.LoopVariantNames):len(netfd.LoopVariantNames)], "goroutine-epoll", "goroutine-uring", "goroutine-std") {
			b.Run(load.name+"/"+name, func(b *testing.B) {
				addr, stop := benchEchoServer(b, name, load.size)
				defer stop()
				benchRoundTrips(b, addr, load.conns, load.size)
			})
		}
	}
}

func benchEchoServer(b *testing.B, name string, size int) (string, func()) {
	var be backend
	switch name {
	case "goroutine-std":
		be = backend{Name: "std"}
	case "goroutine-epoll":
		be = backend{Name: "epoll", NB: netfd.Epoll}
	case "goroutine-uring":
		be = backend{Name: "uring", NB: netfd.Uring}
	}
	if be.Name != "" {
		ln, err := be.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		wg := echoServer(ln, size)
		return ln.Addr().String(), func() { ln.Close(); wg.Wait() }
	}
	g, err := netfd.LoopVariants[name](netfd.LoopConfig{}, &funcs{})
	if err != nil {
		b.Fatal(err)
	}
	lc := netfd.ListenConfig{Backend: g.Backend()}
	ln, err := lc.Listen(b.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go g.Serve(ln)
	return ln.Addr().String(), func() { g.Close() }
}

// benchRoundTrips runs b.N round trips over conns std connections.
func benchRoundTrips(b *testing.B, addr string, conns, size int) {
	cs := make([]net.Conn, conns)
	for i := range cs {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		cs[i] = c
	}
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, c := range cs {
		n := b.N / conns
		if i < b.N%conns {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, size)
			for range n {
				if _, err := c.Write(buf); err != nil {
					b.Error(err)
					return
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(syscall.TimevalToNsec(ru1.Utime) - syscall.TimevalToNsec(ru0.Utime) +
		syscall.TimevalToNsec(ru1.Stime) - syscall.TimevalToNsec(ru0.Stime))
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
}

// BenchmarkLoopGone is what LoopConn.Gone costs a method that holds the
// loop (an inline HTTP handler asking its context whether the client
// went): one MSG_PEEK receive on a connection whose peer is there. The
// method calls it b.N times; ns/op is one call.
//
//	go test -run '^$' -bench LoopGone ./netfd/
func BenchmarkLoopGone(b *testing.B) {
	for _, be := range []netfd.Backend{netfd.Epoll, netfd.Uring} {
		b.Run(string(be), func(b *testing.B) {
			done := make(chan bool, 1)
			g, err := netfd.NewLoops(netfd.LoopConfig{Backend: be, Loops: 1}, &funcs{
				data: func(c *netfd.LoopConn, in []byte) int {
					gone := false
					b.ResetTimer()
					for range b.N {
						gone = gone || c.Gone()
					}
					b.StopTimer()
					done <- gone
					return len(in)
				},
			})
			if err != nil {
				b.Fatal(err)
			}
			defer g.Close()
			lc := netfd.ListenConfig{Backend: be}
			ln, err := lc.Listen(b.Context(), "tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			go g.Serve(ln)
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			c.Write([]byte("x"))
			if <-done {
				b.Fatal("Gone: true while the peer is there")
			}
		})
	}
}
