package ring

import (
	"errors"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// CQE mirrors struct io_uring_cqe (16 bytes; CQE32 rings are not supported).
type CQE struct {
	UserData uint64 // the SQE's UserData
	Res      int32  // the result, or -errno
	Flags    uint32 // CQEF* flags; with CQEFBuffer the buffer id in the top 16 bits
}

var _ [0]struct{} = [unsafe.Sizeof(CQE{}) - 16]struct{}{}

// BufferID returns the provided buffer the kernel used; valid only if
// Flags has CQEFBuffer. It is liburing's cqe->flags >> IORING_CQE_BUFFER_SHIFT.
func (c *CQE) BufferID() uint16 { return uint16(c.Flags >> CQEBufferShift) }

// A *CQE returned by PeekCQE, PeekBatchCQE or WaitCQE points into the
// shared ring: read it, then release it with CQESeen or CQAdvance, after
// which the kernel may overwrite it.

// CQReady returns how many CQEs are ready to be reaped.
// CQReady corresponds to io_uring_cq_ready.
func (r *Ring) CQReady() uint32 {
	return atomic.LoadUint32(r.cq.ktail) - *r.cq.khead
}

// CQWaiting reports whether CQEs wait to be reaped. Unlike CQReady it
// loads the head atomically too, so a goroutine other than the reaper may
// ask.
func (r *Ring) CQWaiting() bool {
	return atomic.LoadUint32(r.cq.ktail) != atomic.LoadUint32(r.cq.khead)
}

// PeekCQE returns the next CQE without waiting, or (nil, unix.EAGAIN). If
// the ring is empty but completions wait in the kernel (overflow list,
// task work), it enters the kernel once to flush them.
// PeekCQE corresponds to io_uring_peek_cqe.
func (r *Ring) PeekCQE() (*CQE, error) {
	if c := r.peek(); c != nil {
		return c, nil
	}
	if !r.cqNeedsEnter() {
		return nil, unix.EAGAIN
	}
	if _, err := r.Enter(0, 0, EnterGetEvents); err != nil {
		return nil, err
	}
	if c := r.peek(); c != nil {
		return c, nil
	}
	return nil, unix.EAGAIN
}

func (r *Ring) peek() *CQE {
	q := &r.cq
	head := *q.khead // written only by us
	if atomic.LoadUint32(q.ktail) == head {
		return nil
	}
	return &q.cqes[head&q.mask]
}

// WaitCQE returns the next CQE, waiting for one if none is ready.
// WaitCQE corresponds to io_uring_wait_cqe.
func (r *Ring) WaitCQE() (*CQE, error) {
	for {
		c, err := r.PeekCQE()
		if err != unix.EAGAIN {
			return c, err
		}
		if _, err := r.Enter(0, 1, EnterGetEvents); err != nil {
			return nil, err
		}
	}
}

// WaitCQETimeout is WaitCQE giving up after ts (relative) with
// (nil, unix.ETIME). A signal restarts the wait. It needs FeatExtArg
// (Linux 5.11). WaitCQETimeout corresponds to io_uring_wait_cqe_timeout.
func (r *Ring) WaitCQETimeout(ts *unix.Timespec) (*CQE, error) {
	if !timespecOK {
		panic("ring: unix.Timespec is not struct __kernel_timespec on this platform")
	}
	arg := &getEventsArg{SigmaskSz: 8, Ts: kaddr(uintptr(unsafe.Pointer(ts)))}
	for {
		c, err := r.PeekCQE()
		if err != unix.EAGAIN {
			return c, err
		}
		_, err = r.enter(0, 1, EnterGetEvents, arg)
		if errors.Is(err, unix.ETIME) {
			if c := r.peek(); c != nil {
				return c, nil
			}
			return nil, unix.ETIME
		}
		if err != nil {
			return nil, err
		}
	}
}

// PeekBatchCQE fills cqes with up to len(cqes) ready CQEs and returns how
// many; it never waits. If none is ready but some wait in the kernel it
// flushes them first. Release them with CQAdvance(n).
// PeekBatchCQE corresponds to io_uring_peek_batch_cqe.
func (r *Ring) PeekBatchCQE(cqes []*CQE) int {
	n := r.fillBatch(cqes)
	if n == 0 && len(cqes) > 0 && r.cqNeedsEnter() {
		if _, err := r.Enter(0, 0, EnterGetEvents); err == nil {
			n = r.fillBatch(cqes)
		}
	}
	return n
}

func (r *Ring) fillBatch(cqes []*CQE) int {
	q := &r.cq
	head := *q.khead
	n := min(int(atomic.LoadUint32(q.ktail)-head), len(cqes))
	for i := range n {
		cqes[i] = &q.cqes[(head+uint32(i))&q.mask]
	}
	return n
}

// CQAdvance releases n reaped CQEs to the kernel (a release store of the
// CQ head). CQAdvance corresponds to io_uring_cq_advance.
func (r *Ring) CQAdvance(n uint32) {
	if n > 0 {
		atomic.StoreUint32(r.cq.khead, *r.cq.khead+n)
	}
}

// CQESeen releases one CQE, the oldest; c is only for symmetry with liburing.
// CQESeen corresponds to io_uring_cqe_seen.
func (r *Ring) CQESeen(c *CQE) {
	if c != nil {
		r.CQAdvance(1)
	}
}

// SQFlags returns the SQ ring flags (SQNeedWakeup, SQCQOverflow, SQTaskrun),
// loaded atomically. liburing reads them as *ring->sq.kflags.
func (r *Ring) SQFlags() uint32 { return atomic.LoadUint32(r.sq.kflags) }

// CQOverflowPending reports IORING_SQ_CQ_OVERFLOW: completions did not fit
// in the CQ and wait in the kernel; reap, then Enter(0, 0, EnterGetEvents)
// (or PeekCQE on an empty ring) brings them in. It is liburing's
// io_uring_cq_has_overflow.
func (r *Ring) CQOverflowPending() bool { return r.SQFlags()&SQCQOverflow != 0 }

// SQNeedsFlush reports whether completions wait in the kernel, in its
// overflow list (SQCQOverflow) or as task work (SQTaskrun, with
// SetupTaskrunFlag): the next io_uring_enter should carry EnterGetEvents.
// It is liburing's internal cq_ring_needs_flush.
func (r *Ring) SQNeedsFlush() bool { return r.SQFlags()&(SQCQOverflow|SQTaskrun) != 0 }

// CQOverflow returns the kernel's CQ overflow counter (the cq ring's
// overflow field). With FeatNoDrop (every kernel since 5.5) it counts only
// CQEs the kernel dropped because it could not even queue them in its
// overflow list; an ordinary overflow leaves it at 0 and shows in
// CQOverflowPending instead. liburing reads it as *ring->cq.koverflow.
func (r *Ring) CQOverflow() uint32 { return atomic.LoadUint32(r.cq.koverflow) }
