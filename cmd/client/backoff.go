package main

import (
	"errors"
	"net"
)

// connectFailed reports whether err is a failure to connect: the dial,
// or the TLS handshake. After one a load connection waits before its next
// attempt (backoff), so that a refused port, or a server whose handshakes
// fail, is not hammered: without the wait, 4 connections made 773 TLS
// handshakes in a second. Every load engine asks it about each failure.
func connectFailed(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial" || isTLSError(err)
}
