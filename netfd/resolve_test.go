//go:build linux

package netfd_test

import (
	"crypto/tls"
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
	wantReason := ""
	if want != netfd.Uring {
		wantReason = "RINGNET_BACKEND=" + string(want)
	}
	for _, b := range []netfd.Backend{netfd.Auto, ""} {
		if got, why, err := netfd.ResolveReason(b); err != nil || got != want || why != wantReason {
			t.Errorf("ResolveReason(%q) = %q, %q, %v; want %q, %q", b, got, why, err, want, wantReason)
		}
	}
	for _, b := range []netfd.Backend{netfd.Epoll, netfd.Uring} {
		if got, err := netfd.Resolve(b); err != nil || got != b {
			t.Errorf("Resolve(%q) = %q, %v", b, got, err)
		}
		if got, why, err := netfd.ResolveReason(b); err != nil || got != b || why != "" {
			t.Errorf("ResolveReason(%q) = %q, %q, %v", b, got, why, err)
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

// BackendOf names the backend of netfd's listeners and connections, sees
// through *tls.Conn, and reports false for std's.
func TestBackendOf(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		ln := b.ListenTCP(t)
		c, s := tcpPair(t, b)
		for _, x := range []any{ln, c, s, tls.Client(c, &tls.Config{}), tls.Server(s, &tls.Config{})} {
			got, ok := netfd.BackendOf(x)
			if got != b.NB || ok == b.Std() {
				t.Errorf("BackendOf(%T) = %q, %v; want %q", x, got, ok, b.NB)
			}
		}
		// The listener of tls.NewListener hides the one it wraps.
		if got, ok := netfd.BackendOf(tls.NewListener(ln, &tls.Config{})); got != "" || ok {
			t.Errorf("BackendOf(tls listener) = %q, %v", got, ok)
		}
	})
	if got, ok := netfd.BackendOf(nil); got != "" || ok {
		t.Errorf("BackendOf(nil) = %q, %v", got, ok)
	}
	ln, err := netfd.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	want, _ := netfd.Resolve(netfd.Auto)
	if got, ok := netfd.BackendOf(ln); got != want || !ok {
		t.Errorf("BackendOf(Auto listener) = %q, %v; want %q", got, ok, want)
	}
}
