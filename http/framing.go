package http

import (
	"net/http"
	"strings"

	"github.com/ringnet/ringnet/internal/wire"
)

// chunkedLength is the body length framing reports for a chunked body.
const chunkedLength = -1

// requestFraming decides how the body of req is delimited (RFC 9112 §6.3)
// and fills ContentLength, TransferEncoding and Trailer as net/http does.
// Ambiguous framing is refused before any body byte is read, since
// guessing is how requests get smuggled.
func requestFraming(req *http.Request, info wire.Fields) (int64, error) {
	h := req.Header
	if info.Lookalike {
		// A field that reads as Content-Length or Transfer-Encoding once
		// '_' is taken for '-' ("Content_Length"). RFC 9110 allows '_' in
		// names, but CGI-style gateways and some proxies make that
		// substitution and would frame the message differently from this
		// server: a known desync vector (RFC 9112 §11.2), refused with
		// 400 instead of being ignored.
		return 0, errBadRequest
	}
	if info.Seen&(wire.KnownTransferEncoding|wire.KnownContentLength) == 0 {
		return 0, nil
	}
	te, hasTE := h["Transfer-Encoding"]
	cl := h["Content-Length"]
	if hasTE {
		delete(h, "Transfer-Encoding")
		if !req.ProtoAtLeast(1, 1) {
			// RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
			return 0, errBadRequest
		}
		if len(cl) > 0 {
			// RFC 9112 §6.1: both present is a smuggling attempt or a
			// bug. Checked before the codings, so that no spelling of
			// Transfer-Encoding next to a Content-Length gets another answer.
			return 0, errBadRequest
		}
		if err := checkCodings(te); err != nil {
			return 0, err
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
	n, ok := wire.ParseContentLength(cl[0])
	if !ok {
		return 0, errBadRequest
	}
	req.ContentLength = n
	return n, nil
}

// checkCodings accepts the Transfer-Encoding fields te, read as one list
// (RFC 9110 §5.3), when they name chunked alone. When chunked comes
// before the end or twice, or the list has an empty element or one that
// is not a token, the body length cannot be determined: 400 (RFC 9112
// §6.3). A list of codings otherwise well formed that names any other
// (gzip, identity, an unknown one), before a final chunked or without
// one, is one this server does not implement: 501 (RFC 9112 §6.1), as
// net/http answers; the connection closes either way.
func checkCodings(te []string) error {
	if len(te) == 1 && wire.EqualFoldASCII(te[0], "chunked") {
		return nil
	}
	unsupported := false
	for i, v := range te {
		for rest, more := v, true; more; {
			var c string
			c, rest, more = strings.Cut(rest, ",")
			c = wire.TrimOWS(c)
			final := i == len(te)-1 && !more
			switch chunked := wire.EqualFoldASCII(c, "chunked"); {
			case chunked && final:
			case chunked || !wire.IsToken(c):
				return errBadRequest
			default:
				unsupported = true
			}
		}
	}
	if unsupported {
		return errUnsupportedTE
	}
	return nil
}

// declaredTrailer moves the Trailer field into req.Trailer (keys, nil
// values), refusing the fields that frame the message (RFC 9110 §6.5.1).
func declaredTrailer(req *http.Request) error {
	t, err := wire.DeclaredTrailer(req.Header)
	if err != nil {
		return errBadRequest
	}
	req.Trailer = t
	return nil
}
