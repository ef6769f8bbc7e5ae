package ring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Memory handed to the kernel.
//
// Every Prep method that takes a buffer, address, length pointer, msghdr,
// iovec slice or timespec stores its address in the SQE. The kernel reads or
// writes that memory any time until the request's (last) CQE is posted,
// also after a cancel, a timeout or Close of the Go-side owner. The caller
// MUST keep it reachable and unmoved until then: allocate it on the heap
// (the prep methods force anything they are given to escape) and reference
// it from something that outlives the request, such as an op table keyed
// by user_data. Never pass memory that may be freed, reused or resliced
// before the CQE arrives.

// kaddr turns a pointer into the address the kernel gets. The
// uintptrescapes directive makes every object converted in its argument
// list escape to the heap: goroutine stacks move, heap objects do not.
//
//go:uintptrescapes
//go:noinline
func kaddr(p uintptr) uint64 { return uint64(p) }

// bufAddr is the kernel address of b's first byte, or 0 if b is empty.
func bufAddr(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return kaddr(uintptr(unsafe.Pointer(&b[0])))
}

// prepRW fills the fields every request uses and clears the rest, keeping
// UserData. It corresponds to liburing's io_uring_prep_rw.
func (s *SQE) prepRW(op uint8, fd int, addr uint64, n uint32, off uint64) {
	*s = SQE{Opcode: op, Fd: int32(fd), Addr: addr, Len: n, Off: off, UserData: s.UserData}
}

// PrepNop prepares a request that does nothing and completes with 0.
// PrepNop corresponds to io_uring_prep_nop.
func (s *SQE) PrepNop() { s.prepRW(OpNop, -1, 0, 0, 0) }

// PrepRead prepares read(2) of fd into buf at offset (^uint64(0): the
// current position). buf must stay alive until the CQE (see above).
// PrepRead corresponds to io_uring_prep_read.
func (s *SQE) PrepRead(fd int, buf []byte, offset uint64) {
	s.prepRW(OpRead, fd, bufAddr(buf), uint32(len(buf)), offset)
}

// PrepWrite prepares write(2) of buf to fd at offset (^uint64(0): the
// current position). buf must stay alive until the CQE.
// PrepWrite corresponds to io_uring_prep_write.
func (s *SQE) PrepWrite(fd int, buf []byte, offset uint64) {
	s.prepRW(OpWrite, fd, bufAddr(buf), uint32(len(buf)), offset)
}

// PrepWritev prepares writev(2) of iovecs to fd at offset (0 for sockets).
// The iovec array and every buffer it points at must stay alive until the
// CQE. PrepWritev corresponds to io_uring_prep_writev.
func (s *SQE) PrepWritev(fd int, iovecs []unix.Iovec, offset uint64) {
	var addr uint64
	if len(iovecs) > 0 {
		addr = kaddr(uintptr(unsafe.Pointer(&iovecs[0])))
	}
	s.prepRW(OpWritev, fd, addr, uint32(len(iovecs)), offset)
}

// PrepClose prepares close(2) of fd. PrepClose corresponds to io_uring_prep_close.
func (s *SQE) PrepClose(fd int) { s.prepRW(OpClose, fd, 0, 0, 0) }
