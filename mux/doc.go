// Package mux is an HTTP request router with the pattern language of Go
// 1.22's net/http.ServeMux and the conveniences of httprouter: method
// routing with 405 and Allow, automatic OPTIONS, path values, middleware
// and groups.
//
// A Router is a net/http.Handler, so it runs on ringnet's server and on
// net/http's alike:
//
//	r := mux.New()
//	r.HandleFunc("GET /{$}", home)
//	r.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, req *http.Request) {
//		fmt.Fprintf(w, "hello %s\n", req.PathValue("name"))
//	})
//	r.Group("/api", func(g *mux.Router) {
//		g.Use(auth)
//		g.HandleFunc("GET /users/{id}", getUser)     // GET /api/users/{id}
//		g.HandleFunc("DELETE /users/{id}", delUser)
//	})
//	http.ListenAndServe(":8080", r)
//
// # Patterns
//
// Patterns are "[METHOD ][HOST]/[PATH]" exactly as ServeMux documents them:
// {name} matches one segment, {name...} the rest of the path, {$} the end
// of the path, a trailing slash a whole subtree. The most specific pattern
// wins; two patterns that match some request with neither more specific
// conflict, and the second one is refused with a *ConflictError naming
// both (Handle and HandleFunc panic with it, Register returns it).
// A pattern with a host wins over one without.
//
// # Requests
//
// The Router answers like ServeMux: unclean paths ("/a/../b", "//x") are
// redirected to their clean form, "/tree" to "/tree/" when only the subtree
// is registered, GET patterns also serve HEAD, escaped slashes (%2F) stay
// inside their segment. A handler finds the matched pattern in r.Pattern
// and the wildcard values with r.PathValue. Where the Router deliberately
// differs from ServeMux (automatic OPTIONS, OPTIONS in Allow, no lock
// around registration, empty pattern segments) is listed in
// docs/conformance.md.
//
// # Speed
//
// Routes are kept in a tree of path segments built at registration; a
// lookup walks it without allocating. Storing path values costs what
// Request.SetPathValue costs: the map it keeps in the request.
package mux
