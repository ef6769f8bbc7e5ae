package mux_test

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ringnet/ringnet/mux"
)

// This file holds the machinery of the differential tests: the same
// patterns registered on a Router and on net/http.ServeMux (the oracle), the
// same raw requests sent to both, and the outcomes compared.

// outcome is what a mux did with one request, as far as the client or the
// handler can tell.
type outcome struct {
	Status   int
	Location string
	Allow    string
	Pattern  string // r.Pattern after ServeHTTP returned
	Served   string // the pattern whose handler ran, "" if none
	Values   string // its path values, read with r.PathValue
}

var wildcardRE = regexp.MustCompile(`\{([^}]*)\}`)

// wildcardNames extracts the wildcard names of a pattern independently of
// the parser under test.
func wildcardNames(pattern string) []string {
	var names []string
	for _, m := range wildcardRE.FindAllStringSubmatch(pattern, -1) {
		if n := strings.TrimSuffix(m[1], "..."); n != "$" {
			names = append(names, n)
		}
	}
	return names
}

// recorder returns a handler that reports which pattern it serves and the
// path values the request carries.
func recorder(pattern string) http.Handler {
	names := wildcardNames(pattern)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		for _, n := range names {
			fmt.Fprintf(&b, "%s=%q ", n, pathValue(r, n))
		}
		w.Header().Set("X-Served", pattern)
		w.Header().Set("X-Values", b.String())
	})
}

// readRequest builds a request the way a server does, from its wire form,
// so RequestURI, RawPath and Host are what handlers really see.
func readRequest(method, host, target string) (*http.Request, error) {
	raw := method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n"
	return http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
}

func serve(h http.Handler, method, host, target string) (outcome, error) {
	r, err := readRequest(method, host, target)
	if err != nil {
		return outcome{}, err
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return outcome{
		Status:   w.Code,
		Location: w.Header().Get("Location"),
		Allow:    w.Header().Get("Allow"),
		Pattern:  r.Pattern,
		Served:   w.Header().Get("X-Served"),
		Values:   w.Header().Get("X-Values"),
	}, nil
}

// expected turns ServeMux's outcome into ours, applying the documented
// deliberate difference: the router answers OPTIONS itself and so lists it
// in Allow; an OPTIONS request ServeMux would refuse with 405 gets 204.
func expected(std outcome, method string) outcome {
	if std.Status != http.StatusMethodNotAllowed {
		return std
	}
	allow := strings.Split(std.Allow, ", ")
	if !slices.Contains(allow, "OPTIONS") {
		allow = append(allow, "OPTIONS")
		slices.Sort(allow)
	}
	std.Allow = strings.Join(allow, ", ")
	if method == "OPTIONS" {
		std.Status = http.StatusNoContent
	}
	return std
}

// pair is a Router and a ServeMux with the same patterns.
type pair struct {
	ours *mux.Router
	std  *http.ServeMux
}

func newPair(t testing.TB, patterns []string) pair {
	t.Helper()
	p := pair{mux.New(), http.NewServeMux()}
	for _, pat := range patterns {
		p.std.Handle(pat, recorder(pat))
		if err := p.ours.Register(pat, recorder(pat)); err != nil {
			t.Fatalf("Register(%q): %v", pat, err)
		}
	}
	return p
}

// noValues is what pathValue reports when net/http's Request.PathValue
// panics: ServeMux (Go 1.26) can serve an uncleaned CONNECT path such as
// "//" with a pattern like "/{A}/" and set the pattern without its
// matches (found by FuzzMatch). Such a request has no oracle.
const noValues = "<net/http: PathValue panicked>"

// pathValue is r.PathValue(name), or noValues where it panics.
func pathValue(r *http.Request, name string) (v string) {
	defer func() {
		if recover() != nil {
			v = noValues
		}
	}()
	return r.PathValue(name)
}

// check sends one request to both and reports a difference.
func (p pair) check(t testing.TB, method, host, target string) bool {
	t.Helper()
	std, err := serve(p.std, method, host, target)
	if err != nil {
		return true // not a request a server would accept
	}
	if strings.Contains(std.Values, noValues) {
		serve(p.ours, method, host, target) // no oracle: it must not panic
		return true
	}
	got, _ := serve(p.ours, method, host, target)
	if want := expected(std, method); got != want {
		t.Errorf("%s %s (Host %s):\n got  %+v\n want %+v (ServeMux: %+v)", method, target, host, got, want, std)
		return false
	}
	return true
}

func readRoutes(t testing.TB, name string) []string {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			routes = append(routes, line)
		}
	}
	return routes
}
