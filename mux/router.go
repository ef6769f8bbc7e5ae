package mux

import (
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// A Router is an HTTP request multiplexer with the pattern syntax, precedence
// and conflict rules of net/http.ServeMux (Go 1.22+), built for speed: it
// matches through a tree walked without allocating, records path values with
// Request.SetPathValue and sets Request.Pattern.
//
// Routes are registered with Handle, HandleFunc or Register, middleware with
// Use, and groups of routes sharing a path prefix and middleware with Group.
// A Router and its groups share one routing table.
//
// Registration must be finished before the Router serves requests: unlike
// ServeMux, a Router takes no lock on the request path, so registering while
// ServeHTTP runs is a data race. ServeHTTP may be called concurrently.
type Router struct {
	t      *table
	parent *Router
	prefix string                            // path prefix of a group, "" for New's router
	mws    []func(http.Handler) http.Handler // inherited from the parent, then Use's
	sealed bool                              // a route or group was added; Use now panics
}

// New returns an empty Router. Unmatched requests get http.NotFound, and a
// path served only for other methods gets 405 with an Allow header.
func New() *Router { return &Router{t: &table{}} }

// Handle registers h for pattern, panicking if the pattern is invalid or
// conflicts with one already registered, as ServeMux.Handle does.
func (rt *Router) Handle(pattern string, h http.Handler) {
	if err := rt.Register(pattern, h); err != nil {
		panic(err)
	}
}

// HandleFunc registers f for pattern; see Handle.
func (rt *Router) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	if f == nil {
		panic(ErrNilHandler)
	}
	if err := rt.Register(pattern, http.HandlerFunc(f)); err != nil {
		panic(err)
	}
}

// Register registers h for pattern and returns an error instead of
// panicking: a *PatternError for a pattern ServeMux would reject, a
// *ConflictError naming both patterns for a conflict, or ErrNilHandler.
// In a group, the group's prefix is inserted before the path of pattern
// ("GET /users" in Group("/api") registers "GET /api/users").
func (rt *Router) Register(pattern string, h http.Handler) error {
	if h == nil {
		return ErrNilHandler
	}
	if f, ok := h.(http.HandlerFunc); ok && f == nil {
		return ErrNilHandler
	}
	p, err := parsePattern(rt.withPrefix(pattern))
	if err != nil {
		return err
	}
	p.loc = callerLocation()
	if q := rt.t.index.find(p); q != nil {
		return &ConflictError{Pattern: p.str, PatternLoc: p.loc, Existing: q.str,
			ExistingLoc: q.loc, Reason: describeConflict(p, q)}
	}
	for i := len(rt.mws) - 1; i >= 0; i-- {
		h = rt.mws[i](h)
	}
	last := p.last()
	r := &route{method: p.method, pat: p, handler: h, names: p.names(), multiNamed: last.multi && last.s != "", multi: last.multi}
	rt.t.add(r)
	rt.seal()
	return nil
}

// withPrefix inserts the group prefix between the host and the path.
func (rt *Router) withPrefix(pattern string) string {
	if rt.prefix == "" {
		return pattern
	}
	method, rest := "", pattern
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		method, rest = pattern[:i+1], strings.TrimLeft(pattern[i+1:], " \t")
	}
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return pattern // let the parser report it
	}
	return method + rest[:i] + rt.prefix + rest[i:]
}

func (rt *Router) seal() {
	for r := rt; r != nil; r = r.parent {
		r.sealed = true
	}
}

// Use appends middleware that wraps the handler of every route later
// registered on this router and its groups; the first one given is the
// outermost. Middleware runs after matching, so it sees r.Pattern and the
// path values. It does not wrap what the router answers itself (not found,
// 405, redirects, automatic OPTIONS): wrap the Router for that.
// Use panics if a route or group was already added to this router, so that
// no route silently misses a middleware.
func (rt *Router) Use(mw ...func(http.Handler) http.Handler) {
	if rt.sealed {
		panic("mux: Use called after routes or groups were added to this router")
	}
	rt.mws = append(rt.mws, mw...)
}

// Group returns a router that registers into rt's table with prefix
// inserted before each pattern's path and with rt's middleware followed by
// its own. If fn is not nil, Group calls it with the group, which reads
// well for declaring routes in a block:
//
//	r.Group("/api", func(g *mux.Router) {
//		g.Use(auth)
//		g.HandleFunc("GET /users/{id}", getUser) // "GET /api/users/{id}"
//	})
//
// prefix must start with '/'; a trailing '/' is dropped.
func (rt *Router) Group(prefix string, fn func(g *Router)) *Router {
	if !strings.HasPrefix(prefix, "/") {
		panic("mux: group prefix " + strconv.Quote(prefix) + " does not start with '/'")
	}
	rt.seal()
	g := &Router{t: rt.t, parent: rt, prefix: rt.prefix + strings.TrimRight(prefix, "/")}
	g.mws = append(g.mws, rt.mws...)
	if fn != nil {
		fn(g)
	}
	return g
}

// NotFound sets the handler for requests no pattern matches (default
// http.NotFound). It applies to the whole router, groups included.
func (rt *Router) NotFound(h http.Handler) { rt.t.notFound = h }

// MethodNotAllowed sets the handler for requests whose path matches only
// patterns for other methods (default: 405 with http.Error). The Allow
// header is set before h runs.
func (rt *Router) MethodNotAllowed(h http.Handler) { rt.t.methodNotAllowed = h }

// ServeHTTP dispatches r to the handler of the most specific matching
// pattern, after setting r.Pattern and the path values; it answers
// redirects, 404, 405 and OPTIONS itself as described in docs/conformance.md.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := rt.t
	// The fast path: a clean path without escapes, matched exactly. Anything
	// else takes ServeMux's full route in serveSlow.
	// The tree walk gives up on unclean segments (see node.match).
	if p := r.URL.Path; r.URL.RawPath == "" && p != "" && p[0] == '/' && r.Method != "CONNECT" && r.RequestURI != "*" {
		host := ""
		if t.hosts != nil {
			host = stripHostPort(r.Host)
		}
		var v values
		if m := t.match(host, r.Method, p, false, &v); m != nil && exactMatch(m, p) {
			serveRoute(w, r, m, &v)
			return
		}
	}
	t.serveSlow(w, r)
}

// Pattern returns the pattern ServeHTTP would serve r with, without
// serving it, or "" when r takes the slow path (escaped or unclean paths,
// CONNECT, redirects, 404, 405). A server uses it to tell routes apart
// before running them (ringnet's http learns which routes block).
func (rt *Router) Pattern(r *http.Request) string {
	t := rt.t
	if p := r.URL.Path; r.URL.RawPath == "" && p != "" && p[0] == '/' && r.Method != "CONNECT" && r.RequestURI != "*" {
		host := ""
		if t.hosts != nil {
			host = stripHostPort(r.Host)
		}
		var v values
		if m := t.match(host, r.Method, p, false, &v); m != nil && exactMatch(m, p) {
			return m.pat.str
		}
	}
	return ""
}

func serveRoute(w http.ResponseWriter, r *http.Request, m *route, v *values) {
	r.Pattern = m.pat.str
	for i, name := range m.names {
		r.SetPathValue(name, v.at(i))
	}
	m.handler.ServeHTTP(w, r)
}

// serveSlow is ServeMux's findHandler: escaped paths, CONNECT, redirects to
// the cleaned path or to the subtree root, 404 and 405.
func (t *table) serveSlow(w http.ResponseWriter, r *http.Request) {
	if r.RequestURI == "*" {
		if r.ProtoAtLeast(1, 1) {
			w.Header().Set("Connection", "close")
		}
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var v values
	var m *route
	escapedPath := r.URL.EscapedPath()
	path, host := escapedPath, r.URL.Host
	if r.Method == "CONNECT" {
		// The subtree redirect applies to CONNECT, path cleaning does not.
		if _, u := t.matchOrRedirect(host, r.Method, path, r.URL, &v); u != nil {
			redirect(w, r, u.Path, u.String())
			return
		}
		// Match on r.Host as given; the Allow header below still uses
		// r.URL.Host, as in ServeMux.
		m, _ = t.matchOrRedirect(r.Host, r.Method, path, nil, &v)
	} else {
		host = stripHostPort(r.Host)
		path = cleanPath(path)
		var u *url.URL
		m, u = t.matchOrRedirect(host, r.Method, path, r.URL, &v)
		if u != nil {
			redirect(w, r, m.pat.str, u.String())
			return
		}
		if path != escapedPath {
			pat := ""
			if m != nil {
				pat = m.pat.str
			}
			redirect(w, r, pat, (&url.URL{Path: path, RawQuery: r.URL.RawQuery}).String())
			return
		}
	}
	if m != nil {
		serveRoute(w, r, m, &v)
		return
	}
	r.Pattern = ""
	allowed := t.allowed(host, path)
	if len(allowed) == 0 {
		if t.notFound != nil {
			t.notFound.ServeHTTP(w, r)
		} else {
			http.NotFound(w, r)
		}
		return
	}
	// The router answers OPTIONS itself, so it is allowed too.
	allowed = appendUnique(allowed, "OPTIONS")
	slices.Sort(allowed)
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	switch {
	case r.Method == "OPTIONS":
		w.WriteHeader(http.StatusNoContent)
	case t.methodNotAllowed != nil:
		t.methodNotAllowed.ServeHTTP(w, r)
	default:
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
	}
}

func redirect(w http.ResponseWriter, r *http.Request, pattern, to string) {
	r.Pattern = pattern
	http.Redirect(w, r, to, http.StatusTemporaryRedirect)
}

// matchOrRedirect matches; if that gives no exact match and u is not nil, it
// tries path+"/" and, if that matches exactly, returns the URL to redirect
// to with the route that will serve it.
func (t *table) matchOrRedirect(host, method, path string, u *url.URL, v *values) (*route, *url.URL) {
	m := t.match(host, method, path, true, v)
	if exactMatch(m, path) || u == nil || path == "" || strings.HasSuffix(path, "/") {
		return m, nil
	}
	var v2 values
	if m2 := t.match(host, method, path+"/", true, &v2); exactMatch(m2, path+"/") {
		return m2, &url.URL{Path: cleanPath(u.Path) + "/", RawQuery: u.RawQuery}
	}
	return m, nil
}

// exactMatch reports whether m matched path without its multi wildcard
// consuming anything: "/a/" matches "/a/" exactly but "/a/b" not.
func exactMatch(m *route, path string) bool {
	if m == nil {
		return false
	}
	if !m.multi {
		return true
	}
	if path != "" && path[len(path)-1] != '/' {
		return false
	}
	return len(m.pat.segs) == strings.Count(path, "/")
}

// callerLocation returns file:line of the first caller outside this
// package, for conflict messages.
func callerLocation() string {
	var pcs [16]uintptr
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs[:])])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "github.com/ringnet/ringnet/mux.") {
			return f.File + ":" + strconv.Itoa(f.Line)
		}
		if !more {
			return "unknown location"
		}
	}
}
