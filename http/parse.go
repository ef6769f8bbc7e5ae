package http

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"

	"github.com/ringnet/ringnet/internal/wire"
)

// Bounds on a request head beside MaxHeaderBytes, which bounds its bytes.
const (
	// maxRequestTarget bounds the request-target; longer ones get 414
	// (RFC 9112 §3: a server that receives a request-target longer than
	// any URI it wishes to parse MUST respond with 414).
	maxRequestTarget = 64 << 10
	// maxRequestLine bounds the request line while it arrives: room for
	// the longest target, a method and the version. Past it, or past the
	// header limit before the line ends, the answer is 414 too.
	maxRequestLine = maxRequestTarget + 1024
	// maxMethod is the longest method a request line past its bound
	// may have to get 414 rather than 501.
	maxMethod = 256
	// maxHeaderFields bounds the number of header field lines; one more
	// gets 431. net/http counts only bytes; a browser sends about 20
	// fields, Apache allows 100 by default. Each field costs a map
	// entry, so a head of tiny fields costs far more than its bytes.
	maxHeaderFields = 1000
)

// takeHead returns the request head at the start of the buffered bytes,
// the request line and header fields through the empty line that ends
// them, as one string, and consumes it; wire.ErrNeedMore when the head has
// not ended in them yet (the scan, b.head, keeps its place for when more
// are buffered). It reads nothing: conn.readHead decides what to do on
// wire.ErrNeedMore.
//
// The scan is wire.HeadScan's: lines must end in CRLF (a bare LF is
// refused, RFC 9112 §2.2); empty lines before the request line are
// skipped (§2.2: a server SHOULD ignore at least one). limit bounds the
// whole block, skipped lines included: past it the request is
// errHeaderTooBig (431), or as lineTooLong says (414 or 501) while the
// request line has not ended; so are more than maxHeaderFields fields
// (431) and a request line past maxRequestLine (414 or 501).
//
// prev is the connection's previous block: when this one has the same
// bytes (a client repeating a request) prev is returned, and the block
// costs no allocation. Strings are immutable, so two requests sharing
// one is no different from two requests sharing "GET".
func (b *connReader) takeHead(limit int, prev string) (string, error) {
	buf := b.buffered()
	start, end, err := b.head.Scan(buf, wire.HeadLimits{Bytes: limit, Line: maxRequestLine, Fields: maxHeaderFields})
	switch err {
	case nil:
	case wire.ErrNeedMore:
		return "", err
	case wire.ErrStartLineTooLong:
		return "", lineTooLong(buf[start:])
	case wire.ErrHeaderTooLarge, wire.ErrTooManyFields:
		return "", errHeaderTooBig
	default: // wire.ErrBareLF
		return "", errBadRequest
	}
	block := prev
	if string(buf[start:end]) != prev {
		block = string(buf[start:end])
	}
	b.consume(end)
	return block, nil
}

// lineTooLong is the answer to a request line longer than this server
// reads: 414, or 501 when the method has not ended within maxMethod
// bytes (RFC 9112 §3.1: a method longer than any implemented SHOULD get
// 501).
func lineTooLong(line []byte) error {
	if bytes.IndexByte(line[:min(len(line), maxMethod+1)], ' ') < 0 {
		return errMethodTooLong
	}
	return errURITooLong
}

// reqMem is the memory of one request but its header map and block: the
// Request, its URL, the first value of up to inlineValues header fields,
// its context and client-gone watch, in one allocation (docs/design.md,
// "Allocations per request on the loops"). It is new for every request:
// a handler may keep any of it.
type reqMem struct {
	req   http.Request
	url   url.URL
	vals  [inlineValues]string
	seen  wire.Known // the fields present that framing and serving act on
	ctx   reqContext
	watch watch
}

// inlineValues is how many header fields a request may have for their
// values to need no allocation of their own: what API clients, curl and
// load generators send. A browser's 10 to 20 fields take one allocation
// of their size instead of 16 slots here for every request.
const inlineValues = 8

// parseRequest turns a header block from takeHead into m.req,
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
	h, info, err := wire.ParseHeader(rest, m.vals[:])
	if err == wire.ErrObsFold {
		// RFC 9112 §5.2: 400, "preferably with a representation
		// explaining that obsolete line folding is unacceptable".
		return 0, errObsFold
	}
	if err != nil {
		return 0, errBadRequest
	}
	req.Header = h
	m.seen = info.Seen
	if info.Seen&wire.KnownHost != 0 && len(h["Host"]) > 1 {
		return 0, errBadRequest // RFC 9112 §3.2
	}
	if info.Seen&wire.KnownPragma != 0 {
		wire.FixPragma(h)
	}
	req.Close = wire.ShouldClose(req.ProtoMajor, req.ProtoMinor, h, false)
	length, err := requestFraming(req, info)
	if err != nil {
		return 0, err
	}
	if req.ProtoMajor != 1 {
		// RFC 9110 §2.5, §15.6.6; the HTTP/2 preface ("PRI * HTTP/2.0")
		// too: this server speaks HTTP/1.x only.
		return 0, errVersion
	}
	host, haveHost, err := checkHost(req)
	if err != nil {
		return 0, err
	}
	if info.SpaceInName {
		// RFC 9112 §5.1: no whitespace between name and colon; net/http
		// names this fault in its answer.
		return 0, badRequest("invalid header name")
	}
	// The checks net/http does not make come last, so that a request
	// with faults it also finds gets its answer.
	if err := checkTargetForm(req, host, haveHost); err != nil {
		return 0, err
	}
	if req.Method == "CONNECT" && length != 0 {
		// RFC 9110 §9.3.6: a CONNECT request has no content; bytes after
		// its head belong to the tunnel, not to a body.
		return 0, errBadRequest
	}
	if req.ProtoMinor == 0 && info.Seen&wire.KnownUpgrade != 0 {
		// RFC 9110 §7.8: a server MUST ignore Upgrade in an HTTP/1.0
		// request; removed, so that no handler can act on it.
		delete(req.Header, "Upgrade")
	}
	return length, nil
}

// parseRequestLine splits "method SP request-target SP HTTP-version"
// (RFC 9112 §3). The method must be a token; the target must be
// non-empty and hold only targetByte bytes. (Percent-escapes are checked
// in the path when it is parsed, not in the query, as net/http does:
// a stray '%' in a query is common and frames nothing.)
func parseRequestLine(line string) (method, target, proto string, ok bool) {
	method, rest, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || !wire.IsToken(method) || target == "" {
		return "", "", "", false
	}
	for i := 0; i < len(target); i++ {
		if !targetByte[target[i]] {
			return "", "", "", false
		}
	}
	return method, target, proto, true
}

// targetByte is the bytes a request-target may hold: RFC 3986's
// unreserved, reserved and '%' but '#' (no fragment is sent, RFC 9112
// §3.2), and the ASCII bytes browsers send unescaped although RFC 3986
// excludes them ("[]^`{|}", per the WHATWG URL standard's percent-encode
// sets). Not: controls, SP, DEL, non-ASCII (a browser escapes it), and
// the '"', '<', '>' and '\' no browser sends ('\' is read as '/' by
// some servers: a path-confusion vector).
var targetByte = wire.AlnumAnd("!$%&'()*+,-./:;=?@[]^_`{|}~")

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
var pathByte = wire.AlnumAnd("-._~$&+,/:;=@")

// checkHost applies RFC 9112 §3.2 and RFC 9110 §7.2: an HTTP/1.1
// request carries exactly one Host (CONNECT aside, as net/http allows),
// and its value is uri-host [ ":" port ]. Host is then taken from the
// target when it is in absolute form, else from the field, which it
// returns, and whether there is one, and removes from the header.
func checkHost(req *http.Request) (host string, have bool, err error) {
	hosts, have := req.Header["Host"]
	if req.ProtoAtLeast(1, 1) && !have && req.Method != "CONNECT" {
		return "", false, badRequest("missing required Host header")
	}
	if have {
		host = hosts[0]
		if !wire.ValidHostPort(host, false) {
			return "", false, badRequest("malformed Host header")
		}
	}
	req.Host = req.URL.Host
	if req.Host == "" {
		req.Host = host
	}
	delete(req.Header, "Host")
	return host, have, nil
}

// checkTargetForm applies the rules on which request-target form a
// request may use (RFC 9112 §3.2; a target fitting none is an invalid
// request line, 400 per §3): the asterisk form is OPTIONS's alone
// (§3.2.4); CONNECT takes the authority form, host and port and nothing
// else (§3.2.3, RFC 9110 §9.3.6), and only CONNECT does, except that an
// origin-form CONNECT is served as net/http serves it, because net/rpc's
// HTTP transport sends "CONNECT /_goRPC_" (a client-side rule the server
// need not enforce, and a drop-in must keep net/rpc working); an absolute
// form is an http or https URI with a host (RFC 9110 §4.2.1: an empty
// host MUST be rejected) and no userinfo (§4.2.4: a recipient SHOULD
// treat it as an error). host is the Host field, if haveHost: with an
// absolute form it must name the target's authority, as RFC 9112 §3.2
// has a client send it (§3.2.2 has the server ignore it instead;
// refusing is safer, since a front end may have routed by the field
// while this server takes the target's).
func checkTargetForm(req *http.Request, host string, haveHost bool) error {
	raw, u := req.RequestURI, req.URL
	switch {
	case raw == "*":
		if req.Method != "OPTIONS" {
			return badRequest("asterisk-form target for a method other than OPTIONS")
		}
	case req.Method == "CONNECT":
		if raw[0] == '/' {
			break // net/rpc
		}
		if u.User != nil || u.Path != "" || u.RawQuery != "" || u.ForceQuery || !wire.ValidHostPort(u.Host, true) {
			return badRequest("CONNECT target is not host:port")
		}
	case raw[0] == '/':
	case u.Scheme != "http" && u.Scheme != "https" || u.Opaque != "" || u.Host == "":
		return badRequest("target is not an origin-form path or an http(s) URI")
	case u.User != nil:
		return badRequest("userinfo in target")
	case !wire.ValidHostPort(u.Host, false) || u.Host[0] == ':':
		return badRequest("malformed target host")
	case haveHost && !wire.EqualFoldASCII(host, u.Host):
		return badRequest("Host does not match the target")
	}
	return nil
}
