// Package ring is a small pure-Go binding of Linux io_uring in the style of
// liburing, built on golang.org/x/sys/unix. Every exported function names
// the liburing function it corresponds to, so the liburing man pages
// (io_uring_get_sqe(3), io_uring_prep_recv(3), ...) document it.
//
// A round trip:
//
//	r, err := ring.New(256, &ring.Params{Flags: ring.SetupCoopTaskrun})
//	...
//	sqe := r.GetSQE()          // nil when the SQ is full: Submit and retry
//	sqe.PrepRecv(fd, buf, 0)   // buf must outlive the request (see below)
//	sqe.SetData64(slot)        // slot index + generation, never a pointer
//	r.Submit()
//	cqe, err := r.WaitCQE()
//	n, ud := cqe.Res, cqe.UserData
//	r.CQESeen(cqe)             // after this the kernel may overwrite *cqe
//
// # Memory handed to the kernel
//
// Prep methods store the address of buffers, socket addresses, length
// words, msghdrs, iovecs and timespecs in the SQE. The kernel may read or
// write that memory until the request's last CQE is posted, which can be
// long after a cancel was submitted. The caller must keep all of it
// reachable and unmoved until then: heap-allocated (the prep methods force
// escape, so a local new(T) is moved to the heap) and referenced from
// something that outlives the request, such as an op table keyed by
// user_data. Reusing or freeing it earlier lets the kernel scribble over
// live Go memory.
//
// # Concurrency
//
// A Ring is not safe for concurrent use of its SQ side (GetSQE, Prep*,
// Submit, SubmitAndWait) by several goroutines: callers serialize
// GetSQE..Submit with their own lock. The same holds for the CQ side
// (PeekCQE, PeekBatchCQE, WaitCQE, CQAdvance, CQESeen). One goroutine may
// drive the SQ side while another drives the CQ side. With
// SetupSingleIssuer (and SetupDeferTaskrun) the kernel additionally demands
// that New and every submission (and, with DEFER_TASKRUN, every wait) run on
// one OS thread: use runtime.LockOSThread.
//
// Ordering: the SQ and CQ heads and tails live in memory shared with the
// kernel; kernel-written words are read with sync/atomic loads and our own
// are published with sync/atomic stores (at least acquire/release).
//
// On platforms other than Linux, New returns errors.ErrUnsupported.
package ring
