package wire

import (
	"bufio"
	"net/http"
	"strings"
)

// DefaultMaxHeaderBytes bounds the status line and header section that
// ReadResponse accepts. net/http's Transport allows 10 MiB by default; a
// megabyte is already far beyond any real response and keeps what one
// connection can make us buffer at the server's own figure.
const DefaultMaxHeaderBytes = 1 << 20

// ReadResponse reads the next response to req from br: status line,
// header fields and body framing (RFC 9112 §4–§7), with
// DefaultMaxHeaderBytes as the header limit. req may be nil (a GET is
// assumed); only its Method is used, to know that a response to HEAD has
// no body.
//
// The *http.Response is filled as http.ReadResponse fills it. It returns
// 1xx responses like any other (with an empty body); the caller skips
// them. For a HEAD request and for 1xx, 204 and 304 responses the body is
// empty. A body delimited by the end of the connection sets resp.Close,
// as does a response carrying both Content-Length and Transfer-Encoding
// (it is read chunked).
//
// The body reads from br. Reading it to io.EOF leaves br at the next
// response; Close reads what is left, as net/http's does, unless the
// connection closes after this response and the body is not chunked.
// Read and Close must not be called concurrently.
//
// Errors: io.ErrUnexpectedEOF when br ends inside the header,
// ErrHeaderTooLarge past the limit, an error matching
// ErrMalformedResponse (errors.Is) for bytes that are not a response, or
// br's read error.
func ReadResponse(br *bufio.Reader, req *http.Request) (*http.Response, error) {
	return ReadResponseLimit(br, req, DefaultMaxHeaderBytes)
}

// ReadResponseLimit is ReadResponse with maxHeaderBytes, the most bytes
// the status line and header section may take, CRLFs included (0 or less
// means DefaultMaxHeaderBytes).
func ReadResponseLimit(br *bufio.Reader, req *http.Request, maxHeaderBytes int) (*http.Response, error) {
	if maxHeaderBytes <= 0 {
		maxHeaderBytes = DefaultMaxHeaderBytes
	}
	block, err := readHeaderBlock(br, maxHeaderBytes)
	if err != nil {
		return nil, err
	}
	m := new(message)
	resp := &m.resp
	resp.Request = req
	method := "GET"
	if req != nil && req.Method != "" {
		method = req.Method
	}
	kind, length, err := parseHead(block, method, false, resp, &m.body.te, nil, nil)
	if err != nil {
		return nil, err
	}
	resp.Body = http.NoBody
	if kind != bodyNone {
		m.body.init(br, kind, length, resp)
		resp.Body = &m.body
	}
	return resp, nil
}

// parseHead parses a response head (the status line and header section,
// through the empty line) into resp and decides how its body is
// delimited (frame). te backs resp.TransferEncoding, and vals the first
// values of the fields; framingOnly keeps only the framing fields, and h
// is the map to fill, if not nil (parseFields). It leaves resp.Body
// alone.
func parseHead(block, method string, framingOnly bool, resp *http.Response, te *[1]string, vals []string, h http.Header) (bodyKind, int64, error) {
	line, fields := cutLine(block)
	if err := parseStatusLine(line, resp); err != nil {
		return 0, 0, err
	}
	h, info, err := parseFields(fields, true, framingOnly, vals, h)
	if err != nil {
		return 0, 0, err
	}
	if info.SpaceInName {
		// RFC 9112 §5.1: no whitespace between name and colon; net/http
		// keeps such a field under its uncanonicalized name, where a
		// recipient that strips the space would find Content-Length.
		return 0, 0, malformed("header field name", "whitespace before colon")
	}
	resp.Header = h
	FixPragma(resp.Header)
	return frame(resp, method, te)
}

// message is a response and its body in one allocation.
type message struct {
	resp http.Response
	body body
}

// parseStatusLine parses HTTP-version SP status-code SP reason-phrase
// (RFC 9112 §4) into resp, reading it as net/http does (spaces before
// the code are skipped, the reason may be missing) except that the
// version must be HTTP/1.x, the code three digits, and the line free of
// control bytes other than HTAB.
func parseStatusLine(line string, resp *http.Response) error {
	proto, status, ok := strings.Cut(line, " ")
	if !ok {
		return malformed("HTTP response", line)
	}
	resp.Proto = proto
	resp.Status = strings.TrimLeft(status, " ")
	code, _, _ := strings.Cut(resp.Status, " ")
	if len(code) != 3 || !isDigit(code[0]) || !isDigit(code[1]) || !isDigit(code[2]) {
		return malformed("HTTP status code", code)
	}
	resp.StatusCode = int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
	if resp.ProtoMajor, resp.ProtoMinor, ok = http.ParseHTTPVersion(proto); !ok || resp.ProtoMajor != 1 {
		return malformed("HTTP version", proto)
	}
	if !ValidFieldValue(resp.Status) {
		return malformed("HTTP status line", line)
	}
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// frame decides how the body is delimited (RFC 9112 §6.3) and fills
// ContentLength, TransferEncoding (backed by te), Close and Trailer the
// way net/http's readTransfer does, refusing what RFC 9112 calls faulty
// framing. It returns the body's kind, bodyNone for none, and for
// bodyLength its length.
func frame(resp *http.Response, method string, te *[1]string) (bodyKind, int64, error) {
	h := resp.Header
	resp.Close = ShouldClose(resp.ProtoMajor, resp.ProtoMinor, h, true)

	tes, chunked := h["Transfer-Encoding"]
	if chunked {
		delete(h, "Transfer-Encoding")
		if resp.ProtoMinor == 0 {
			// RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means the
			// framing is faulty (net/http ignores the field).
			return 0, 0, malformed("Transfer-Encoding in an HTTP/1.0 response", strings.Join(tes, ", "))
		}
		if len(tes) != 1 || !EqualFoldASCII(tes[0], "chunked") {
			return 0, 0, malformed("Transfer-Encoding", strings.Join(tes, ", "))
		}
		te[0] = "chunked"
		resp.TransferEncoding = te[:]
	}

	length := int64(-1)
	if cl := h["Content-Length"]; len(cl) > 0 {
		// An obs-fold, unfolded into SP (RFC 9112 §5.2), can leave
		// whitespace at the end of a value: it is OWS, not part of the
		// value, and net/http trims it too.
		first := TrimOWS(cl[0])
		for _, v := range cl[1:] {
			if TrimOWS(v) != first { // RFC 9110 §8.6: differing values
				return 0, 0, malformed("Content-Length", strings.Join(cl, ", "))
			}
		}
		if len(cl) > 1 {
			cl[0] = first // net/http keeps one value, trimmed
			h["Content-Length"] = cl[:1]
		}
		var ok bool
		if length, ok = ParseContentLength(first); !ok {
			return 0, 0, malformed("Content-Length", first)
		}
		if chunked {
			// RFC 9112 §6.1: chunked wins, and the connection must not
			// be reused, since a recipient that trusted Content-Length
			// would now be out of step with us.
			resp.Close = true
		}
	}

	if chunked {
		t, err := DeclaredTrailer(h)
		if err != nil {
			return 0, 0, err
		}
		resp.Trailer = t
	}

	code := resp.StatusCode
	noBody := method == "HEAD" || code/100 == 1 || code == 204 || code == 304
	switch {
	case noBody:
		resp.ContentLength = 0
		if method == "HEAD" {
			resp.ContentLength = length // what a GET would have got, or -1
		}
		return bodyNone, 0, nil
	case chunked:
		delete(h, "Content-Length")
		resp.ContentLength = -1
		return bodyChunked, 0, nil
	case length == 0:
		resp.ContentLength = 0
		return bodyNone, 0, nil
	case length > 0:
		resp.ContentLength = length
		return bodyLength, length, nil
	}
	delete(h, "Content-Length")
	resp.ContentLength = -1
	resp.Close = true // the body ends when the connection does
	return bodyEOF, 0, nil
}
