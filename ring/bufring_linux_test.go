package ring

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestRecvMultishotBufRing(t *testing.T) {
	r := newRing(t, 4, nil)
	a, b := socketPair(t)
	const bgid, size = 3, 16
	br, err := r.SetupBufRing(2, bgid)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := r.FreeBufRing(br); err != nil {
			t.Error(err)
		}
	}()
	bufs := [][]byte{make([]byte, size), make([]byte, size)}
	refill := func() {
		for i, buf := range bufs {
			br.Add(buf, uint16(i), br.Mask(), i)
		}
		br.Advance(len(bufs))
	}
	arm := func() {
		sqe := getSQE(t, r)
		sqe.PrepRecvMultishot(a, 0)
		sqe.SetBufGroup(bgid)
		sqe.SetData64(11)
		submit(t, r, 1)
	}
	// expect sends msg and checks it lands in buffer bid.
	expect := func(msg string, bid uint16) {
		t.Helper()
		writeAll(t, b, []byte(msg))
		c := reap(t, r, 1)[0]
		if c.UserData != 11 || c.Res != int32(len(msg)) || c.Flags&(CQEFBuffer|CQEFMore) != CQEFBuffer|CQEFMore {
			t.Fatalf("CQE %+v; want res %d with CQEFBuffer|CQEFMore", c, len(msg))
		}
		if c.BufferID() != bid || string(bufs[bid][:c.Res]) != msg {
			t.Fatalf("buffer %d holds %q; want buffer %d with %q", c.BufferID(), bufs[c.BufferID()][:c.Res], bid, msg)
		}
	}

	refill()
	arm()
	expect("first", 0)
	expect("second arrival", 1)

	// The group is dry: the next arrival ends the request with -ENOBUFS.
	writeAll(t, b, []byte("third"))
	c := reap(t, r, 1)[0]
	if c.UserData != 11 || c.Res != errRes(unix.ENOBUFS) || c.Flags&CQEFMore != 0 {
		t.Fatalf("dry ring: CQE %+v; want -ENOBUFS without CQEFMore", c)
	}

	// Re-arm with the buffers given back: the waiting data arrives in buffer 0.
	refill()
	arm()
	c = reap(t, r, 1)[0]
	if c.Res != 5 || c.Flags&CQEFBuffer == 0 || c.BufferID() != 0 || string(bufs[0][:5]) != "third" {
		t.Fatalf("after re-arm: CQE %+v, buffer 0 %q; want \"third\" in buffer 0", c, bufs[0][:5])
	}
	expect("fourth", 1)

	// EOF ends the multishot request with res 0, if a buffer is there to
	// pick (with a dry ring the kernel reports -ENOBUFS instead).
	refill()
	if err := unix.Shutdown(b, unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	c = reap(t, r, 1)[0]
	if c.Res != 0 || c.Flags&CQEFMore != 0 {
		t.Fatalf("EOF: CQE %+v; want res 0 without CQEFMore", c)
	}
}

func TestSetupBufRingErrors(t *testing.T) {
	r := newRing(t, 2, nil)
	for _, n := range []uint32{0, 3, 65536} {
		if _, err := r.SetupBufRing(n, 1); err != ErrBufRingEntries {
			t.Errorf("SetupBufRing(%d): %v; want ErrBufRingEntries", n, err)
		}
	}
	br, err := r.SetupBufRing(4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.SetupBufRing(4, 1); err == nil {
		t.Error("registering group 1 twice succeeded")
	}
	if err := r.FreeBufRing(br); err != nil {
		t.Fatal(err)
	}
}

func TestProvideBuffers(t *testing.T) {
	r := newRing(t, 4, nil)
	a, b := socketPair(t)
	mem := make([]byte, 2*8)
	sqe := getSQE(t, r)
	sqe.PrepProvideBuffers(mem, 8, 2, 5, 40)
	submit(t, r, 1)
	wantCQE(t, reap(t, r, 1)[0], 0, 0)

	writeAll(t, b, []byte("legacy"))
	sqe = getSQE(t, r)
	sqe.PrepRecv(a, nil, 0)
	sqe.Len = 8
	sqe.SetBufGroup(5)
	submit(t, r, 1)
	c := reap(t, r, 1)[0]
	if c.Res != 6 || c.Flags&CQEFBuffer == 0 || c.BufferID() != 40 || string(mem[:6]) != "legacy" {
		t.Fatalf("CQE %+v, mem %q; want \"legacy\" in buffer 40", c, mem[:6])
	}
}
