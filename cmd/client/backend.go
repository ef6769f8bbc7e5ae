package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/ringnet/ringnet/netfd"
)

// A backend is where the client's connections come from: a netfd backend,
// or Go's own net package ("std"), which runs the same client code over
// net.Dialer for reference.
type backend struct {
	name string        // as asked for: auto, epoll, uring or std
	nb   netfd.Backend // what name resolved to here; "" for std
}

// compareBackends are the backends -compare runs, in the order of its table.
var compareBackends = []string{"epoll", "uring", "std"}

// parseBackend resolves name; the error says why a backend cannot be used
// on this machine.
func parseBackend(name string) (backend, error) {
	switch name {
	case "std":
		return backend{name: name}, nil
	case "auto", "epoll", "uring":
		nb, err := netfd.Resolve(netfd.Backend(name))
		if err != nil {
			return backend{name: name}, err
		}
		return backend{name: name, nb: nb}, nil
	}
	return backend{}, fmt.Errorf("unknown backend %q (want auto, epoll, uring or std)", name)
}

// String names the backend as reports show it: "uring", or "auto=epoll"
// when auto chose epoll.
func (b backend) String() string {
	if b.nb == "" || string(b.nb) == b.name {
		return b.name
	}
	return b.name + "=" + string(b.nb)
}

// validBackend reports whether name is one -backend accepts.
func validBackend(name string) bool {
	switch name {
	case "auto", "epoll", "uring", "std":
		return true
	}
	return false
}

// dialer returns a dial function for connections on b whose dials and
// bytes are counted in n (which may be nil).
func (b backend) dialer(n *connStats) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var dial func(ctx context.Context, network, addr string) (net.Conn, error)
	if b.nb == "" {
		dial = (&net.Dialer{}).DialContext
	} else {
		dial = (&netfd.Dialer{Backend: b.nb}).DialContext
	}
	if n == nil {
		return dial
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			n.dialFailures.Add(1)
			return nil, err
		}
		n.dials.Add(1)
		cc := &countedConn{Conn: c, n: n}
		if !n.track(cc) {
			c.Close()
			return nil, net.ErrClosed
		}
		return cc, nil
	}
}

// A connStats counts a run's connections: the dials that succeeded and
// failed, and the bytes read and written. It also keeps the connections
// open, for closeAll.
type connStats struct {
	dials, dialFailures, read, written atomic.Int64

	mu     sync.Mutex
	open   map[*countedConn]struct{} // guarded by mu
	closed bool                      // closeAll was called; guarded by mu
}

// track adds c to the open connections; it returns false if the run is
// over, and c must be closed.
func (n *connStats) track(c *countedConn) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false
	}
	if n.open == nil {
		n.open = map[*countedConn]struct{}{}
	}
	n.open[c] = struct{}{}
	return true
}

// closeAll closes every connection still open and, from now on, every one
// whose dial completes. A run calls it at its end: the Transport dials in
// the background, and a dial that a waiting request no longer needed
// lands in the idle pool whenever its handshake is done, which can be
// after the run has closed the idle connections.
func (n *connStats) closeAll() {
	n.mu.Lock()
	open := n.open
	n.open, n.closed = nil, true
	n.mu.Unlock()
	for c := range open {
		c.Conn.Close()
	}
}

// connTotals is a connStats at one moment.
type connTotals struct{ dials, dialFailures, read, written int64 }

func (n *connStats) totals() connTotals {
	return connTotals{n.dials.Load(), n.dialFailures.Load(), n.read.Load(), n.written.Load()}
}

// sub returns what was counted between o and t.
func (t connTotals) sub(o connTotals) connTotals {
	return connTotals{t.dials - o.dials, t.dialFailures - o.dialFailures, t.read - o.read, t.written - o.written}
}

// A countedConn is a net.Conn that counts its bytes into n. It passes the
// socket on through syscall.Conn, as the Transport's liveness check of an
// idle connection needs it: hiding it would skip that check and make the
// measured client cheaper than the real one.
type countedConn struct {
	net.Conn
	n *connStats
}

func (c *countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.read.Add(int64(n))
	return n, err
}

func (c *countedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.n.written.Add(int64(n))
	return n, err
}

func (c *countedConn) Close() error {
	c.n.mu.Lock()
	delete(c.n.open, c)
	c.n.mu.Unlock()
	return c.Conn.Close()
}

func (c *countedConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return sc.SyscallConn()
}
