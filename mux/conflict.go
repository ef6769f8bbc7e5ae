package mux

import "strings"

// relation is how the requests matched by one pattern relate to those
// matched by another (the facts of net/http's pattern.go).
type relation int

const (
	equivalent   relation = iota // both match the same requests
	moreGeneral                  // p1 matches everything p2 does, and more
	moreSpecific                 // p2 matches everything p1 does, and more
	disjoint                     // no request matches both
	overlaps                     // some request matches both, neither is more specific
)

// combine gives the relation of two patterns from the relations of two
// disjoint parts of them (method and path, or successive segments).
func combine(r1, r2 relation) relation {
	switch {
	case r1 == equivalent:
		return r2
	case r1 == disjoint || r2 == disjoint:
		return disjoint
	case r1 == overlaps || r2 == overlaps:
		return overlaps
	case r2 == equivalent || r2 == r1:
		return r1
	default: // one more general, the other more specific
		return overlaps
	}
}

// conflictsWith reports whether some request matches both p1 and p2 while
// neither takes precedence. A pattern with a host always wins over one
// without, so only patterns with the same host can conflict.
func (p1 *pattern) conflictsWith(p2 *pattern) bool {
	if p1.host != p2.host {
		return false
	}
	r := p1.compare(p2)
	return r == equivalent || r == overlaps
}

func (p1 *pattern) compare(p2 *pattern) relation {
	m := compareMethods(p1.method, p2.method)
	if m == disjoint {
		return disjoint
	}
	return combine(m, p1.comparePaths(p2))
}

// compareMethods: "" matches every method, GET also matches HEAD, any other
// method only itself.
func compareMethods(m1, m2 string) relation {
	switch {
	case m1 == m2:
		return equivalent
	case m1 == "":
		return moreGeneral
	case m2 == "":
		return moreSpecific
	case m1 == "GET" && m2 == "HEAD":
		return moreGeneral
	case m1 == "HEAD" && m2 == "GET":
		return moreSpecific
	}
	return disjoint
}

func (p1 *pattern) comparePaths(p2 *pattern) relation {
	s1, s2 := p1.segs, p2.segs
	if len(s1) != len(s2) && !p1.last().multi && !p2.last().multi {
		return disjoint
	}
	r := equivalent
	for len(s1) > 0 && len(s2) > 0 {
		if r = combine(r, compareSegments(s1[0], s2[0])); r == disjoint {
			return r
		}
		s1, s2 = s1[1:], s2[1:]
	}
	switch {
	case len(s1) == 0 && len(s2) == 0:
		return r
	case len(s1) < len(s2) && p1.last().multi:
		return combine(r, moreGeneral)
	case len(s2) < len(s1) && p2.last().multi:
		return combine(r, moreSpecific)
	}
	return disjoint
}

func compareSegments(a, b segment) relation {
	switch {
	case a.multi && b.multi:
		return equivalent
	case a.multi:
		return moreGeneral
	case b.multi:
		return moreSpecific
	case a.wild && b.wild:
		return equivalent
	case a.wild:
		if b.s == "/" { // a single wildcard never matches the {$} slash
			return disjoint
		}
		return moreGeneral
	case b.wild:
		if a.s == "/" {
			return disjoint
		}
		return moreSpecific
	case a.s == b.s:
		return equivalent
	}
	return disjoint
}

// describeConflict explains why p1 and p2, which conflict, cannot both be
// registered.
func describeConflict(p1, p2 *pattern) string {
	if p1.compare(p2) == equivalent {
		return p1.str + " matches the same requests as " + p2.str
	}
	m, p := compareMethods(p1.method, p2.method), p1.comparePaths(p2)
	switch {
	case m == moreGeneral && p == moreSpecific:
		return p1.str + " matches more methods than " + p2.str + ", but has a more specific path pattern"
	case m == moreSpecific && p == moreGeneral:
		return p1.str + " matches fewer methods than " + p2.str + ", but has a more general path pattern"
	}
	return p1.str + " and " + p2.str + " both match some paths, like " + quote(commonPath(p1, p2)) +
		", but neither is more specific than the other"
}

// commonPath returns a path that both patterns match; they must overlap.
func commonPath(p1, p2 *pattern) string {
	var b strings.Builder
	s1, s2 := p1.segs, p2.segs
	for len(s1) > 0 && len(s2) > 0 {
		if s1[0].wild {
			writeSegment(&b, s2[0])
		} else {
			writeSegment(&b, s1[0])
		}
		s1, s2 = s1[1:], s2[1:]
	}
	for _, s := range append(s1, s2...) {
		writeSegment(&b, s)
	}
	return b.String()
}

func writeSegment(b *strings.Builder, s segment) {
	b.WriteByte('/')
	if !s.multi && s.s != "/" {
		b.WriteString(s.s)
	}
}

// conflictIndex finds the registered patterns a new one may conflict with.
// A pattern not ending in a multi wildcard can only conflict with one of the
// same length or with one ending in a multi, so those are the buckets.
type conflictIndex struct {
	byLen    map[int][]*pattern
	ordinary []*pattern // all patterns not ending in a multi, in registration order
	multis   []*pattern
}

func (x *conflictIndex) add(p *pattern) {
	if p.last().multi {
		x.multis = append(x.multis, p)
		return
	}
	if x.byLen == nil {
		x.byLen = map[int][]*pattern{}
	}
	x.byLen[len(p.segs)] = append(x.byLen[len(p.segs)], p)
	x.ordinary = append(x.ordinary, p)
}

// find returns the first registered pattern that conflicts with p, or nil.
func (x *conflictIndex) find(p *pattern) *pattern {
	check := func(ps []*pattern) *pattern {
		for _, q := range ps {
			if p.conflictsWith(q) {
				return q
			}
		}
		return nil
	}
	if q := check(x.multis); q != nil {
		return q
	}
	if !p.last().multi {
		return check(x.byLen[len(p.segs)])
	}
	return check(x.ordinary)
}
