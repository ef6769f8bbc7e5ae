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
	line, fields, _ := strings.Cut(block, "\r\n")
	if err := parseStatusLine(line, resp); err != nil {
		return nil, err
	}
	h, info, err := parseFields(fields, true, nil)
	if err != nil {
		return nil, err
	}
	if info.SpaceInName {
		// RFC 9112 §5.1: no whitespace between name and colon; net/http
		// keeps such a field under its uncanonicalized name, where a
		// recipient that strips the space would find Content-Length.
		return nil, malformed("header field name", "whitespace before colon")
	}
	resp.Header = h
	FixPragma(resp.Header)
	method := "GET"
	if req != nil && req.Method != "" {
		method = req.Method
	}
	if err := m.frame(method, br); err != nil {
		return nil, err
	}
	return resp, nil
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
// ContentLength, TransferEncoding, Close, Trailer and Body the way
// net/http's readTransfer does, refusing what RFC 9112 calls faulty
// framing.
func (m *message) frame(method string, br *bufio.Reader) error {
	resp := &m.resp
	h := resp.Header
	resp.Close = ShouldClose(resp.ProtoMajor, resp.ProtoMinor, h, true)

	te, chunked := h["Transfer-Encoding"]
	if chunked {
		delete(h, "Transfer-Encoding")
		if resp.ProtoMinor == 0 {
			// RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means the
			// framing is faulty (net/http ignores the field).
			return malformed("Transfer-Encoding in an HTTP/1.0 response", strings.Join(te, ", "))
		}
		if len(te) != 1 || !EqualFoldASCII(te[0], "chunked") {
			return malformed("Transfer-Encoding", strings.Join(te, ", "))
		}
		m.body.te[0] = "chunked"
		resp.TransferEncoding = m.body.te[:]
	}

	length := int64(-1)
	if cl := h["Content-Length"]; len(cl) > 0 {
		// An obs-fold, unfolded into SP (RFC 9112 §5.2), can leave
		// whitespace at the end of a value: it is OWS, not part of the
		// value, and net/http trims it too.
		first := TrimOWS(cl[0])
		for _, v := range cl[1:] {
			if TrimOWS(v) != first { // RFC 9110 §8.6: differing values
				return malformed("Content-Length", strings.Join(cl, ", "))
			}
		}
		if len(cl) > 1 {
			cl[0] = first // net/http keeps one value, trimmed
			h["Content-Length"] = cl[:1]
		}
		var ok bool
		if length, ok = ParseContentLength(first); !ok {
			return malformed("Content-Length", first)
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
			return err
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
		resp.Body = http.NoBody
		return nil
	case chunked:
		delete(h, "Content-Length")
		resp.ContentLength = -1
		m.body.init(br, bodyChunked, 0, resp)
	case length == 0:
		resp.ContentLength = 0
		resp.Body = http.NoBody
		return nil
	case length > 0:
		resp.ContentLength = length
		m.body.init(br, bodyLength, length, resp)
	default:
		delete(h, "Content-Length")
		resp.ContentLength = -1
		resp.Close = true // the body ends when the connection does
		m.body.init(br, bodyEOF, 0, resp)
	}
	resp.Body = &m.body
	return nil
}
