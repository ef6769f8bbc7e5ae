package main

import (
	"context"
	"errors"
	"fmt"
	"net"
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

// dialer returns a dial function for connections on b whose bytes are
// counted in n.
func (b backend) dialer(n *byteCounter) func(ctx context.Context, network, addr string) (net.Conn, error) {
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
			return nil, err
		}
		return &countedConn{Conn: c, n: n}, nil
	}
}

// A byteCounter adds up the bytes read and written on a run's connections.
type byteCounter struct{ read, written atomic.Int64 }

// A countedConn is a net.Conn that counts its bytes into n. It passes the
// socket on through syscall.Conn, as the Transport's liveness check of an
// idle connection needs it: hiding it would skip that check and make the
// measured client cheaper than the real one.
type countedConn struct {
	net.Conn
	n *byteCounter
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

func (c *countedConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return sc.SyscallConn()
}
