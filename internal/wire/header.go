package wire

import (
	"net/http"
	"net/textproto"
	"strings"
)

// ParseHeader parses header field lines, each ending in CRLF, the last
// one empty (RFC 9112 §5). Names must be tokens directly followed by ':'
// (§5.1); obs-fold (ErrObsFold), a first line starting with whitespace
// (§2.2) and control bytes in values are refused (§5.2, RFC 9110 §5.5). Keys are canonical (textproto.CanonicalMIMEHeaderKey);
// keys and values are substrings of block, so there is no per-field
// allocation. The first value of each field is kept in vals when it has
// room for every field (the caller's memory, which a server allocates
// with the request), else in one array made here. A name holding spaces
// (as "Name :") is reported, not stored, so that a server can refuse it
// after the checks net/http makes first.
func ParseHeader(block string, vals []string) (h http.Header, spaceInName bool, err error) {
	return parseFields(block, false, false, vals, nil)
}

// parseFields is ParseHeader; with unfold, an obs-fold is replaced by
// SP as RFC 9112 §5.2 asks of a user agent, joining the lines as
// net/http does: each line trimmed of SP and HTAB, joined by one SP,
// leading whitespace dropped. With framingOnly, only the fields that
// frame a message (isFramingField) are stored; the others are checked
// alike, and dropped. The fields go into h, which must be empty, or a
// new map if h is nil; their first values into vals while it lasts.
func parseFields(block string, unfold, framingOnly bool, vals []string, h http.Header) (_ http.Header, spaceInName bool, err error) {
	if h == nil {
		n := strings.Count(block, "\n") - 1
		h = make(http.Header, n)
		if len(vals) < n {
			vals = make([]string, n) // one backing array for every first value
		}
	}
	var last []string // the values of the last field stored, for unfold
	dropped := false  // the last field was dropped (framingOnly)
	for first := true; ; first = false {
		line, rest := cutLine(block)
		block = rest
		if line == "" {
			return h, spaceInName, nil
		}
		if !unfold && !first && (line[0] == ' ' || line[0] == '\t') {
			return nil, false, ErrObsFold
		}
		if unfold && (line[0] == ' ' || line[0] == '\t') {
			more := TrimOWS(line)
			if last == nil && !dropped || !ValidFieldValue(more) {
				return nil, false, malformed("header field (obs-fold)", line)
			}
			if dropped {
				continue
			}
			v := &last[len(last)-1]
			*v = strings.TrimLeft(*v+" "+more, " \t")
			continue
		}
		colon := strings.IndexByte(line, ':')
		if colon <= 0 {
			return nil, false, malformed("header field", line)
		}
		name, value := line[:colon], TrimOWS(line[colon+1:])
		if !ValidFieldValue(value) {
			return nil, false, malformed("header field value", line)
		}
		if !IsToken(name) {
			if name[0] == ' ' || !IsToken(strings.ReplaceAll(name, " ", "")) {
				return nil, false, malformed("header field name", line) // obs-fold, control bytes, separators
			}
			spaceInName = true
			last, dropped = nil, false
			continue
		}
		if dropped = framingOnly && !isFramingField(name); dropped {
			last = nil
			continue
		}
		key := textproto.CanonicalMIMEHeaderKey(name)
		if vv, ok := h[key]; ok {
			last = append(vv, value)
		} else {
			if len(vals) == 0 { // one backing array for the first values still to come
				vals = make([]string, strings.Count(block, "\n"))
			}
			vals[0] = value
			last = vals[:1:1]
			vals = vals[1:]
		}
		h[key] = last
	}
}

// cutLine returns the line at the start of block without its CRLF, and
// what follows it: strings.Cut(block, "\r\n"), in one IndexByte for the
// lines HeadScan lets through, which all end in CRLF.
func cutLine(block string) (line, rest string) {
	if i := strings.IndexByte(block, '\n'); i > 0 && block[i-1] == '\r' {
		return block[:i-1], block[i+1:]
	}
	line, rest, _ = strings.Cut(block, "\r\n")
	return line, rest
}

// isFramingField reports whether name is one of the fields that frame
// a response (frame reads them): Content-Length, Transfer-Encoding,
// Connection and Trailer, in any case.
func isFramingField(name string) bool {
	switch len(name) {
	case len("Content-Length"):
		return EqualFoldASCII(name, "Content-Length")
	case len("Transfer-Encoding"):
		return EqualFoldASCII(name, "Transfer-Encoding")
	case len("Connection"):
		return EqualFoldASCII(name, "Connection")
	case len("Trailer"):
		return EqualFoldASCII(name, "Trailer")
	}
	return false
}

// FixPragma adds "Cache-Control: no-cache" for "Pragma: no-cache" when
// there is no Cache-Control (RFC 9111 §5.4), as net/http does for
// requests and responses.
func FixPragma(h http.Header) {
	if _, ok := h["Pragma"]; ok && h.Get("Pragma") == "no-cache" {
		if _, ok := h["Cache-Control"]; !ok {
			h["Cache-Control"] = []string{"no-cache"}
		}
	}
}
