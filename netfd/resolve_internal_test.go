//go:build linux

package netfd

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSetupReasonNamesTheCause(t *testing.T) {
	for _, tc := range []struct {
		err      error
		want     string
		fallback bool
	}{
		{unix.ENOSYS, "ENOSYS", true},
		{unix.EPERM, "EPERM", true},
		{unix.EINVAL, "EINVAL", true},
		{unix.ENOMEM, "cannot allocate memory", false},
	} {
		e := &errUringSetup{reason: setupReason(tc.err), err: tc.err}
		if !strings.Contains(e.Error(), tc.want) || !errors.Is(e, ErrUringUnavailable) || !errors.Is(e, tc.err) {
			t.Errorf("%v: %q", tc.err, e.Error())
		}
		if e.fallback() != tc.fallback {
			t.Errorf("%v: fallback %v, want %v", tc.err, e.fallback(), tc.fallback)
		}
	}
	e := &errUringSetup{reason: "kernel lacks IORING_OP_SEND", err: errMissingOp}
	if !e.fallback() {
		t.Error("a missing op must fall back to epoll")
	}
}
