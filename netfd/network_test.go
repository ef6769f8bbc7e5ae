//go:build linux

package netfd_test

import (
	"io"
	"net"
	"testing"
)

// Every network netfd offers carries data, and addresses come back in the
// net package's form.
func TestNetworks(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		for _, tc := range []struct{ network, listen, dialHost string }{
			{"tcp", "127.0.0.1:0", ""},
			{"tcp4", "127.0.0.1:0", ""},
			{"tcp6", "[::1]:0", ""},
			{"tcp", "[::1]:0", ""},
			{"tcp", ":0", "127.0.0.1"}, // dual-stack wildcard, reached over IPv4
			{"tcp", ":0", "::1"},       // and over IPv6
			{"tcp4", ":0", ""},         // empty dial host: the local system
		} {
			ln, err := b.Listen(tc.network, tc.listen)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.network, tc.listen, err)
			}
			addr := ln.Addr().(*net.TCPAddr)
			dial := ln.Addr().String()
			if tc.dialHost != "" || addr.IP.IsUnspecified() {
				dial = net.JoinHostPort(tc.dialHost, itoa(addr.Port))
			}
			done := make(chan error, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					done <- err
					return
				}
				defer c.Close()
				done <- echo(c)
			}()
			c, err := b.Dial(tc.network, dial)
			if err != nil {
				ln.Close()
				t.Fatalf("%s dial %s: %v", tc.network, dial, err)
			}
			if _, ok := c.RemoteAddr().(*net.TCPAddr); !ok {
				t.Errorf("%s: RemoteAddr %T", tc.network, c.RemoteAddr())
			}
			c.Write([]byte("ping"))
			c.(interface{ CloseWrite() error }).CloseWrite()
			got, _ := io.ReadAll(c)
			c.Close()
			if err := <-done; err != nil {
				t.Errorf("%s: server: %v", tc.network, err)
			}
			ln.Close()
			if string(got) != "ping" {
				t.Errorf("%s %s via %s: got %q", tc.network, tc.listen, dial, got)
			}
		}
		if _, err := b.Listen("tcp4", "[::1]:0"); err == nil {
			t.Error("tcp4 listen on an IPv6 address succeeded")
		}
		if _, err := b.Listen("udp", "127.0.0.1:0"); err == nil {
			t.Error("udp listen succeeded")
		}
	})
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
