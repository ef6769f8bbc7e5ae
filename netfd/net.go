package netfd

import (
	"context"
	"net"
	"time"
)

// Backend names a kernel interface the FDs run on.
type Backend string

const (
	// Auto picks the best backend that works on this machine (see Resolve).
	Auto Backend = "auto"
	// Epoll is edge-triggered epoll, like the Go runtime's netpoller.
	Epoll Backend = "epoll"
	// Uring is io_uring completions.
	Uring Backend = "uring"
)

// ListenConfig holds the options for listening on an address. The zero value
// listens with the Auto backend, the system's listen backlog and keep-alive
// enabled on accepted connections, like net.ListenConfig.
type ListenConfig struct {
	// Backend the listener and its connections run on; "" means Auto.
	Backend Backend
	// ReusePort sets SO_REUSEPORT, so several listeners can share a port
	// and the kernel spreads connections between them.
	ReusePort bool
	// Backlog is the listen queue length; 0 means the system's maximum
	// (net.core.somaxconn), as the net package uses.
	Backlog int
	// KeepAlive is the keep-alive period of accepted TCP connections: 0
	// means 15 s, negative disables keep-alive, as in net.ListenConfig.
	KeepAlive time.Duration
}

// Dialer holds the options for connecting to an address. The zero value
// dials with the Auto backend, no timeout beyond the context's, and
// keep-alive enabled, like net.Dialer.
type Dialer struct {
	// Backend the connection runs on; "" means Auto.
	Backend Backend
	// Timeout bounds the whole dial, name resolution included; zero means
	// no limit besides the context's deadline. The earlier of the two wins.
	Timeout time.Duration
	// LocalAddr is the local address to bind to before connecting; nil
	// lets the kernel choose. It must match the network's address type.
	LocalAddr net.Addr
	// KeepAlive is the keep-alive period: 0 means 15 s, negative disables
	// keep-alive, as in net.Dialer.
	KeepAlive time.Duration
}

// Listen listens on network ("tcp", "tcp4", "tcp6" or "unix") at address
// with the Auto backend.
func Listen(network, address string) (net.Listener, error) {
	var lc ListenConfig
	return lc.Listen(context.Background(), network, address)
}

// Dial connects to address on network with the Auto backend.
func Dial(network, address string) (net.Conn, error) {
	var d Dialer
	return d.DialContext(context.Background(), network, address)
}

// Resolve reports the backend b stands for on this machine: Auto (or "")
// becomes the best backend that works here, Epoll or Uring. For a backend
// that cannot be used here, Resolve returns an error that says why.
// ResolveReason also says why Auto did not pick Uring.
func Resolve(b Backend) (Backend, error) {
	r, _, err := resolve(b)
	return r, err
}

// ResolveReason is Resolve plus, when Auto resolves to something other than
// Uring, the reason: the io_uring_setup error (for example
// "io_uring_setup: EPERM (kernel.io_uring_disabled=2)"), the op the kernel
// lacks, or the RINGNET_BACKEND setting. The reason is "" when b is Uring or
// Epoll by name, or when Auto picks Uring. Auto decides once per process:
// every call returns the same answer, and the fallback is logged once, with
// slog.Warn, the first time.
func ResolveReason(b Backend) (backend Backend, reason string, err error) {
	return resolve(b)
}

// BackendOf reports the backend x runs on, if x is a listener or connection
// from this package (Epoll or Uring, never Auto), or a value wrapping one
// that says so: x has a method Backend() Backend, or is a connection with a
// NetConn() net.Conn method, as *tls.Conn, around one that has. For anything
// else, Go's own net.TCPListener and net.TCPConn included, it returns "",
// false. A *tls.Conn is seen through; the listener of tls.NewListener hides
// the one it wraps.
func BackendOf(x any) (Backend, bool) {
	for {
		switch v := x.(type) {
		case interface{ Backend() Backend }:
			b := v.Backend()
			return b, b != ""
		case interface{ NetConn() net.Conn }:
			x = v.NetConn()
		default:
			return "", false
		}
	}
}

// Listen listens on network ("tcp", "tcp4", "tcp6" or "unix") at address.
// The context only bounds name resolution, as in net.ListenConfig.
func (lc *ListenConfig) Listen(ctx context.Context, network, address string) (net.Listener, error) {
	return lc.listen(ctx, network, address)
}

// DialContext connects to address on network ("tcp", "tcp4", "tcp6" or
// "unix"). The context's deadline and cancellation apply until the
// connection is established; afterwards the context does not matter.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return d.dial(ctx, network, address)
}

// Dial connects to address on network; see DialContext.
func (d *Dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}
