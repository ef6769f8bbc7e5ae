package wire

import (
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// ParseContentLength parses a Content-Length value: 1*DIGIT up to 2^63-1
// and nothing else (RFC 9110 §8.6): no sign, no spaces, no list.
func ParseContentLength(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// ShouldClose reports whether the connection closes after a message of
// version major.minor with header h, as net/http decides it for requests
// and responses alike: before HTTP/1 always; HTTP/1.0 unless
// "Connection: keep-alive"; later versions on "Connection: close", which
// removeClose then deletes from h (net/http's client does, for a
// response).
func ShouldClose(major, minor int, h http.Header, removeClose bool) bool {
	if major < 1 {
		return true
	}
	conn := h["Connection"]
	hasClose := HasListToken(conn, "close")
	if major == 1 && minor == 0 {
		return hasClose || !HasListToken(conn, "keep-alive")
	}
	if hasClose && removeClose {
		delete(h, "Connection")
	}
	return hasClose
}

// DeclaredTrailer removes the Trailer field from h and returns the keys
// it announces (canonical, nil values), or nil when it announces none. It
// refuses the fields that frame the message (RFC 9110 §6.5.1).
func DeclaredTrailer(h http.Header) (http.Header, error) {
	vv, ok := h["Trailer"]
	if !ok {
		return nil, nil
	}
	delete(h, "Trailer")
	var t http.Header
	for _, v := range vv {
		for _, k := range strings.Split(v, ",") {
			k = TrimOWS(k)
			if k == "" {
				continue
			}
			k = textproto.CanonicalMIMEHeaderKey(k)
			switch k {
			case "Transfer-Encoding", "Trailer", "Content-Length":
				return nil, malformed("Trailer key", k)
			}
			if t == nil {
				t = make(http.Header)
			}
			t[k] = nil
		}
	}
	return t, nil
}
