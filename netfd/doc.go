// Package netfd is a network file descriptor layer with the semantics of Go's
// internal/poll.FD (blocking-style Read, Write, Accept, Connect, Close,
// half-close and deadlines) on interchangeable kernel backends, behind the
// standard net.Conn and net.Listener interfaces.
//
// A Conn or Listener from this package can be used wherever a net.Conn or
// net.Listener is: crypto/tls, net/http.Server.Serve, an http.Transport's
// DialContext, gRPC.
//
//	ln, err := netfd.Listen("tcp", "127.0.0.1:8080") // Auto backend
//	...
//	http.Serve(ln, handler)
//
//	lc := netfd.ListenConfig{Backend: netfd.Epoll, ReusePort: true}
//	ln, err := lc.Listen(ctx, "tcp", ":8080")
//
//	d := netfd.Dialer{Backend: netfd.Epoll, Timeout: 3 * time.Second}
//	c, err := d.DialContext(ctx, "tcp", "127.0.0.1:8080")
//
// Auto, the default, is io_uring when this machine can run it and epoll
// otherwise; the environment variable RINGNET_BACKEND=epoll (or uring)
// overrides that choice for a whole process. ResolveReason says what Auto
// picks and why, and BackendOf which backend a listener or connection runs
// on:
//
//	b, why, err := netfd.ResolveReason(netfd.Auto) // "epoll", "io_uring_setup: EPERM (...)", nil
//	b, ok := netfd.BackendOf(ln)                   // "epoll", true; "", false for a net.TCPListener
//
// Errors look like the net package's: *net.OpError wrapping *os.SyscallError,
// net.ErrClosed after Close, os.ErrDeadlineExceeded when a deadline passes.
//
// The package is Linux-only; elsewhere every constructor returns
// errors.ErrUnsupported.
package netfd
