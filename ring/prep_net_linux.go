package ring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Socket requests. Memory rules: see "Memory handed to the kernel" in prep_linux.go.

// PrepAccept prepares accept4(2) on the listening socket fd. addr and
// addrlen (set *addrlen to the size of *addr) may both be nil; if not they
// must stay alive until the CQE. flags are accept4 flags (SOCK_NONBLOCK,
// SOCK_CLOEXEC). Res is the new fd. PrepAccept corresponds to io_uring_prep_accept.
func (s *SQE) PrepAccept(fd int, addr *unix.RawSockaddrAny, addrlen *uint32, flags uint32) {
	s.prepRW(OpAccept, fd, kaddr(uintptr(unsafe.Pointer(addr))), 0, kaddr(uintptr(unsafe.Pointer(addrlen))))
	s.OpFlags = flags
}

// PrepMultishotAccept is PrepAccept posting one CQE (with CQEFMore) per
// accepted connection until cancelled or failed. Since addr would be
// overwritten by every accept, pass nil for both addr and addrlen unless
// only the latest peer matters. PrepMultishotAccept corresponds to
// io_uring_prep_multishot_accept.
func (s *SQE) PrepMultishotAccept(fd int, addr *unix.RawSockaddrAny, addrlen *uint32, flags uint32) {
	s.PrepAccept(fd, addr, addrlen, flags)
	s.IoPrio |= AcceptMultishot
}

// PrepConnect prepares connect(2) of fd to addr (addrlen bytes). addr must
// stay alive until the CQE. PrepConnect corresponds to io_uring_prep_connect.
func (s *SQE) PrepConnect(fd int, addr *unix.RawSockaddrAny, addrlen uint32) {
	s.prepRW(OpConnect, fd, kaddr(uintptr(unsafe.Pointer(addr))), 0, uint64(addrlen))
}

// PrepRecv prepares recv(2) into buf with MSG_* flags. Res is the byte
// count, 0 at EOF. buf must stay alive until the CQE. For a provided
// buffer, pass nil and call SetBufGroup. PrepRecv corresponds to io_uring_prep_recv.
func (s *SQE) PrepRecv(fd int, buf []byte, flags int) {
	s.prepRW(OpRecv, fd, bufAddr(buf), uint32(len(buf)), 0)
	s.OpFlags = uint32(flags)
}

// PrepRecvMultishot prepares a recv that posts one CQE per arrival, each
// with data in a buffer taken from a provided-buffer group: call
// SetBufGroup(bgid) after it (this sets SQEBufferSelect). Each CQE carries
// CQEFBuffer and BufferID; while CQEFMore is set more follow. Without
// CQEFMore the request has ended (EOF with Res 0, -ENOBUFS when the group
// ran dry, or an error) and must be re-armed.
// PrepRecvMultishot corresponds to io_uring_prep_recv_multishot.
func (s *SQE) PrepRecvMultishot(fd int, flags int) {
	s.PrepRecv(fd, nil, flags)
	s.IoPrio |= RecvMultishot
	s.Flags |= SQEBufferSelect
}

// PrepSend prepares send(2) of buf with MSG_* flags. Res is the byte count,
// which may be short. buf must stay alive until the CQE.
// PrepSend corresponds to io_uring_prep_send.
func (s *SQE) PrepSend(fd int, buf []byte, flags int) {
	s.prepRW(OpSend, fd, bufAddr(buf), uint32(len(buf)), 0)
	s.OpFlags = uint32(flags)
}

// PrepSendZC prepares a zero-copy send. It posts two CQEs with the same
// UserData: the result (with CQEFMore) and, once the kernel no longer
// reads buf, a notification with CQEFNotif. buf must stay alive until the
// notification. zcFlags are RecvsendPollFirst, SendZCReportUsage, ...
// Unix-domain sockets answer -EOPNOTSUPP. PrepSendZC corresponds to io_uring_prep_send_zc.
func (s *SQE) PrepSendZC(fd int, buf []byte, flags int, zcFlags uint16) {
	s.prepRW(OpSendZC, fd, bufAddr(buf), uint32(len(buf)), 0)
	s.OpFlags = uint32(flags)
	s.IoPrio = zcFlags
}

// PrepSendmsg prepares sendmsg(2). msg, its name, iovecs and their buffers
// and its control data must stay alive until the CQE.
// PrepSendmsg corresponds to io_uring_prep_sendmsg.
func (s *SQE) PrepSendmsg(fd int, msg *unix.Msghdr, flags uint32) {
	s.prepRW(OpSendmsg, fd, kaddr(uintptr(unsafe.Pointer(msg))), 1, 0)
	s.OpFlags = flags
}

// PrepShutdown prepares shutdown(2) with how = SHUT_RD, SHUT_WR or SHUT_RDWR.
// PrepShutdown corresponds to io_uring_prep_shutdown.
func (s *SQE) PrepShutdown(fd int, how int) {
	s.prepRW(OpShutdown, fd, 0, uint32(how), 0)
}
