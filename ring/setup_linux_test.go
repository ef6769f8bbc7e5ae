package ring

import (
	"errors"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

func TestNewDefaults(t *testing.T) {
	p := new(Params)
	r := newRing(t, 8, p)
	if p.SQEntries != 8 || p.CQEntries != 16 {
		t.Fatalf("entries SQ %d CQ %d; want 8 and 16", p.SQEntries, p.CQEntries)
	}
	want := uint32(FeatSingleMmap | FeatNoDrop | FeatSubmitStable | FeatFastPoll | FeatExtArg | FeatNativeWorkers | FeatCQESkip)
	if r.Features()&want != want || r.Features() != p.Features {
		t.Fatalf("features %#x; want at least %#x", r.Features(), want)
	}
	if r.Fd() < 0 || r.Flags() != 0 {
		t.Fatalf("Fd %d Flags %#x", r.Fd(), r.Flags())
	}
	if r.SQSpaceLeft() != 8 || r.SQReady() != 0 || r.CQReady() != 0 {
		t.Fatalf("space %d ready %d cq %d", r.SQSpaceLeft(), r.SQReady(), r.CQReady())
	}
}

func TestNewRoundsUp(t *testing.T) {
	p := new(Params)
	newRing(t, 5, p)
	if p.SQEntries != 8 {
		t.Fatalf("SQEntries %d; want 8", p.SQEntries)
	}
}

func TestNewFlags(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags uint32
		lock  bool // SINGLE_ISSUER: setup and submit on one thread
	}{
		{"SubmitAll", SetupSubmitAll, false},
		{"CoopTaskrun", SetupCoopTaskrun, false},
		{"CoopTaskrun+TaskrunFlag", SetupCoopTaskrun | SetupTaskrunFlag, false},
		{"SingleIssuer", SetupSingleIssuer, true},
		{"SingleIssuer+DeferTaskrun", SetupSingleIssuer | SetupDeferTaskrun, true},
		{"NoSQArray", SetupNoSQArray, false},
		{"SQPoll", SetupSQPoll, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.lock {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
			}
			p := &Params{Flags: tc.flags}
			r := newRing(t, 4, p)
			if r.Flags() != tc.flags {
				t.Fatalf("Flags %#x; want %#x", r.Flags(), tc.flags)
			}
			for range 3 { // several, so SQ slots get reused
				nopRoundTrip(t, r)
			}
		})
	}
}

func TestNewCQSize(t *testing.T) {
	p := &Params{Flags: SetupCQSize, CQEntries: 64}
	r := newRing(t, 4, p)
	if p.SQEntries != 4 || p.CQEntries != 64 || r.Flags()&SetupCQSize == 0 {
		t.Fatalf("SQ %d CQ %d flags %#x", p.SQEntries, p.CQEntries, r.Flags())
	}
	if _, err := New(4, &Params{Flags: SetupCQSize}); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("CQSize with 0 entries: %v; want EINVAL", err)
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(4, &Params{Flags: SetupCQE32}); err != ErrSetupFlags {
		t.Fatalf("CQE32: %v; want ErrSetupFlags", err)
	}
	if _, err := New(0, nil); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("0 entries: %v; want EINVAL", err)
	}
	r, err := New(2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != ErrClosed {
		t.Fatalf("second Close: %v; want ErrClosed", err)
	}
}

func TestNop(t *testing.T) {
	r := newRing(t, 4, nil)
	for i := range uint64(3) {
		sqe := getSQE(t, r)
		sqe.SetData64(100 + i) // before Prep: Prep keeps UserData
		sqe.PrepNop()
	}
	if r.SQReady() != 3 || r.SQSpaceLeft() != 1 {
		t.Fatalf("SQReady %d SQSpaceLeft %d; want 3 and 1", r.SQReady(), r.SQSpaceLeft())
	}
	submit(t, r, 3)
	if r.SQReady() != 0 || r.SQSpaceLeft() != 4 {
		t.Fatalf("after submit: SQReady %d SQSpaceLeft %d", r.SQReady(), r.SQSpaceLeft())
	}
	for i, c := range reap(t, r, 3) {
		wantCQE(t, c, 100+uint64(i), 0) // inline nops complete in order
		if c.Flags != 0 {
			t.Fatalf("nop flags %#x", c.Flags)
		}
	}
	if _, err := r.PeekCQE(); err != unix.EAGAIN {
		t.Fatalf("PeekCQE on empty ring: %v; want EAGAIN", err)
	}
}

func TestGetSQEFull(t *testing.T) {
	r := newRing(t, 2, nil)
	getSQE(t, r).PrepNop()
	getSQE(t, r).PrepNop()
	if sqe := r.GetSQE(); sqe != nil {
		t.Fatal("GetSQE on a full SQ returned an SQE")
	}
	submit(t, r, 2)
	getSQE(t, r).PrepNop()
	submit(t, r, 1)
	reap(t, r, 3)
}

func TestProbe(t *testing.T) {
	r := newRing(t, 2, nil)
	p, err := r.Probe()
	if err != nil {
		t.Fatal(err)
	}
	if p.LastOp < OpFutexWaitv {
		t.Fatalf("LastOp %d; kernel 6.18 knows at least %d", p.LastOp, OpFutexWaitv)
	}
	for _, op := range []uint8{OpNop, OpAccept, OpConnect, OpRecv, OpSend, OpSendmsg, OpWritev,
		OpSendZC, OpClose, OpShutdown, OpPollAdd, OpPollRemove, OpAsyncCancel, OpTimeout,
		OpTimeoutRemove, OpLinkTimeout, OpProvideBuffers} {
		if !p.OpSupported(op) {
			t.Errorf("op %d not supported", op)
		}
	}
	for _, op := range []uint8{p.LastOp + 1, 200, 255} {
		if p.OpSupported(op) {
			t.Errorf("op %d supported", op)
		}
	}
}
