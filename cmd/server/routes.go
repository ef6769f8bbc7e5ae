package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/ringnet/ringnet/mux"
)

// routeDocs describes the routes for -h and the index page.
var routeDocs = []struct{ route, doc string }{
	{"GET  /", "this index, naming the backend"},
	{"GET  /plaintext", "Hello, World! (text/plain)"},
	{"GET  /json", `{"message":"Hello, World!"}`},
	{"POST /echo", "the request body, echoed (any method)"},
	{"GET  /hello/{name}", "Hello, {name}!"},
	{"GET  /static/", "files under -dir; 404 without -dir, and for dotfiles without -dotfiles"},
}

// writeRoutes lists the routes, /static/ only if static is set.
func writeRoutes(w io.Writer, static bool) {
	for i, r := range routeDocs {
		if i == len(routeDocs)-1 && !static {
			break
		}
		fmt.Fprintf(w, "  %-20s %s\n", r.route, r.doc)
	}
}

// routes is the server's handler. static serves /static/; nil means no
// /static/ route at all.
func routes(backend string, static http.Handler) http.Handler {
	r := mux.New()
	r.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "ringnet on %s\n\n", backend)
		writeRoutes(w, static != nil)
	})
	r.HandleFunc("GET /plaintext", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "Hello, World!")
	})
	r.HandleFunc("GET /json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(struct {
			Message string `json:"message"`
		}{"Hello, World!"})
	})
	r.HandleFunc("/echo", func(w http.ResponseWriter, req *http.Request) {
		if ct := req.Header.Get("Content-Type"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		io.Copy(w, req.Body)
	})
	r.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, req *http.Request) {
		fmt.Fprintf(w, "Hello, %s!\n", req.PathValue("name"))
	})
	if static != nil {
		r.Handle("GET /static/", http.StripPrefix("/static/", static))
	}
	return r
}
