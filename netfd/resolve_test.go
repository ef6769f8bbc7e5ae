//go:build linux

package netfd_test

import (
	"os"
	"testing"

	"github.com/ringnet/ringnet/netfd"
)

// io_uring works on the machines this project runs on, so Auto must pick it
// unless RINGNET_BACKEND says otherwise.
func TestResolve(t *testing.T) {
	want := netfd.Uring
	if env := os.Getenv("RINGNET_BACKEND"); env != "" && env != "auto" {
		want = netfd.Backend(env)
	}
	if b, err := netfd.Resolve(netfd.Auto); err != nil || b != want {
		t.Fatalf("Resolve(Auto) = %q, %v; want %q", b, err, want)
	}
	for _, b := range []netfd.Backend{netfd.Epoll, netfd.Uring} {
		if got, err := netfd.Resolve(b); err != nil || got != b {
			t.Errorf("Resolve(%q) = %q, %v", b, got, err)
		}
	}
	if _, err := netfd.Resolve("kqueue"); err == nil {
		t.Error("Resolve of an unknown backend succeeded")
	}
	lc := netfd.ListenConfig{Backend: "kqueue"}
	if _, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0"); err == nil {
		t.Error("Listen with an unknown backend succeeded")
	}
}
