package http_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
)

// An rfcCase is raw request bytes and what RFC 9112/9110 (as ringnet reads
// them, docs/conformance.md "RFC 9112 and RFC 9110") make of them: the
// status line of every response, in order, and whether the connection
// stays open after them. The names are the ones the table in
// docs/conformance.md cites.
type rfcCase struct {
	name string
	req  string
	want []string // status lines, "HTTP/1.1 200 OK"
	open bool     // the connection is kept: a sentinel request after req is answered
	echo string   // when set, the first response's body contains it
	// cut: the client half-closes after req, sending no sentinel: the
	// message is incomplete.
	cut bool
	// hdr: fields ("Name: value") the first response must carry; nohdr:
	// names it must not.
	hdr, nohdr []string
}

const (
	ok200  = "HTTP/1.1 200 OK"
	ok10   = "HTTP/1.0 200 OK" // net/http's answer to HTTP/1.0, kept
	bad400 = "HTTP/1.1 400 Bad Request"
	h      = "Host: h.example\r\n"
	chunk  = "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n"
)

var rfcCases = []rfcCase{
	// RFC 9112 §2.2: message parsing.
	{name: "crlf-lines", req: "GET / HTTP/1.1\r\n" + h + "\r\n", want: []string{ok200}, open: true},
	{name: "bare-lf-request-line", req: "GET / HTTP/1.1\n" + h + "\r\n", want: []string{bad400}},
	{name: "bare-lf-field", req: "GET / HTTP/1.1\r\n" + h + "X: 1\n\r\n", want: []string{bad400}},
	{name: "bare-lf-end", req: "GET / HTTP/1.1\r\n" + h + "\n", want: []string{bad400}},
	{name: "bare-cr-request-line", req: "GET /a\rb HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "bare-cr-after-version", req: "GET / HTTP/1.1\r\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "bare-cr-field", req: "GET / HTTP/1.1\r\n" + h + "X: a\rb\r\n\r\n", want: []string{bad400}},
	{name: "leading-crlf", req: "\r\nGET / HTTP/1.1\r\n" + h + "\r\n", want: []string{ok200}, open: true},
	{name: "leading-crlf-many", req: "\r\n\r\n\r\nGET / HTTP/1.1\r\n" + h + "\r\n", want: []string{ok200}, open: true},
	{name: "crlf-between-requests", req: "GET / HTTP/1.1\r\n" + h + "\r\n\r\nGET / HTTP/1.1\r\n" + h + "\r\n", want: []string{ok200, ok200}, open: true},
	{name: "leading-bare-lf", req: "\nGET / HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "space-before-first-field", req: "GET / HTTP/1.1\r\n X: 1\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "garbage", req: "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n", want: []string{bad400}},

	// RFC 9112 §2.3, RFC 9110 §2.5: versions.
	{name: "http11", req: "GET / HTTP/1.1\r\n" + h + "\r\n", want: []string{ok200}, open: true},
	{name: "http12", req: "GET / HTTP/1.2\r\n" + h + "\r\n", want: []string{ok200}, open: true, echo: "proto=HTTP/1.2"},
	{name: "http10", req: "GET / HTTP/1.0\r\n\r\n", want: []string{ok10}},
	{name: "http10-keep-alive", req: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", want: []string{ok10}, open: true},
	{name: "version-lowercase", req: "GET / http/1.1\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "version-two-digits", req: "GET / HTTP/1.10\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "version-no-minor", req: "GET / HTTP/1\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "version-2", req: "GET / HTTP/2.0\r\n" + h + "\r\n", want: []string{"HTTP/1.1 505 HTTP Version Not Supported: unsupported protocol version"}},
	{name: "version-3", req: "GET / HTTP/3.0\r\n" + h + "\r\n", want: []string{"HTTP/1.1 505 HTTP Version Not Supported: unsupported protocol version"}},
	{name: "version-09", req: "GET / HTTP/0.9\r\n" + h + "\r\n", want: []string{"HTTP/1.1 505 HTTP Version Not Supported: unsupported protocol version"}},
	{name: "h2-preface", req: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", want: []string{"HTTP/1.1 505 HTTP Version Not Supported: unsupported protocol version"}},

	// RFC 9112 §3: the request line.
	{name: "method-case-sensitive", req: "get / HTTP/1.1\r\n" + h + "\r\n", want: []string{ok200}, open: true, echo: "m=get "},
	{name: "method-not-token", req: "GE(T / HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "method-nul", req: "GE\x00T / HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "two-spaces", req: "GET  / HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "tab-separator", req: "GET\t/ HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "trailing-space", req: "GET / HTTP/1.1 \r\n" + h + "\r\n", want: []string{bad400}},
	{name: "no-version", req: "GET /\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "space-in-target", req: "GET /a b HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "nul-in-target", req: "GET /a\x00b HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "del-in-target", req: "GET /a\x7fb HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "non-ascii-target", req: "GET /caf\xc3\xa9 HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "fragment", req: "GET /a#b HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "backslash", req: "GET /a\\b HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "quote-lt-gt", req: "GET /a\"<b> HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "browser-bytes", req: "GET /a[1]/^`?q={x}|y HTTP/1.1\r\n" + h + "\r\n", want: []string{ok200}, open: true, echo: "t=/a[1]/^`?q={x}|y "},
	{name: "bad-escape-path", req: "GET /a%zz HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400}},

	// RFC 9112 §3.2: request-target forms, and which methods use which.
	{name: "origin-form", req: "GET /a?b=c HTTP/1.1\r\n" + h + "\r\n", want: []string{ok200}, open: true, echo: "t=/a?b=c host=h.example"},
	{name: "origin-form-empty-path", req: "GET ?a HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "relative-path", req: "GET a/b HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400}},
	{name: "absolute-form", req: "GET http://h.example/a HTTP/1.1\r\n" + h + "\r\n", want: []string{ok200}, open: true, echo: "host=h.example"},
	{name: "absolute-form-https", req: "GET https://h.example:8443/a HTTP/1.1\r\nHost: h.example:8443\r\n\r\n", want: []string{ok200}, open: true, echo: "host=h.example:8443"},
	{name: "absolute-form-host-case", req: "GET http://H.Example/a HTTP/1.1\r\n" + h + "\r\n", want: []string{ok200}, open: true},
	{name: "absolute-form-http10-no-host", req: "GET http://h.example/a HTTP/1.0\r\n\r\n", want: []string{ok10}, echo: "host=h.example"},
	{name: "absolute-form-host-mismatch", req: "GET http://other.example/a HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400 + ": Host does not match the target"}},
	{name: "absolute-form-empty-host-field", req: "GET http://h.example/a HTTP/1.1\r\nHost:\r\n\r\n", want: []string{bad400 + ": Host does not match the target"}},
	{name: "absolute-form-port-mismatch", req: "GET http://h.example:81/a HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400 + ": Host does not match the target"}},
	{name: "absolute-form-userinfo", req: "GET http://u:p@h.example/a HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400 + ": userinfo in target"}},
	{name: "absolute-form-empty-host", req: "GET http:///a HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400 + ": target is not an origin-form path or an http(s) URI"}},
	{name: "absolute-form-port-only", req: "GET http://:80/a HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400 + ": malformed target host"}},
	{name: "absolute-form-other-scheme", req: "GET ftp://h.example/a HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400 + ": target is not an origin-form path or an http(s) URI"}},
	{name: "authority-form-get", req: "GET h.example:80 HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400 + ": target is not an origin-form path or an http(s) URI"}},
	{name: "connect-authority-form", req: "CONNECT h.example:443 HTTP/1.1\r\nHost: h.example:443\r\n\r\n", want: []string{"HTTP/1.1 405 Method Not Allowed"}, open: true},
	{name: "connect-no-host-field", req: "CONNECT h.example:443 HTTP/1.1\r\n\r\n", want: []string{"HTTP/1.1 405 Method Not Allowed"}, open: true},
	{name: "connect-ipv6", req: "CONNECT [::1]:443 HTTP/1.1\r\n\r\n", want: []string{"HTTP/1.1 405 Method Not Allowed"}, open: true},
	{name: "connect-origin-form", req: "CONNECT /a HTTP/1.1\r\n" + h + "\r\n", want: []string{"HTTP/1.1 405 Method Not Allowed"}, open: true}, // net/rpc's form, served as net/http does
	{name: "connect-no-port", req: "CONNECT h.example HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400 + ": CONNECT target is not host:port"}},
	{name: "connect-userinfo", req: "CONNECT u@h.example:443 HTTP/1.1\r\n\r\n", want: []string{bad400 + ": CONNECT target is not host:port"}},
	{name: "connect-absolute-form", req: "CONNECT http://h.example:443/ HTTP/1.1\r\n\r\n", want: []string{bad400 + ": CONNECT target is not host:port"}},
	{name: "connect-2xx", req: "CONNECT tunnel.example:443 HTTP/1.1\r\n\r\n", want: []string{ok200}, nohdr: []string{"Content-Length", "Transfer-Encoding"}, echo: "t"},
	{name: "connect-with-body", req: "CONNECT h.example:443 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", want: []string{bad400}},
	{name: "asterisk-options", req: "OPTIONS * HTTP/1.1\r\n" + h + "\r\n", want: []string{ok200}, open: true, hdr: []string{"Content-Length: 0"}},
	{name: "asterisk-get", req: "GET * HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400 + ": asterisk-form target for a method other than OPTIONS"}},
	{name: "asterisk-pri-http11", req: "PRI * HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400 + ": asterisk-form target for a method other than OPTIONS"}},

	// RFC 9112 §3.2, RFC 9110 §7.2: Host.
	{name: "host-missing", req: "GET / HTTP/1.1\r\n\r\n", want: []string{bad400 + ": missing required Host header"}},
	{name: "host-missing-http10", req: "GET / HTTP/1.0\r\n\r\n", want: []string{ok10}},
	{name: "host-twice", req: "GET / HTTP/1.1\r\n" + h + h + "\r\n", want: []string{bad400}},
	{name: "host-twice-differing", req: "GET / HTTP/1.1\r\n" + h + "Host: other\r\n\r\n", want: []string{bad400}},
	{name: "host-empty", req: "GET / HTTP/1.1\r\nHost:\r\n\r\n", want: []string{ok200}, open: true},
	{name: "host-port", req: "GET / HTTP/1.1\r\nHost: h.example:8080\r\n\r\n", want: []string{ok200}, open: true, echo: "host=h.example:8080"},
	{name: "host-ipv6", req: "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", want: []string{ok200}, open: true},
	{name: "host-escape", req: "GET / HTTP/1.1\r\nHost: h%41.example\r\n\r\n", want: []string{ok200}, open: true},
	{name: "host-space", req: "GET / HTTP/1.1\r\nHost: h example\r\n\r\n", want: []string{bad400 + ": malformed Host header"}},
	{name: "host-slash", req: "GET / HTTP/1.1\r\nHost: h/a\r\n\r\n", want: []string{bad400 + ": malformed Host header"}},
	{name: "host-userinfo", req: "GET / HTTP/1.1\r\nHost: u@h.example\r\n\r\n", want: []string{bad400 + ": malformed Host header"}},
	{name: "host-bad-port", req: "GET / HTTP/1.1\r\nHost: h.example:8x\r\n\r\n", want: []string{bad400 + ": malformed Host header"}},
	{name: "host-two-ports", req: "GET / HTTP/1.1\r\nHost: h.example:80:80\r\n\r\n", want: []string{bad400 + ": malformed Host header"}},
	{name: "host-open-bracket", req: "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", want: []string{bad400 + ": malformed Host header"}},
	{name: "host-bad-escape", req: "GET / HTTP/1.1\r\nHost: h%zz\r\n\r\n", want: []string{bad400 + ": malformed Host header"}},

	// RFC 9112 §5, RFC 9110 §5: field lines.
	{name: "space-before-colon", req: "GET / HTTP/1.1\r\n" + h + "X : 1\r\n\r\n", want: []string{bad400 + ": invalid header name"}},
	{name: "tab-before-colon", req: "GET / HTTP/1.1\r\n" + h + "X\t: 1\r\n\r\n", want: []string{bad400}},
	{name: "obs-fold", req: "GET / HTTP/1.1\r\n" + h + "X: 1\r\n 2\r\n\r\n", want: []string{bad400 + ": obsolete line folding is not accepted"}},
	{name: "obs-fold-tab", req: "GET / HTTP/1.1\r\n" + h + "X: 1\r\n\t2\r\n\r\n", want: []string{bad400 + ": obsolete line folding is not accepted"}},
	{name: "name-not-token", req: "GET / HTTP/1.1\r\n" + h + "X(: 1\r\n\r\n", want: []string{bad400}},
	{name: "name-non-ascii", req: "GET / HTTP/1.1\r\n" + h + "X\xc3\xab: 1\r\n\r\n", want: []string{bad400}},
	{name: "name-empty", req: "GET / HTTP/1.1\r\n" + h + ": 1\r\n\r\n", want: []string{bad400}},
	{name: "no-colon", req: "GET / HTTP/1.1\r\n" + h + "X\r\n\r\n", want: []string{bad400}},
	{name: "value-nul", req: "GET / HTTP/1.1\r\n" + h + "X: a\x00b\r\n\r\n", want: []string{bad400}},
	{name: "value-ctl", req: "GET / HTTP/1.1\r\n" + h + "X: a\x07b\r\n\r\n", want: []string{bad400}},
	{name: "value-del", req: "GET / HTTP/1.1\r\n" + h + "X: a\x7fb\r\n\r\n", want: []string{bad400}},
	{name: "value-ows", req: "GET / HTTP/1.1\r\n" + h + "X: \t a \t b \t\r\n\r\n", want: []string{ok200}, open: true, echo: `x="a \t b"`},
	{name: "value-obs-text", req: "GET / HTTP/1.1\r\n" + h + "X: caf\xc3\xa9\r\n\r\n", want: []string{ok200}, open: true, echo: "x=\"caf\xc3\xa9\""},
	{name: "value-empty", req: "GET / HTTP/1.1\r\n" + h + "X:\r\n\r\n", want: []string{ok200}, open: true, echo: `x=""`},
	{name: "name-underscore-framing", req: "POST / HTTP/1.1\r\n" + h + "Content_Length: 3\r\n\r\nabc", want: []string{bad400}},

	// RFC 9112 §6, RFC 9110 §8.6: framing.
	{name: "cl", req: "POST / HTTP/1.1\r\n" + h + "Content-Length: 3\r\n\r\nabc", want: []string{ok200}, open: true, echo: `body="abc"`},
	{name: "cl-leading-zeros", req: "POST / HTTP/1.1\r\n" + h + "Content-Length: 003\r\n\r\nabc", want: []string{ok200}, open: true, echo: `body="abc"`},
	{name: "cl-duplicate-same", req: "POST / HTTP/1.1\r\n" + h + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", want: []string{ok200}, open: true, echo: `body="abc"`},
	{name: "cl-duplicate-differ", req: "POST / HTTP/1.1\r\n" + h + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", want: []string{bad400}},
	{name: "cl-list", req: "POST / HTTP/1.1\r\n" + h + "Content-Length: 1,1\r\n\r\na", want: []string{bad400}},
	{name: "cl-list-spaced", req: "POST / HTTP/1.1\r\n" + h + "Content-Length: 1, 1\r\n\r\na", want: []string{bad400}},
	{name: "cl-sign", req: "POST / HTTP/1.1\r\n" + h + "Content-Length: +1\r\n\r\na", want: []string{bad400}},
	{name: "cl-negative", req: "POST / HTTP/1.1\r\n" + h + "Content-Length: -1\r\n\r\n", want: []string{bad400}},
	{name: "cl-hex", req: "POST / HTTP/1.1\r\n" + h + "Content-Length: 0x1\r\n\r\na", want: []string{bad400}},
	{name: "cl-overflow", req: "POST / HTTP/1.1\r\n" + h + "Content-Length: 9223372036854775808\r\n\r\n", want: []string{bad400}},
	{name: "cl-empty", req: "POST / HTTP/1.1\r\n" + h + "Content-Length:\r\n\r\n", want: []string{bad400}},
	{name: "cl-incomplete", req: "POST / HTTP/1.1\r\n" + h + "Content-Length: 10\r\n\r\nabc", cut: true, want: []string{ok200}, echo: "unexpected EOF"},
	{name: "no-framing", req: "POST / HTTP/1.1\r\n" + h + "\r\nGET / HTTP/1.1\r\n" + h + "\r\n", want: []string{ok200, ok200}, open: true, echo: `body=""`},
	{name: "te-chunked", req: chunk + "3\r\nabc\r\n0\r\n\r\n", want: []string{ok200}, open: true, echo: `body="abc"`},
	{name: "te-chunked-case", req: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: ChUnKeD\r\n\r\n0\r\n\r\n", want: []string{ok200}, open: true},
	{name: "te-and-cl", req: "POST / HTTP/1.1\r\n" + h + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", want: []string{bad400}},
	{name: "te-http10", req: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", want: []string{bad400}},
	{name: "te-not-final", req: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", want: []string{bad400}},
	{name: "te-gzip-only", req: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip\r\n\r\n", want: []string{"HTTP/1.1 501 Not Implemented"}},
	{name: "te-identity", req: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: identity\r\n\r\n", want: []string{"HTTP/1.1 501 Not Implemented"}},
	{name: "te-unknown", req: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: foo\r\n\r\n", want: []string{"HTTP/1.1 501 Not Implemented"}},
	{name: "te-not-token", req: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: foo bar\r\n\r\n", want: []string{bad400}},
	{name: "te-unknown-before-chunked", req: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n", want: []string{"HTTP/1.1 501 Not Implemented"}},
	{name: "te-chunked-twice", req: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", want: []string{bad400}},
	{name: "te-empty-element", req: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: , chunked\r\n\r\n0\r\n\r\n", want: []string{bad400}},
	{name: "te-empty", req: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding:\r\n\r\n", want: []string{bad400}},

	// RFC 9112 §7.1: chunked.
	{name: "chunk-size-overflow", req: chunk + "10000000000000000\r\na\r\n0\r\n\r\n", want: []string{bad400 + ": http chunk length too large"}},
	{name: "chunk-size-2-63", req: chunk + "8000000000000000\r\na\r\n0\r\n\r\n", want: []string{bad400 + ": http chunk length too large"}},
	{name: "chunk-size-leading-zeros", req: chunk + "0003\r\nabc\r\n0\r\n\r\n", want: []string{ok200}, open: true, echo: `body="abc"`},
	{name: "chunk-size-empty", req: chunk + ";a\r\nabc\r\n0\r\n\r\n", want: []string{bad400 + ": empty hex number for chunk length"}},
	{name: "chunk-size-sign", req: chunk + "+3\r\nabc\r\n0\r\n\r\n", want: []string{bad400 + ": invalid byte in chunk length"}},
	{name: "chunk-size-0x", req: chunk + "0x3\r\nabc\r\n0\r\n\r\n", want: []string{bad400 + ": invalid byte in chunk length"}},
	{name: "chunk-size-trailing-space", req: chunk + "3 \r\nabc\r\n0\r\n\r\n", want: []string{bad400 + ": invalid byte in chunk length"}},
	{name: "chunk-ext", req: chunk + "3;a\r\nabc\r\n0;b=c\r\n\r\n", want: []string{ok200}, open: true, echo: `body="abc"`},
	{name: "chunk-ext-bws", req: chunk + "3 \t; a = b ;c\t=\t\"d;e\"\r\nabc\r\n0\r\n\r\n", want: []string{ok200}, open: true, echo: `body="abc"`},
	{name: "chunk-ext-quoted", req: chunk + "3;a=\"b \\\"c\\\" ;d\"\r\nabc\r\n0\r\n\r\n", want: []string{ok200}, open: true, echo: `body="abc"`},
	{name: "chunk-ext-trailing-bws", req: chunk + "3;a=b \r\nabc\r\n0\r\n\r\n", want: []string{bad400 + ": malformed chunked encoding"}},
	{name: "chunk-ext-no-name", req: chunk + "3;\r\nabc\r\n0\r\n\r\n", want: []string{bad400 + ": malformed chunked encoding"}},
	{name: "chunk-ext-open-quote", req: chunk + "3;a=\"b\r\nabc\r\n0\r\n\r\n", want: []string{bad400 + ": malformed chunked encoding"}},
	{name: "chunk-ext-ctl", req: chunk + "3;a=\x01\r\nabc\r\n0\r\n\r\n", want: []string{bad400 + ": malformed chunked encoding"}},
	{name: "chunk-bare-lf", req: chunk + "3\nabc\r\n0\r\n\r\n", want: []string{bad400 + ": chunked line ends with bare LF"}},
	{name: "chunk-bare-cr", req: chunk + "3;a\rb\r\nabc\r\n0\r\n\r\n", want: []string{bad400 + ": invalid CR in chunked line"}},
	{name: "chunk-data-no-crlf", req: chunk + "3\r\nabcd\r\n0\r\n\r\n", want: []string{bad400 + ": malformed chunked encoding"}},
	{name: "chunk-incomplete", req: chunk + "3\r\nab", cut: true, want: []string{ok200}, echo: "unexpected EOF"},
	{name: "trailer", req: chunk + "3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n", want: []string{ok200}, open: true, echo: `trailer=map[X-T:[1]]`},
	{name: "trailer-content-length", req: chunk + "0\r\nContent-Length: 5\r\n\r\n", want: []string{bad400 + ": http: trailer field that frames or routes the message"}},
	{name: "trailer-transfer-encoding", req: chunk + "0\r\nTransfer-Encoding: chunked\r\n\r\n", want: []string{bad400 + ": http: trailer field that frames or routes the message"}},
	{name: "trailer-host", req: chunk + "0\r\nHost: evil.example\r\n\r\n", want: []string{bad400 + ": http: trailer field that frames or routes the message"}},
	{name: "trailer-trailer", req: chunk + "0\r\nTrailer: X\r\n\r\n", want: []string{bad400 + ": http: trailer field that frames or routes the message"}},
	{name: "trailer-declared-framing", req: "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nTrailer: Content-Length\r\n\r\n0\r\n\r\n", want: []string{bad400}},
	{name: "trailer-bare-lf", req: chunk + "0\r\nX: 1\n\r\n", want: []string{bad400 + ": chunked line ends with bare LF"}},

	// RFC 9110 §10.1.1: Expect.
	{name: "expect-continue", req: "POST / HTTP/1.1\r\n" + h + "Expect: 100-continue\r\nContent-Length: 3\r\n\r\nabc", want: []string{"HTTP/1.1 100 Continue", ok200}, open: true},
	{name: "expect-continue-http10", req: "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc", want: []string{ok10}, echo: `body="abc"`},
	{name: "expect-continue-no-body", req: "GET / HTTP/1.1\r\n" + h + "Expect: 100-continue\r\n\r\n", want: []string{ok200}, open: true},
	{name: "expect-other", req: "POST / HTTP/1.1\r\n" + h + "Expect: 200-ok\r\nContent-Length: 3\r\n\r\nabc", want: []string{"HTTP/1.1 417 Expectation Failed"}},

	// RFC 9112 §9: connection management.
	{name: "close", req: "GET / HTTP/1.1\r\n" + h + "Connection: close\r\n\r\nGET / HTTP/1.1\r\n" + h + "\r\n", want: []string{ok200}},
	{name: "close-in-list", req: "GET / HTTP/1.1\r\n" + h + "Connection: x, CLOSE\r\n\r\n", want: []string{ok200}},
	{name: "http10-keep-alive-close", req: "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", want: []string{ok10}},
	{name: "pipelined", req: "GET /1 HTTP/1.1\r\n" + h + "\r\nPOST /2 HTTP/1.1\r\n" + h + "Content-Length: 1\r\n\r\nxGET /3 HTTP/1.1\r\n" + h + "\r\n", want: []string{ok200, ok200, ok200}, open: true, echo: "t=/1 "},
	{name: "error-closes", req: "GET / HTTP/1.1\r\nX : 1\r\n" + h + "\r\nGET / HTTP/1.1\r\n" + h + "\r\n", want: []string{bad400 + ": invalid header name"}},
	{name: "incomplete-head", req: "GET / HTTP/1.1\r\n" + h, cut: true, want: []string{bad400}},

	// RFC 9110 §7.8, §9.3: Upgrade and methods.
	{name: "upgrade-http10", req: "GET / HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", want: []string{ok10}, echo: `upgrade=""`},
	{name: "upgrade-http11", req: "GET / HTTP/1.1\r\n" + h + "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n", want: []string{ok200}, open: true, echo: `upgrade="websocket"`},
	{name: "head", req: "HEAD / HTTP/1.1\r\n" + h + "\r\n", want: []string{ok200}, open: true},
	{name: "trace", req: "TRACE / HTTP/1.1\r\n" + h + "\r\n", want: []string{ok200}, open: true, echo: "m=TRACE "},
	{name: "options-path", req: "OPTIONS /a HTTP/1.1\r\n" + h + "\r\n", want: []string{ok200}, open: true, echo: "m=OPTIONS "},
	{name: "options-empty", req: "OPTIONS /empty HTTP/1.1\r\n" + h + "\r\n", want: []string{ok200}, open: true, hdr: []string{"Content-Length: 0"}},
	{name: "early-hints", req: "GET /early HTTP/1.1\r\n" + h + "\r\n", want: []string{"HTTP/1.1 103 Early Hints", ok200}, open: true},
	{name: "early-hints-http10", req: "GET /early HTTP/1.0\r\n\r\n", want: []string{ok10}},
	{name: "get-with-body", req: "GET / HTTP/1.1\r\n" + h + "Content-Length: 3\r\n\r\nabc", want: []string{ok200}, open: true, echo: `body="abc"`},
}

// rfcEcho answers with what the request was, in one line, except
// CONNECT, which it refuses with 405 as an origin server would, but for
// tunnel.example, which gets a 200 and a byte; /early first gets a 103
// and /empty an empty 200.
func rfcEcho(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == "CONNECT" && r.Host == "tunnel.example:443":
		io.WriteString(w, "t")
		return
	case r.Method == "CONNECT":
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	case r.URL.Path == "/early":
		w.Header().Set("Link", "</a>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
	case r.URL.Path == "/empty":
		return
	}
	body, err := io.ReadAll(r.Body)
	fmt.Fprintf(w, "m=%s t=%s host=%s proto=%s x=%q body=%q err=%v trailer=%v upgrade=%q\n",
		r.Method, r.RequestURI, r.Host, r.Proto, r.Header.Get("X"), body, err, r.Trailer, r.Header.Get("Upgrade"))
}

// TestRFC sends every rfcCase on every backend and mode, in one write and
// byte by byte, followed on the same connection by a sentinel request
// with Connection: close, and checks the status line of every response,
// a Date on each (RFC 9110 §6.6.1: every 2xx to 4xx), the body of the
// first where the case says, and whether the sentinel was answered (the
// connection kept, in step).
func TestRFC(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		addr := serve(t, b, &ringhttp.Server{Handler: http.HandlerFunc(rfcEcho)})
		for _, c := range rfcCases {
			for _, split := range []bool{false, true} {
				name := c.name
				if split {
					name += "/split"
				}
				t.Run(name, func(t *testing.T) {
					checkRFC(t, addr, c, split)
				})
			}
		}
	})
}

func checkRFC(t *testing.T, addr string, c rfcCase, split bool) {
	t.Helper()
	var raw string
	if c.cut {
		raw = exchangeCut(t, addr, c.req, split)
	} else {
		raw = exchange(t, addr, c.req+sentinel, split)
	}
	br := bufio.NewReader(strings.NewReader(raw))
	var got []string
	var firstBody string
	for {
		var req *http.Request
		if strings.HasPrefix(c.req, "HEAD ") && len(got) == 0 {
			req = &http.Request{Method: "HEAD"}
		}
		if _, err := br.Peek(1); err != nil {
			break
		}
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatalf("reading response %d: %v\nall: %q", len(got)+1, err, raw)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("reading response %d body: %v\nall: %q", len(got)+1, err, raw)
		}
		if resp.StatusCode < 500 && resp.StatusCode >= 200 {
			if _, err := time.Parse(http.TimeFormat, resp.Header.Get("Date")); err != nil {
				t.Errorf("response %d (%s) without a valid Date: %q", len(got)+1, resp.Status, resp.Header.Get("Date"))
			}
		}
		if len(got) == 0 {
			firstBody = string(body)
			for _, f := range c.hdr {
				k, v, _ := strings.Cut(f, ": ")
				if !slices.Equal(resp.Header[k], []string{v}) {
					t.Errorf("%q: first response has %s %q, want %q", c.req, k, resp.Header[k], v)
				}
			}
			for _, k := range c.nohdr {
				if _, ok := resp.Header[k]; ok || k == "Content-Length" && resp.ContentLength >= 0 {
					t.Errorf("%q: first response has %s %q, want none", c.req, k, resp.Header[k])
				}
			}
		}
		got = append(got, resp.Proto+" "+resp.Status)
	}
	want := c.want
	if c.open {
		want = append(slices.Clip(want), ok200) // the sentinel
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%q\ngot  %q\nwant %q (open %v)\nall: %q", c.req, got, want, c.open, raw)
	}
	if c.echo != "" && !strings.Contains(firstBody, c.echo) {
		t.Errorf("%q: body %q, want it to contain %q", c.req, firstBody, c.echo)
	}
}

// exchangeCut sends raw, in one write or byte by byte, half-closes, and
// returns everything the server sends until it closes.
func exchangeCut(t *testing.T, addr, raw string, split bool) string {
	t.Helper()
	c := dial(t, addr)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	pieces := []string{raw}
	if split {
		pieces = strings.Split(raw, "")
	}
	for _, p := range pieces {
		if _, err := io.WriteString(c, p); err != nil {
			t.Fatal(err)
		}
	}
	c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil && !isReset(err) {
		t.Fatalf("reading response: %v (got %q)", err, got)
	}
	return string(got)
}

// The parser's bounds (docs/conformance.md, "Bounds"), restated here so
// that a change to one fails this test until the documentation follows.
const (
	maxRequestTarget = 64 << 10 // parse.go
	maxRequestLine   = maxRequestTarget + 1024
	maxHeaderFields  = 1000 // parse.go
	maxChunkLine     = 4096 // internal/wire, chunk-size and extensions
	maxTrailerBytes  = 64 << 10
	maxChunkOverhead = 16 << 10 // internal/wire: non-data bytes beyond 16 per chunk and twice its size
	smallHeaderBytes = 4096     // MaxHeaderBytes for the header-bytes case
	headerSlack      = 4096     // what the server adds to MaxHeaderBytes, as net/http
)

// TestBounds checks each bound of the request parser exactly, on every
// backend and mode: a request at the bound is served, one byte (or field)
// past it gets its status and the connection closed.
func TestBounds(t *testing.T) {
	// head returns a request head of exactly n bytes: request line, Host,
	// and an X field padded to fit.
	head := func(n int) string {
		const start = "GET / HTTP/1.1\r\nHost: h\r\nX: "
		return start + strings.Repeat("a", n-len(start)-4) + "\r\n\r\n"
	}
	target := func(n int) string {
		return "GET /" + strings.Repeat("t", n-1) + " HTTP/1.1\r\n" + h + "\r\n"
	}
	fields := func(n int) string {
		return "GET / HTTP/1.1\r\n" + h + strings.Repeat("X: 1\r\n", n-1) + "\r\n"
	}
	chunkLine := func(n int) string { // "3;e=vvv..." of n bytes
		return chunk + "3;e=" + strings.Repeat("v", n-4) + "\r\nabc\r\n0\r\n\r\n"
	}
	trailer := func(n int) string { // a trailer section of n bytes, its last CRLF included
		return chunk + "0\r\nX-T: " + strings.Repeat("v", n-5-4) + "\r\n\r\n"
	}
	// overhead returns a chunked body of 8 one-byte chunks whose size
	// lines are 2064 bytes long, the last one extra bytes longer: each
	// line costs its length + 2 (CRLFs) - 18 (16 free, twice the size)
	// of the overhead allowance, so 8 lines of 2064 use it exactly.
	overhead := func(extra int) string {
		line := func(n int) string { return "1;e=" + strings.Repeat("v", n-4) + "\r\na\r\n" }
		return chunk + strings.Repeat(line(2064), 7) + line(2064+extra) + "0\r\n\r\n"
	}
	if 8*(2064+2-18) != maxChunkOverhead {
		t.Fatal("overhead case out of step with maxChunkOverhead")
	}
	small := []rfcCase{
		{name: "header-bytes", req: head(smallHeaderBytes + headerSlack), want: []string{ok200}, open: true},
		{name: "header-bytes+1", req: head(smallHeaderBytes + headerSlack + 1), want: []string{"HTTP/1.1 431 Request Header Fields Too Large"}},
		{name: "request-line-past-header-bytes", req: target(smallHeaderBytes + headerSlack), want: []string{"HTTP/1.1 414 Request URI Too Long"}},
	}
	cases := []rfcCase{
		{name: "target", req: target(maxRequestTarget), want: []string{ok200}, open: true},
		{name: "target+1", req: target(maxRequestTarget + 1), want: []string{"HTTP/1.1 414 Request URI Too Long"}},
		{name: "request-line-unended", req: "GET /" + strings.Repeat("t", maxRequestLine), cut: true, want: []string{"HTTP/1.1 414 Request URI Too Long"}},
		{name: "method-unended", req: strings.Repeat("M", maxRequestLine+1), cut: true, want: []string{"HTTP/1.1 501 Not Implemented: method too long"}},
		{name: "fields", req: fields(maxHeaderFields), want: []string{ok200}, open: true},
		{name: "fields+1", req: fields(maxHeaderFields + 1), want: []string{"HTTP/1.1 431 Request Header Fields Too Large"}},
		{name: "chunk-line", req: chunkLine(maxChunkLine), want: []string{ok200}, open: true, echo: `body="abc"`},
		{name: "chunk-line+1", req: chunkLine(maxChunkLine + 1), want: []string{bad400 + ": header line too long"}},
		{name: "chunk-overhead", req: overhead(0), want: []string{ok200}, open: true, echo: `body="aaaaaaaa"`},
		{name: "chunk-overhead+1", req: overhead(1), want: []string{bad400 + ": chunked encoding contains too much non-data"}},
		{name: "trailer", req: trailer(maxTrailerBytes), want: []string{ok200}, open: true},
		{name: "trailer+1", req: trailer(maxTrailerBytes + 1), want: []string{bad400 + ": http: suspiciously long trailer after chunked body"}},
	}
	run(t, func(t *testing.T, b backend) {
		smallAddr := serve(t, b, &ringhttp.Server{Handler: http.HandlerFunc(rfcEcho), MaxHeaderBytes: smallHeaderBytes})
		addr := serve(t, b, &ringhttp.Server{Handler: http.HandlerFunc(rfcEcho)})
		for _, c := range small {
			t.Run(c.name, func(t *testing.T) { checkRFC(t, smallAddr, c, false) })
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) { checkRFC(t, addr, c, false) })
		}
	})
}
