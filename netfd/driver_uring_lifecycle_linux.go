package netfd

import (
	"fmt"
	"sync/atomic"

	"github.com/ringnet/ringnet/ring"
	"golang.org/x/sys/unix"
)

// A uop is an op slot of the io_uring driver: one direction of a netFD, or
// a listener's multishot accept. One op at a time is in flight on it. It
// keeps everything the kernel may touch (buffer, socket address) reachable
// until the op's final CQE, also after a cancel: the netFD is not closed,
// and the slot not freed, before that CQE.
//
// An op's life, tokio-uring's Lifecycle for ops whose submitter always
// waits for them, is one atomic word (life): the state in the top bits and
// the op's user_data (generation + slot) below, so that a transition names
// the op it applies to.
//
//	opIdle       nothing in flight; start may begin an op
//	opSubmitted  an SQE with the op's user_data is in the SQ or the kernel
//	opCancelled  submitted, and a cancel for it was sent; its CQE (the
//	             result, or -ECANCELED) is still due
//	opCompleted  the final CQE arrived: res and flags hold it and done was
//	             signalled; the submitter has not taken it yet
//
//	idle ──start──▶ submitted ──cancel──▶ cancelled
//	submitted, cancelled ──final CQE──▶ completed ──await──▶ idle
//
// A multishot op's CQEs that carry CQEFMore leave the state alone; its
// final CQE goes straight back to idle, as nobody awaits it. There is no
// Ignored state: a goroutine never abandons its op (Close and deadlines
// cancel it and the goroutine still waits for the CQE).
//
// Every CQE the ring posts is accounted for: an op's CQE finds the op
// submitted or cancelled under the same user_data, and a cancel's own CQE
// (user_data cancelUD) is counted in uring.cancels. Anything else means
// the bookkeeping is broken, and complete panics rather than drop a
// completion a goroutine may be waiting for.
type uop struct {
	slot      uint32
	life      atomic.Uint64 // state and user_data: see above
	res       int32         // the final CQE's result and flags, written before done
	flags     uint32
	done      chan struct{} // cap 1: the final CQE arrived
	buf       []byte
	sa        unix.RawSockaddrAny
	multishot func(res int32, flags uint32, more bool) // set for multishot ops; runs on the reaper
}

// opState is the top two bits of uop.life.
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

// cancelUD is the user_data of every cancel SQE: no op's user_data, which
// always has its top bits clear.
const cancelUD = ^uint64(0)

// register gives o a slot in the op table for the netFD's lifetime.
func (d *uring) register(o *uop) {
	o.slot = d.ops.alloc()
	o.done = make(chan struct{}, 1)
	d.ops.set(o.slot, o)
}

// start moves o from idle to submitted under a fresh user_data (slot +
// generation, so that a CQE of an earlier op on the slot is recognized)
// and returns the SQE to prepare, with sqmu held: call commit.
func (d *uring) start(o *uop) *ring.SQE {
	ud := uint64(d.gen.Add(1)&genMask30|1)<<32 | uint64(o.slot) // never 0
	if old := o.life.Load(); lifeState(old) != opIdle || !o.life.CompareAndSwap(old, lifeOf(opSubmitted, ud)) {
		panic(fmt.Sprintf("netfd: io_uring op started on a slot that is %v", lifeState(old)))
	}
	sqe := d.getSQE()
	sqe.SetData64(ud)
	return sqe
}

// cancel moves o's op, if it is submitted, to cancelled and asks the kernel
// to cancel it. An op already cancelled, completed or idle needs nothing.
// Any goroutine may call it.
func (d *uring) cancel(o *uop) {
	for {
		l := o.life.Load()
		if lifeState(l) != opSubmitted {
			return
		}
		if o.life.CompareAndSwap(l, lifeOf(opCancelled, lifeUD(l))) {
			d.cancels.Add(1) // before its CQE can arrive
			sqe := d.getSQE()
			sqe.PrepCancel64(lifeUD(l), 0)
			sqe.SetData64(cancelUD)
			d.commit()
			return
		}
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
		if more {
			o.inFlight(o.life.Load(), ud, res)
		} else {
			o.finish(ud, res, 0) // idle: nobody awaits a multishot op
		}
		o.multishot(res, flags, more)
		return
	}
	o.finish(ud, res, lifeOf(opCompleted, ud))
	o.res, o.flags = res, flags // read by await after done
	o.done <- struct{}{}
}

// finish moves o from the op ud, submitted or cancelled, to life next.
func (o *uop) finish(ud uint64, res int32, next uint64) {
	for {
		l := o.life.Load()
		o.inFlight(l, ud, res)
		if o.life.CompareAndSwap(l, next) {
			return
		}
	}
}

// inFlight panics unless life l is the op ud, submitted or cancelled: a
// CQE that matches no op.
func (o *uop) inFlight(l, ud uint64, res int32) {
	if s := lifeState(l); lifeUD(l) != ud || (s != opSubmitted && s != opCancelled) {
		panic(fmt.Sprintf("netfd: io_uring: CQE (user_data %#x, res %d) matches no op: its slot holds %#x, %v", ud, res, lifeUD(l), s))
	}
}
