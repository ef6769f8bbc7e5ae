package ring

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

func TestPollAdd(t *testing.T) {
	r := newRing(t, 4, nil)
	a, b := socketPair(t)
	sqe := getSQE(t, r)
	sqe.PrepPollAdd(a, unix.POLLIN)
	sqe.SetData64(1)
	submit(t, r, 1)
	if r.CQReady() != 0 {
		t.Fatal("poll completed with nothing to read")
	}
	writeAll(t, b, []byte("x"))
	c := reap(t, r, 1)[0]
	wantCQE(t, c, 1, unix.POLLIN)
	if c.Flags != 0 {
		t.Fatalf("one-shot poll flags %#x", c.Flags)
	}
}

func TestPollMultishot(t *testing.T) {
	r := newRing(t, 4, nil)
	a, b := socketPair(t)
	sqe := getSQE(t, r)
	sqe.PrepPollMultishot(a, unix.POLLIN)
	sqe.SetData64(2)
	submit(t, r, 1)
	for i := range 2 {
		writeAll(t, b, []byte("y"))
		c := reap(t, r, 1)[0]
		if c.UserData != 2 || c.Res != unix.POLLIN || c.Flags&CQEFMore == 0 {
			t.Fatalf("wake-up %d: CQE %+v; want POLLIN with CQEFMore", i, c)
		}
		readN(t, a, 1)
	}
	sqe = getSQE(t, r)
	sqe.PrepPollRemove(2)
	sqe.SetData64(3)
	submit(t, r, 1)
	m := reapByData(t, r, 2)
	wantCQE(t, m[2], 2, errRes(unix.ECANCELED))
	wantCQE(t, m[3], 3, 0)
	if m[2].Flags&CQEFMore != 0 {
		t.Fatal("removed poll still has CQEFMore")
	}
}

// armRecv queues a recv that stays pending until data arrives on fd. Its
// buffer stays referenced until the test ends, after its CQE.
func armRecv(t *testing.T, r *Ring, fd int, data uint64) *SQE {
	t.Helper()
	buf := make([]byte, 8)
	t.Cleanup(func() { runtime.KeepAlive(buf) })
	sqe := getSQE(t, r)
	sqe.PrepRecv(fd, buf, 0)
	sqe.SetData64(data)
	return sqe
}

func TestCancel(t *testing.T) {
	t.Run("UserData", func(t *testing.T) {
		r := newRing(t, 4, nil)
		a, _ := socketPair(t)
		armRecv(t, r, a, 1)
		armRecv(t, r, a, 2)
		submit(t, r, 2)
		sqe := getSQE(t, r)
		sqe.PrepCancel64(1, 0)
		sqe.SetData64(9)
		submit(t, r, 1)
		m := reapByData(t, r, 2)
		wantCQE(t, m[1], 1, errRes(unix.ECANCELED))
		wantCQE(t, m[9], 9, 0)
		if r.CQReady() != 0 {
			t.Fatal("recv 2 completed too")
		}
		sqe = getSQE(t, r)
		sqe.PrepCancel(2, 0)
		sqe.SetData64(10)
		submit(t, r, 1)
		m = reapByData(t, r, 2)
		wantCQE(t, m[2], 2, errRes(unix.ECANCELED))
		wantCQE(t, m[10], 10, 0)
	})
	t.Run("FdAll", func(t *testing.T) {
		r := newRing(t, 8, nil)
		a, _ := socketPair(t)
		c, _ := socketPair(t)
		armRecv(t, r, a, 1)
		armRecv(t, r, a, 2)
		armRecv(t, r, c, 3)
		submit(t, r, 3)
		sqe := getSQE(t, r)
		sqe.PrepCancelFd(a, AsyncCancelAll)
		sqe.SetData64(9)
		submit(t, r, 1)
		m := reapByData(t, r, 3)
		wantCQE(t, m[1], 1, errRes(unix.ECANCELED))
		wantCQE(t, m[2], 2, errRes(unix.ECANCELED))
		wantCQE(t, m[9], 9, 2) // with AsyncCancelAll: how many
		if r.CQReady() != 0 {
			t.Fatal("recv on another fd completed")
		}
		sqe = getSQE(t, r)
		sqe.PrepCancelFd(c, 0)
		sqe.SetData64(10)
		submit(t, r, 1)
		m = reapByData(t, r, 2)
		wantCQE(t, m[3], 3, errRes(unix.ECANCELED))
		wantCQE(t, m[10], 10, 0)
	})
	t.Run("Any", func(t *testing.T) {
		r := newRing(t, 8, nil)
		a, _ := socketPair(t)
		c, _ := socketPair(t)
		armRecv(t, r, a, 1)
		armRecv(t, r, c, 2)
		submit(t, r, 2)
		sqe := getSQE(t, r)
		sqe.PrepCancel64(0, AsyncCancelAny|AsyncCancelAll)
		sqe.SetData64(9)
		submit(t, r, 1)
		m := reapByData(t, r, 3)
		wantCQE(t, m[1], 1, errRes(unix.ECANCELED))
		wantCQE(t, m[2], 2, errRes(unix.ECANCELED))
		wantCQE(t, m[9], 9, 2)
	})
	t.Run("NothingToCancel", func(t *testing.T) {
		r := newRing(t, 4, nil)
		sqe := getSQE(t, r)
		sqe.PrepCancel64(12345, 0)
		sqe.SetData64(9)
		submit(t, r, 1)
		wantCQE(t, reap(t, r, 1)[0], 9, errRes(unix.ENOENT))
	})
}

func TestTimeout(t *testing.T) {
	r := newRing(t, 4, nil)
	ts := &unix.Timespec{Nsec: 1e6}
	sqe := getSQE(t, r)
	sqe.PrepTimeout(ts, 0, 0)
	sqe.SetData64(1)
	submit(t, r, 1)
	wantCQE(t, reap(t, r, 1)[0], 1, errRes(unix.ETIME))

	// A long timeout with count 1 completes with 0 after one other completion.
	long := &unix.Timespec{Sec: 60}
	sqe = getSQE(t, r)
	sqe.PrepTimeout(long, 1, 0)
	sqe.SetData64(2)
	sqe = getSQE(t, r)
	sqe.PrepNop()
	sqe.SetData64(3)
	submit(t, r, 2)
	m := reapByData(t, r, 2)
	wantCQE(t, m[2], 2, 0)
	wantCQE(t, m[3], 3, 0)

	// And a removed one completes with -ECANCELED.
	sqe = getSQE(t, r)
	sqe.PrepTimeout(long, 0, 0)
	sqe.SetData64(4)
	submit(t, r, 1)
	sqe = getSQE(t, r)
	sqe.PrepTimeoutRemove(4, 0)
	sqe.SetData64(5)
	submit(t, r, 1)
	m = reapByData(t, r, 2)
	wantCQE(t, m[4], 4, errRes(unix.ECANCELED))
	wantCQE(t, m[5], 5, 0)
	runtime.KeepAlive(ts)
	runtime.KeepAlive(long)
}

func TestLinkTimeout(t *testing.T) {
	r := newRing(t, 4, nil)
	a, b := socketPair(t)
	ts := &unix.Timespec{Nsec: 1e6}
	armRecv(t, r, a, 1).SetFlags(SQEIOLink)
	sqe := getSQE(t, r)
	sqe.PrepLinkTimeout(ts, 0)
	sqe.SetData64(2)
	submit(t, r, 2)
	m := reapByData(t, r, 2)
	wantCQE(t, m[1], 1, errRes(unix.ECANCELED))
	wantCQE(t, m[2], 2, errRes(unix.ETIME))

	// If the request wins, the link timeout completes with -ECANCELED.
	writeAll(t, b, []byte("fast"))
	armRecv(t, r, a, 3).SetFlags(SQEIOLink)
	long := &unix.Timespec{Sec: 60}
	sqe = getSQE(t, r)
	sqe.PrepLinkTimeout(long, 0)
	sqe.SetData64(4)
	submit(t, r, 2)
	m = reapByData(t, r, 2)
	wantCQE(t, m[3], 3, 4)
	wantCQE(t, m[4], 4, errRes(unix.ECANCELED))
	runtime.KeepAlive(ts)
	runtime.KeepAlive(long)
}
