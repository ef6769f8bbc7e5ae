package mux_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/ringnet/ringnet/mux"
)

// The README's snippet: patterns, middleware, groups, and conflicts as
// errors.
func Example() {
	logging := func(next http.Handler) http.Handler { return next } // a middleware
	createItem := func(http.ResponseWriter, *http.Request) {}
	h := http.NotFoundHandler()

	r := mux.New()
	r.Use(logging)
	r.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, req *http.Request) {
		fmt.Fprintf(w, "user %s\n", req.PathValue("id"))
	})
	r.Group("/api", func(g *mux.Router) {
		g.HandleFunc("POST /items", createItem)
	})
	if err := r.Register("GET /users/{name}", h); err != nil { // conflicts are errors
		log.Print(err)
	}
}
