package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// A client is one connection of the conns mode: it sends msg, then reads
// the echo into got until all of msg came back.
type client struct {
	fd   int
	seq  uint64
	msg  []byte // the message in flight
	sent int    // bytes of msg written
	out  bool   // EPOLLOUT is armed: the socket took only part of msg
	got  []byte // the echo so far, len(msg) of room
	n    int    // bytes of got filled
}

// runConns runs the closed loop of the conns mode on one thread.
func runConns(sa *unix.SockaddrInet4, conns, size int, d time.Duration, pid int, perf *perfControl) (result, error) {
	runtime.LockOSThread()
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return result{}, fmt.Errorf("epoll_create1: %w", err)
	}
	defer unix.Close(ep)
	cs := make([]*client, conns)
	defer func() {
		for _, c := range cs {
			if c != nil {
				closeReset(c.fd)
			}
		}
	}()
	for i := range cs {
		fd, err := dial(sa)
		if err != nil {
			return result{}, fmt.Errorf("connection %d: %w", i, err)
		}
		c := &client{fd: fd, msg: make([]byte, size), got: make([]byte, size)}
		cs[i] = c
		for j := range c.msg {
			c.msg[j] = byte(i + j)
		}
		if err := unix.SetNonblock(fd, true); err != nil {
			return result{}, err
		}
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(i)}
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return result{}, fmt.Errorf("epoll_ctl: %w", err)
		}
	}

	w, err := startWindow(pid, perf)
	if err != nil {
		return result{}, err
	}
	end := w.start.Add(d)
	for i, c := range cs {
		if err := c.send(ep, i); err != nil {
			return result{}, err
		}
	}
	var roundTrips int64
	events := make([]unix.EpollEvent, 256)
	for {
		timeout := int(time.Until(end)/time.Millisecond) + 1
		var n int
		err := retry(func() (err error) { n, err = unix.EpollWait(ep, events, timeout); return })
		if err != nil {
			return result{}, fmt.Errorf("epoll_wait: %w", err)
		}
		if !time.Now().Before(end) {
			break // what this wait returned arrived after the window
		}
		for _, ev := range events[:n] {
			i := int(ev.Fd)
			c := cs[i]
			if ev.Events&unix.EPOLLOUT != 0 && c.sent < len(c.msg) {
				if err := c.send(ep, i); err != nil {
					return result{}, err
				}
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP) == 0 {
				continue
			}
			done, err := c.recv()
			if err != nil {
				return result{}, fmt.Errorf("connection %d: %w", i, err)
			}
			if done {
				roundTrips++
				if err := c.send(ep, i); err != nil {
					return result{}, err
				}
			}
		}
	}
	return w.end(end, conns, roundTrips)
}

// send starts (or, after EPOLLOUT, goes on with) writing the message.
func (c *client) send(ep, i int) error {
	if c.sent == len(c.msg) {
		c.seq++
		binary.LittleEndian.PutUint64(c.msg, c.seq)
		c.sent, c.n = 0, 0
	}
	for c.sent < len(c.msg) {
		var n int
		err := retry(func() (err error) { n, err = unix.Write(c.fd, c.msg[c.sent:]); return })
		if err == unix.EAGAIN {
			return c.waitOut(ep, i, true)
		}
		if err != nil {
			return fmt.Errorf("connection %d: write: %w", i, err)
		}
		c.sent += n
	}
	return c.waitOut(ep, i, false)
}

// waitOut arms or disarms EPOLLOUT on c.
func (c *client) waitOut(ep, i int, on bool) error {
	if c.out == on {
		return nil
	}
	c.out = on
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(i)}
	if on {
		ev.Events |= unix.EPOLLOUT
	}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_MOD, c.fd, &ev); err != nil {
		return fmt.Errorf("epoll_ctl: %w", err)
	}
	return nil
}

// recv reads what arrived and reports whether the whole echo is in; it
// checks that the echo is the message.
func (c *client) recv() (done bool, err error) {
	for c.n < len(c.got) {
		var n int
		err := retry(func() (err error) { n, err = unix.Read(c.fd, c.got[c.n:]); return })
		if err == unix.EAGAIN {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("read: %w", err)
		}
		if n == 0 {
			return false, fmt.Errorf("read: server closed the connection")
		}
		c.n += n
	}
	if c.sent < len(c.msg) {
		return false, fmt.Errorf("echo arrived before the message was sent")
	}
	if !bytes.Equal(c.got, c.msg) {
		return false, fmt.Errorf("echo of message %d differs from it: %s", c.seq, mismatch(c.got, c.msg))
	}
	return true, nil
}

// dial connects a blocking TCP socket to sa with TCP_NODELAY set, as Go's
// net does.
func dial(sa *unix.SockaddrInet4) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	if err := retry(func() error { return unix.Connect(fd, sa) }); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("connect: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("setsockopt TCP_NODELAY: %w", err)
	}
	return fd, nil
}

// closeReset closes fd with SO_LINGER 0: a reset, no TIME_WAIT.
func closeReset(fd int) {
	unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	unix.Close(fd)
}

// sockaddr resolves an IPv4 host:port without DNS.
func sockaddr(addr string) (*unix.SockaddrInet4, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Is4() {
		return nil, fmt.Errorf("%q: need an IPv4 address", addr)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("%q: bad port", addr)
	}
	return &unix.SockaddrInet4{Port: int(p), Addr: ip.As4()}, nil
}
