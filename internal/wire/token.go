package wire

import "strings"

// IsToken reports whether s is a non-empty token (RFC 9110 §5.6.2): the
// syntax of field names, methods and transfer codings.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenByte[s[i]] {
			return false
		}
	}
	return true
}

// ValidFieldValue reports whether s holds only VCHAR, obs-text, SP and
// HTAB (RFC 9110 §5.5): no control bytes, so no CR, LF or NUL.
func ValidFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// TrimOWS trims optional whitespace (SP and HTAB, RFC 9110 §5.6.3) from
// both ends of s.
func TrimOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// HasListToken reports whether the comma-separated lists in values hold
// token, compared ASCII-case-insensitively
// (httpguts.HeaderValuesContainsToken).
func HasListToken(values []string, token string) bool {
	for _, v := range values {
		for v != "" {
			var elem string
			elem, v, _ = strings.Cut(v, ",")
			if EqualFoldASCII(TrimOWS(elem), token) {
				return true
			}
		}
	}
	return false
}

// ContainsToken reports whether v holds token between token boundaries
// (SP, HTAB, comma or the ends), case-insensitively. It is the looser
// match net/http's server uses for Expect and for its keep-alive
// decisions; using it in the same places keeps the answers the same.
func ContainsToken(v, token string) bool {
	for sp := 0; sp+len(token) <= len(v); sp++ {
		if sp > 0 && !isTokenBoundary(v[sp-1]) {
			continue
		}
		if end := sp + len(token); end != len(v) && !isTokenBoundary(v[end]) {
			continue
		}
		if EqualFoldASCII(v[sp:sp+len(token)], token) {
			return true
		}
	}
	return false
}

// EqualFoldASCII reports whether a and b are equal under ASCII case
// folding. Protocol elements must be compared this way, not with
// strings.EqualFold: Unicode folding makes "chun\u212Aed" (KELVIN SIGN)
// equal "chunked" and "clo\u017Fe" (LONG S) equal "close", which no
// other HTTP implementation believes.
func EqualFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isTokenBoundary(b byte) bool { return b == ' ' || b == ',' || b == '\t' }

var tokenByte = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// ValidHost reports whether s is acceptable as a Host field value: the
// bytes of a reg-name, an IP literal and a port, as net/http's
// httpguts.ValidHostHeader accepts them.
func ValidHost(s string) bool {
	for i := 0; i < len(s); i++ {
		if !hostByte[s[i]] {
			return false
		}
	}
	return true
}

var hostByte = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!$%&'()*+,-.:;=[]_~" {
		t[c] = true
	}
	return t
}()
