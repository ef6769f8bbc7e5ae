//go:build linux

package netfd_test

import (
	"errors"
	"io/fs"
	"os"
	"testing"
)

// TestUnixSocketFile listens on a path, talks over it, and checks that the
// listener's Close removes the socket file, as std does.
func TestUnixSocketFile(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		path := unixPath(t)
		ln, err := b.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		if a := ln.Addr(); a.Network() != "unix" || a.String() != path {
			t.Errorf("Addr = %s %q, want unix %q", a.Network(), a, path)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Type() != fs.ModeSocket {
			t.Errorf("%s has mode %v, want a socket", path, fi.Mode())
		}
		// A second listener on the same path fails: the file exists.
		if ln2, err := b.Listen("unix", path); err == nil {
			ln2.Close()
			t.Error("a second Listen on the same path succeeded")
		}

		accepted := make(chan error, 1)
		go func() {
			s, err := ln.Accept()
			if err == nil {
				_, err = s.Write([]byte("over unix"))
				s.Close()
			}
			accepted <- err
		}()
		c, err := b.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if c.RemoteAddr().String() != path {
			t.Errorf("RemoteAddr = %q, want %q", c.RemoteAddr(), path)
		}
		readExactly(t, c, "over unix")
		if err := <-accepted; err != nil {
			t.Fatal(err)
		}

		if err := ln.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("after Close, stat %s: %v; want it removed", path, err)
		}
	})
}
