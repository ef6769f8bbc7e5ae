package netfd

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/ringnet/ringnet/ring"
	"golang.org/x/sys/unix"
)

// The io_uring driver: every blocking operation is one SQE, filled by the
// op's prep form (op_linux.go); the goroutine that submitted it waits on its
// uop until its CQE is delivered (uring.do in driver_uring_ops_linux.go; the
// op's states in uring_lifecycle_linux.go).
//
// Submission: a goroutine fills an SQE under sqmu and publishes it
// (FlushSQ), then calls flush, in which at most one goroutine at a time runs
// io_uring_enter for every SQE published so far; SQEs published while that
// enter runs ride along with the next round. Many goroutines, few enters.
//
// Completion: an eventfd registered with the ring becomes readable when
// CQEs are posted; the reaper is an ordinary goroutine that waits for it
// through the Go runtime's netpoller (no OS thread blocked in
// io_uring_enter), drains the CQ in batches and wakes each op's goroutine.
// The goroutine that just ran io_uring_enter also drains the CQ, so ops that
// completed inside that enter (sends, mostly) need no wake-up at all.
//
// Reads (driver_uring_ops_linux.go): a recv polls first when the kernel
// said the socket was left empty, and is a plain read(2) when it said data
// is still queued.
//
// docs/design.md has the measurements behind both choices.
type uringDriver struct {
	ring *uring
}

// A uring is one ring with its submission queue and reaper. One ring
// serves the whole process: a ring per P was measured and dropped
// (batches shrink; docs/design.md), and export_test.go keeps it as a test
// backend.
type uring struct {
	r *ring.Ring

	sqmu    sync.Mutex   // guards the SQ side of r
	queued  atomic.Int64 // > 0: SQEs were published since the last flush looked
	flushMu atomic.Bool  // held by the goroutine running io_uring_enter

	ops slotTable[uop] // in-flight operations by the slot in user_data
	gen atomic.Uint32

	// cancels counts the cancel SQEs whose CQE has not arrived: the only
	// CQEs that belong to no op (uring_lifecycle_linux.go).
	cancels atomic.Int64

	efd  *os.File   // the eventfd registered with r, as the runtime poller sees it
	cqmu sync.Mutex // guards the CQ side of r and cqes
	cqes []*ring.CQE

	overflows atomic.Int64 // times CQEs were found in the kernel's overflow list; for tests
}

// uringEntries is the SQ size; the CQ is larger because every connection can
// have a read and a write in flight, and the kernel keeps overflowing CQEs
// in a list we flush (see reap).
const (
	uringEntries   = 4096
	uringCQEntries = 65536
)

// uringFlags are the setup flags; COOP_TASKRUN is measured in docs/design.md.
// Not TASKRUN_FLAG: it reports task work pending on any submitting thread,
// which only that thread can run, so a reaper that entered the kernel on it
// would spin (measured: 30 io_uring_enter per round trip).
var uringFlags uint32 = ring.SetupCQSize | ring.SetupSubmitAll | ring.SetupCoopTaskrun

// The ops the driver needs; Auto falls back to epoll if one is missing.
var uringOps = []struct {
	op   uint8
	name string
}{
	{ring.OpRecv, "recv"}, {ring.OpSend, "send"}, {ring.OpAccept, "accept"},
	{ring.OpConnect, "connect"}, {ring.OpAsyncCancel, "async_cancel"},
	{ring.OpPollAdd, "poll_add"},
}

var defaultUring = sync.OnceValues(func() (*uringDriver, error) {
	return newUringDriver(uringFlags, uringEntries, uringCQEntries)
})

func newUringDriver(flags, sqEntries, cqEntries uint32) (*uringDriver, error) {
	u, err := newUring(flags, sqEntries, cqEntries)
	if err != nil {
		return nil, err
	}
	return &uringDriver{ring: u}, nil
}

// errUringSetup explains why io_uring cannot be used here.
type errUringSetup struct {
	reason string
	err    error
}

func (e *errUringSetup) Error() string {
	return fmt.Sprintf("%v: %s", ErrUringUnavailable, e.reason)
}
func (e *errUringSetup) Unwrap() []error { return []error{ErrUringUnavailable, e.err} }

// fallback reports whether err means "this machine has no usable io_uring"
// (so Auto may use epoll) rather than a real failure.
func (e *errUringSetup) fallback() bool {
	return errors.Is(e.err, unix.ENOSYS) || errors.Is(e.err, unix.EPERM) ||
		errors.Is(e.err, unix.EINVAL) || errors.Is(e.err, errMissingOp) ||
		errors.Is(e.err, unix.EACCES)
}

var errMissingOp = errors.New("missing io_uring op")

func newUring(flags, sqEntries, cqEntries uint32) (*uring, error) {
	r, err := ring.New(sqEntries, &ring.Params{Flags: flags, CQEntries: cqEntries})
	if err != nil {
		return nil, &errUringSetup{reason: setupReason(err), err: err}
	}
	if err := probeOps(r); err != nil {
		r.Close()
		return nil, err
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		r.Close()
		return nil, os.NewSyscallError("eventfd", err)
	}
	if err := r.RegisterEventFD(efd); err != nil {
		unix.Close(efd)
		r.Close()
		return nil, err
	}
	d := &uring{r: r, efd: os.NewFile(uintptr(efd), "io_uring-eventfd"), cqes: make([]*ring.CQE, 256)}
	rc, err := d.efd.SyscallConn()
	if err != nil {
		d.efd.Close()
		r.Close()
		return nil, err
	}
	go d.reap(rc)
	return d, nil
}

func setupReason(err error) string {
	switch {
	case errors.Is(err, unix.ENOSYS):
		return "io_uring_setup: ENOSYS (kernel without io_uring)"
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		if b, rerr := os.ReadFile("/proc/sys/kernel/io_uring_disabled"); rerr == nil && strings.TrimSpace(string(b)) != "0" {
			return "io_uring_setup: EPERM (kernel.io_uring_disabled=" + strings.TrimSpace(string(b)) + ")"
		}
		return "io_uring_setup: EPERM (blocked, e.g. by a seccomp profile)"
	case errors.Is(err, unix.EINVAL):
		return "io_uring_setup: EINVAL (kernel too old for the setup flags)"
	}
	return err.Error()
}

func probeOps(r *ring.Ring) error {
	p, err := r.Probe()
	if err != nil {
		return &errUringSetup{reason: "probe: " + err.Error(), err: err}
	}
	for _, op := range uringOps {
		if !p.OpSupported(op.op) {
			return &errUringSetup{reason: "kernel lacks IORING_OP_" + strings.ToUpper(op.name), err: errMissingOp}
		}
	}
	return nil
}

// getSQE returns an SQE with sqmu held; commit releases it. When the SQ is
// full, the queued SQEs are entered first.
func (d *uring) getSQE() *ring.SQE {
	d.sqmu.Lock()
	for {
		if sqe := d.r.GetSQE(); sqe != nil {
			return sqe
		}
		d.r.Enter(d.r.FlushSQ(), 0, 0)
	}
}

// commit publishes the SQE from getSQE and makes sure it is entered.
// (Every submitter entering the kernel itself was measured and dropped:
// docs/design.md.)
func (d *uring) commit() {
	d.r.FlushSQ()
	d.queued.Add(1)
	d.sqmu.Unlock()
	d.flush()
}

// flush enters every published SQE. Only one goroutine enters at a time;
// one that finds another entering leaves, and the enterer loops until
// nothing is left, so no SQE is stranded. queued only says "someone
// published since the last look"; how many SQEs wait is read from the ring.
func (d *uring) flush() {
	for d.queued.Load() > 0 && d.flushMu.CompareAndSwap(false, true) {
		d.queued.Store(0)
		d.sqmu.Lock()
		n := d.r.FlushSQ() // published and not yet consumed by the kernel
		d.sqmu.Unlock()
		var got int
		var err error
		if n > 0 || d.r.CQOverflowPending() {
			var flags uint32
			if d.r.CQOverflowPending() {
				flags = ring.EnterGetEvents
				d.overflows.Add(1)
			}
			got, err = d.r.Enter(n, 0, flags)
		}
		if err == nil && got > 0 && uint32(got) < n {
			d.queued.Add(1) // the kernel took part of them: go round again
		}
		d.flushMu.Store(false)
		// Sends usually complete inside the enter: hand those CQEs out now
		// rather than through the eventfd, the reaper and a goroutine hop.
		if d.cqmu.TryLock() {
			d.drain()
			d.cqmu.Unlock()
		}
		if err != nil {
			d.queued.Add(1) // e.g. EBUSY: leave them to the next submitter or the reaper
			return
		}
	}
}

// drain hands every CQE in the CQ to its op; cqmu held.
func (d *uring) drain() {
	for {
		n := d.r.PeekBatchCQE(d.cqes)
		for _, c := range d.cqes[:n] {
			d.complete(c.UserData, c.Res, c.Flags)
		}
		d.r.CQAdvance(uint32(n))
		if n < len(d.cqes) {
			return
		}
	}
}

// reap waits for the eventfd through the runtime poller and drains the CQ.
func (d *uring) reap(rc syscall.RawConn) {
	for {
		rc.Read(func(efd uintptr) bool {
			var buf [8]byte
			unix.Read(int(efd), buf[:]) // reset the count before reaping: a later CQE makes it readable again
			d.cqmu.Lock()
			defer d.cqmu.Unlock()
			for {
				d.drain()
				if !d.r.CQOverflowPending() {
					d.flush() // SQEs a failed enter left behind
					return false
				}
				d.overflows.Add(1)
				d.r.Enter(0, 0, ring.EnterGetEvents) // flush the kernel's overflow list
			}
		})
	}
}
