//go:build linux

package netfd_test

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

func TestZZScale(t *testing.T) {
	for _, b := range netfdBackends {
		ln, err := b.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() { echo(c); c.Close() }()
			}
		}()
		const N = 6000
		cs := make([]net.Conn, N)
		start := time.Now()
		for i := range cs {
			cs[i], err = b.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(i, err)
			}
		}
		t.Log(b.Name, "dialed", time.Since(start))
		var wg sync.WaitGroup
		for _, c := range cs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := []byte("hello world")
				for range 20 {
					c.Write(buf)
					if _, err := io.ReadFull(c, buf); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		t.Log(b.Name, "echoed", time.Since(start))
		for _, c := range cs {
			c.Close()
		}
		ln.Close()
	}
}
