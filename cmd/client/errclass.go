package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
)

// An errClass is one of the kinds of failure the load report counts apart.
type errClass int

const (
	errRefused     errClass = iota // connect refused: nobody listens
	errUnreachable                 // no route to the host or network
	errLocalAddr                   // no local address (port) left to connect from
	errDNS                         // the host name did not resolve
	errTLS                         // the TLS handshake failed: certificate, alert, not TLS
	errReset                       // reset, or closed by the server before the response was complete
	errTimeout                     // -timeout expired (dial, write or read)
	errOther                       // anything else: malformed response, ...
	numErrClasses
)

// errClassNames are the names of the classes in the text and JSON reports.
var errClassNames = [numErrClasses]string{
	"connect_refused", "unreachable", "local_address", "dns", "tls", "reset", "timeout", "other",
}

// classify returns the class of a failed exchange. A response is never
// an error, whatever its status: the statuses are counted by code, and
// -expect-status judges them.
func classify(err error) errClass {
	var (
		dnsErr *net.DNSError
		ne     net.Error
	)
	switch {
	case errors.As(err, &dnsErr):
		return errDNS
	case errors.Is(err, syscall.ECONNREFUSED):
		return errRefused
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return errUnreachable
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return errLocalAddr
	case isTLSError(err):
		return errTLS
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, errUnanswered):
		return errReset
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return errTimeout
	}
	return errOther
}

// isTLSError reports whether err is a failure of TLS: the server's
// certificate, an alert, or a server that does not speak TLS.
func isTLSError(err error) bool {
	var (
		alert  tls.AlertError
		record tls.RecordHeaderError
	)
	return isCertError(err) || errors.As(err, &alert) || errors.As(err, &record)
}

// isCertError reports whether err is the server's certificate not
// passing verification.
func isCertError(err error) bool {
	var (
		verify  *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid)
}

// curlExit returns the exit status curl gives a transfer that failed
// with err: 1 where curl's numbers have no match.
func curlExit(err error) int {
	var (
		we writeError
		de decodeError
	)
	switch {
	case errors.As(err, &we):
		return exitWrite
	case errors.As(err, &de):
		return exitBadEncoding
	case errors.Is(err, errTooManyRedirects):
		return exitRedirects
	case isCertError(err):
		return exitCertificate
	}
	switch classify(err) {
	case errDNS:
		return exitResolve
	case errRefused, errUnreachable, errLocalAddr:
		return exitConnect
	case errTimeout:
		return exitTimeout
	case errTLS:
		return exitTLS
	case errReset:
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF):
			return exitPartial
		case errors.Is(err, io.EOF):
			return exitEmptyReply
		}
		return exitReceive
	}
	return exitFailed
}

// errorSample is err as a report quotes it: one line, without the
// http.Client's "Get URL:" prefix, which every sample would share.
func errorSample(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return firstLine(err)
}

// errUnanswered stands for a pipelined request that the server closed the
// connection without answering.
var errUnanswered = errors.New("connection closed with the request unanswered")
