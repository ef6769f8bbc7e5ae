package mux_test

import (
	"net/http"
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

// FuzzParsePattern checks that the Router accepts exactly the patterns
// ServeMux accepts.
func FuzzParsePattern(f *testing.F) {
	for _, p := range append(tricky, "GET /{x", "/{a}/{a}", "/{$}/x", "/{x...}/y", "GET  \t/a", "bad method /", "{x}/", "/{x.y}", "/{é}", "POST /a/../b", "/a/../b") {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		stdErr := registerStd(http.NewServeMux(), pattern)
		err := mux.New().Register(pattern, recorder(pattern))
		if (stdErr == nil) != (err == nil) {
			t.Fatalf("pattern %q: ServeMux says %v, Router says %v", pattern, stdErr, err)
		}
	})
}

// FuzzMatch registers up to eight patterns (one per line) on both muxes and
// compares what each does with one request.
func FuzzMatch(f *testing.F) {
	f.Add("GET /a/{x}\n/a/b/\nexample.com/{y...}", "GET", "example.com", "/a/b")
	f.Add("/{$}\nGET /files/{p...}\nPOST /files/{id}", "HEAD", "localhost", "/files/x%2Fy")
	f.Add("GET /a/b/z\nGET /a/{x}/c", "GET", "h", "/a/b/c")
	f.Add("/tree/\nDELETE /x/{$}", "OPTIONS", "h", "/tree")
	f.Fuzz(func(t *testing.T, patterns, method, host, target string) {
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
		pair{ours, std}.check(t, method, host, target)
	})
}
