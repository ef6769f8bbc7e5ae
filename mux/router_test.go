package mux_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ringnet/ringnet/mux"
)

func get(t *testing.T, h http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestPathValuesAndPattern(t *testing.T) {
	r := mux.New()
	var gotPattern, gotID, gotRest string
	r.HandleFunc("GET /users/{id}/files/{rest...}", func(w http.ResponseWriter, req *http.Request) {
		gotPattern, gotID, gotRest = req.Pattern, req.PathValue("id"), req.PathValue("rest")
	})
	if w := get(t, r, "GET", "/users/42/files/a/b%20c"); w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	if gotPattern != "GET /users/{id}/files/{rest...}" || gotID != "42" || gotRest != "a/b c" {
		t.Errorf("pattern %q id %q rest %q", gotPattern, gotID, gotRest)
	}
}

func TestMethodNotAllowedAndOptions(t *testing.T) {
	r := mux.New()
	r.HandleFunc("GET /items/{id}", func(http.ResponseWriter, *http.Request) {})
	r.HandleFunc("DELETE /items/{id}", func(http.ResponseWriter, *http.Request) {})

	w := get(t, r, "POST", "/items/1")
	if w.Code != 405 || w.Header().Get("Allow") != "DELETE, GET, HEAD, OPTIONS" {
		t.Errorf("POST: %d Allow %q", w.Code, w.Header().Get("Allow"))
	}
	w = get(t, r, "OPTIONS", "/items/1")
	if w.Code != 204 || w.Header().Get("Allow") != "DELETE, GET, HEAD, OPTIONS" {
		t.Errorf("OPTIONS: %d Allow %q", w.Code, w.Header().Get("Allow"))
	}
	if w = get(t, r, "HEAD", "/items/1"); w.Code != 200 {
		t.Errorf("HEAD: %d", w.Code)
	}
	if w = get(t, r, "OPTIONS", "/nothing"); w.Code != 404 {
		t.Errorf("OPTIONS of unknown path: %d", w.Code)
	}

	r.MethodNotAllowed(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.WriteHeader(418)
	}))
	r.NotFound(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.WriteHeader(499)
	}))
	if w = get(t, r, "PUT", "/items/1"); w.Code != 418 || w.Header().Get("Allow") == "" {
		t.Errorf("custom 405: %d Allow %q", w.Code, w.Header().Get("Allow"))
	}
	if w = get(t, r, "GET", "/nope"); w.Code != 499 {
		t.Errorf("custom 404: %d", w.Code)
	}
}

func TestRedirects(t *testing.T) {
	r := mux.New()
	r.HandleFunc("/tree/", func(http.ResponseWriter, *http.Request) {})
	for target, loc := range map[string]string{
		"/tree":          "/tree/",
		"/tree?x=1":      "/tree/?x=1",
		"/a/../tree/x":   "/tree/x",
		"//tree/x":       "/tree/x",
		"/tree/./x?q=%2": "/tree/x?q=%2",
	} {
		w := get(t, r, "GET", target)
		if w.Code != http.StatusTemporaryRedirect || w.Header().Get("Location") != loc {
			t.Errorf("%s: %d Location %q, want 307 %q", target, w.Code, w.Header().Get("Location"), loc)
		}
	}
}

func TestRegisterErrors(t *testing.T) {
	r := mux.New()
	var pe *mux.PatternError
	if err := r.Register("GET /{x", http.NotFoundHandler()); !errors.As(err, &pe) {
		t.Errorf("bad pattern: %v", err)
	}
	if err := r.Register("/", nil); !errors.Is(err, mux.ErrNilHandler) {
		t.Errorf("nil handler: %v", err)
	}
	if err := r.Register("GET /a/{x}", http.NotFoundHandler()); err != nil {
		t.Fatal(err)
	}
	var ce *mux.ConflictError
	err := r.Register("GET /a/{y}", http.NotFoundHandler())
	if !errors.As(err, &ce) || ce.Existing != "GET /a/{x}" || ce.Pattern != "GET /a/{y}" ||
		!strings.Contains(ce.PatternLoc, "router_test.go") || !strings.Contains(ce.ExistingLoc, "router_test.go") {
		t.Errorf("conflict: %v", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Handle of a conflicting pattern did not panic")
			}
		}()
		r.Handle("GET /a/{z}", http.NotFoundHandler())
	}()
}

func TestGroupAndMiddleware(t *testing.T) {
	r := mux.New()
	var trace []string
	mw := func(name string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				trace = append(trace, name+":"+req.Pattern)
				next.ServeHTTP(w, req)
			})
		}
	}
	r.Use(mw("root"))
	r.HandleFunc("GET /{$}", func(http.ResponseWriter, *http.Request) { trace = append(trace, "home") })
	r.Group("/api/", func(g *mux.Router) {
		g.Use(mw("api"))
		g.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, req *http.Request) {
			trace = append(trace, "user "+req.PathValue("id"))
		})
	})
	get(t, r, "GET", "/api/users/7")
	get(t, r, "GET", "/")
	want := "root:GET /api/users/{id},api:GET /api/users/{id},user 7,root:GET /{$},home"
	if got := strings.Join(trace, ","); got != want {
		t.Errorf("trace %s\nwant  %s", got, want)
	}
	defer func() {
		if recover() == nil {
			t.Error("Use after Handle did not panic")
		}
	}()
	r.Use(mw("late"))
}

func TestHostPatterns(t *testing.T) {
	r := mux.New()
	r.HandleFunc("example.com/", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(201) })
	r.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(202) })
	req := httptest.NewRequest("GET", "/x", nil)
	req.Host = "example.com:8080"
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != 201 {
		t.Errorf("host pattern: %d", w.Code)
	}
	if w := get(t, r, "GET", "http://other.org/x"); w.Code != 202 {
		t.Errorf("other host: %d", w.Code)
	}
}

// TestWithServer runs the router behind a real net/http.Server.
func TestWithServer(t *testing.T) {
	r := mux.New()
	r.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, req *http.Request) {
		w.Write([]byte("hello " + req.PathValue("name")))
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/hello/gopher")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || string(body) != "hello gopher" {
		t.Errorf("body %q, err %v", body, err)
	}
}
