package leakcheck

import (
	"context"
	"fmt"
	"os"

	"github.com/ringnet/ringnet/netfd"
)

// WarmUp starts the process-wide machinery of each backend (the epoll
// poller, the io_uring ring and its reaper) so that it is part of every
// leak baseline taken afterwards. A backend that is unavailable is reported
// on stderr and left to the tests, which fail or skip on it; any other
// failure ends the test binary.
func WarmUp(backends ...netfd.Backend) {
	for _, b := range backends {
		if _, err := netfd.Resolve(b); err != nil {
			fmt.Fprintf(os.Stderr, "backend %s unavailable: %v\n", b, err)
			continue
		}
		lc := netfd.ListenConfig{Backend: b}
		ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintf(os.Stderr, "warm-up %s: %v\n", b, err)
			os.Exit(1)
		}
		ln.Close()
	}
}
