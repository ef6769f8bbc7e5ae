package netfd

import (
	"fmt"
	"sync/atomic"

	"github.com/ringnet/ringnet/ring"
	"golang.org/x/sys/unix"
)

// The life of an io_uring op, described once for its two users: the
// blocking driver's op slots (uop, below) and the loops' connections
// (loopOp, loop_uring_linux.go).
//
// An op's life, tokio-uring's Lifecycle for ops whose submitter always
// waits for them, is one atomic word (opLife): the state in the top bits
// and the op's user_data below, so that a transition names the op it
// applies to. A user_data is opUD(gen, slot): a generation that never
// repeats soon, so that a CQE of an earlier op on the slot is recognized,
// and the slot the op is found by.
//
//	opIdle       nothing in flight; start may begin an op
//	opSubmitted  an SQE with the op's user_data is in the SQ or the kernel
//	opCancelled  submitted, and a cancel for it was sent; its CQE (the
//	             result, or -ECANCELED) is still due
//	opCompleted  the final CQE arrived and waits for its submitter (the
//	             driver's ops, whose goroutine takes it in await)
//
//	idle ──start──▶ submitted ──cancel──▶ cancelled
//	submitted, cancelled ──final CQE──▶ completed ──await──▶ idle
//	submitted, cancelled ──final CQE──▶ idle (a loop's op; a multishot op)
//
// A multishot op's CQEs that carry CQEFMore leave the state alone. There
// is no Ignored state: an op is never abandoned (Close and deadlines
// cancel it and its owner still waits for the CQE).
//
// Every CQE a ring posts is accounted for: an op's CQE finds the op
// submitted or cancelled under the same user_data, and a cancel's own CQE
// (user_data cancelUD) is expected. Anything else means the bookkeeping
// is broken, and the ring's owner panics rather than drop a completion.
type opLife struct{ atomic.Uint64 }

// opState is the top two bits of an opLife.
type opState uint64

const (
	opIdle opState = iota
	opSubmitted
	opCancelled
	opCompleted
)

var opStateNames = [...]string{"idle", "submitted", "cancelled", "completed"}

func (s opState) String() string { return opStateNames[s] }

const (
	lifeShift = 62
	udMask    = 1<<lifeShift - 1 // the user_data bits of life
	genMask30 = 1<<(lifeShift-32) - 1
)

func lifeOf(s opState, ud uint64) uint64 { return uint64(s)<<lifeShift | ud }
func lifeState(l uint64) opState         { return opState(l >> lifeShift) }
func lifeUD(l uint64) uint64             { return l & udMask }

// opUD is the user_data of an op on slot, of generation gen: never 0, and
// its top bits clear, unlike cancelUD and the loops' wakeUD.
func opUD(gen, slot uint32) uint64 { return uint64(gen&genMask30|1)<<32 | uint64(slot) }

// cancelUD is the user_data of every cancel SQE: no op's user_data, which
// always has its top bits clear.
const cancelUD = ^uint64(0)

func (o *opLife) state() opState { return lifeState(o.Load()) }

// start moves o from idle to submitted as the op ud.
func (o *opLife) start(ud uint64) {
	if old := o.Load(); lifeState(old) != opIdle || !o.CompareAndSwap(old, lifeOf(opSubmitted, ud)) {
		panic(fmt.Sprintf("netfd: io_uring op started on a slot that is %v", lifeState(old)))
	}
}

// cancel moves o, if it is submitted, to cancelled and returns the
// user_data to cancel; false if the op is cancelled, completed or idle
// already. Any goroutine may call it.
func (o *opLife) cancel() (ud uint64, ok bool) {
	for {
		l := o.Load()
		if lifeState(l) != opSubmitted {
			return 0, false
		}
		if o.CompareAndSwap(l, lifeOf(opCancelled, lifeUD(l))) {
			return lifeUD(l), true
		}
	}
}

// complete takes a CQE of the op ud, which must be o's and submitted or
// cancelled: a CQE that matches no op panics. A final CQE moves o to
// next.
func (o *opLife) complete(ud uint64, res int32, final bool, next opState) {
	for {
		l := o.Load()
		if s := lifeState(l); lifeUD(l) != ud || (s != opSubmitted && s != opCancelled) {
			panic(fmt.Sprintf("netfd: io_uring: CQE (user_data %#x, res %d) matches no op: its slot holds %#x, %v", ud, res, lifeUD(l), s))
		}
		if !final {
			return
		}
		nl := lifeOf(next, ud)
		if next == opIdle {
			nl = 0
		}
		if o.CompareAndSwap(l, nl) {
			return
		}
	}
}

// A uop is an op slot of the io_uring driver: one direction of a netFD, or
// a listener's multishot accept. One op at a time is in flight on it. It
// keeps everything the kernel may touch (buffer, socket address) reachable
// until the op's final CQE, also after a cancel: the netFD is not closed,
// and the slot not freed, before that CQE.
type uop struct {
	slot      uint32
	life      opLife // the op in flight: see above
	res       int32  // the final CQE's result and flags, written before done
	flags     uint32
	done      chan struct{} // cap 1: the final CQE arrived
	buf       []byte
	sa        unix.RawSockaddrAny
	multishot func(res int32, flags uint32, more bool) // set for multishot ops; runs on the reaper
}

// register gives o a slot in the op table for the netFD's lifetime.
func (d *uring) register(o *uop) {
	o.slot = d.ops.alloc()
	o.done = make(chan struct{}, 1)
	d.ops.set(o.slot, o)
}

// start moves o from idle to submitted under a fresh user_data and
// returns the SQE to prepare, with sqmu held: call commit.
func (d *uring) start(o *uop) *ring.SQE {
	ud := opUD(d.gen.Add(1), o.slot)
	o.life.start(ud)
	sqe := d.getSQE()
	sqe.SetData64(ud)
	return sqe
}

// cancel moves o's op, if it is submitted, to cancelled and asks the kernel
// to cancel it. An op already cancelled, completed or idle needs nothing.
// Any goroutine may call it.
func (d *uring) cancel(o *uop) {
	if ud, ok := o.life.cancel(); ok {
		d.cancels.Add(1) // before its CQE can arrive
		sqe := d.getSQE()
		sqe.PrepCancel64(ud, 0)
		sqe.SetData64(cancelUD)
		d.commit()
	}
}

// await waits for the final CQE of o, which was just committed, takes it
// and leaves o idle. A close or deadline that arrived before the op was
// submitted is caught here: the waker saw no op in flight, so cancel it
// ourselves.
func (d *uring) await(fd *netFD, o *uop, dl *deadline) (res int32, flags uint32) {
	if interrupted(fd, dl) != nil {
		d.cancel(o)
	}
	<-o.done
	res, flags = o.res, o.flags
	if l := o.life.Load(); lifeState(l) != opCompleted || !o.life.CompareAndSwap(l, 0) {
		panic(fmt.Sprintf("netfd: io_uring op woken while %v", lifeState(l)))
	}
	return res, flags
}

// complete hands one CQE to its op; the reaper, or a submitter that just
// entered the kernel, calls it with cqmu held.
func (d *uring) complete(ud uint64, res int32, flags uint32) {
	if ud == cancelUD {
		if d.cancels.Add(-1) < 0 {
			panic("netfd: io_uring: the CQE of a cancel that was never sent")
		}
		return
	}
	o := d.ops.get(uint32(ud))
	if o == nil {
		panic(fmt.Sprintf("netfd: io_uring: CQE (user_data %#x, res %d) for a free op slot", ud, res))
	}
	if o.multishot != nil {
		more := flags&ring.CQEFMore != 0
		o.life.complete(ud, res, !more, opIdle) // nobody awaits a multishot op
		o.multishot(res, flags, more)
		return
	}
	o.life.complete(ud, res, true, opCompleted)
	o.res, o.flags = res, flags // read by await after done
	o.done <- struct{}{}
}
