package ring

import (
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// flushSQ publishes the SQEs handed out since the last flush by moving the
// kernel-visible tail (a release store) and returns how many SQEs the
// kernel has not consumed yet. It corresponds to liburing's __io_uring_flush_sq.
func (r *Ring) flushSQ() uint32 {
	q := &r.sq
	if q.sqeHead != q.sqeTail {
		q.sqeHead = q.sqeTail
		atomic.StoreUint32(q.ktail, q.sqeTail)
	}
	return q.sqeTail - atomic.LoadUint32(q.khead)
}

// sqNeedsEnter reports whether submitting n SQEs needs io_uring_enter and
// with which flags. With SQPOLL the kernel thread picks them up by itself
// unless it went to sleep. The atomic store in flushSQ orders the tail
// before this flags load (liburing needs a full barrier here).
func (r *Ring) sqNeedsEnter(n uint32) (bool, uint32) {
	if n == 0 {
		return false, 0
	}
	if r.flags&SetupSQPoll == 0 {
		return true, 0
	}
	if atomic.LoadUint32(r.sq.kflags)&SQNeedWakeup != 0 {
		return true, EnterSQWakeup
	}
	return false, 0
}

// cqNeedsEnter reports whether completions wait in the kernel: in its
// overflow list or as task work (SetupTaskrunFlag), or IOPOLL needs reaping.
func (r *Ring) cqNeedsEnter() bool {
	return r.flags&SetupIOPoll != 0 || atomic.LoadUint32(r.sq.kflags)&(SQCQOverflow|SQTaskrun) != 0
}

// Submit hands the queued SQEs to the kernel and returns how many it took.
// It calls io_uring_enter only when needed: not with SQPOLL unless the
// poller sleeps, and with EnterGetEvents when completions wait to be
// flushed. Submit corresponds to io_uring_submit.
func (r *Ring) Submit() (int, error) { return r.submit(0) }

// SubmitAndWait is Submit that also waits until at least waitNr CQEs are
// ready. A signal may end the wait early; check CQReady.
// SubmitAndWait corresponds to io_uring_submit_and_wait.
func (r *Ring) SubmitAndWait(waitNr uint32) (int, error) { return r.submit(waitNr) }

func (r *Ring) submit(waitNr uint32) (int, error) {
	n := r.flushSQ()
	enter, flags := r.sqNeedsEnter(n)
	if waitNr > 0 || r.cqNeedsEnter() {
		enter, flags = true, flags|EnterGetEvents
	}
	if !enter {
		return int(n), nil
	}
	return r.Enter(n, waitNr, flags)
}

// Enter is the io_uring_enter(2) system call on this ring: submit up to
// toSubmit SQEs and, with EnterGetEvents, wait for minComplete CQEs. It
// retries on EINTR and returns the number of SQEs the kernel consumed.
// Enter corresponds to io_uring_enter.
func (r *Ring) Enter(toSubmit, minComplete, flags uint32) (int, error) {
	return r.enter(toSubmit, minComplete, flags, nil)
}

// EnterTimeout is Enter whose wait for minComplete CQEs ends after ts
// (relative) at the latest, with an error matching unix.ETIME; the SQEs
// it took count anyway. It needs FeatExtArg (Linux 5.11). EnterTimeout
// corresponds to io_uring_enter with IORING_ENTER_EXT_ARG, the call of
// io_uring_submit_and_wait_timeout.
func (r *Ring) EnterTimeout(toSubmit, minComplete, flags uint32, ts *unix.Timespec) (int, error) {
	if !timespecOK {
		panic("ring: unix.Timespec is not struct __kernel_timespec on this platform")
	}
	return r.enter(toSubmit, minComplete, flags, &getEventsArg{SigmaskSz: 8, Ts: kaddr(uintptr(unsafe.Pointer(ts)))})
}

// getEventsArg mirrors struct io_uring_getevents_arg.
type getEventsArg struct {
	Sigmask   uint64
	SigmaskSz uint32
	_         uint32
	Ts        uint64
}

func (r *Ring) enter(toSubmit, minComplete, flags uint32, arg *getEventsArg) (int, error) {
	var p unsafe.Pointer
	var size uintptr
	if arg != nil {
		p, size, flags = unsafe.Pointer(arg), unsafe.Sizeof(*arg), flags|EnterExtArg
	}
	for {
		n, err := sysEnter(r.enterFd, toSubmit, minComplete, flags|r.enterFlags, p, size)
		if err == unix.EINTR {
			continue // the kernel returns EINTR only if it consumed no SQE
		}
		if err != nil {
			return 0, os.NewSyscallError("io_uring_enter", err)
		}
		return n, nil
	}
}

// FlushSQ publishes the SQEs handed out by GetSQE so far, without entering
// the kernel, and returns how many SQEs the kernel has not consumed yet.
// A caller that lets one goroutine call Enter for SQEs that several others
// queued publishes with FlushSQ under its SQ lock and enters outside it.
// FlushSQ corresponds to liburing's internal __io_uring_flush_sq.
func (r *Ring) FlushSQ() uint32 { return r.flushSQ() }

// CQNeedsEnter reports whether completions wait inside the kernel (its
// overflow list, or task work with SetupTaskrunFlag) so that an Enter with
// EnterGetEvents is needed to see them. It corresponds to liburing's
// internal cq_ring_needs_enter.
func (r *Ring) CQNeedsEnter() bool { return r.cqNeedsEnter() }
