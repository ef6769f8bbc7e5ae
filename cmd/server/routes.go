package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ringnet/ringnet/mux"
)

// routeDocs describes the routes for -h and the index page.
var routeDocs = []struct{ route, doc string }{
	{"GET  /", "this index, naming the backend"},
	{"GET  /plaintext", "Hello, World! (text/plain)"},
	{"GET  /json", `{"message":"Hello, World!"}`},
	{"POST /echo", "the request body, echoed (any method)"},
	{"GET  /hello/{name}", "Hello, {name}!"},
	{"GET  /sleep/{ms}", "slept {ms} ms, after sleeping that long (at most 10000): a handler\nthat blocks, as on a database call"},
	{"GET  /spin/{ms}", "spun {ms} ms, after burning CPU that long (at most 1000)"},
	{"GET  /static/", "files under -dir; 404 without -dir, and for dotfiles without -dotfiles"},
}

// writeRoutes lists the routes, /static/ only if static is set.
func writeRoutes(w io.Writer, static bool) {
	for i, r := range routeDocs {
		if i == len(routeDocs)-1 && !static {
			break
		}
		// A doc's further lines are indented under its first.
		fmt.Fprintf(w, "  %-20s %s\n", r.route, strings.ReplaceAll(r.doc, "\n", "\n"+strings.Repeat(" ", 23)))
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
	r.HandleFunc("GET /sleep/{ms}", func(w http.ResponseWriter, req *http.Request) {
		d, ok := millis(w, req, maxSleep)
		if !ok {
			return
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-req.Context().Done(): // the client is gone
			return
		}
		fmt.Fprintf(w, "slept %d ms\n", d.Milliseconds())
	})
	r.HandleFunc("GET /spin/{ms}", func(w http.ResponseWriter, req *http.Request) {
		d, ok := millis(w, req, maxSpin)
		if !ok {
			return
		}
		spin(d)
		fmt.Fprintf(w, "spun %d ms\n", d.Milliseconds())
	})
	if static != nil {
		r.Handle("GET /static/", http.StripPrefix("/static/", static))
	}
	return r
}

// The caps of /sleep/{ms} and /spin/{ms}: a larger {ms} is cut to them,
// so that no request holds a connection (or a core) for long.
const (
	maxSleep = 10 * time.Second
	maxSpin  = time.Second
)

// millis is the {ms} path value as a duration, at most limit. A value
// that is not a decimal number of milliseconds is answered with 400 and
// ok false.
func millis(w http.ResponseWriter, req *http.Request, limit time.Duration) (d time.Duration, ok bool) {
	ms, err := strconv.ParseUint(req.PathValue("ms"), 10, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) { // out of range is over the cap
		http.Error(w, "{ms} must be a whole number of milliseconds", http.StatusBadRequest)
		return 0, false
	}
	if err != nil || ms > uint64(limit/time.Millisecond) {
		return limit, true
	}
	return time.Duration(ms) * time.Millisecond, true
}

// spinSink keeps spin's work from being optimized away.
var spinSink atomic.Uint64

// spin keeps the calling goroutine busy on the CPU for d of wall time.
func spin(d time.Duration) {
	end := time.Now().Add(d)
	x := uint64(1)
	for time.Now().Before(end) {
		for i := 0; i < 1000; i++ { // some arithmetic between clock reads
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	spinSink.Add(x)
}
