package ring

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// queueNops queues n nops with user data first, first+1, ... and submits them.
func queueNops(t *testing.T, r *Ring, first uint64, n int) {
	t.Helper()
	for i := range n {
		sqe := getSQE(t, r)
		sqe.PrepNop()
		sqe.SetData64(first + uint64(i))
	}
	submit(t, r, n)
}

func TestPeekBatchCQE(t *testing.T) {
	r := newRing(t, 32, nil)
	for i := range 32 {
		sqe := getSQE(t, r)
		sqe.PrepNop()
		sqe.SetData64(uint64(1000 + i))
	}
	if n, err := r.SubmitAndWait(32); n != 32 || err != nil {
		t.Fatalf("SubmitAndWait = %d, %v", n, err)
	}
	if r.CQReady() != 32 {
		t.Fatalf("CQReady %d; want 32", r.CQReady())
	}
	batch := make([]*CQE, 10)
	next := uint64(1000)
	for _, want := range []int{10, 10, 10, 2, 0} {
		n := r.PeekBatchCQE(batch)
		if n != want {
			t.Fatalf("PeekBatchCQE = %d; want %d", n, want)
		}
		for _, c := range batch[:n] {
			wantCQE(t, *c, next, 0)
			next++
		}
		r.CQAdvance(uint32(n))
	}
	if r.CQReady() != 0 {
		t.Fatalf("CQReady %d after reaping all", r.CQReady())
	}
}

func TestCQOverflow(t *testing.T) {
	r := newRing(t, 8, nil) // CQ of 16
	if r.CQOverflowPending() || r.SQNeedsFlush() {
		t.Fatal("fresh ring reports overflow")
	}
	for i := range 3 { // 24 completions for 16 CQ slots, nobody reaping
		queueNops(t, r, uint64(8*i), 8)
	}
	if r.CQReady() != 16 {
		t.Fatalf("CQReady %d; want a full CQ of 16", r.CQReady())
	}
	if !r.CQOverflowPending() || !r.SQNeedsFlush() || r.SQFlags()&SQCQOverflow == 0 {
		t.Fatalf("SQ flags %#x; want SQCQOverflow", r.SQFlags())
	}
	if r.CQOverflow() != 0 { // NODROP: queued in the kernel, not dropped
		t.Fatalf("CQOverflow %d; want 0, nothing was dropped", r.CQOverflow())
	}

	seen := make(map[uint64]bool)
	batch := make([]*CQE, 32)
	take := func() int {
		n := r.PeekBatchCQE(batch)
		for _, c := range batch[:n] {
			if c.Res != 0 || seen[c.UserData] {
				t.Fatalf("CQE %+v: bad or seen twice", *c)
			}
			seen[c.UserData] = true
		}
		r.CQAdvance(uint32(n))
		return n
	}
	if n := take(); n != 16 {
		t.Fatalf("first batch %d; want 16", n)
	}
	// The other 8 wait in the kernel until an enter with GETEVENTS.
	if n, err := r.Enter(0, 0, EnterGetEvents); n != 0 || err != nil {
		t.Fatalf("Enter = %d, %v", n, err)
	}
	if n := take(); n != 8 {
		t.Fatalf("after flushing: %d CQEs; want 8", n)
	}
	if len(seen) != 24 || r.CQOverflowPending() {
		t.Fatalf("saw %d of 24 completions, overflow pending %v", len(seen), r.CQOverflowPending())
	}
	nopRoundTrip(t, r) // the ring works normally again
}

func TestCQOverflowPeekFlushes(t *testing.T) {
	r := newRing(t, 2, nil) // CQ of 4
	for i := range 3 {
		queueNops(t, r, uint64(2*i), 2)
	}
	for want := range uint64(6) {
		c, err := r.PeekCQE() // enters the kernel by itself when the CQ is empty
		if err != nil {
			t.Fatalf("PeekCQE %d: %v", want, err)
		}
		wantCQE(t, *c, want, 0)
		r.CQESeen(c)
	}
	if _, err := r.PeekCQE(); err != unix.EAGAIN {
		t.Fatalf("PeekCQE on empty ring: %v; want EAGAIN", err)
	}
}

func TestWaitCQE(t *testing.T) {
	r := newRing(t, 4, nil)
	a, b := socketPair(t)
	if c, err := r.WaitCQETimeout(&unix.Timespec{Nsec: 1e6}); c != nil || err != unix.ETIME {
		t.Fatalf("WaitCQETimeout on an idle ring = %v, %v; want ETIME", c, err)
	}
	if _, err := r.EnterTimeout(0, 1, EnterGetEvents, &unix.Timespec{Nsec: 1e6}); !errors.Is(err, unix.ETIME) {
		t.Fatalf("EnterTimeout on an idle ring: %v; want ETIME", err)
	}
	armRecv(t, r, a, 6)
	submit(t, r, 1)
	writeAll(t, b, []byte("wake"))
	if _, err := r.EnterTimeout(0, 1, EnterGetEvents, &unix.Timespec{Sec: 10}); err != nil {
		t.Fatalf("EnterTimeout with a CQE coming: %v", err)
	}
	c, err := r.WaitCQE()
	if err != nil {
		t.Fatal(err)
	}
	wantCQE(t, *c, 6, 4)
	r.CQESeen(c)
	if r.CQReady() != 0 {
		t.Fatalf("CQReady %d after CQESeen", r.CQReady())
	}
}

// TestSQAndCQSidesConcurrently drives the SQ side from one goroutine and
// the CQ side from another, as the concurrency contract allows.
func TestSQAndCQSidesConcurrently(t *testing.T) {
	r := newRing(t, 16, nil) // CQ of 32: the reaper lags, so overflow happens too
	const total = 20000
	errc := make(chan error, 1)
	go func() {
		for i := uint64(0); i < total; {
			sqe := r.GetSQE()
			if sqe == nil {
				if _, err := r.Submit(); err != nil {
					errc <- err
					return
				}
				continue
			}
			sqe.PrepNop()
			sqe.SetData64(i)
			i++
		}
		_, err := r.Submit()
		errc <- err
	}()
	var sum uint64
	for n := 0; n < total; n++ {
		c, err := r.WaitCQETimeout(&unix.Timespec{Sec: 10})
		if err != nil {
			t.Fatalf("after %d CQEs: %v", n, err)
		}
		if c.Res != 0 {
			t.Fatalf("CQE %+v", *c)
		}
		sum += c.UserData
		r.CQESeen(c)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if want := uint64(total * (total - 1) / 2); sum != want {
		t.Fatalf("user_data sum %d; want %d", sum, want)
	}
}
