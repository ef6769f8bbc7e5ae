package main

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// An errClass is one of the kinds of failure the load report counts apart.
type errClass int

const (
	errRefused   errClass = iota // connect refused: nobody listens
	errReset                     // reset, or closed by the server before the response was complete
	errTimeout                   // -timeout expired (dial, write or read)
	errBadStatus                 // a response arrived, but its status was not 2xx
	errOther                     // anything else: malformed response, no route, ...
	numErrClasses
)

// errClassNames are the names of the classes in the text and JSON reports.
var errClassNames = [numErrClasses]string{"connect_refused", "reset", "timeout", "bad_status", "other"}

// classify returns the class of a failed exchange. It never returns
// errBadStatus: that is a response, not an error.
func classify(err error) errClass {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return errRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, errUnanswered):
		return errReset
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return errTimeout
	}
	return errOther
}

// errUnanswered stands for a pipelined request that the server closed the
// connection without answering.
var errUnanswered = errors.New("connection closed with the request unanswered")
