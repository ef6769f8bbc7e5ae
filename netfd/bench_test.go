//go:build linux

package netfd_test

import (
	"io"
	"net"
	"sync"
	"testing"

	"github.com/ringnet/ringnet/netfd"
)

// benchBackends are compared in one run: std is the reference.
var benchBackends = []backend{
	{Name: "std"},
	{Name: "epoll", NB: netfd.Epoll},
	{Name: "epoll-thread", NB: netfd.EpollThread},
	{Name: "epoll-spin", NB: netfd.EpollSpin},
	{Name: "uring", NB: netfd.Uring},
	{Name: "uring-perp", NB: netfd.UringPerP},
	{Name: "uring-nocoop", NB: netfd.UringNoCoop},
	{Name: "uring-nopollfirst", NB: netfd.UringNoPollFirst},
}

func forBenchBackends(b *testing.B, f func(b *testing.B, be backend)) {
	for _, be := range benchBackends {
		b.Run(be.Name, func(b *testing.B) {
			if !be.Std() {
				if _, err := netfd.Resolve(be.NB); err != nil && !netfd.IsTestBackend(be.NB) {
					b.Skipf("%s: %v", be.Name, err)
				}
			}
			f(b, be)
		})
	}
}

// echoServer accepts on ln and echoes every connection until it closes.
func echoServer(ln net.Listener, size int) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				buf := make([]byte, size)
				for {
					if _, err := io.ReadFull(c, buf); err != nil {
						return
					}
					if _, err := c.Write(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	return &wg
}

// benchEcho runs b.N round trips of size bytes spread over conns
// connections; the server runs on be, the clients on client.
func benchEcho(b *testing.B, be, client backend, conns, size int) {
	ln, err := be.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := echoServer(ln, size)
	clients := make([]net.Conn, conns)
	for i := range clients {
		if clients[i], err = client.Dial("tcp", ln.Addr().String()); err != nil {
			b.Fatal(err)
		}
	}
	var next sync.WaitGroup
	work := make(chan int, conns)
	per, extra := b.N/conns, b.N%conns
	for i := range conns {
		n := per
		if i < extra {
			n++
		}
		work <- n
	}
	close(work)
	b.SetBytes(int64(size))
	b.ResetTimer()
	for _, c := range clients {
		next.Add(1)
		go func() {
			defer next.Done()
			buf := make([]byte, size)
			for range <-work {
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
	next.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rt/s")
	for _, c := range clients {
		c.Close()
	}
	ln.Close()
	srv.Wait()
}

// BenchmarkPingPong is the latency of one 64 B round trip on one
// connection, both ends on the backend.
func BenchmarkPingPong(b *testing.B) {
	forBenchBackends(b, func(b *testing.B, be backend) { benchEcho(b, be, be, 1, 64) })
}

// BenchmarkEcho256 is the throughput of 256 connections echoing 1 KiB, both
// ends on the backend.
func BenchmarkEcho256(b *testing.B) {
	forBenchBackends(b, func(b *testing.B, be backend) { benchEcho(b, be, be, 256, 1024) })
}

// BenchmarkServerPingPong is BenchmarkPingPong with the server on the
// backend and the client always on std: what a server gains or loses.
func BenchmarkServerPingPong(b *testing.B) {
	forBenchBackends(b, func(b *testing.B, be backend) { benchEcho(b, be, backend{Name: "std"}, 1, 64) })
}

// BenchmarkServerEcho256 is BenchmarkEcho256 with std clients.
func BenchmarkServerEcho256(b *testing.B) {
	forBenchBackends(b, func(b *testing.B, be backend) { benchEcho(b, be, backend{Name: "std"}, 256, 1024) })
}

// BenchmarkStream is one-way bulk throughput: 1 MiB writes, 16 KiB reads.
func BenchmarkStream(b *testing.B) {
	forBenchBackends(b, func(b *testing.B, be backend) {
		ln, err := be.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		done := make(chan error, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				done <- err
				return
			}
			defer c.Close()
			buf := make([]byte, 16<<10)
			for {
				if _, err := c.Read(buf); err != nil {
					done <- nil
					return
				}
			}
		}()
		c, err := be.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		chunk := make([]byte, 1<<20)
		b.SetBytes(int64(len(chunk)))
		b.ResetTimer()
		for range b.N {
			if _, err := c.Write(chunk); err != nil {
				b.Fatal(err)
			}
		}
		c.(interface{ CloseWrite() error }).CloseWrite()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	})
}
