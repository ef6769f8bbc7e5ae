package ring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Poll, cancel, timeout and buffer requests. Memory rules: see "Memory
// handed to the kernel" in prep_linux.go.

// timespecOK: the kernel reads a struct __kernel_timespec (two int64s);
// unix.Timespec has that layout on 64-bit platforms only.
const timespecOK = unsafe.Sizeof(unix.Timespec{}) == 16

// PrepPollAdd prepares a one-shot poll for the POLL* events in mask. Res is
// the ready events. PrepPollAdd corresponds to io_uring_prep_poll_add.
func (s *SQE) PrepPollAdd(fd int, mask uint32) {
	s.prepRW(OpPollAdd, fd, 0, 0, 0)
	s.OpFlags = poll32(mask)
}

// poll32 converts mask to poll32_events, which the kernel reads
// half-word swapped on big-endian machines.
func poll32(mask uint32) uint32 {
	one := uint16(1)
	if *(*byte)(unsafe.Pointer(&one)) == 0 {
		return mask<<16 | mask>>16
	}
	return mask
}

// PrepPollMultishot is PrepPollAdd posting a CQE (with CQEFMore) on every
// wake-up until removed. PrepPollMultishot corresponds to io_uring_prep_poll_multishot.
func (s *SQE) PrepPollMultishot(fd int, mask uint32) {
	s.PrepPollAdd(fd, mask)
	s.Len = PollAddMulti
}

// PrepPollRemove removes the poll request whose UserData is userData; that
// request completes with -ECANCELED, this one with 0 or -ENOENT.
// PrepPollRemove corresponds to io_uring_prep_poll_remove.
func (s *SQE) PrepPollRemove(userData uint64) {
	s.prepRW(OpPollRemove, -1, userData, 0, 0)
}

// PrepCancel64 cancels the request whose UserData is userData (flags 0), or
// every such request (AsyncCancelAll), or any request (AsyncCancelAny).
// The cancelled request completes with -ECANCELED (or its own result if it
// finished first); this one with 0 (with AsyncCancelAll: the number
// cancelled), -ENOENT if nothing matched or -EALREADY if the target was
// already running. PrepCancel64 corresponds to io_uring_prep_cancel64.
func (s *SQE) PrepCancel64(userData uint64, flags int) {
	s.prepRW(OpAsyncCancel, -1, userData, 0, 0)
	s.OpFlags = uint32(flags)
}

// PrepCancel is PrepCancel64; liburing's version takes a pointer, which
// never travels through user_data here. PrepCancel corresponds to io_uring_prep_cancel.
func (s *SQE) PrepCancel(userData uint64, flags int) { s.PrepCancel64(userData, flags) }

// PrepCancelFd cancels requests on fd (AsyncCancelFd is implied; add
// AsyncCancelAll for all of them, AsyncCancelFdFixed for a registered index).
// PrepCancelFd corresponds to io_uring_prep_cancel_fd.
func (s *SQE) PrepCancelFd(fd int, flags uint32) {
	s.prepRW(OpAsyncCancel, fd, 0, 0, 0)
	s.OpFlags = flags | AsyncCancelFd
}

// PrepTimeout prepares a timeout that completes with -ETIME after ts, or
// with 0 once count other completions were posted (count 0: time only).
// flags: TimeoutAbs, TimeoutBoottime, TimeoutRealtime, TimeoutETimeSuccess,
// TimeoutMultishot. ts must stay alive until the CQE.
// PrepTimeout corresponds to io_uring_prep_timeout.
func (s *SQE) PrepTimeout(ts *unix.Timespec, count uint32, flags uint32) {
	if !timespecOK {
		panic("ring: unix.Timespec is not struct __kernel_timespec on this platform")
	}
	s.prepRW(OpTimeout, -1, kaddr(uintptr(unsafe.Pointer(ts))), 1, uint64(count))
	s.OpFlags = flags
}

// PrepLinkTimeout prepares a timeout for the previous SQE, which must carry
// SQEIOLink. If it fires the linked request completes with -ECANCELED and
// this one with -ETIME; if the request finishes first this one completes
// with -ECANCELED. ts must stay alive until the CQE.
// PrepLinkTimeout corresponds to io_uring_prep_link_timeout.
func (s *SQE) PrepLinkTimeout(ts *unix.Timespec, flags uint32) {
	if !timespecOK {
		panic("ring: unix.Timespec is not struct __kernel_timespec on this platform")
	}
	s.prepRW(OpLinkTimeout, -1, kaddr(uintptr(unsafe.Pointer(ts))), 1, 0)
	s.OpFlags = flags
}

// PrepTimeoutRemove removes the timeout whose UserData is userData; that
// timeout completes with -ECANCELED, this one with 0 or -ENOENT.
// PrepTimeoutRemove corresponds to io_uring_prep_timeout_remove.
func (s *SQE) PrepTimeoutRemove(userData uint64, flags uint32) {
	s.prepRW(OpTimeoutRemove, -1, userData, 0, 0)
	s.OpFlags = flags
}

// PrepProvideBuffers hands nr buffers of size bytes each, laid out back to
// back in mem, to group bgid with ids bid, bid+1, ... (the legacy way; a
// BufRing is cheaper). mem must stay alive until every buffer came back.
// PrepProvideBuffers corresponds to io_uring_prep_provide_buffers.
func (s *SQE) PrepProvideBuffers(mem []byte, size, nr int, bgid, bid uint16) {
	s.prepRW(OpProvideBuffers, nr, bufAddr(mem), uint32(size), uint64(bid))
	s.BufIndex = bgid
}
