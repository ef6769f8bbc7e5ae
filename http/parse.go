package http

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/ringnet/ringnet/internal/wire"
)

// maxRequestTarget bounds the request-target; longer ones get 414
// (RFC 9112 §3: a server that receives a request-target longer than any
// URI it wishes to parse MUST respond with 414).
const maxRequestTarget = 64 << 10

// readHeaderBlock returns the request line and header fields through the
// empty line that ends them, as one string, and consumes them from b.
// Lines must end in CRLF (a bare LF is refused, RFC 9112 §2.2). limit
// bounds the whole block: past it the request is errHeaderTooBig (431).
// An EOF before the first byte is returned as is: the client went away.
//
// prev is the connection's previous block: when this one has the same
// bytes (a client repeating a request) prev is returned, and the block
// costs no allocation. Strings are immutable, so two requests sharing
// one is no different from two requests sharing "GET".
func (b *connReader) readHeaderBlock(limit int, prev string) (string, error) {
	pos := 0 // start of the next line not yet seen whole
	for {
		buf := b.buffered()
		i := bytes.IndexByte(buf[pos:], '\n')
		if i < 0 {
			if len(buf) >= limit {
				return "", errHeaderTooBig
			}
			if err := b.fill(limit); err != nil {
				if err == errTooLarge {
					return "", errHeaderTooBig
				}
				if len(buf) > 0 && err == io.EOF {
					// The request stopped half way; net/http answers 400.
					// Timeouts and other net errors close silently.
					return "", errBadRequest
				}
				return "", err
			}
			continue
		}
		end := pos + i // index of '\n'
		if end == 0 || buf[end-1] != '\r' {
			return "", errBadRequest
		}
		if end-1 == pos { // an empty line
			if pos == 0 {
				return "", errBadRequest // no request line
			}
			block := prev
			if string(buf[:end+1]) != prev {
				block = string(buf[:end+1])
			}
			b.consume(end + 1)
			return block, nil
		}
		pos = end + 1
		if pos > limit {
			return "", errHeaderTooBig
		}
	}
}

// reqMem is the memory of one parsed request but its header map and
// block: the Request, its URL and the first value of up to inlineValues
// header fields. It lives in the response, so that one allocation holds
// all of them (docs/design.md, "Allocations per request on the loops").
type reqMem struct {
	req  http.Request
	url  url.URL
	vals [inlineValues]string
}

// inlineValues is how many header fields a request may have for their
// values to need no allocation of their own: more than a browser sends.
const inlineValues = 16

// parseRequest turns a header block from readHeaderBlock into m.req,
// filled as net/http fills it except Body, RemoteAddr, TLS and the
// context, and returns the body length (chunkedLength for a chunked
// body). The checks run in net/http's order, so a request with several
// faults gets the same answer from both.
func parseRequest(block string, m *reqMem) (int64, error) {
	req := &m.req
	line, rest, _ := strings.Cut(block, "\r\n")
	var ok bool
	if req.Method, req.RequestURI, req.Proto, ok = parseRequestLine(line); !ok {
		return 0, errBadRequest
	}
	if len(req.RequestURI) > maxRequestTarget {
		return 0, errURITooLong
	}
	if req.ProtoMajor, req.ProtoMinor, ok = http.ParseHTTPVersion(req.Proto); !ok {
		return 0, errBadRequest
	}
	if err := parseTarget(req, &m.url); err != nil {
		return 0, err
	}
	h, spaceInName, err := wire.ParseHeader(rest, m.vals[:])
	if err != nil {
		return 0, errBadRequest
	}
	req.Header = h
	if len(h["Host"]) > 1 {
		return 0, errBadRequest // RFC 9112 §3.2
	}
	wire.FixPragma(h)
	req.Close = shouldClose(req.ProtoMajor, req.ProtoMinor, h)
	length, err := requestFraming(req)
	if err != nil {
		return 0, err
	}
	if req.ProtoMajor != 1 && !(req.ProtoMajor == 2 && req.ProtoMinor == 0 && req.Method == "PRI" && req.RequestURI == "*") {
		return 0, errVersion
	}
	if err := checkHost(req); err != nil {
		return 0, err
	}
	if spaceInName {
		// RFC 9112 §5.1: no whitespace between name and colon; net/http
		// names this fault in its answer.
		return 0, badRequest("invalid header name")
	}
	return length, nil
}

// parseRequestLine splits "method SP request-target SP HTTP-version"
// (RFC 9112 §3). The method must be a token; the target must be non-empty
// and hold no whitespace or control bytes.
func parseRequestLine(line string) (method, target, proto string, ok bool) {
	method, rest, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || !wire.IsToken(method) || target == "" {
		return "", "", "", false
	}
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= ' ' || c == 0x7f {
			return "", "", "", false
		}
	}
	return method, target, proto, true
}

// parseTarget fills URL from RequestURI: origin, absolute, authority
// (CONNECT) and asterisk forms (RFC 9112 §3.2), as net/http does. An
// origin-form target that url.ParseRequestURI would take apart without
// unescaping or escaping anything (the usual "/path?query") is read into
// u, with the result ParseRequestURI gives (TestParseTargetFast); the
// others go through ParseRequestURI.
func parseTarget(req *http.Request, u *url.URL) error {
	raw := req.RequestURI
	if parseOriginForm(raw, u) {
		req.URL = u
		return nil
	}
	authority := req.Method == "CONNECT" && !strings.HasPrefix(raw, "/")
	if authority {
		raw = "http://" + raw
	}
	u, err := url.ParseRequestURI(raw)
	if err != nil {
		return errBadRequest
	}
	if authority {
		u.Scheme = ""
	}
	req.URL = u
	return nil
}

// parseOriginForm reads an origin-form target into u when its path
// holds only bytes url.URL keeps as they are (no percent-encoding, none
// that EscapedPath would escape), so that Path is the target's path and
// RawPath is empty; the query is taken raw, as url.ParseRequestURI
// takes it. It reports false for any other target.
func parseOriginForm(raw string, u *url.URL) bool {
	if raw == "" || raw[0] != '/' {
		return false
	}
	path, query, hasQuery := strings.Cut(raw, "?")
	for i := 0; i < len(path); i++ {
		if !pathByte[path[i]] {
			return false
		}
	}
	for i := 0; i < len(query); i++ {
		if c := query[i]; c < ' ' || c == 0x7f {
			return false // ParseRequestURI refuses control bytes
		}
	}
	*u = url.URL{Path: path, RawQuery: query}
	// "/p?" alone is ForceQuery; "/p?a?" keeps its query "a?".
	u.ForceQuery = hasQuery && query == ""
	return true
}

// pathByte is the bytes of a path that url.URL neither unescapes nor
// escapes: RFC 3986's unreserved characters and the sub-delimiters and
// separators shouldEscape lets through in a path.
var pathByte = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-._~$&+,/:;=@" {
		t[c] = true
	}
	return t
}()

// checkHost applies RFC 9112 §3.2: an HTTP/1.1 request carries exactly
// one valid Host (CONNECT and the HTTP/2 preface aside, as net/http
// allows). Host is then taken from the target when it is in absolute
// form, else from the field.
func checkHost(req *http.Request) error {
	hosts, have := req.Header["Host"]
	if req.ProtoAtLeast(1, 1) && !have && req.Method != "CONNECT" && !isH2Preface(req) {
		return badRequest("missing required Host header")
	}
	if len(hosts) == 1 && !wire.ValidHost(hosts[0]) {
		return badRequest("malformed Host header")
	}
	req.Host = req.URL.Host
	if req.Host == "" && have {
		req.Host = hosts[0]
	}
	delete(req.Header, "Host")
	return nil
}

// isH2Preface reports whether req is the start of the HTTP/2 connection
// preface, "PRI * HTTP/2.0" with no fields, in net/http's words. Only that
// is exempt from Host: a "PRI * HTTP/1.1" is an HTTP/1.1 request.
func isH2Preface(req *http.Request) bool {
	return req.Method == "PRI" && req.RequestURI == "*" && req.Proto == "HTTP/2.0" && len(req.Header) == 0
}

// shouldClose reports whether the client asked for the connection to be
// closed after this request: HTTP/1.0 unless "keep-alive", 1.1 on "close".
func shouldClose(major, minor int, h http.Header) bool {
	if major < 1 {
		return true
	}
	conn := h["Connection"]
	hasClose := wire.HasListToken(conn, "close")
	if major == 1 && minor == 0 {
		return hasClose || !wire.HasListToken(conn, "keep-alive")
	}
	return hasClose
}
