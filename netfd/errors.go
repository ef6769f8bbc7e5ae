package netfd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
)

var errDeadline = os.ErrDeadlineExceeded

// ErrUringUnavailable is wrapped by the errors returned when the Uring
// backend is asked for but cannot be used here.
var ErrUringUnavailable = errors.New("netfd: io_uring backend unavailable")

// errCanceled is what a dial cancelled through its context returns, as in
// the net package: "operation was canceled", errors.Is context.Canceled.
var errCanceled = canceledError{}

type canceledError struct{}

func (canceledError) Error() string        { return "operation was canceled" }
func (canceledError) Is(target error) bool { return target == context.Canceled }

// errDialTimeout is what a dial whose deadline passed returns, as in the net
// package: "i/o timeout", a timeout, errors.Is context.DeadlineExceeded.
var errDialTimeout error = dialTimeoutError{}

type dialTimeoutError struct{}

func (dialTimeoutError) Error() string   { return "i/o timeout" }
func (dialTimeoutError) Timeout() bool   { return true }
func (dialTimeoutError) Temporary() bool { return true }
func (dialTimeoutError) Is(target error) bool {
	return target == context.DeadlineExceeded
}

// mapCtxErr maps a context's error to the net package's dial errors.
func mapCtxErr(err error) error {
	switch err {
	case context.Canceled:
		return errCanceled
	case context.DeadlineExceeded:
		return errDialTimeout
	}
	return err
}

func errUnknownNetwork(network string) error {
	return net.UnknownNetworkError(network)
}

func errBackend(b Backend) error {
	return fmt.Errorf("netfd: unknown backend %q (want auto, epoll or uring)", string(b))
}

var (
	errClosing       = net.ErrClosed
	errUnexpectedEOF = io.ErrUnexpectedEOF
	errMissingAddr   = errors.New("missing address")
	errNoSuitable    = errors.New("no suitable address found")
)
