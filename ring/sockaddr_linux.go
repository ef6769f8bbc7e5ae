package ring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// RawSockaddr writes sa in the kernel's layout into raw, for PrepConnect,
// and returns its length. raw must stay reachable until the CQE. liburing
// has no counterpart: C callers build struct sockaddr themselves.
func RawSockaddr(sa unix.Sockaddr, raw *unix.RawSockaddrAny) (uint32, error) {
	*raw = unix.RawSockaddrAny{}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		p := (*unix.RawSockaddrInet4)(unsafe.Pointer(raw))
		p.Family = unix.AF_INET
		p.Port = htons(sa.Port)
		p.Addr = sa.Addr
		return unix.SizeofSockaddrInet4, nil
	case *unix.SockaddrInet6:
		p := (*unix.RawSockaddrInet6)(unsafe.Pointer(raw))
		p.Family = unix.AF_INET6
		p.Port = htons(sa.Port)
		p.Addr = sa.Addr
		p.Scope_id = sa.ZoneId
		return unix.SizeofSockaddrInet6, nil
	case *unix.SockaddrUnix:
		p := (*unix.RawSockaddrUnix)(unsafe.Pointer(raw))
		p.Family = unix.AF_UNIX
		name := sa.Name
		if len(name) >= len(p.Path) {
			return 0, unix.EINVAL
		}
		for i := range len(name) {
			p.Path[i] = int8(name[i])
		}
		n := 2 + len(name) // family + path
		if len(name) > 0 && name[0] == '@' {
			p.Path[0] = 0 // abstract: no terminating NUL counted
		} else {
			n++
		}
		return uint32(n), nil
	}
	return 0, unix.EAFNOSUPPORT
}

// htons converts a port to network byte order as stored in memory.
func htons(port int) uint16 {
	var b [2]byte
	b[0], b[1] = byte(port>>8), byte(port)
	return *(*uint16)(unsafe.Pointer(&b))
}
