package mux

import (
	"net/url"
	"strings"
	"unicode"
)

// A pattern is a parsed "[METHOD ][HOST]/[PATH]" string.
//
// Its path is kept in the representation ServeMux uses, which makes the
// comparison rules uniform: a trailing "/" is an anonymous multi wildcard
// ("/a/" is segments "a" and {multi}), and "{$}" is the literal segment "/"
// ("/a/{$}" is segments "a" and "/").
type pattern struct {
	str    string
	method string // "" matches every method
	host   string // "" matches every host
	segs   []segment
	loc    string // file:line of the registering call, for conflict errors
}

// A segment is a literal (s is unescaped; "/" stands for {$}), a
// single-segment wildcard, or a multi wildcard that matches the rest of the
// path (s == "" for the anonymous one of a trailing slash).
type segment struct {
	s     string
	wild  bool
	multi bool
}

func (p *pattern) last() segment { return p.segs[len(p.segs)-1] }

// names returns the wildcard names in the order their values are recorded
// while matching; an anonymous multi has no value.
func (p *pattern) names() []string {
	var ns []string
	for _, s := range p.segs {
		if s.wild && s.s != "" {
			ns = append(ns, s.s)
		}
	}
	return ns
}

// parsePattern parses s with the rules of net/http.ServeMux (Go 1.22+).
func parsePattern(s string) (*pattern, error) {
	fail := func(off int, reason string) (*pattern, error) {
		return nil, &PatternError{Pattern: s, Offset: off, Reason: reason}
	}
	if s == "" {
		return fail(0, "empty pattern")
	}
	p := &pattern{str: s}
	rest, off := s, 0
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		p.method = s[:i]
		rest = strings.TrimLeft(s[i+1:], " \t")
		off = len(s) - len(rest)
		if p.method != "" && !isToken(p.method) {
			return fail(0, "invalid method "+quote(p.method))
		}
	}
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return fail(off, "host/path missing /")
	}
	p.host = rest[:i]
	if j := strings.IndexByte(p.host, '{'); j >= 0 {
		return fail(off+j, "host contains '{' (missing initial '/'?)")
	}
	rest = rest[i:]
	off += i
	// Request paths are cleaned before matching, so such a pattern is a
	// mistake. ServeMux lets it through without a method (CONNECT paths are
	// not cleaned); so do we.
	if p.method != "" && p.method != "CONNECT" && rest != cleanPath(rest) {
		return fail(off, "non-CONNECT pattern with unclean path can never match")
	}

	seen := map[string]bool{}
	for rest != "" {
		rest = rest[1:] // drop the '/'
		off = len(s) - len(rest)
		if rest == "" {
			p.segs = append(p.segs, segment{wild: true, multi: true})
			break
		}
		seg := rest
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			seg = rest[:j]
		}
		rest = rest[len(seg):]
		if !strings.Contains(seg, "{") {
			p.segs = append(p.segs, segment{s: pathUnescape(seg)})
			continue
		}
		if seg[0] != '{' {
			return fail(off, "bad wildcard segment (must start with '{')")
		}
		if seg[len(seg)-1] != '}' {
			return fail(off, "bad wildcard segment (must end with '}')")
		}
		name := seg[1 : len(seg)-1]
		if name == "$" {
			if rest != "" {
				return fail(off, "{$} not at end")
			}
			p.segs = append(p.segs, segment{s: "/"})
			break
		}
		name, multi := strings.CutSuffix(name, "...")
		if multi && rest != "" {
			return fail(off, "{...} wildcard not at end")
		}
		if name == "" {
			return fail(off, "empty wildcard")
		}
		if !isIdentifier(name) {
			return fail(off, "bad wildcard name "+quote(name))
		}
		if seen[name] {
			return fail(off, "duplicate wildcard name "+quote(name))
		}
		seen[name] = true
		p.segs = append(p.segs, segment{s: name, wild: true, multi: multi})
	}
	return p, nil
}

func quote(s string) string { return "\"" + s + "\"" }

// isIdentifier reports whether s is a valid Go identifier.
func isIdentifier(s string) bool {
	for i, c := range s {
		if !unicode.IsLetter(c) && c != '_' && (i == 0 || !unicode.IsDigit(c)) {
			return false
		}
	}
	return s != ""
}

// isToken reports whether s is an RFC 9110 token, the syntax of a method.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return s != ""
}

// pathUnescape unescapes one segment; an invalid escape is kept as written,
// as ServeMux does.
func pathUnescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	u, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return u
}
