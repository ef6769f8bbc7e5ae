package http_test

import (
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"

	ringhttp "github.com/ringnet/ringnet/http"
)

// sentinel follows every case on the same connection: its response shows
// whether the server kept the connection open after the case, and in
// sync with the client.
const sentinel = "GET /sentinel HTTP/1.1\r\nHost: s\r\nConnection: close\r\n\r\n"

// A diffCase is raw request bytes sent to both servers; to ours also
// byte by byte when it is short. When ours is set
// the difference is deliberate (docs/conformance.md, "## http"): our
// output must start with ours, and the connection must be closed.
type diffCase struct {
	name string
	req  string
	ours string // deliberate difference: our expected response prefix
	// oursOpen: with ours, the connection stays open (the sentinel is
	// answered) instead of closing.
	oursOpen bool
}

const hostH = "Host: example.com\r\n"

var diffCases = []diffCase{
	// Request line forms and versions.
	{name: "get", req: "GET / HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "info", req: "GET /info?a=1&b=%20x HTTP/1.1\r\n" + hostH + "User-Agent: t\r\n\r\n"},
	{name: "escaped-path", req: "GET /info/a%2Fb/%7E HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "absolute-form", req: "GET http://other.example:8080/info?q HTTP/1.1\r\nHost: other.example:8080\r\n\r\n"},
	{name: "absolute-host-mismatch", req: "GET http://other.example:8080/info?q HTTP/1.1\r\n" + hostH + "\r\n",
		ours: "HTTP/1.1 400 Bad Request: Host does not match the target\r\n"},
	{name: "authority-form", req: "CONNECT example.com:443 HTTP/1.1\r\n\r\n"},
	{name: "connect-path", req: "CONNECT /info HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "asterisk-options", req: "OPTIONS * HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "asterisk-get", req: "GET * HTTP/1.1\r\n" + hostH + "\r\n",
		ours: "HTTP/1.1 400 Bad Request: asterisk-form target for a method other than OPTIONS\r\n"},
	{name: "http10", req: "GET /info HTTP/1.0\r\n\r\n"},
	{name: "http10-keepalive", req: "GET /info HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
	{name: "http10-keepalive-big", req: "GET /big HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
	{name: "http10-flush", req: "GET /flush HTTP/1.0\r\n\r\n"},
	{name: "http12", req: "GET /info HTTP/1.2\r\n" + hostH + "\r\n"},
	{name: "http20", req: "GET / HTTP/2.0\r\n" + hostH + "\r\n"},
	{name: "http09", req: "GET / HTTP/0.9\r\n" + hostH + "\r\n"},
	{name: "version-lower", req: "GET / http/1.1\r\n" + hostH + "\r\n"},
	{name: "version-long", req: "GET / HTTP/1.10\r\n" + hostH + "\r\n"},
	{name: "lowercase-method", req: "get /info HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "custom-method", req: "PURGE /info HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "bad-method", req: "G(T / HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "double-space", req: "GET  / HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "no-version", req: "GET /\r\n" + hostH + "\r\n"},
	{name: "empty-line-first", req: "\r\nGET / HTTP/1.1\r\n" + hostH + "\r\n",
		ours: "HTTP/1.1 200 OK\r\nDate: *\r\nContent-Length: 5\r\n", oursOpen: true},
	{name: "ctl-in-target", req: "GET /a\x01b HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "garbage", req: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"},

	// Header fields.
	{name: "canonical-keys", req: "GET /info HTTP/1.1\r\n" + hostH + "x-lower: 1\r\nX-UPPER: 2\r\nx-dup: a\r\nX-Dup: b\r\ncontent-type: text/x\r\n\r\n"},
	{name: "odd-keys", req: "GET /info HTTP/1.1\r\n" + hostH + "X_Under: 1\r\nX.Dot: 2\r\nX!: 3\r\n\r\n"},
	{name: "value-whitespace", req: "GET /info HTTP/1.1\r\n" + hostH + "X-A:   spaced  \t\r\nX-B:\r\nX-C: a  b\r\n\r\n"},
	{name: "obs-text", req: "GET /info HTTP/1.1\r\n" + hostH + "X-A: caf\xc3\xa9\r\n\r\n"},
	{name: "pragma", req: "GET /info HTTP/1.1\r\n" + hostH + "Pragma: no-cache\r\n\r\n"},
	{name: "space-before-colon", req: "GET / HTTP/1.1\r\n" + hostH + "X-A : 1\r\n\r\n"},
	{name: "no-colon", req: "GET / HTTP/1.1\r\n" + hostH + "X-A\r\n\r\n"},
	{name: "empty-name", req: "GET / HTTP/1.1\r\n" + hostH + ": 1\r\n\r\n"},
	{name: "nul-in-value", req: "GET / HTTP/1.1\r\n" + hostH + "X-A: a\x00b\r\n\r\n"},
	{name: "cr-in-value", req: "GET / HTTP/1.1\r\n" + hostH + "X-A: a\rb\r\n\r\n"},
	{name: "del-in-value", req: "GET / HTTP/1.1\r\n" + hostH + "X-A: a\x7fb\r\n\r\n"},
	{name: "ctl-in-name", req: "GET / HTTP/1.1\r\n" + hostH + "X\x01A: 1\r\n\r\n"},
	{name: "leading-space-first-field", req: "GET / HTTP/1.1\r\n X-A: 1\r\n" + hostH + "\r\n"},
	{name: "header-too-big", req: "GET / HTTP/1.1\r\n" + hostH + "X-Big: " + strings.Repeat("a", 20000) + "\r\n\r\n"},
	{name: "obs-fold", req: "GET /info HTTP/1.1\r\n" + hostH + "X-A: 1\r\n 2\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request: obsolete line folding is not accepted\r\n"},
	{name: "bare-lf", req: "GET /info HTTP/1.1\n" + hostH + "X-A: 1\n\n",
		ours: "HTTP/1.1 400 Bad Request\r\n"},

	// Host.
	{name: "no-host-11", req: "GET / HTTP/1.1\r\n\r\n"},
	{name: "no-host-10", req: "GET /info HTTP/1.0\r\n\r\n"},
	{name: "two-hosts", req: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
	{name: "bad-host", req: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"},
	{name: "host-slash", req: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"},
	{name: "empty-host", req: "GET /info HTTP/1.1\r\nHost:\r\n\r\n"},
	{name: "ipv6-host", req: "GET /info HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"},

	// Content-Length framing.
	{name: "post-cl", req: "POST /info HTTP/1.1\r\n" + hostH + "Content-Length: 5\r\n\r\nhello"},
	{name: "post-cl-zero", req: "POST /info HTTP/1.1\r\n" + hostH + "Content-Length: 0\r\n\r\n"},
	{name: "cl-dup-same", req: "POST /info HTTP/1.1\r\n" + hostH + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc"},
	{name: "cl-dup-differ", req: "POST /info HTTP/1.1\r\n" + hostH + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"},
	{name: "cl-list", req: "POST /info HTTP/1.1\r\n" + hostH + "Content-Length: 3, 3\r\n\r\nabc"},
	{name: "cl-plus", req: "POST /info HTTP/1.1\r\n" + hostH + "Content-Length: +3\r\n\r\nabc"},
	{name: "cl-negative", req: "POST /info HTTP/1.1\r\n" + hostH + "Content-Length: -1\r\n\r\n"},
	{name: "cl-hex", req: "POST /info HTTP/1.1\r\n" + hostH + "Content-Length: 0x3\r\n\r\nabc"},
	{name: "cl-empty", req: "POST /info HTTP/1.1\r\n" + hostH + "Content-Length:\r\n\r\n"},
	{name: "cl-overflow", req: "POST /info HTTP/1.1\r\n" + hostH + "Content-Length: 99999999999999999999\r\n\r\n"},
	{name: "cl-unread", req: "POST /noread HTTP/1.1\r\n" + hostH + "Content-Length: 5\r\n\r\nhello"},
	{name: "cl-unread-big", req: "POST /noread HTTP/1.1\r\n" + hostH + "Content-Length: 300000\r\n\r\n" + strings.Repeat("b", 300000)},
	{name: "chunked-unread-big", req: "POST /noread HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n" + strings.Repeat("1000\r\n"+strings.Repeat("c", 4096)+"\r\n", 70) + "0\r\n\r\n"},
	{name: "cl-closebody", req: "POST /closebody HTTP/1.1\r\n" + hostH + "Content-Length: 5\r\n\r\nhello"},
	{name: "maxbytes", req: "POST /maxbytes HTTP/1.1\r\n" + hostH + "Content-Length: 10\r\n\r\n0123456789",
		ours: "HTTP/1.1 200 OK\r\nDate: *\r\nContent-Length: 32\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nerr=http: request body too large", oursOpen: true},

	// Chunked framing.
	{name: "chunked", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"},
	{name: "chunked-upper", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n"},
	{name: "chunked-ext", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n5;a=b;c=\"d\"\r\nhello\r\n0;z\r\n\r\n"},
	{name: "chunked-trailer", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\nTrailer: X-T, x-u\r\n\r\n1\r\na\r\n0\r\nX-T: 1\r\nx-u: 2\r\nX-Other: 3\r\n\r\n"},
	{name: "chunked-bad-trailer-decl", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\nTrailer: Content-Length\r\n\r\n0\r\n\r\n"},
	{name: "chunked-leading-zeros", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n0005\r\nhello\r\n0\r\n\r\n"},
	{name: "chunked-overflow", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n10000000000000001\r\na\r\n0\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request: http chunk length too large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"},
	{name: "chunked-bad-size", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\nz\r\na\r\n0\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request: invalid byte in chunk length\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"},
	{name: "chunked-missing-crlf", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request: malformed chunked encoding\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"},
	{name: "chunked-unread", req: "POST /noread HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
	{name: "te-gzip", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: gzip\r\n\r\n"},
	{name: "te-gzip-chunked", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: gzip, chunked\r\n\r\n"},
	{name: "te-twice", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request\r\n"},
	{name: "te-identity", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: identity\r\n\r\n"},
	{name: "cl-and-te", req: "POST /info HTTP/1.1\r\n" + hostH + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request\r\n"},
	{name: "te-in-http10", req: "POST /info HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request\r\n"},
	{name: "te-chunked-gzip", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request\r\n"},
	{name: "te-empty-element", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked,\r\n\r\n0\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request\r\n"},
	{name: "te-identity-and-cl", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc",
		ours: "HTTP/1.1 400 Bad Request\r\n"},
	{name: "te-deflate-chunked", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
	{name: "cl-underscore", req: "POST /info HTTP/1.1\r\n" + hostH + "Content_Length: 3\r\n\r\nabc",
		ours: "HTTP/1.1 400 Bad Request\r\n"},
	{name: "te-underscore", req: "POST /info HTTP/1.1\r\n" + hostH + "TRANSFER_ENCODING: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request\r\n"},
	{name: "other-underscore", req: "POST /info HTTP/1.1\r\n" + hostH + "X_Content_Length: 3\r\n\r\n"},
	{name: "chunked-ext-empty-name", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n0\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request: malformed chunked encoding\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"},
	{name: "chunked-ext-bad-name", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n5;bad[=x\r\nhello\r\n0\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request: malformed chunked encoding\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"},
	{name: "chunked-ext-open-quote", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n5;a=\"b; c\r\nhello\r\n0\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request: malformed chunked encoding\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"},
	{name: "chunked-ext-quoted", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n5;a=\"b \\\"c\\\"; d\" ; e = f\r\nhello\r\n0\r\n\r\n"},
	{name: "pri-http11", req: "PRI * HTTP/1.1\r\n\r\nSM\r\n\r\n"},
	{name: "pri-http2-with-field", req: "PRI * HTTP/2.0\r\nX: y\r\n\r\n",
		ours: "HTTP/1.1 505 HTTP Version Not Supported: unsupported protocol version\r\n"},
	// The HTTP/2 preface, without h2c in Protocols: 505 and closed, the
	// whole answer (net/http passes it to the handler; h2_test.go has
	// the preface served as h2c).
	{name: "h2-preface", req: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		ours: "HTTP/1.1 505 HTTP Version Not Supported: unsupported protocol version\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n505 HTTP Version Not Supported: unsupported protocol version"},
	{name: "chunked-bare-lf", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n",
		ours: "HTTP/1.1 400 Bad Request: chunked line ends with bare LF\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"},
	{name: "chunked-cr-in-ext", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n3;a\rb\r\nabc\r\n0\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request: invalid CR in chunked line\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"},
	{name: "chunked-empty-size", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n;a\r\nabc\r\n0\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request: empty hex number for chunk length\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"},
	{name: "chunked-truncated", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
		ours: "HTTP/1.1 400 Bad Request: invalid byte in chunk length\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"},

	// Expect.
	{name: "expect-continue-read", req: "POST /echo HTTP/1.1\r\n" + hostH + "Expect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"},
	{name: "expect-continue-noread", req: "POST /noread HTTP/1.1\r\n" + hostH + "Expect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"},
	{name: "expect-continue-nobody", req: "GET / HTTP/1.1\r\n" + hostH + "Expect: 100-continue\r\n\r\n"},
	{name: "expect-other", req: "POST /echo HTTP/1.1\r\n" + hostH + "Expect: 200-ok\r\nContent-Length: 3\r\n\r\nabc"},

	// Connection management.
	{name: "pipelined", req: "GET /info?1 HTTP/1.1\r\n" + hostH + "\r\nPOST /echo HTTP/1.1\r\n" + hostH + "Content-Length: 2\r\n\r\nhiGET /big HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "conn-close-request", req: "GET / HTTP/1.1\r\n" + hostH + "Connection: close\r\n\r\n"},
	{name: "conn-close-list", req: "GET / HTTP/1.1\r\n" + hostH + "Connection: foo, CLOSE\r\n\r\n"},
	{name: "conn-close-handler", req: "GET /conn-close HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "http10-keepalive-close", req: "GET /info HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
		ours: "HTTP/1.0 200 OK\r\nDate: *\r\nContent-Length: "},

	// Responses.
	{name: "head", req: "HEAD / HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "head-big", req: "HEAD /big HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "big-chunked", req: "GET /big HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "bigwrite", req: "GET /bigwrite HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "handler-cl", req: "GET /cl HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "short-cl", req: "GET /short HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "flush", req: "GET /flush HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "204", req: "GET /status/204 HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "304", req: "GET /status/304 HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "404", req: "GET /status/404 HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "odd-status", req: "GET /status/599 HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "early-hints", req: "GET /early HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "sniff", req: "GET /sniff HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "typed", req: "GET /typed HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "trailers", req: "GET /trailers HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "header-after-writeheader", req: "GET /after HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "identity", req: "GET /identity HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "empty", req: "GET /empty HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "not-found", req: "GET /nope/../x HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "panic", req: "GET /panic HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "abort", req: "GET /abort HTTP/1.1\r\n" + hostH + "\r\n"},

	// More corners.
	{name: "http10-head", req: "HEAD /big HTTP/1.0\r\n\r\n"},
	{name: "http10-post", req: "POST /info HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc"},
	{name: "http10-expect", req: "POST /echo HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"},
	{name: "http10-204-keepalive", req: "GET /status/204 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
	{name: "http11-keepalive-token", req: "GET /info HTTP/1.1\r\n" + hostH + "Connection: keep-alive\r\n\r\n"},
	{name: "absolute-https", req: "GET https://secure.example/info HTTP/1.1\r\nHost: secure.example\r\n\r\n"},
	{name: "absolute-no-host", req: "GET http:///info HTTP/1.1\r\n" + hostH + "\r\n",
		ours: "HTTP/1.1 400 Bad Request: target is not an origin-form path or an http(s) URI\r\n"},
	{name: "absolute-userinfo", req: "GET http://u:p@h.example/info HTTP/1.1\r\nHost: h.example\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request: userinfo in target\r\n"},
	{name: "fragment", req: "GET /info#frag HTTP/1.1\r\n" + hostH + "\r\n",
		ours: "HTTP/1.1 400 Bad Request\r\n"},
	{name: "bad-escape", req: "GET /info%zz HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "relative-target", req: "GET info HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "host-with-port", req: "GET /info HTTP/1.1\r\nHost: example.com:8080\r\n\r\n"},
	{name: "host-percent", req: "GET /info HTTP/1.1\r\nHost: ex%41mple.com\r\n\r\n"},
	{name: "host-underscore", req: "GET /info HTTP/1.1\r\nHost: my_host\r\n\r\n"},
	{name: "many-headers", req: "GET /info HTTP/1.1\r\n" + hostH + strings.Repeat("X-Many: v\r\n", 100) + "\r\n"},
	{name: "cookie-headers", req: "GET /info HTTP/1.1\r\n" + hostH + "Cookie: a=1\r\nCookie: b=2\r\n\r\n"},
	{name: "pipelined-bad-middle", req: "GET /info HTTP/1.1\r\n" + hostH + "\r\nGET / HTTP/1.1\r\nX A: 1\r\n\r\nGET / HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "space-in-name", req: "GET / HTTP/1.1\r\n" + hostH + "X A: 1\r\n\r\n"},
	{name: "space-in-name-bad-value", req: "GET / HTTP/1.1\r\n" + hostH + "X A: \x01\r\n\r\n"},
	{name: "space-in-name-bad-cl", req: "GET / HTTP/1.1\r\n" + hostH + "X A: 1\r\nContent-Length: x\r\n\r\n"},
	{name: "tab-before-colon", req: "GET / HTTP/1.1\r\n" + hostH + "X-A\t: 1\r\n\r\n"},
	{name: "bad-cl-and-version", req: "GET / HTTP/2.0\r\nContent-Length: x\r\n\r\n"},
	{name: "version-and-no-host", req: "GET / HTTP/3.0\r\n\r\n"},
	{name: "two-hosts-bad-cl", req: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: x\r\n\r\n"},
	{name: "te-bad-no-host", req: "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"},
	{name: "pipelined-http10", req: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /info HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
	{name: "pipelined-head-then-get", req: "HEAD /big HTTP/1.1\r\n" + hostH + "\r\nGET /sniff HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "chunked-many-trailers", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nA: 1\r\nA: 2\r\nb: 3\r\n\r\n"},
	{name: "chunked-bad-trailer", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nbad trailer\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request: malformed MIME header: missing colon: \"bad trailer\"\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"},
	{name: "chunked-trailer-bare-lf", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nA: 1\n\r\n",
		ours: "HTTP/1.1 400 Bad Request: chunked line ends with bare LF\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"},
	{name: "chunked-ext-ctl", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n5;a=\x04\r\nhello\r\n0\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request: malformed chunked encoding\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"},
	{name: "chunked-size-space", req: "POST /info HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
		ours: "HTTP/1.1 400 Bad Request: invalid byte in chunk length\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"},
	{name: "chunked-space-before-ext", req: "POST /echo HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n5 ;a\r\nhello\r\n0\r\n\r\n",
		ours: "HTTP/1.1 200 OK\r\nDate: *\r\nContent-Length: 5\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello", oursOpen: true},
	{name: "post-then-crlf", req: "POST /echo HTTP/1.1\r\n" + hostH + "Content-Length: 3\r\n\r\nabc\r\nGET /info HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "post-then-many-crlf", req: "POST /echo HTTP/1.1\r\n" + hostH + "Content-Length: 3\r\n\r\nabc\r\n\r\n\r\nGET /info HTTP/1.1\r\n" + hostH + "\r\n",
		ours: "HTTP/1.1 200 OK\r\nDate: *\r\nContent-Length: 3\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nabcHTTP/1.1 200 OK\r\n", oursOpen: true},
	{name: "get-then-crlf", req: "GET /info HTTP/1.1\r\n" + hostH + "\r\n\r\nGET /info HTTP/1.1\r\n" + hostH + "\r\n",
		ours: "HTTP/1.1 200 OK\r\n", oursOpen: true},
	{name: "chunked-then-pipelined", req: "POST /echo HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /info HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "cl-then-pipelined-unread", req: "POST /noread HTTP/1.1\r\n" + hostH + "Content-Length: 3\r\n\r\nabcGET /info HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "post-no-length", req: "POST /info HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "options-path", req: "OPTIONS /info HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "options-star-body", req: "OPTIONS * HTTP/1.1\r\n" + hostH + "Content-Length: 3\r\n\r\nabc"},
	{name: "head-status-304", req: "HEAD /status/304 HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "set-te-chunked", req: "GET /set-te-chunked HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "set-te-chunked-10", req: "GET /set-te-chunked HTTP/1.0\r\n\r\n"},
	{name: "set-cl-and-te", req: "GET /set-cl-and-te HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "bad-cl-handler", req: "GET /bad-cl HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "over-cl", req: "GET /over-cl HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "keepalive-header-10", req: "GET /keepalive-header HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
	{name: "keepalive-header-11", req: "GET /keepalive-header HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "head-cl", req: "HEAD /head-cl HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "get-cl-empty", req: "GET /head-cl HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "write-204", req: "GET /write-204 HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "encoded-no-sniff", req: "GET /encoded HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "header-newline", req: "GET /header-newline HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "flush-empty", req: "GET /flush-empty HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "flush-empty-head", req: "HEAD /flush-empty HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "flush-then-trailer", req: "GET /flush-then-trailer HTTP/1.1\r\n" + hostH + "\r\n"},
	{name: "bigbody-read-chunked", req: "POST /bigbody-read HTTP/1.1\r\n" + hostH + "Transfer-Encoding: chunked\r\n\r\n" + strings.Repeat("fff\r\n"+strings.Repeat("d", 0xfff)+"\r\n", 40) + "0\r\n\r\n"},
	{name: "bigbody-read-cl", req: "POST /bigbody-read HTTP/1.1\r\n" + hostH + "Content-Length: 200000\r\n\r\n" + strings.Repeat("e", 200000)},
	{name: "status-101", req: "GET /status/101 HTTP/1.1\r\n" + hostH + "\r\n"},
}

var (
	dateLine  = regexp.MustCompile(`\r\nDate: [^\r]*\r\n`)
	errorDate = regexp.MustCompile(`(HTTP/1\.1 [45]\d\d [^\r]*)\r\nDate: \*(\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n)`)
)

func normalize(s string) string { return dateLine.ReplaceAllString(s, "\r\nDate: *\r\n") }

// noErrorDate drops the Date of our own error responses, which net/http's
// lack (RFC 9110 §6.6.1 wants one in a 4xx; TestRFC checks it is there).
func noErrorDate(s string) string { return errorDate.ReplaceAllString(s, "$1$2") }

// TestDifferential sends every case to net/http.Server and to ours, on
// each backend, and compares the bytes that come back.
func TestDifferential(t *testing.T) {
	quiet := log.New(io.Discard, "", 0)
	oracle, stop := serveOracle(t, &http.Server{Handler: testHandler(), ErrorLog: quiet, MaxHeaderBytes: 4096})
	defer stop()
	want := make(map[string]string)
	for _, c := range diffCases {
		want[c.name] = normalize(exchange(t, oracle, c.req+sentinel, false))
	}
	t.Run("backends", func(t *testing.T) {
		run(t, func(t *testing.T, b backend) {
			addr := serve(t, b, &ringhttp.Server{Handler: testHandler(), MaxHeaderBytes: 4096})
			for _, c := range diffCases {
				for _, split := range []bool{false, true} {
					if split && len(c.req) > 2000 {
						continue
					}
					got := noErrorDate(normalize(exchange(t, addr, c.req+sentinel, split)))
					name := c.name
					if split {
						name += "/split"
					}
					if c.ours != "" {
						if !strings.HasPrefix(got, c.ours) || strings.HasSuffix(got, "hello") != c.oursOpen {
							t.Errorf("%s: deliberate difference not as documented:\ngot  %q\nwant prefix %q, open %v", name, got, c.ours, c.oursOpen)
						}
						continue
					}
					if got != want[c.name] {
						t.Errorf("%s:\nours   %q\noracle %q", name, got, want[c.name])
					}
				}
			}
		})
	})
}

// serveOracle serves s, net/http's server as the oracle of a differential
// test, on a fresh loopback listener; it returns the address and a stop
// that closes s and checks how Serve returned. (The oracle's answers are
// taken before the parallel subtests start, so it need not outlive them.)
func serveOracle(t *testing.T, s *http.Server) (addr string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	return ln.Addr().String(), func() {
		s.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Error(err)
		}
	}
}
