package ring

import (
	"encoding/binary"
	"errors"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

func eventFD(t *testing.T) int {
	t.Helper()
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, fd)
	return fd
}

// eventCount reads and resets the eventfd counter; 0 if it was 0.
func eventCount(t *testing.T, fd int) uint64 {
	t.Helper()
	var b [8]byte
	n, err := unix.Read(fd, b[:])
	if errors.Is(err, unix.EAGAIN) {
		return 0
	}
	if err != nil || n != 8 {
		t.Fatalf("eventfd read: %d, %v", n, err)
	}
	return binary.NativeEndian.Uint64(b[:])
}

func TestRegisterEventFD(t *testing.T) {
	r := newRing(t, 4, nil)
	efd := eventFD(t)
	if err := r.RegisterEventFD(efd); err != nil {
		t.Fatal(err)
	}
	if got := eventCount(t, efd); got != 0 {
		t.Fatalf("counter %d before any completion", got)
	}
	nopRoundTrip(t, r)
	if got := eventCount(t, efd); got != 1 {
		t.Fatalf("counter %d after one completion; want 1", got)
	}
	if err := r.RegisterEventFD(efd); !errors.Is(err, unix.EBUSY) {
		t.Fatalf("second RegisterEventFD: %v; want EBUSY", err)
	}
	if err := r.UnregisterEventFD(); err != nil {
		t.Fatal(err)
	}
	nopRoundTrip(t, r)
	if got := eventCount(t, efd); got != 0 {
		t.Fatalf("counter %d after unregistering", got)
	}
}

func TestRegisterEventFDAsync(t *testing.T) {
	r := newRing(t, 4, nil)
	efd := eventFD(t)
	if err := r.RegisterEventFDAsync(efd); err != nil {
		t.Fatal(err)
	}
	nopRoundTrip(t, r) // completes inline: no signal
	if got := eventCount(t, efd); got != 0 {
		t.Fatalf("counter %d after an inline completion; want 0", got)
	}
	sqe := getSQE(t, r)
	sqe.PrepNop()
	sqe.SetFlags(SQEAsync) // completes on an io-wq worker
	submit(t, r, 1)
	wantCQE(t, reap(t, r, 1)[0], 0, 0)
	if got := eventCount(t, efd); got != 1 {
		t.Fatalf("counter %d after an io-wq completion; want 1", got)
	}
}

func TestRegisterFiles(t *testing.T) {
	r := newRing(t, 4, nil)
	a, b := socketPair(t)
	c, d := socketPair(t)
	if err := r.RegisterFiles([]int32{-1, int32(a)}); err != nil {
		t.Fatal(err)
	}
	sendFixed := func(index int32, msg string, peer int) {
		t.Helper()
		buf := []byte(msg)
		sqe := getSQE(t, r)
		sqe.PrepSend(int(index), buf, 0)
		sqe.SetFlags(SQEFixedFile)
		submit(t, r, 1)
		wantCQE(t, reap(t, r, 1)[0], 0, int32(len(msg)))
		runtime.KeepAlive(buf)
		if got := readN(t, peer, len(msg)); string(got) != msg {
			t.Fatalf("peer read %q; want %q", got, msg)
		}
	}
	sendFixed(1, "via fixed file 1", b)

	if n, err := r.RegisterFilesUpdate(0, []int32{int32(c), RegisterFilesSkip}); n != 2 || err != nil {
		t.Fatalf("RegisterFilesUpdate = %d, %v", n, err)
	}
	sendFixed(0, "via fixed file 0", d)
	sendFixed(1, "slot 1 kept", b)

	if err := r.UnregisterFiles(); err != nil {
		t.Fatal(err)
	}
	sqe := getSQE(t, r)
	sqe.PrepSend(0, []byte("x"), 0)
	sqe.SetFlags(SQEFixedFile)
	submit(t, r, 1)
	wantCQE(t, reap(t, r, 1)[0], 0, errRes(unix.EBADF))
}

func TestRegisterRingFd(t *testing.T) {
	runtime.LockOSThread() // registered ring fds are per thread
	defer runtime.UnlockOSThread()
	r := newRing(t, 4, nil)
	if err := r.RegisterRingFd(); err != nil {
		t.Fatal(err)
	}
	if r.enterFlags != EnterRegisteredRing || r.enterFd == r.Fd() {
		t.Fatalf("enter fd %d flags %#x after RegisterRingFd", r.enterFd, r.enterFlags)
	}
	nopRoundTrip(t, r)
	if err := r.UnregisterRingFd(); err != nil {
		t.Fatal(err)
	}
	nopRoundTrip(t, r)
}
