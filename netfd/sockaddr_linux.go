package netfd

import (
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// family picks the address family of a socket for network and ip, as the net
// package does: tcp4 is AF_INET, tcp6 AF_INET6 (v6-only), and tcp uses
// AF_INET for IPv4 addresses and a dual-stack AF_INET6 socket for the
// unspecified address of a listener.
func family(network string, ip netip.Addr, listen bool) (fam int, v6only bool) {
	switch network {
	case "tcp4":
		return unix.AF_INET, false
	case "tcp6":
		return unix.AF_INET6, true
	}
	if listen && (!ip.IsValid() || ip.IsUnspecified()) {
		return unix.AF_INET6, false
	}
	if ip.Unmap().Is4() {
		return unix.AF_INET, false
	}
	return unix.AF_INET6, false
}

func tcpSockaddr(fam int, ap netip.AddrPort) (unix.Sockaddr, error) {
	ip := ap.Addr()
	if fam == unix.AF_INET {
		if !ip.IsValid() {
			ip = netip.IPv4Unspecified()
		}
		ip = ip.Unmap()
		if !ip.Is4() {
			return nil, &net.AddrError{Err: "non-IPv4 address", Addr: ip.String()}
		}
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ip.As4()}, nil
	}
	if !ip.IsValid() {
		ip = netip.IPv6Unspecified()
	}
	var zone uint32
	if z := ip.Zone(); z != "" {
		if ifi, err := net.InterfaceByName(z); err == nil {
			zone = uint32(ifi.Index)
		}
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ip.As16(), ZoneId: zone}, nil
}

// sockaddrToAddr turns a kernel address into the net package's form.
func sockaddrToAddr(network string, sa unix.Sockaddr) net.Addr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(sa.Addr[:]).To16(), Port: sa.Port}
	case *unix.SockaddrInet6:
		var zone string
		if sa.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				zone = ifi.Name
			}
		}
		return &net.TCPAddr{IP: append(net.IP(nil), sa.Addr[:]...), Port: sa.Port, Zone: zone}
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: sa.Name, Net: network}
	}
	if network == "unix" {
		return &net.UnixAddr{Net: network}
	}
	return nil
}

func isTCP(network string) bool {
	return network == "tcp" || network == "tcp4" || network == "tcp6"
}
