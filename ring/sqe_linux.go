package ring

import (
	"sync/atomic"
	"unsafe"
)

// SQE mirrors struct io_uring_sqe (64 bytes). Several kernel unions are
// folded into one field each; the comments name the union members.
type SQE struct {
	Opcode      uint8
	Flags       uint8  // SQE* flags
	IoPrio      uint16 // also: RecvMultishot, AcceptMultishot, send zero-copy flags
	Fd          int32  // or a registered file index with SQEFixedFile
	Off         uint64 // off, addr2, cmd_op
	Addr        uint64 // addr, splice_off_in
	Len         uint32
	OpFlags     uint32 // rw_flags, msg_flags, poll32_events, timeout_flags, accept_flags, cancel_flags, ...
	UserData    uint64 // returned in CQE.UserData
	BufIndex    uint16 // buf_index, or buf_group with SQEBufferSelect
	Personality uint16
	SpliceFdIn  int32 // splice_fd_in, file_index, addr_len
	Addr3       uint64
	_           uint64
}

// Compile-time layout checks against struct io_uring_sqe.
var (
	_ [0]struct{} = [unsafe.Sizeof(SQE{}) - 64]struct{}{}
	_ [0]struct{} = [unsafe.Offsetof(SQE{}.UserData) - 32]struct{}{}
	_ [0]struct{} = [unsafe.Offsetof(SQE{}.SpliceFdIn) - 44]struct{}{}
	_ [0]struct{} = [unsafe.Offsetof(SQE{}.Addr3) - 48]struct{}{}
)

// GetSQE returns the next free SQE, zeroed, or nil when the SQ is full
// (submit, then retry). The SQE is handed to the kernel by the next Submit.
// GetSQE corresponds to io_uring_get_sqe.
func (r *Ring) GetSQE() *SQE {
	q := &r.sq
	head := atomic.LoadUint32(q.khead)
	if q.sqeTail-head >= q.entries {
		return nil
	}
	sqe := &q.sqes[q.sqeTail&q.mask]
	q.sqeTail++
	*sqe = SQE{}
	return sqe
}

// SQReady returns how many SQEs are queued and not yet consumed by the
// kernel. SQReady corresponds to io_uring_sq_ready.
func (r *Ring) SQReady() uint32 {
	return r.sq.sqeTail - atomic.LoadUint32(r.sq.khead)
}

// SQSpaceLeft returns how many SQEs GetSQE can still hand out.
// SQSpaceLeft corresponds to io_uring_sq_space_left.
func (r *Ring) SQSpaceLeft() uint32 {
	return r.sq.entries - r.SQReady()
}

// SQDropped returns the kernel's count of invalid SQEs it skipped
// (the sq ring's dropped field; liburing reads *ring->sq.kdropped).
func (r *Ring) SQDropped() uint32 {
	return atomic.LoadUint32(r.sq.kdropped)
}

// SetData64 sets the user_data echoed in the CQE. Use a slot index plus a
// generation, never a Go pointer. SetData64 corresponds to io_uring_sqe_set_data64.
func (s *SQE) SetData64(data uint64) { s.UserData = data }

// SetFlags sets the SQE* flags, replacing any set before.
// SetFlags corresponds to io_uring_sqe_set_flags.
func (s *SQE) SetFlags(flags uint8) { s.Flags = flags }

// SetBufGroup makes the request pick its buffer from provided-buffer group
// bgid (a BufRing or PrepProvideBuffers) and sets SQEBufferSelect.
// SetBufGroup corresponds to io_uring_sqe_set_buf_group (liburing sets only
// buf_group; this also sets the flag the kernel needs with it).
func (s *SQE) SetBufGroup(bgid uint16) {
	s.BufIndex = bgid
	s.Flags |= SQEBufferSelect
}
