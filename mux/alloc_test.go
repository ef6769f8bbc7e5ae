package mux_test

import (
	"net/http"
	"testing"
)

// TestAllocs pins the allocation counts of lookups on the GitHub set.
// Static routes allocate nothing. Wildcard routes allocate only the map in
// which Request.SetPathValue stores values, once per request: none when the
// request value already has it, as in the benchmarks.
func TestAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	r := loadRouter(t, readRoutes(t, "github_routes.txt"))
	w := &nopWriter{http.Header{}}
	for _, c := range []struct {
		path       string
		reused     float64 // same *http.Request each run
		freshLimit float64 // a new *http.Request each run, minus its own allocation
	}{
		{"/user/repos", 0, 0},
		{"/users/julienschmidt", 0, 2},
		{"/repos/julienschmidt/httprouter/issues/42/comments", 0, 2},
	} {
		req, _ := http.NewRequest("GET", c.path, nil)
		if n := testing.AllocsPerRun(100, func() { r.ServeHTTP(w, req) }); n != c.reused {
			t.Errorf("%s, reused request: %v allocs, want %v", c.path, n, c.reused)
		}
		base := testing.AllocsPerRun(100, func() { _ = fresh(req) })
		n := testing.AllocsPerRun(100, func() { r.ServeHTTP(w, fresh(req)) })
		if n-base > c.freshLimit {
			t.Errorf("%s, fresh request: %v allocs, want at most %v", c.path, n-base, c.freshLimit)
		}
	}
}

var sink *http.Request

// fresh returns a copy of r without path values, as a server hands out.
func fresh(r *http.Request) *http.Request {
	sink = &http.Request{Method: r.Method, URL: r.URL, Host: r.Host, Header: r.Header, RequestURI: r.RequestURI}
	return sink
}
