//go:build linux

package netfd_test

import (
	"fmt"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/ringnet/ringnet/internal/leakcheck"
	"github.com/ringnet/ringnet/netfd"
)

// TestManyConns opens 1000 connections to one echo server, keeps them all
// open, then has every client send a unique message at once and check the
// echo.
func TestManyConns(t *testing.T) {
	run(t, func(t *testing.T, b backend) { manyConns(t, b, 1000) })
}

// TestManyConnsSmallSQ runs the same on an io_uring driver whose SQ holds
// only 8 entries, so that submitters keep finding it full and flush for
// each other (a counting bug there once left SQEs unsubmitted for ever).
func TestManyConnsSmallSQ(t *testing.T) {
	b := backend{Name: "uring-smallsq", NB: netfd.UringSmallSQ}
	ln, err := b.Listen("tcp", "127.0.0.1:0") // start its ring before the leak baseline
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	before := leakcheck.Take()
	t.Cleanup(func() { before.Check(t) })
	manyConns(t, b, 1000)
}

func manyConns(t *testing.T, b backend, conns int) {
	{
		ln, err := b.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var srv sync.WaitGroup
		srv.Go(func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				srv.Go(func() {
					defer c.Close()
					echo(c)
				})
			}
		})
		defer srv.Wait()
		defer ln.Close()

		clients := make([]net.Conn, conns)
		defer func() {
			for _, c := range clients {
				if c != nil {
					c.Close()
				}
			}
		}()
		var dial sync.WaitGroup
		for i := range clients {
			dial.Go(func() {
				c, err := b.Dial("tcp", ln.Addr().String())
				if err != nil {
					t.Errorf("dial %d: %v", i, err)
					return
				}
				clients[i] = c
			})
		}
		dial.Wait()
		if t.Failed() {
			return
		}
		start := make(chan struct{})
		var echo sync.WaitGroup
		for i, c := range clients {
			echo.Go(func() {
				msg := fmt.Sprintf("message %d from %v", i, c.LocalAddr())
				<-start
				if _, err := c.Write([]byte(msg)); err != nil {
					t.Errorf("conn %d: write: %v", i, err)
					return
				}
				buf := make([]byte, len(msg))
				if _, err := io.ReadFull(c, buf); err != nil {
					t.Errorf("conn %d: read: %v", i, err)
					return
				}
				if string(buf) != msg {
					t.Errorf("conn %d: echo %q, want %q", i, buf, msg)
				}
			})
		}
		close(start)
		echo.Wait()
	}
}
