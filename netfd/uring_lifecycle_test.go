//go:build linux

package netfd

import (
	"strings"
	"testing"

	"github.com/ringnet/ringnet/ring"
	"golang.org/x/sys/unix"
)

// TestUopLifecycle walks one op through its states by hand (no ring: only
// complete's bookkeeping is under test) and checks that every CQE that
// matches no op panics instead of being dropped.
func TestUopLifecycle(t *testing.T) {
	d := &uring{}
	var o, multi uop
	d.register(&o)
	d.register(&multi)
	var shots []bool
	multi.multishot = func(_ int32, _ uint32, more bool) { shots = append(shots, more) }
	ud := func(gen uint64, o *uop) uint64 { return (gen|1)<<32 | uint64(o.slot) }
	const canceled = -int32(unix.ECANCELED)

	mustPanic := func(name, want string, f func()) {
		t.Helper()
		defer func() {
			t.Helper()
			r := recover()
			if r == nil {
				t.Fatalf("%s: no panic", name)
			}
			if s, _ := r.(string); !strings.Contains(s, want) {
				t.Fatalf("%s: panic %q, want it to say %q", name, r, want)
			}
		}()
		f()
	}

	mustPanic("cancel never sent", "never sent", func() { d.complete(cancelUD, 0, 0) })
	d.cancels.Store(0)
	mustPanic("free slot", "free op slot", func() { d.complete(ud(1, &o)+1000, 0, 0) })
	mustPanic("idle op", "matches no op", func() { d.complete(ud(1, &o), 0, 0) })

	// submitted → cancelled → completed → (await) idle
	o.life.Store(lifeOf(opSubmitted, ud(3, &o)))
	mustPanic("older generation", "matches no op", func() { d.complete(ud(1, &o), 0, 0) })
	o.life.Store(lifeOf(opCancelled, ud(3, &o)))
	d.cancels.Store(1)
	d.complete(cancelUD, 0, 0) // the cancel's own CQE is accounted for
	d.complete(ud(3, &o), canceled, 0)
	if s := lifeState(o.life.Load()); s != opCompleted {
		t.Fatalf("after its CQE the op is %v, want completed", s)
	}
	<-o.done
	if o.res != canceled {
		t.Fatalf("res %d, want %d", o.res, canceled)
	}
	mustPanic("second CQE", "matches no op", func() { d.complete(ud(3, &o), 0, 0) })

	// A multishot op stays submitted through CQEs with CQEFMore and is idle
	// after its final one.
	multi.life.Store(lifeOf(opSubmitted, ud(5, &multi)))
	d.complete(ud(5, &multi), 7, ring.CQEFMore)
	d.complete(ud(5, &multi), 8, ring.CQEFMore)
	if s := lifeState(multi.life.Load()); s != opSubmitted {
		t.Fatalf("multishot after two CQEs with MORE: %v, want submitted", s)
	}
	d.complete(ud(5, &multi), canceled, 0)
	if l := multi.life.Load(); l != 0 {
		t.Fatalf("multishot after its final CQE: life %#x, want idle", l)
	}
	if len(shots) != 3 || !shots[0] || !shots[1] || shots[2] {
		t.Fatalf("multishot handler saw more = %v, want [true true false]", shots)
	}
	mustPanic("multishot after final", "matches no op", func() { d.complete(ud(5, &multi), 9, ring.CQEFMore) })
}

// TestLoopOpLifecycle: a loop connection's recv and send are ops of the
// same lifecycle; a CQE for no connection, for an op not in flight or for
// an earlier op of the slot panics in the loop too.
func TestLoopOpLifecycle(t *testing.T) {
	l := &loop{}
	u := &uringLoop{l: l}
	c := &LoopConn{l: l, sysfd: -1}
	c.slot = l.alloc(c)
	mustPanic := func(name, want string, f func()) {
		t.Helper()
		defer func() {
			t.Helper()
			if s, _ := recover().(string); !strings.Contains(s, want) {
				t.Fatalf("%s: panic %q, want it to say %q", name, s, want)
			}
		}()
		f()
	}
	other := &LoopConn{slot: c.slot + 5}
	mustPanic("no connection", "for no connection", func() { u.complete(l.opUD(other, recvDir), 1, 0) })
	mustPanic("idle recv", "matches no op", func() { u.complete(l.opUD(c, recvDir), 1, 0) })

	old := l.opUD(c, recvDir)
	ud := l.opUD(c, recvDir)
	c.recv.start(ud)
	mustPanic("earlier recv", "matches no op", func() { u.complete(old, 1, ring.CQEFMore) })
	c.recv.complete(ud, 1, false, opIdle) // a CQE with MORE: still in flight
	if !c.recvArmed() {
		t.Fatal("a multishot recv is not armed after a CQE with MORE")
	}
	if got, ok := c.recv.cancel(); !ok || got != ud {
		t.Fatalf("cancel: %#x %v, want %#x true", got, ok, ud)
	}
	c.recv.complete(ud, -int32(unix.ECANCELED), true, opIdle)
	if c.recvArmed() || c.recv.Load() != 0 {
		t.Fatalf("recv after its final CQE: %v, want idle", c.recv.state())
	}
	send := l.opUD(c, sendDir)
	mustPanic("send as recv", "matches no op", func() { c.recv.complete(send, 1, true, opIdle) })
}
