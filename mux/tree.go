package mux

import (
	"net/http"
	"strings"
)

// The routing tree. A table holds one tree per host named in a pattern and
// one for patterns without a host. A tree branches on path segments; the
// method is looked up last, in the leaf, so one walk serves every method and
// the Allow header comes from the same structure.
//
// Matching follows ServeMux's order exactly: at each segment the literal
// child is tried first, then the single wildcard, then a multi wildcard,
// backtracking on failure. Conflict checks at registration guarantee that
// the first route found this way is the most specific one.

// A route is one registered pattern and its handler.
type route struct {
	method     string // pat.method, here to save a pointer hop in leaf.get
	pat        *pattern
	handler    http.Handler // wrapped in the registering router's middleware
	names      []string     // wildcard names, in the order matching records values
	multiNamed bool         // the pattern ends in a named {x...}: record the rest of the path
	multi      bool         // the pattern ends in a multi wildcard (or a trailing slash)
}

// A leaf holds the routes that share one path pattern, one per method
// ("" for a pattern without a method).
type leaf struct{ routes []*route }

func (l *leaf) get(method string) *route {
	if l == nil {
		return nil
	}
	for _, r := range l.routes {
		if r.method == method {
			return r
		}
	}
	return nil
}

type node struct {
	key   string           // the literal segment leading here from the parent
	lits  []*node          // literal children, in insertion order
	table []*node          // lits by hashSegment, open addressing, at most half full
	big   map[string]*node // lits, if two of them share a hashSegment
	wild  *node            // single-segment wildcard child
	multi *leaf            // patterns ending in a multi wildcard at this position
	end   *leaf            // patterns ending here
}

// hashSegment mixes the length and five bytes from both ends and the middle:
// no loop, and enough to spread the segments of real route sets. The probe
// compares whole keys, so a collision costs a comparison, not a wrong match.
func hashSegment(s string) uint32 {
	n := len(s)
	if n == 0 {
		return 0
	}
	h := uint32(n)*0x9E3779B1 ^ uint32(s[0])<<24 ^ uint32(s[n-1])<<16 ^ uint32(s[n/2])<<8 ^ uint32(s[n-1-n/3])
	return (h ^ h>>15) * 0x85EBCA6B >> 7
}

// child returns the literal child for seg, whose hashSegment is h.
func (n *node) child(seg string, h uint32) *node {
	if n.big != nil {
		return n.big[seg]
	}
	mask := uint32(len(n.table) - 1)
	for i := h & mask; int(i) < len(n.table); i = (i + 1) & mask {
		c := n.table[i]
		if c == nil || c.key == seg {
			return c
		}
	}
	return nil
}

func (n *node) addLit(seg string) *node {
	if c := n.child(seg, hashSegment(seg)); c != nil {
		return c
	}
	c := &node{key: seg}
	n.lits = append(n.lits, c)
	// The cheap hash cannot tell "image_package1.go" from
	// "image_package2.go"; where more than two keys share a hash, the
	// runtime's map takes over.
	same := map[uint32]int{}
	n.big = nil
	for _, l := range n.lits {
		h := hashSegment(l.key)
		if same[h]++; same[h] > 2 && n.big == nil {
			n.big = map[string]*node{}
		}
	}
	if n.big != nil {
		for _, l := range n.lits {
			n.big[l.key] = l
		}
	}
	size := 2
	for size < 2*len(n.lits) {
		size *= 2
	}
	n.table = make([]*node, size)
	mask := uint32(size - 1)
	for _, l := range n.lits {
		i := hashSegment(l.key) & mask
		for n.table[i] != nil {
			i = (i + 1) & mask
		}
		n.table[i] = l
	}
	return c
}

type tree struct {
	root    node
	static  map[string]*leaf // leaves of all-literal patterns, by the one clean path they match
	methods []string         // distinct non-empty methods, for Allow
}

func (t *tree) add(r *route) {
	n := &t.root
	addTo := func(l **leaf) {
		if *l == nil {
			*l = &leaf{}
		}
		(*l).routes = append((*l).routes, r)
	}
	for _, s := range r.pat.segs {
		switch {
		case s.multi:
			addTo(&n.multi)
			t.addMethod(r.pat.method)
			return
		case s.wild:
			if n.wild == nil {
				n.wild = &node{}
			}
			n = n.wild
		default:
			n = n.addLit(s.s)
		}
	}
	addTo(&n.end)
	t.addMethod(r.pat.method)
	if key, ok := staticKey(r.pat); ok {
		if t.static == nil {
			t.static = map[string]*leaf{}
		}
		t.static[key] = n.end
	}
}

// staticKey returns the only clean request path an all-literal pattern
// matches. A literal that holds a '/' (from %2F) or is empty, or "." or
// "..", matches no clean r.URL.Path, so such patterns stay out.
func staticKey(p *pattern) (string, bool) {
	var b strings.Builder
	for _, s := range p.segs {
		switch {
		case s.wild:
			return "", false
		case s.s == "/": // {$}, always last
			b.WriteByte('/')
			return b.String(), true
		case s.s == "" || s.s == "." || s.s == ".." || strings.Contains(s.s, "/"):
			return "", false
		}
		b.WriteByte('/')
		b.WriteString(s.s)
	}
	return b.String(), true
}

func (t *tree) addMethod(m string) {
	for _, x := range t.methods {
		if x == m {
			return
		}
	}
	if m != "" {
		t.methods = append(t.methods, m)
	}
}

// match finds the route for method and path, with ServeMux's method
// precedence: the exact method, then GET for HEAD, then no method.
// If escaped is set, path is an escaped path and each segment is unescaped
// before comparing; otherwise path is r.URL.Path of a request without a
// RawPath, whose '/' are all separators.
func (t *tree) match(method, path string, escaped bool, v *values) *route {
	// An all-literal pattern is the first one the walk below would find for
	// its path, so one map lookup can stand for it.
	if !escaped && t.static != nil {
		if r := t.static[path].get(method); r != nil {
			return r
		}
	}
	if r := t.root.match(path, method, escaped, v); r != nil {
		return r
	}
	if method == "HEAD" {
		if r := t.root.match(path, "GET", escaped, v); r != nil {
			return r
		}
	}
	return t.root.match(path, "", escaped, v)
}

// match returns the first route for exactly method that matches path below
// n, recording wildcard values in v. On failure v is as it was.
//
// Unless escaped, path is r.URL.Path as received and may be unclean; match
// then gives up (returns nil) at an empty, "." or ".." segment so that the
// caller falls back to the full ServeMux procedure, which redirects. Every
// segment of a matched path is examined on the way, except what a multi
// wildcard takes, which is checked with isClean.
func (n *node) match(path, method string, escaped bool, v *values) *route {
	if path == "" {
		return n.end.get(method)
	}
	seg, rest := "/", ""
	if path != "/" {
		i := 1
		for i < len(path) && path[i] != '/' {
			i++
		}
		seg, rest = path[1:i], path[i:]
		if escaped {
			seg = pathUnescape(seg)
		} else if len(seg) <= 2 && (seg == "" || seg == "." || seg == "..") {
			return nil
		}
	}
	if c := n.child(seg, hashSegment(seg)); c != nil {
		if r := c.match(rest, method, escaped, v); r != nil {
			return r
		}
	}
	if n.wild != nil && seg != "/" { // a single wildcard never matches the trailing slash
		mark := v.n
		v.push(seg)
		if r := n.wild.match(rest, method, escaped, v); r != nil {
			return r
		}
		v.n = mark
	}
	if r := n.multi.get(method); r != nil {
		if !escaped && !isClean(path) {
			return nil
		}
		if r.multiNamed {
			rest := path[1:]
			if escaped {
				rest = pathUnescape(rest)
			}
			v.push(rest)
		}
		return r
	}
	return nil
}

// values holds the wildcard values of a match, in pattern order. It lives on
// the caller's stack; only patterns with more than len(buf) wildcards
// allocate.
type values struct {
	n     int
	buf   [8]string
	extra []string
}

func (v *values) push(s string) {
	if v.n < len(v.buf) {
		v.buf[v.n] = s
	} else {
		v.extra = append(v.extra[:v.n-len(v.buf)], s)
	}
	v.n++
}

func (v *values) at(i int) string {
	if i < len(v.buf) {
		return v.buf[i]
	}
	return v.extra[i-len(v.buf)]
}

// A table is the whole routing state of a Router and its groups.
type table struct {
	any   tree
	hosts map[string]*tree // nil until a pattern names a host
	index conflictIndex

	notFound         http.Handler
	methodNotAllowed http.Handler
}

func (t *table) add(r *route) {
	tr := &t.any
	if h := r.pat.host; h != "" {
		if t.hosts == nil {
			t.hosts = map[string]*tree{}
		}
		if tr = t.hosts[h]; tr == nil {
			tr = &tree{}
			t.hosts[h] = tr
		}
	}
	tr.add(r)
	t.index.add(r.pat)
}

// match tries the tree of host first, then the patterns without a host.
func (t *table) match(host, method, path string, escaped bool, v *values) *route {
	if host != "" && t.hosts != nil {
		if tr := t.hosts[host]; tr != nil {
			if r := tr.match(method, path, escaped, v); r != nil {
				return r
			}
		}
	}
	return t.any.match(method, path, escaped, v)
}

// allowed returns the sorted methods for which some pattern matches host and
// the escaped path, or path with a slash appended; GET implies HEAD.
func (t *table) allowed(host, path string) []string {
	var ms []string
	add := func(tr *tree) {
		for _, m := range tr.methods {
			var v values
			if tr.root.match(path, m, true, &v) != nil ||
				!strings.HasSuffix(path, "/") && tr.root.match(path+"/", m, true, &v) != nil {
				ms = appendUnique(ms, m)
				if m == "GET" {
					ms = appendUnique(ms, "HEAD")
				}
			}
		}
	}
	if host != "" && t.hosts[host] != nil {
		add(t.hosts[host])
	}
	add(&t.any)
	return ms
}

func appendUnique(ms []string, m string) []string {
	for _, x := range ms {
		if x == m {
			return ms
		}
	}
	return append(ms, m)
}
