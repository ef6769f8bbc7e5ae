//go:build linux

package netfd_test

import (
	"net"
	"testing"

	"golang.org/x/net/nettest"
)

func TestConnConformance(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		for _, network := range []string{"tcp", "unix"} {
			t.Run(network, func(t *testing.T) {
				nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
					addr := "127.0.0.1:0"
					if network == "unix" {
						addr = unixPath(t)
					}
					ln, err := b.Listen(network, addr)
					if err != nil {
						return nil, nil, nil, err
					}
					defer ln.Close()
					done := make(chan error, 1)
					go func() {
						var err error
						c2, err = ln.Accept()
						done <- err
					}()
					c1, err = b.Dial(network, ln.Addr().String())
					if err != nil {
						return nil, nil, nil, err
					}
					if err := <-done; err != nil {
						c1.Close()
						return nil, nil, nil, err
					}
					return c1, c2, func() { c1.Close(); c2.Close() }, nil
				})
			})
		}
	})
}
