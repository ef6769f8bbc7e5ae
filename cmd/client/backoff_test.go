package main

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/url"
	"syscall"
	"testing"
)

// A failed dial or TLS handshake is a failure to connect, however
// wrapped; a failure of an exchange on a connection is not.
func TestConnectFailed(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	read := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	cert := &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{dial, true},
		{&url.Error{Op: "Get", URL: "http://x/", Err: dial}, true},
		{&url.Error{Op: "Get", URL: "https://x/", Err: cert}, true},
		{tls.AlertError(40), true},
		{tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, true},
		{read, false},
		{&url.Error{Op: "Get", URL: "http://x/", Err: io.EOF}, false},
		{errUnanswered, false},
	} {
		if got := connectFailed(tc.err); got != tc.want {
			t.Errorf("connectFailed(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
