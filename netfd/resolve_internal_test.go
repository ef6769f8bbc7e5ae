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

// Auto's choice and its reason, for each answer io_uring_setup can give and
// for RINGNET_BACKEND.
func TestAutoChoiceReason(t *testing.T) {
	for _, tc := range []struct {
		name       string
		uringErr   error
		want       Backend
		wantReason string // a substring; "" means the reason must be empty
		wantErr    bool
	}{
		{"works", nil, Uring, "", false},
		{"seccomp", &errUringSetup{reason: setupReason(unix.EPERM), err: unix.EPERM}, Epoll, "io_uring_setup: EPERM", false},
		{"no-kernel", &errUringSetup{reason: setupReason(unix.ENOSYS), err: unix.ENOSYS}, Epoll, "ENOSYS", false},
		{"missing-op", &errUringSetup{reason: "kernel lacks IORING_OP_SEND", err: errMissingOp}, Epoll, "IORING_OP_SEND", false},
		{"real-failure", &errUringSetup{reason: setupReason(unix.ENOMEM), err: unix.ENOMEM}, "", "", true},
	} {
		a, err := autoFromUring(tc.uringErr)
		if (err != nil) != tc.wantErr || a.backend != tc.want {
			t.Errorf("%s: got %q, %v; want %q, error %v", tc.name, a.backend, err, tc.want, tc.wantErr)
		}
		if tc.wantReason == "" && a.reason != "" || !strings.Contains(a.reason, tc.wantReason) {
			t.Errorf("%s: reason %q, want one containing %q", tc.name, a.reason, tc.wantReason)
		}
	}

	a, err := autoFromEnv(Epoll)
	if err != nil || a.backend != Epoll || a.reason != "RINGNET_BACKEND=epoll" {
		t.Errorf("RINGNET_BACKEND=epoll: %+v, %v", a, err)
	}
	if _, err := autoFromEnv("kqueue"); err == nil || !strings.Contains(err.Error(), "RINGNET_BACKEND=kqueue") {
		t.Errorf("RINGNET_BACKEND=kqueue: %v", err)
	}
}
