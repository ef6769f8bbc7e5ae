//go:build linux

package netfd

import (
	"errors"
	"os"
	"testing"

	"github.com/ringnet/ringnet/ring"
	"golang.org/x/sys/unix"
)

// TestOpResults pins the error convention every op's result form shares
// with its sys form: nil, bare unix.EAGAIN (submit again), bare
// unix.ECANCELED (the submitter decides), or a final *os.SyscallError
// named after the syscall form.
func TestOpResults(t *testing.T) {
	neg := func(e unix.Errno) int32 { return -int32(e) }
	for _, tc := range []struct {
		op       string
		result   func(int32, uint32) (int, error)
		res      int32
		wantN    int
		wantErr  error
		wantName string // of the *os.SyscallError, when final
	}{
		{"recv", recvOp.result, 42, 42, nil, ""},
		{"recv", recvOp.result, 0, 0, nil, ""},
		{"recv", recvOp.result, neg(unix.EAGAIN), 0, unix.EAGAIN, ""},
		{"recv", recvOp.result, neg(unix.EINTR), 0, unix.EAGAIN, ""},
		{"recv", recvOp.result, neg(unix.ECANCELED), 0, unix.ECANCELED, ""},
		{"recv", recvOp.result, neg(unix.ECONNRESET), 0, unix.ECONNRESET, "read"},
		{"send", sendOp.result, 7, 7, nil, ""},
		{"send", sendOp.result, neg(unix.EPIPE), 0, unix.EPIPE, "write"},
		{"accept", acceptOp.result, 9, 9, nil, ""},
		{"accept", acceptOp.result, neg(unix.ECONNABORTED), -1, unix.EAGAIN, ""},
		{"accept", acceptOp.result, neg(unix.EMFILE), -1, unix.EMFILE, "accept4"},
		{"connect", connectOp.result, 0, 0, nil, ""},
		{"connect", connectOp.result, neg(unix.EISCONN), 0, nil, ""},
		{"connect", connectOp.result, neg(unix.EALREADY), 0, unix.EAGAIN, ""},
		{"connect", connectOp.result, neg(unix.EINPROGRESS), 0, unix.EAGAIN, ""},
		{"connect", connectOp.result, neg(unix.ECONNREFUSED), 0, unix.ECONNREFUSED, "connect"},
		{"poll", pollOp.result, 1, 0, nil, ""},
		{"poll", pollOp.result, neg(unix.ECANCELED), 0, unix.ECANCELED, ""},
	} {
		n, err := tc.result(tc.res, 0)
		if n != tc.wantN || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
			t.Errorf("%s.result(%d) = %d, %v; want %d, %v", tc.op, tc.res, n, err, tc.wantN, tc.wantErr)
			continue
		}
		var se *os.SyscallError
		if isSyscallErr := errors.As(err, &se); isSyscallErr != (tc.wantName != "") || isSyscallErr && se.Syscall != tc.wantName {
			t.Errorf("%s.result(%d) = %#v; want a *os.SyscallError named %q: %v", tc.op, tc.res, err, tc.wantName, isSyscallErr)
		}
	}
}

// TestRecvMultishotResult pins what the io_uring loop reads from each CQE
// of its receive.
func TestRecvMultishotResult(t *testing.T) {
	more := uint32(ring.CQEFMore)
	n, bid, m, err := recvMultishotOp.result(100, 3<<ring.CQEBufferShift|more)
	if n != 100 || bid != 3 || !m || err != nil {
		t.Errorf("data: %d, %d, %v, %v", n, bid, m, err)
	}
	if n, _, m, err = recvMultishotOp.result(0, 0); n != 0 || m || err != nil {
		t.Errorf("EOF: %d, %v, %v", n, m, err)
	}
	if _, _, m, err = recvMultishotOp.result(-int32(unix.ENOBUFS), 0); m || err != unix.ENOBUFS {
		t.Errorf("ENOBUFS: %v, %v", m, err)
	}
	if _, _, _, err = recvMultishotOp.result(-int32(unix.ECANCELED), 0); err != unix.ECANCELED {
		t.Errorf("ECANCELED: %v", err)
	}
	for _, e := range []unix.Errno{unix.EINTR, unix.EAGAIN} {
		if _, _, _, err = recvMultishotOp.result(-int32(e), 0); err != unix.EAGAIN {
			t.Errorf("%v: %v, want EAGAIN (arm again)", e, err)
		}
	}
	var se *os.SyscallError
	if _, _, _, err = recvMultishotOp.result(-int32(unix.ECONNRESET), 0); !errors.As(err, &se) || se.Syscall != "read" || se.Err != unix.ECONNRESET {
		t.Errorf("reset: %v", err)
	}
}
