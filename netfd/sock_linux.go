package netfd

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// socket creates a non-blocking, close-on-exec stream socket.
func socket(fam int, v6only bool) (int, error) {
	s, err := unix.Socket(fam, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if fam == unix.AF_INET6 {
		v := 0
		if v6only {
			v = 1
		}
		if err := unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v); err != nil {
			unix.Close(s)
			return -1, os.NewSyscallError("setsockopt", err)
		}
	}
	return s, nil
}

func (lc *ListenConfig) listen(ctx context.Context, network, address string) (net.Listener, error) {
	opErr := func(addr net.Addr, err error) error {
		return &net.OpError{Op: "listen", Net: network, Addr: addr, Err: err}
	}
	drv, err := driverFor(lc.Backend)
	if err != nil {
		return nil, opErr(nil, err)
	}
	var sa unix.Sockaddr
	var fam int
	var v6only bool
	switch {
	case isTCP(network):
		ap, err := resolveListenAddr(ctx, network, address)
		if err != nil {
			return nil, opErr(nil, err)
		}
		fam, v6only = family(network, ap.Addr(), true)
		if sa, err = tcpSockaddr(fam, ap); err != nil {
			return nil, opErr(nil, err)
		}
	case network == "unix":
		if address == "" {
			return nil, opErr(nil, errMissingAddr)
		}
		fam, sa = unix.AF_UNIX, &unix.SockaddrUnix{Name: address}
	default:
		return nil, opErr(nil, errUnknownNetwork(network))
	}
	s, err := socket(fam, v6only)
	if err != nil {
		return nil, opErr(sockaddrToAddr(network, sa), err)
	}
	if err := lc.bindListen(s, fam, sa); err != nil {
		unix.Close(s)
		return nil, opErr(sockaddrToAddr(network, sa), err)
	}
	fd, err := newFD(s, drv)
	if err != nil {
		return nil, opErr(sockaddrToAddr(network, sa), err)
	}
	l := &Listener{fd: fd, network: network}
	if lsa, err := unix.Getsockname(s); err == nil {
		l.addr = sockaddrToAddr(network, lsa)
	} else {
		l.addr = sockaddrToAddr(network, sa)
	}
	if a, ok := l.addr.(*net.TCPAddr); ok && !a.IP.IsUnspecified() {
		l.connLocal = a
	}
	if network == "unix" && !strings.HasPrefix(address, "@") {
		l.unlink = address
	}
	return l, nil
}

func (lc *ListenConfig) bindListen(s, fam int, sa unix.Sockaddr) error {
	if fam != unix.AF_UNIX {
		if err := unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return os.NewSyscallError("setsockopt", err)
		}
		tcpDefaults(s, lc.KeepAlive) // for the connections it accepts
	}
	if lc.ReusePort {
		if err := unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return os.NewSyscallError("setsockopt", err)
		}
	}
	if err := unix.Bind(s, sa); err != nil {
		return os.NewSyscallError("bind", err)
	}
	backlog := lc.Backlog
	if backlog <= 0 {
		backlog = systemBacklog()
	}
	if err := unix.Listen(s, backlog); err != nil {
		return os.NewSyscallError("listen", err)
	}
	return nil
}

// tcpDefaults sets the options every TCP connection starts with, as in
// the net package: TCP_NODELAY, and keep-alive every keepAlive (0 means
// 15 s, negative none) with 9 probes. A listener gets them too, because
// Linux makes an accepted socket as a copy of its listener, options
// included: Accept then need not set them one by one, which took four
// system calls per connection and half of the accept loop's time in a
// connect-and-reset flood (bench/flood.sh; docs/robustness.md).
// TestSockoptDefaults checks the accepted end.
func tcpDefaults(s int, keepAlive time.Duration) {
	unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if keepAlive < 0 {
		return
	}
	if keepAlive == 0 {
		keepAlive = 15 * time.Second
	}
	secs := roundSeconds(keepAlive)
	unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
	unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, secs)
	unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, secs)
	unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 9)
}

// systemBacklog is net.core.somaxconn, as the net package uses.
var systemBacklog = sync.OnceValue(func() int {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		return unix.SOMAXCONN
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n <= 0 {
		return unix.SOMAXCONN
	}
	return min(n, 1<<16-1)
})

// resolveListenAddr resolves a listen address; an empty host is the
// unspecified address.
func resolveListenAddr(ctx context.Context, network, address string) (netip.AddrPort, error) {
	aps, err := resolveTCP(ctx, network, address, true)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return aps[0], nil
}

// resolveTCP resolves host:port into the addresses to try, in order. An
// empty or unspecified host means the unspecified address when listening and
// the local system when dialing, as in the net package.
func resolveTCP(ctx context.Context, network, address string, listen bool) ([]netip.AddrPort, error) {
	host, service, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := net.DefaultResolver.LookupPort(ctx, network, service)
	if err != nil {
		return nil, err
	}
	if host == "" {
		if listen {
			return []netip.AddrPort{netip.AddrPortFrom(netip.Addr{}, uint16(port))}, nil
		}
		if network == "tcp6" {
			host = "::1"
		} else {
			host = "127.0.0.1"
		}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if !listen && ip.IsUnspecified() {
			if ip.Is4() {
				ip = netip.MustParseAddr("127.0.0.1")
			} else {
				ip = netip.IPv6Loopback()
			}
		}
		return []netip.AddrPort{netip.AddrPortFrom(ip, uint16(port))}, nil
	}
	ipNet := map[string]string{"tcp": "ip", "tcp4": "ip4", "tcp6": "ip6"}[network]
	ips, err := net.DefaultResolver.LookupNetIP(ctx, ipNet, host)
	if err != nil {
		return nil, err
	}
	aps := make([]netip.AddrPort, 0, len(ips))
	for _, ip := range ips {
		aps = append(aps, netip.AddrPortFrom(ip.Unmap(), uint16(port)))
	}
	if len(aps) == 0 {
		return nil, &net.AddrError{Err: errNoSuitable.Error(), Addr: host}
	}
	return aps, nil
}

func (d *Dialer) dial(ctx context.Context, network, address string) (net.Conn, error) {
	opErr := func(addr net.Addr, err error) error {
		return &net.OpError{Op: "dial", Net: network, Source: d.LocalAddr, Addr: addr, Err: err}
	}
	drv, err := driverFor(d.Backend)
	if err != nil {
		return nil, opErr(nil, err)
	}
	if d.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.Timeout)
		defer cancel()
	}
	switch {
	case isTCP(network):
		aps, err := resolveTCP(ctx, network, address, false)
		if err != nil {
			return nil, opErr(nil, err)
		}
		var firstErr error
		for _, ap := range aps { // serially, like the net package without a fallback delay
			c, err := d.dialOne(ctx, drv, network, ap, nil)
			if err == nil {
				return c, nil
			}
			if firstErr == nil {
				firstErr = err
			}
			if ctx.Err() != nil {
				break
			}
		}
		return nil, firstErr
	case network == "unix":
		if address == "" {
			return nil, opErr(nil, errMissingAddr)
		}
		return d.dialOne(ctx, drv, network, netip.AddrPort{}, &unix.SockaddrUnix{Name: address})
	}
	return nil, opErr(nil, errUnknownNetwork(network))
}

// dialOne connects to one address: ap for TCP, usa for unix.
func (d *Dialer) dialOne(ctx context.Context, drv driver, network string, ap netip.AddrPort, usa *unix.SockaddrUnix) (net.Conn, error) {
	var raddr net.Addr
	var sa unix.Sockaddr = usa
	fam := unix.AF_UNIX
	if usa == nil {
		raddr = net.TCPAddrFromAddrPort(ap)
		fam, _ = family(network, ap.Addr(), false)
		var err error
		if sa, err = tcpSockaddr(fam, ap); err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Source: d.LocalAddr, Addr: raddr, Err: err}
		}
	} else {
		raddr = &net.UnixAddr{Name: usa.Name, Net: network}
	}
	opErr := func(err error) error {
		return &net.OpError{Op: "dial", Net: network, Source: d.LocalAddr, Addr: raddr, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return nil, opErr(mapCtxErr(err))
	}
	s, err := socket(fam, network == "tcp6")
	if err != nil {
		return nil, opErr(err)
	}
	if d.LocalAddr != nil {
		if err := bindLocal(s, fam, d.LocalAddr); err != nil {
			unix.Close(s)
			return nil, opErr(err)
		}
	}
	fd, err := newFD(s, drv)
	if err != nil {
		return nil, opErr(err)
	}
	if err := connectCtx(ctx, fd, sa); err != nil {
		fd.Close()
		return nil, opErr(err)
	}
	c := newConn(fd, network, nil, raddr)
	if isTCP(network) {
		c.setTCPDefaults(d.KeepAlive)
	}
	return c, nil
}

// connectCtx connects fd, bounded by ctx: its deadline becomes the write
// deadline and cancellation moves that deadline into the past, as in the net
// package.
func connectCtx(ctx context.Context, fd *netFD, sa unix.Sockaddr) (ret error) {
	if dl, ok := ctx.Deadline(); ok {
		fd.SetWriteDeadline(dl)
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { fd.SetWriteDeadline(time.Unix(1, 0)) })
		defer func() {
			if !stop() && ret == nil {
				ret = mapCtxErr(ctx.Err()) // the deadline was poisoned: do not hand out the conn
			}
		}()
	}
	err := fd.drv.connect(fd, sa)
	if err != nil && ctx.Err() != nil {
		return mapCtxErr(ctx.Err())
	}
	if err == nil {
		fd.SetWriteDeadline(time.Time{})
	}
	return err
}

func bindLocal(s, fam int, la net.Addr) error {
	var sa unix.Sockaddr
	switch la := la.(type) {
	case *net.TCPAddr:
		var err error
		if sa, err = tcpSockaddr(fam, la.AddrPort()); err != nil {
			return err
		}
	case *net.UnixAddr:
		sa = &unix.SockaddrUnix{Name: la.Name}
	default:
		return &net.AddrError{Err: "mismatched local address type", Addr: la.String()}
	}
	if err := unix.Bind(s, sa); err != nil {
		return os.NewSyscallError("bind", err)
	}
	return nil
}
