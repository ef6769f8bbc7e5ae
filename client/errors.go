package client

import (
	"context"
	"errors"
	"fmt"
)

// The errors a Transport returns besides those of the connection (dial
// errors are *net.OpError, a truncated body io.ErrUnexpectedEOF, a
// canceled or expired request context.Canceled or
// context.DeadlineExceeded, or the context's cause). Messages follow
// net/http's so that logs read the same.
var (
	errNilURL        = errors.New("client: nil Request.URL")
	errNilHeader     = errors.New("client: nil Request.Header")
	errNoHost        = errors.New("client: no Host in request URL")
	errNonASCIIHost  = errors.New("client: non-ASCII host name (convert it with golang.org/x/net/idna first)")
	errCTLInURL      = errors.New("client: can't write control character in Request.URL")
	errBadHost       = errors.New("client: invalid Host header")
	errTooMany1xx    = errors.New("client: too many 1xx informational responses")
	errReadOnClosed  = errors.New("http: read on closed response body")
	errNotRewindable = errors.New("client: cannot retry the request: its body cannot be rewound (Request.GetBody is nil)")
	errMissingBody   = errors.New("client: Request.ContentLength > 0 with a nil Body")
)

// errResponseHeaderTimeout is returned when Options.ResponseHeaderTimeout
// passes before the response header arrived. Like net/http's, it is a
// net.Error whose Timeout method reports true, and it matches
// context.DeadlineExceeded with errors.Is.
var errResponseHeaderTimeout error = &timeoutError{"client: timeout awaiting response headers"}

type timeoutError struct{ msg string }

func (e *timeoutError) Error() string     { return e.msg }
func (e *timeoutError) Timeout() bool     { return true }
func (e *timeoutError) Temporary() bool   { return true }
func (e *timeoutError) Is(err error) bool { return err == context.DeadlineExceeded }

func badSchemeError(scheme string) error {
	return fmt.Errorf("client: unsupported protocol scheme %q", scheme)
}

func badMethodError(method string) error {
	return fmt.Errorf("client: invalid method %q", method)
}

func badHeaderNameError(name string) error {
	return fmt.Errorf("client: invalid header field name %q", name)
}

func badHeaderValueError(name string) error {
	return fmt.Errorf("client: invalid header field value for %q", name)
}

func bodyLengthError(declared, actual int64) error {
	return fmt.Errorf("client: ContentLength=%d with Body length %d", declared, actual)
}
