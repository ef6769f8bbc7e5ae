package http

import (
	"net/http"
	"net/textproto"
	"slices"
	"strings"

	"github.com/ringnet/ringnet/internal/wire"
)

// headerList is a response's header as commit writes it: the handler's
// fields when the status was decided (WriteHeader), sorted by key as
// net/http writes them, their values copied, so that what the handler
// changes later does not reach the wire (net/http's Header.Clone). It is
// the connection's, reused from one response to the next: the snapshot
// costs no map and no allocation, the lookups commit makes are a scan of
// a few fields, and writing needs no sort.
type headerList struct {
	fields []headerField
	vals   []string // the values' backing array
}

type headerField struct {
	key     string
	vals    []string // nil for a nil value, as Clone keeps it
	dropped bool     // commit removed it (del)
}

// maxReusedFields bounds what a headerList keeps for the next response.
const maxReusedFields = 64

// take makes l a snapshot of h (nil: an empty header).
func (l *headerList) take(h http.Header) {
	clear(l.fields) // no strings of an earlier response stay reachable
	clear(l.vals)
	if cap(l.fields) > maxReusedFields || cap(l.vals) > 2*maxReusedFields {
		l.fields, l.vals = nil, nil
	}
	l.fields, l.vals = l.fields[:0], l.vals[:0]
	for k, vv := range h {
		var v []string
		if vv != nil {
			i := len(l.vals)
			l.vals = append(l.vals, vv...)
			v = l.vals[i:len(l.vals):len(l.vals)]
		}
		l.fields = append(l.fields, headerField{key: k, vals: v})
	}
	if len(l.fields) > 1 {
		slices.SortFunc(l.fields, func(a, b headerField) int { return strings.Compare(a.key, b.key) })
	}
}

// field returns the field key, or nil.
func (l *headerList) field(key string) *headerField {
	for i := range l.fields {
		if f := &l.fields[i]; f.key == key && !f.dropped {
			return f
		}
	}
	return nil
}

// has reports whether the header has the field key.
func (l *headerList) has(key string) bool { return l.field(key) != nil }

// get is http.Header.Get, for a canonical key.
func (l *headerList) get(key string) string {
	if f := l.field(key); f != nil && len(f.vals) > 0 {
		return f.vals[0]
	}
	return ""
}

// del drops the field key from what is written.
func (l *headerList) del(key string) {
	if f := l.field(key); f != nil {
		f.dropped = true
	}
}

// write appends the fields as http.Header.Write does: fields whose name
// is no token are dropped, CR and LF in a value become spaces and the
// value is trimmed of surrounding whitespace.
func (l *headerList) write(out *outBuf) {
	for _, f := range l.fields {
		if f.dropped || !wire.IsToken(f.key) {
			continue
		}
		for _, v := range f.vals {
			if strings.ContainsAny(v, "\r\n") {
				v = newlineToSpace.Replace(v)
			}
			out.b = append(out.b, f.key...)
			out.b = append(out.b, ": "...)
			out.b = append(out.b, textproto.TrimString(v)...)
			out.b = append(out.b, "\r\n"...)
		}
	}
}

var newlineToSpace = strings.NewReplacer("\n", " ", "\r", " ")
