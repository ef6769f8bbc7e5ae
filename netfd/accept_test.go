package netfd_test

import (
	"net"
	"testing"
)

// TestAcceptedLocalAddr: an accepted connection's LocalAddr is the address
// the client dialed, whether the listener is on that address (Accept knows
// it without asking the kernel) or on the unspecified one (it asks).
func TestAcceptedLocalAddr(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		for _, addr := range []string{"127.0.0.1:0", "0.0.0.0:0"} {
			ln, err := b.Listen("tcp4", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			c, err := b.Dial("tcp4", "127.0.0.1:"+port)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			s, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got, want := s.LocalAddr().String(), c.RemoteAddr().String(); got != want {
				t.Errorf("listening on %s: accepted LocalAddr %s, want %s", addr, got, want)
			}
			if got, want := s.RemoteAddr().String(), c.LocalAddr().String(); got != want {
				t.Errorf("listening on %s: accepted RemoteAddr %s, want %s", addr, got, want)
			}
		}
	})
}
