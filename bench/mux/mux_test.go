// Package muxbench compares mux.Router with net/http.ServeMux and
// github.com/julienschmidt/httprouter v1.3.0 on the route sets of the
// classic Go router benchmarks. It lives in the bench module so that the
// main module does not depend on httprouter.
package muxbench

import (
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/julienschmidt/httprouter"
	"github.com/ringnet/ringnet/mux"
)

// The route sets are the ones the mux tests use, as Go 1.22 patterns.
func readRoutes(tb testing.TB, name string) []string {
	tb.Helper()
	data, err := os.ReadFile("../../mux/testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	var routes []string
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			routes = append(routes, line)
		}
	}
	return routes
}

var wildcardRE = regexp.MustCompile(`\{[^}]*\}`)

// split returns the method and the path of a pattern, and a request path
// that matches it (each wildcard replaced by its name).
func split(p string) (method, path, target string) {
	method, path, _ = strings.Cut(p, " ")
	target = wildcardRE.ReplaceAllStringFunc(path, func(w string) string {
		if w == "{$}" {
			return ""
		}
		return strings.TrimSuffix(w[1:len(w)-1], "...")
	})
	return method, path, target
}

// httprouterPath turns "/users/{user}" into "/users/:user".
func httprouterPath(path string) string {
	return wildcardRE.ReplaceAllStringFunc(path, func(w string) string {
		name := w[1 : len(w)-1]
		if n, ok := strings.CutSuffix(name, "..."); ok {
			return "*" + n
		}
		return ":" + name
	})
}

var nop = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// The handlers read every path value, as a real handler would: with
// r.PathValue for the routers that set it, with Params for httprouter.
func valueReader(names []string) http.Handler {
	return http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		for _, n := range names {
			_ = r.PathValue(n)
		}
	})
}

func wildcardNames(path string) []string {
	var ns []string
	for _, w := range wildcardRE.FindAllString(path, -1) {
		if w != "{$}" {
			ns = append(ns, strings.TrimSuffix(w[1:len(w)-1], "..."))
		}
	}
	return ns
}

func loadRouter(routes []string) http.Handler {
	r := mux.New()
	for _, p := range routes {
		_, path, _ := split(p)
		r.Handle(p, valueReader(wildcardNames(path)))
	}
	return r
}

func loadServeMux(routes []string) http.Handler {
	m := http.NewServeMux()
	for _, p := range routes {
		_, path, _ := split(p)
		m.Handle(p, valueReader(wildcardNames(path)))
	}
	return m
}

func loadHttpRouter(routes []string) http.Handler {
	r := httprouter.New()
	for _, p := range routes {
		method, path, _ := split(p)
		names := wildcardNames(path)
		r.Handle(method, httprouterPath(path), func(_ http.ResponseWriter, _ *http.Request, ps httprouter.Params) {
			for _, n := range names {
				_ = ps.ByName(n)
			}
		})
	}
	return r
}

type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

type contender struct {
	name string
	load func([]string) http.Handler
}

var contenders = []contender{
	{"Router", loadRouter},
	{"ServeMux", loadServeMux},
	{"HttpRouter", loadHttpRouter},
}

// benchOne serves one request, reused, as the classic benchmarks do.
func benchOne(b *testing.B, h http.Handler, method, target string) {
	r, err := http.NewRequest(method, target, nil)
	if err != nil {
		b.Fatal(err)
	}
	w := &nopWriter{http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}

// benchAll serves one request for every route of the set per iteration.
func benchAll(b *testing.B, h http.Handler, routes []string) {
	var reqs []*http.Request
	for _, p := range routes {
		method, _, target := split(p)
		r, err := http.NewRequest(method, target, nil)
		if err != nil {
			b.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	w := &nopWriter{http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range reqs {
			h.ServeHTTP(w, r)
		}
	}
}

var singles = []struct{ name, set, target string }{
	{"GithubStatic", "github_routes.txt", "/user/repos"},
	{"GithubParam1", "github_routes.txt", "/users/julienschmidt"},
	{"GithubParam3", "github_routes.txt", "/repos/julienschmidt/httprouter/issues/42/comments"},
	{"Static1", "static_routes.txt", "/progs/image_package4.out"},
}

// BenchmarkMux runs every case for every contender; compare lines with
// the same case name, e.g. with benchstat's -col /router.
func BenchmarkMux(b *testing.B) {
	for _, c := range singles {
		routes := readRoutes(b, c.set)
		for _, k := range contenders {
			h := k.load(routes)
			b.Run("case="+c.name+"/router="+k.name, func(b *testing.B) { benchOne(b, h, "GET", c.target) })
		}
	}
	for _, set := range []struct{ name, file string }{{"GithubAll", "github_routes.txt"}, {"StaticAll", "static_routes.txt"}} {
		routes := readRoutes(b, set.file)
		for _, k := range contenders {
			h := k.load(routes)
			b.Run("case="+set.name+"/router="+k.name, func(b *testing.B) { benchAll(b, h, routes) })
		}
	}
}

// TestSameAnswers checks that every contender serves every route of both
// sets, so that the benchmarks compare routers that do the same work.
func TestSameAnswers(t *testing.T) {
	for _, set := range []string{"github_routes.txt", "static_routes.txt"} {
		routes := readRoutes(t, set)
		for _, k := range contenders {
			h := k.load(routes)
			for _, p := range routes {
				method, _, target := split(p)
				r, _ := http.NewRequest(method, target, nil)
				w := &statusWriter{nopWriter: nopWriter{http.Header{}}, code: 200}
				h.ServeHTTP(w, r)
				if w.code != 200 {
					t.Errorf("%s: %s %s: status %d", k.name, method, target, w.code)
				}
			}
		}
	}
}

type statusWriter struct {
	nopWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) { w.code = code }
