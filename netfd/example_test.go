package netfd_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/ringnet/ringnet/netfd"
)

// The README's netfd snippet: netfd's listener and dialer under net/http.
func Example() {
	var handler http.Handler // yours
	ctx := context.Background()

	// A drop-in listener for any net/http server:
	ln, err := netfd.Listen("tcp", ":8080") // Auto backend
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.Serve(ln, handler))

	// Choose the backend and socket options:
	lc := netfd.ListenConfig{Backend: netfd.Epoll, ReusePort: true}
	ln, err = lc.Listen(ctx, "tcp", ":8080")

	// Dial, for example as an http.Transport's DialContext:
	d := netfd.Dialer{Backend: netfd.Epoll, Timeout: 3 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext}
	_ = tr
}

// The README's snippet on seeing which backend Auto picks, and which one a
// listener runs on.
func ExampleResolveReason() {
	// Which backend does Auto pick here, and if not io_uring, why?
	b, why, err := netfd.ResolveReason(netfd.Auto)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("auto: %s %s", b, why) // "auto: uring", or "auto: epoll io_uring_setup: EPERM (kernel.io_uring_disabled=2)"

	// Which backend does this listener (or connection) run on?
	ln, err := netfd.Listen("tcp", ":8080")
	if err != nil {
		log.Fatal(err)
	}
	if b, ok := netfd.BackendOf(ln); ok { // ok is false for Go's own listeners
		log.Printf("listening on %s", b)
	}
}
