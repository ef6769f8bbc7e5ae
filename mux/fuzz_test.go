package mux_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ringnet/ringnet/mux"
)

// registerStd registers pattern on a ServeMux and returns the panic value,
// nil if it was accepted.
func registerStd(m *http.ServeMux, pattern string) (err any) {
	defer func() { err = recover() }()
	m.Handle(pattern, recorder(pattern))
	return nil
}

// hasEmptyLiteral reports whether the path of a pattern has an empty
// segment ("/a//b"). ServeMux files such a segment as a wildcard and can
// then match "/a/x/b" or crash on a later registration; the Router keeps it a
// literal that no cleaned path matches. See docs/conformance.md.
func hasEmptyLiteral(pattern string) bool {
	i := strings.IndexByte(pattern, '/')
	return i >= 0 && strings.Contains(pattern[i:], "//")
}

// patternHost returns the host part of a valid pattern.
func patternHost(pattern string) string {
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		pattern = strings.TrimLeft(pattern[i+1:], " \t")
	}
	return pattern[:strings.IndexByte(pattern, '/')]
}

// checkRequests sends to both muxes the request given and one request built
// from each pattern, its wildcards filled with value, so that most inputs
// reach a handler and not only the 404 path.
func checkRequests(t *testing.T, p pair, patterns []string, method, host, target, value string) {
	t.Helper()
	check := func(method, host, target string) {
		t.Helper()
		if p.check(t, method, host, target) {
			checkPattern(t, p.ours, method, host, target)
		}
	}
	check(method, host, target)
	for _, pat := range patterns {
		h := host
		if ph := patternHost(pat); ph != "" {
			h = ph
		}
		for _, path := range instances(pat, []string{value}) {
			check(method, h, path)
		}
	}
}

// checkPattern checks Router.Pattern against what ServeHTTP does: a
// pattern it names is the one that serves the request.
func checkPattern(t *testing.T, ours *mux.Router, method, host, target string) {
	t.Helper()
	r, err := readRequest(method, host, target)
	if err != nil {
		return
	}
	want := ours.Pattern(r)
	if want == "" {
		return
	}
	w := httptest.NewRecorder()
	ours.ServeHTTP(w, r)
	if r.Pattern != want || w.Header().Get("X-Served") != want {
		t.Errorf("%s %s (Host %s): Pattern says %q, ServeHTTP served %q (r.Pattern %q, status %d)",
			method, target, host, want, w.Header().Get("X-Served"), r.Pattern, w.Code)
	}
}

// FuzzParsePattern checks that the Router accepts exactly the patterns
// ServeMux accepts, and that an accepted pattern matches the same requests
// on both.
func FuzzParsePattern(f *testing.F) {
	for _, p := range append(tricky, "GET /{x", "/{a}/{a}", "/{$}/x", "/{x...}/y", "GET  \t/a", "bad method /", "{x}/", "/{x.y}", "/{é}", "POST /a/../b", "/a/../b",
		"\tGET /a", "GET\t\t/a/{x}/", " /a", "CONNECT /a/../b", "CONNECT h/./{x...}", "/%zz/{x}", "/a%2Fb/{y}", "h:80/x", "[::1]/a", "/{x}{y}", "/{x...}/", "/{ x}", "/{x }") {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		std := http.NewServeMux()
		stdErr := registerStd(std, pattern)
		ours := mux.New()
		err := ours.Register(pattern, recorder(pattern))
		if (stdErr == nil) != (err == nil) {
			t.Fatalf("pattern %q: ServeMux says %v, Router says %v", pattern, stdErr, err)
		}
		if err != nil || hasEmptyLiteral(pattern) {
			return
		}
		p := pair{ours, std}
		method := "GET"
		if i := strings.IndexAny(pattern, " \t"); i > 0 {
			method = pattern[:i]
		}
		for _, v := range []string{"v", "x%2Fy", "é", ".."} {
			for _, path := range instances(pattern, []string{v}) {
				for _, target := range variants(path) {
					for _, host := range []string{patternHost(pattern), "other.org"} {
						p.check(t, method, host, target)
						checkPattern(t, ours, method, host, target)
					}
				}
			}
		}
	})
}

// FuzzMatch registers up to eight patterns (one per line) on both muxes and
// compares what each does with the request given and with one request
// built from each pattern, its wildcards filled with value.
func FuzzMatch(f *testing.F) {
	f.Add("GET /a/{x}\n/a/b/\nexample.com/{y...}", "GET", "example.com", "/a/b", "b")
	f.Add("/{$}\nGET /files/{p...}\nPOST /files/{id}", "HEAD", "localhost", "/files/x%2Fy", "x%2Fy")
	f.Add("GET /a/b/z\nGET /a/{x}/c", "GET", "h", "/a/b/c", "b")
	f.Add("/tree/\nDELETE /x/{$}", "OPTIONS", "h", "/tree", "")
	// The tricky set, eight patterns at a time, with requests around them.
	for i := 0; i < len(tricky); i += 8 {
		set := strings.Join(tricky[i:min(i+8, len(tricky))], "\n")
		f.Add(set, "GET", "example.com", "/a/b/../z", "x%2Fy")
		f.Add(set, "POST", "other.org:8080", "//tree/./x?q=1", "..")
		f.Add(set, "CONNECT", "example.com", "/tunnel", "%C3%A9")
	}
	f.Fuzz(func(t *testing.T, patterns, method, host, target, value string) {
		var ok []string
		std := http.NewServeMux()
		ours := mux.New()
		for i, p := range strings.Split(patterns, "\n") {
			if i == 8 {
				break
			}
			if hasEmptyLiteral(p) {
				t.Skip("known difference: empty literal segment")
			}
			stdErr := registerStd(std, p)
			if _, isErr := stdErr.(error); stdErr != nil && !isErr {
				t.Skipf("ServeMux crashed: %v", stdErr)
			}
			err := ours.Register(p, recorder(p))
			if (stdErr == nil) != (err == nil) {
				t.Fatalf("registering %q after %q: ServeMux says %v, Router says %v", p, ok, stdErr, err)
			}
			if err == nil {
				ok = append(ok, p)
			}
		}
		checkRequests(t, pair{ours, std}, ok, method, host, target, value)
	})
}
