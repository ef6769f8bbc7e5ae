package mux_test

import (
	"strings"
	"testing"
)

// tricky is a hand-made pattern set that exercises every rule of ServeMux's
// matching: precedence with backtracking, {$}, subtrees and their
// redirects, methods, HEAD, hosts, escapes and many wildcards.
var tricky = []string{
	"/",
	"/{$}",
	"GET /static/",
	"GET /static/special",
	"GET /files/{path...}",
	"GET /files/readme",
	"GET /a/b/z",
	"GET /a/{x}/c",
	"example.com/",
	"example.com/host/{x}",
	"GET /host/{x}",
	"GET /items/{id}",
	"POST /items/{id}",
	"DELETE /items/{id}",
	"PUT /items/",
	"/esc/a%2Fb",
	"/esc/{x}/tail",
	"/esc2/%61bc",
	"GET /dir/{$}",
	"GET /dir/{name}",
	"HEAD /head-only",
	"GET /both",
	"HEAD /both",
	"/tree/",
	"/tree2/{rest...}",
	"GET /users/{id}/",
	"GET /users/{id}/posts/{post}",
	"/unicode/é/{x}",
	"OPTIONS /opt/{x}",
	"GET /opt/{x}",
	"CONNECT /tunnel/",
	"GET /nine/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}",
	"/100%25/{x}",
	"GET /dots/{x...}",
	"POST /post-only/{x}/",
	"GET other.org/{$}",
	"other.org/p/{x...}",
}

// variants returns request targets around a path: the path itself, with a
// trailing slash added or removed, unclean forms, escapes and a query.
func variants(path string) []string {
	vs := []string{path, path + "?q=1", path + "/", "/" + path, path + "/.", path + "/../x"}
	if t := strings.TrimSuffix(path, "/"); t != path && t != "" {
		vs = append(vs, t, t+"?q=1")
	}
	if i := strings.LastIndexByte(path, '/'); i > 0 {
		vs = append(vs, path[:i]+"/./"+path[i+1:], path[:i]+"//"+path[i+1:])
	}
	vs = append(vs, strings.ReplaceAll(path, "a", "%61"))
	return vs
}

// instances returns request paths a pattern should match, with wildcard
// values including an escaped slash and a non-ASCII one.
func instances(pattern string, values []string) []string {
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		pattern = pattern[i+1:]
	}
	pattern = pattern[strings.IndexByte(pattern, '/'):]
	var out []string
	for _, v := range values {
		p := wildcardRE.ReplaceAllStringFunc(pattern, func(w string) string {
			switch {
			case w == "{$}":
				return ""
			case strings.HasSuffix(w, "...}"):
				return v + "/more/" + v
			}
			return v
		})
		out = append(out, p)
	}
	return out
}

var (
	methods  = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}
	allHosts = []string{"example.com", "example.com:8080", "other.org", "localhost"}
)

// runDifferential compares the outcomes of requests around every pattern;
// values are the wildcard values tried, hosts the Host headers.
func runDifferential(t *testing.T, patterns, values, hosts []string) {
	p := newPair(t, patterns)
	n := 0
	for _, pat := range patterns {
		for _, path := range instances(pat, values) {
			for _, target := range variants(path) {
				for _, m := range methods {
					for _, h := range hosts {
						n++
						p.check(t, m, h, target)
					}
				}
			}
		}
	}
	for _, target := range []string{"/", "", "*", "/nope", "/nope/", "//", "/..", "/%2e%2e/x", "/a%2fb/c", "/%zz", "/tree", "/tree2", "/dir", "/users/1"} {
		for _, m := range append(methods, "CONNECT") {
			for _, h := range hosts {
				n++
				p.check(t, m, h, target)
			}
		}
	}
	t.Logf("%d requests compared", n)
}

func TestDifferentialGitHub(t *testing.T) {
	runDifferential(t, readRoutes(t, "github_routes.txt"), []string{"v1", "x%2Fy"}, []string{"example.com", "localhost:8080"})
}

func TestDifferentialStatic(t *testing.T) {
	runDifferential(t, readRoutes(t, "static_routes.txt"), []string{"v1"}, []string{"example.com"})
}

func TestDifferentialTricky(t *testing.T) {
	runDifferential(t, tricky, []string{"v1", "x%2Fy", "%C3%A9t%C3%A9", "a.b", "%2e%2e"}, allHosts)
}
