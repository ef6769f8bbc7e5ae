package wire

import (
	"net/http"
	"net/textproto"
	"strings"
)

// ParseHeader parses header field lines, each ending in CRLF, the last
// one empty (RFC 9112 §5). Names must be tokens directly followed by ':'
// (§5.1); obs-fold (ErrObsFold), a first line starting with whitespace
// (§2.2) and control bytes in values are refused (§5.2, RFC 9110 §5.5).
// Keys are canonical (textproto.CanonicalMIMEHeaderKey); keys and values
// are substrings of block, so there is no per-field allocation. The first
// value of each field is kept in vals when it has room for every field
// (the caller's memory, which a server allocates with the request), else
// in one array made here. A name holding spaces (as "Name :") is
// reported, not stored, so that a server can refuse it after the checks
// net/http makes first; so are the fields that frame a message and the
// look-alikes of two of them (Fields), so that the caller looks up only
// the fields that are there.
func ParseHeader(block string, vals []string) (http.Header, Fields, error) {
	return parseFields(block, false, false, vals, nil)
}

// Fields is what ParseHeader saw besides the header: which of the fields
// a server or client acts on are present, and the faults it leaves to
// the caller.
type Fields struct {
	Seen Known
	// SpaceInName: a field name had whitespace (the field is not stored).
	SpaceInName bool
	// Lookalike: a name that reads as Content-Length or
	// Transfer-Encoding with '_' for '-' (a proxy may take it for one).
	Lookalike bool
}

// Known is a set of fields, one bit each.
type Known uint16

const (
	KnownHost Known = 1 << iota
	KnownConnection
	KnownContentLength
	KnownTransferEncoding
	KnownExpect
	KnownPragma
	KnownUpgrade
	KnownTrailer
)

// known returns key's bit, 0 for a field no caller acts on.
func known(key string) Known {
	switch key {
	case "Host":
		return KnownHost
	case "Connection":
		return KnownConnection
	case "Content-Length":
		return KnownContentLength
	case "Transfer-Encoding":
		return KnownTransferEncoding
	case "Expect":
		return KnownExpect
	case "Pragma":
		return KnownPragma
	case "Upgrade":
		return KnownUpgrade
	case "Trailer":
		return KnownTrailer
	}
	return 0
}

// parseFields is ParseHeader; with unfold, an obs-fold is replaced by
// SP as RFC 9112 §5.2 asks of a user agent, joining the lines as
// net/http does: each line trimmed of SP and HTAB, joined by one SP,
// leading whitespace dropped. With framingOnly, only the fields that
// frame a message (isFramingField) are stored; the others are checked
// alike, and dropped. The fields go into h, which must be empty, or a
// new map if h is nil; their first values into vals while it lasts.
func parseFields(block string, unfold, framingOnly bool, vals []string, h http.Header) (_ http.Header, info Fields, err error) {
	if h == nil {
		n := strings.Count(block, "\n") - 1
		h = make(http.Header, n)
		if len(vals) < n {
			vals = make([]string, n) // one backing array for every first value
		}
	}
	var last []string // the values of the last field stored, for unfold
	dropped := false  // the last field was dropped (framingOnly)
	// keys are the keys stored so far, while few: a repeated field is
	// found among them rather than by a second map lookup.
	var keys [16]string
	nkeys := 0
	for first := true; ; first = false {
		line, rest := cutLine(block)
		block = rest
		if line == "" {
			return h, info, nil
		}
		if !unfold && !first && (line[0] == ' ' || line[0] == '\t') {
			return nil, info, ErrObsFold
		}
		if unfold && (line[0] == ' ' || line[0] == '\t') {
			more := TrimOWS(line)
			if last == nil && !dropped || !ValidFieldValue(more) {
				return nil, info, malformed("header field (obs-fold)", line)
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
			return nil, info, malformed("header field", line)
		}
		name, value := line[:colon], TrimOWS(line[colon+1:])
		if !ValidFieldValue(value) {
			return nil, info, malformed("header field value", line)
		}
		key, ok := canonicalKey(name)
		if !ok {
			if name[0] == ' ' || !IsToken(strings.ReplaceAll(name, " ", "")) {
				return nil, info, malformed("header field name", line) // obs-fold, control bytes, separators
			}
			info.SpaceInName = true
			last, dropped = nil, false
			continue
		}
		bit := known(key)
		if bit == 0 && (len(key) == len("Content-Length") || len(key) == len("Transfer-Encoding")) && strings.IndexByte(key, '_') >= 0 {
			k := strings.ReplaceAll(key, "_", "-")
			info.Lookalike = info.Lookalike || EqualFoldASCII(k, "Content-Length") || EqualFoldASCII(k, "Transfer-Encoding")
		}
		if dropped = framingOnly && !isFramingField(key); dropped {
			last = nil
			continue
		}
		var vv []string
		switch {
		case bit != 0:
			if info.Seen&bit != 0 {
				vv = h[key]
			}
			info.Seen |= bit
		case nkeys < len(keys):
			for _, k := range keys[:nkeys] {
				if k == key {
					vv = h[key]
					break
				}
			}
			if vv == nil {
				keys[nkeys] = key
				nkeys++
			}
		default:
			vv = h[key]
		}
		if vv != nil {
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

// canonicalKey returns the canonical form of a field name
// (textproto.CanonicalMIMEHeaderKey) in one pass over it when it is
// canonical already, as clients send the common fields; false if it is
// no token.
func canonicalKey(name string) (string, bool) {
	upper := true // the next letter is upper case in the canonical form
	canonical := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !tokenByte[c] {
			return "", false
		}
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			canonical = false
		}
		upper = c == '-'
	}
	if canonical {
		return name, true
	}
	return textproto.CanonicalMIMEHeaderKey(name), true
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
