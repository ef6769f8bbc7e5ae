package mux_test

import (
	"net/http"
	"testing"

	"github.com/ringnet/ringnet/mux"
)

// Benchmarks side by side with net/http.ServeMux, in the manner of the
// classic Go router benchmarks: one request value reused, an empty handler,
// a ResponseWriter that does nothing. bench/mux adds httprouter.

type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

var nop = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

func loadRouter(tb testing.TB, patterns []string) *mux.Router {
	r := mux.New()
	for _, p := range patterns {
		r.Handle(p, nop)
	}
	return r
}

func loadServeMux(tb testing.TB, patterns []string) *http.ServeMux {
	m := http.NewServeMux()
	for _, p := range patterns {
		m.Handle(p, nop)
	}
	return m
}

func benchRequest(b *testing.B, h http.Handler, method, path string) {
	r, err := http.NewRequest(method, path, nil)
	if err != nil {
		b.Fatal(err)
	}
	w := &nopWriter{http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}

// benchAll serves one request per pattern per iteration.
func benchAll(b *testing.B, h http.Handler, patterns []string) {
	var reqs []*http.Request
	for _, p := range patterns {
		method, path := splitPattern(p)
		r, err := http.NewRequest(method, path, nil)
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

// splitPattern turns "GET /repos/{owner}/{repo}" into a request for
// "/repos/owner/repo".
func splitPattern(p string) (method, path string) {
	method, path = "GET", p
	if i := indexSpace(p); i >= 0 {
		method, path = p[:i], p[i+1:]
	}
	path = wildcardRE.ReplaceAllStringFunc(path, func(w string) string {
		if w == "{$}" {
			return ""
		}
		return w[1 : len(w)-1]
	})
	return method, path
}

func indexSpace(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			return i
		}
	}
	return -1
}

type benchCase struct {
	name, routes, method, path string
}

var benchCases = []benchCase{
	{"GithubStatic", "github_routes.txt", "GET", "/user/repos"},
	{"GithubParam1", "github_routes.txt", "GET", "/users/julienschmidt"},
	{"GithubParam3", "github_routes.txt", "GET", "/repos/julienschmidt/httprouter/issues/42/comments"},
	{"Static", "static_routes.txt", "GET", "/progs/image_package4.out"},
}

func BenchmarkRouter(b *testing.B) {
	for _, c := range benchCases {
		h := loadRouter(b, readRoutes(b, c.routes))
		b.Run(c.name, func(b *testing.B) { benchRequest(b, h, c.method, c.path) })
	}
	for _, set := range []string{"github_routes.txt", "static_routes.txt"} {
		routes := readRoutes(b, set)
		b.Run(allName(set), func(b *testing.B) { benchAll(b, loadRouter(b, routes), routes) })
	}
}

func BenchmarkServeMux(b *testing.B) {
	for _, c := range benchCases {
		h := loadServeMux(b, readRoutes(b, c.routes))
		b.Run(c.name, func(b *testing.B) { benchRequest(b, h, c.method, c.path) })
	}
	for _, set := range []string{"github_routes.txt", "static_routes.txt"} {
		routes := readRoutes(b, set)
		b.Run(allName(set), func(b *testing.B) { benchAll(b, loadServeMux(b, routes), routes) })
	}
}

func allName(set string) string {
	if set == "github_routes.txt" {
		return "GithubAll"
	}
	return "StaticAll"
}
