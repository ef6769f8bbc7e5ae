package http

import (
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// chunkedLength is the body length framing reports for a chunked body.
const chunkedLength = -1

// requestFraming decides how the body of req is delimited (RFC 9112 §6.3)
// and fills ContentLength, TransferEncoding and Trailer as net/http does.
// Ambiguous framing is refused before any body byte is read, since
// guessing is how requests get smuggled.
func requestFraming(req *http.Request) (int64, error) {
	h := req.Header
	te, hasTE := h["Transfer-Encoding"]
	cl := h["Content-Length"]
	if hasTE {
		delete(h, "Transfer-Encoding")
		if !req.ProtoAtLeast(1, 1) {
			// RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
			return 0, errBadRequest
		}
		if len(te) != 1 || !strings.EqualFold(te[0], "chunked") {
			return 0, errUnsupportedTE // RFC 9112 §6.1: unknown coding, 501
		}
		if len(cl) > 0 {
			// RFC 9112 §6.1: both present is a smuggling attempt or a bug.
			return 0, errBadRequest
		}
		req.TransferEncoding = []string{"chunked"}
		req.ContentLength = chunkedLength
		if err := declaredTrailer(req); err != nil {
			return 0, err
		}
		return chunkedLength, nil
	}
	if len(cl) == 0 {
		return 0, nil
	}
	for _, v := range cl[1:] {
		if v != cl[0] {
			return 0, errBadRequest // differing duplicates, RFC 9110 §8.6
		}
	}
	if len(cl) > 1 {
		h["Content-Length"] = cl[:1]
	}
	n, err := parseContentLength(cl[0])
	if err != nil {
		return 0, err
	}
	req.ContentLength = n
	return n, nil
}

// parseContentLength accepts 1*DIGIT up to 2^63-1 and nothing else: no
// sign, no spaces, no list.
func parseContentLength(s string) (int64, error) {
	if s == "" {
		return 0, errBadRequest
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errBadRequest
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errBadRequest
	}
	return n, nil
}

// declaredTrailer moves the Trailer field into req.Trailer (keys, nil
// values), refusing the fields that frame the message (RFC 9110 §6.5.1).
func declaredTrailer(req *http.Request) error {
	vv, ok := req.Header["Trailer"]
	if !ok {
		return nil
	}
	delete(req.Header, "Trailer")
	t := make(http.Header)
	for _, v := range vv {
		for _, k := range strings.Split(v, ",") {
			k = trimOWS(k)
			if k == "" {
				continue
			}
			k = textproto.CanonicalMIMEHeaderKey(k)
			switch k {
			case "Transfer-Encoding", "Trailer", "Content-Length":
				return errBadRequest
			}
			t[k] = nil
		}
	}
	if len(t) > 0 {
		req.Trailer = t
	}
	return nil
}
