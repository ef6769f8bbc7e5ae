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

var tokenByte = AlnumAnd("!#$%&'*+-.^_`|~")

// AlnumAnd returns the set of ASCII letters and digits and the bytes of
// extra: the shape of most byte classes of the HTTP and URI grammars.
func AlnumAnd(extra string) (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for i := 0; i < len(extra); i++ {
		t[extra[i]] = true
	}
	return t
}

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

var hostByte = AlnumAnd("!$%&'()*+,-.:;=[]_~")

// ValidHostPort reports whether s is uri-host [ ":" port ] (RFC 9110
// §7.2, RFC 3986 §3.2.2): an IP literal in brackets, or a reg-name
// (which covers IPv4) of unreserved bytes, sub-delims and valid
// percent-escapes; then an optional port of digits, which needPort
// requires, non-empty (CONNECT's authority form, RFC 9112 §3.2.3). It
// is stricter than ValidHost, which takes what net/http takes (any
// number of ':' and brackets anywhere).
func ValidHostPort(s string, needPort bool) bool {
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 2 {
			return false
		}
		host = s[1:end]
		for i := 0; i < len(host); i++ {
			if c := host[i]; !regNameByte[c] && c != ':' && c != '%' { // '%': a zone (RFC 6874)
				return false
			}
		}
		rest := s[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return false
			}
			port = rest[1:]
		}
	} else {
		host, port, _ = strings.Cut(s, ":")
		for i := 0; i < len(host); i++ {
			c := host[i]
			if c == '%' {
				if i+2 >= len(host) || !IsHexDigit(host[i+1]) || !IsHexDigit(host[i+2]) {
					return false
				}
				i += 2
				continue
			}
			if !regNameByte[c] {
				return false
			}
		}
	}
	if needPort && port == "" {
		return false
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	return true
}

// regNameByte is RFC 3986's unreserved and sub-delims.
var regNameByte = AlnumAnd("-._~!$&'()*+,;=")

// IsHexDigit reports whether c is a HEXDIG (either case).
func IsHexDigit(c byte) bool {
	_, ok := hexDigit(c)
	return ok
}
