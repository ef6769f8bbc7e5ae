package netfd

import (
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Conn is a stream connection on a non-blocking socket. It implements
// net.Conn plus the socket controls of net.TCPConn and net.UnixConn. Read and
// Write may be called concurrently; so may every method with Close.
type Conn struct {
	fd           *netFD
	network      string
	laddr, raddr net.Addr
}

var _ net.Conn = (*Conn)(nil)

func newConn(fd *netFD, network string, laddr, raddr net.Addr) *Conn {
	if laddr == nil {
		if sa, err := unix.Getsockname(fd.sysfd); err == nil {
			laddr = sockaddrToAddr(network, sa)
		}
	}
	return &Conn{fd: fd, network: network, laddr: laddr, raddr: raddr}
}

func (c *Conn) setTCPDefaults(keepAlive time.Duration) { tcpDefaults(c.fd.sysfd, keepAlive) }

func (c *Conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: c.network, Source: c.laddr, Addr: c.raddr, Err: err}
}

// Read reads into b; it returns io.EOF, unwrapped, once the peer has closed
// its side. Other errors are *net.OpError.
func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.fd.Read(b)
	if err != nil && err != io.EOF {
		err = c.opError("read", err)
	}
	return n, err
}

// Write writes all of b or returns a *net.OpError saying why not.
func (c *Conn) Write(b []byte) (int, error) {
	n, err := c.fd.Write(b)
	if err != nil {
		err = c.opError("write", err)
	}
	return n, err
}

// Close closes the connection, waking blocked Reads and Writes with an
// error that is net.ErrClosed.
func (c *Conn) Close() error {
	if err := c.fd.Close(); err != nil {
		return c.opError("close", err)
	}
	return nil
}

// CloseRead shuts down the reading side.
func (c *Conn) CloseRead() error { return c.shutdown(unix.SHUT_RD) }

// CloseWrite shuts down the writing side: the peer reads EOF.
func (c *Conn) CloseWrite() error { return c.shutdown(unix.SHUT_WR) }

func (c *Conn) shutdown(how int) error {
	if err := c.fd.Shutdown(how); err != nil {
		if err != net.ErrClosed {
			err = os.NewSyscallError("shutdown", err)
		}
		return c.opError("close", err)
	}
	return nil
}

// LocalAddr returns the local address.
func (c *Conn) LocalAddr() net.Addr { return c.laddr }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.raddr }

// SetDeadline sets the read and write deadlines; see net.Conn.
func (c *Conn) SetDeadline(t time.Time) error { return c.setErr(c.fd.SetDeadline(t)) }

// SetReadDeadline sets the read deadline; see net.Conn.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.setErr(c.fd.SetReadDeadline(t)) }

// SetWriteDeadline sets the write deadline; see net.Conn.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.setErr(c.fd.SetWriteDeadline(t)) }

// setErr wraps a deadline error as the net package does: the local
// address as Addr, no Source.
func (c *Conn) setErr(err error) error {
	if err != nil {
		return &net.OpError{Op: "set", Net: c.network, Addr: c.laddr, Err: err}
	}
	return nil
}

// Backend reports the backend the connection runs on: Epoll or Uring, never
// Auto. BackendOf asks the same of any net.Conn.
func (c *Conn) Backend() Backend { return c.fd.drv.name() }

// SyscallConn returns a raw connection, as net.TCPConn.SyscallConn.
func (c *Conn) SyscallConn() (syscall.RawConn, error) { return rawConn{c.fd}, nil }

// Listener is a stream listener on a non-blocking socket. It implements
// net.Listener plus SetDeadline and SyscallConn. Accept may be called
// concurrently; Close wakes a blocked Accept with net.ErrClosed.
type Listener struct {
	fd      *netFD
	network string
	addr    net.Addr
	unlink  string // the unix socket file removed by Close
	// connLocal is the local address of every connection accepted, for a
	// TCP listener on one address (not the unspecified one): known
	// without a getsockname per connection.
	connLocal *net.TCPAddr
}

var _ net.Listener = (*Listener)(nil)

// Accept waits for and returns the next connection.
func (l *Listener) Accept() (net.Conn, error) {
	s, rsa, err := l.fd.Accept()
	if err != nil {
		return nil, &net.OpError{Op: "accept", Net: l.network, Addr: l.addr, Err: err}
	}
	fd, err := newFD(s, l.fd.drv)
	if err != nil {
		return nil, &net.OpError{Op: "accept", Net: l.network, Addr: l.addr, Err: err}
	}
	return newConn(fd, l.network, l.acceptedLocal(), sockaddrToAddr(l.network, rsa)), nil // with the listener's TCP options: see tcpDefaults
}

// acceptedLocal is the local address of a connection Accept returns, or
// nil if only getsockname can tell.
func (l *Listener) acceptedLocal() net.Addr {
	if l.connLocal == nil {
		return nil
	}
	a := *l.connLocal
	return &a
}

// Close stops listening; a blocked Accept returns net.ErrClosed. A unix
// socket file created by Listen is removed.
func (l *Listener) Close() error {
	err := l.fd.Close()
	if err == nil && l.unlink != "" {
		unix.Unlink(l.unlink)
	}
	if err != nil {
		return &net.OpError{Op: "close", Net: l.network, Addr: l.addr, Err: err}
	}
	return nil
}

// Addr returns the listening address.
func (l *Listener) Addr() net.Addr { return l.addr }

// SetDeadline sets the deadline for Accept; see net.TCPListener.
func (l *Listener) SetDeadline(t time.Time) error {
	if err := l.fd.SetReadDeadline(t); err != nil {
		return &net.OpError{Op: "set", Net: l.network, Addr: l.addr, Err: err}
	}
	return nil
}

// Backend reports the backend the listener and the connections it accepts
// run on: Epoll or Uring, never Auto. BackendOf asks the same of any
// net.Listener.
func (l *Listener) Backend() Backend { return l.fd.drv.name() }

// SyscallConn returns a raw listener, as net.TCPListener.SyscallConn.
func (l *Listener) SyscallConn() (syscall.RawConn, error) { return rawConn{l.fd}, nil }

type rawConn struct{ fd *netFD }

func (rc rawConn) Control(f func(uintptr)) error {
	return rawErr("raw-control", rc.fd.Control(f))
}
func (rc rawConn) Read(f func(uintptr) bool) error {
	return rawErr("raw-read", rc.fd.RawRead(f))
}
func (rc rawConn) Write(f func(uintptr) bool) error {
	return rawErr("raw-write", rc.fd.RawWrite(f))
}

func rawErr(op string, err error) error {
	if err != nil {
		return &net.OpError{Op: op, Err: err}
	}
	return nil
}
