package compat_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestDiffNamesBackendAndField checks the comparison itself: a difference
// in a value, a missing field, an extra field and a reordering are each
// reported with the backend's and the field's name.
func TestDiffNamesBackendAndField(t *testing.T) {
	std := &obs{}
	std.set("a", "1")
	std.err("read", io.EOF)
	std.set("c", "3")

	same := &obs{fields: append([]field(nil), std.fields...)}
	if d := diff(std, same, "uring"); d != "" {
		t.Errorf("identical observations differ:\n%s", d)
	}

	changed := &obs{}
	changed.set("a", "1")
	changed.err("read", syscall.ECONNRESET)
	changed.set("d", "4")
	d := diff(std, changed, "uring")
	for _, want := range []string{
		`read.class: std EOF, uring ECONNRESET`,
		`c: std 3, uring recorded nothing`,
		`d: std recorded nothing, uring 4`,
	} {
		if !strings.Contains(d, want) {
			t.Errorf("diff lacks %q:\n%s", want, d)
		}
	}

	reordered := &obs{}
	reordered.set("c", "3")
	reordered.fields = append(reordered.fields, std.fields[:len(std.fields)-1]...)
	if d := diff(std, reordered, "epoll"); !strings.Contains(d, "order of events") || !strings.Contains(d, "epoll") {
		t.Errorf("reordering not reported:\n%s", d)
	}
}

func TestErrClass(t *testing.T) {
	op := func(err error) error {
		return &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", err)}
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, "nil"},
		{io.EOF, "EOF"},
		{op(syscall.ECONNRESET), "ECONNRESET"},
		{op(syscall.EPIPE), "EPIPE"},
		{&net.OpError{Op: "read", Err: net.ErrClosed}, "closed"},
		{&net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, "timeout"},
		{op(syscall.ECONNREFUSED), "refused"},
		{errors.New("boom"), "other:boom"},
	} {
		if got := errClass(tc.err); got != tc.want {
			t.Errorf("errClass(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	err := fmt.Errorf("wrapped: %w", op(syscall.EPIPE))
	if got := errOp(err); got != "read" {
		t.Errorf("errOp = %q, want read", got)
	}
}
