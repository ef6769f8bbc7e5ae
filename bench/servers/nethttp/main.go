// Command nethttp serves the TechEmpower plaintext response with Go's
// net/http server: the baseline every other row is compared with.
package main

import (
	"flag"
	"io"
	"log"
	"net/http"

	"github.com/ringnet/ringnet/bench/internal/plaintext"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+plaintext.Path, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Server"] = []string{"bench"}
		h["Content-Type"] = []string{"text/plain"}
		io.WriteString(w, plaintext.Body)
	})
	log.Fatal(http.ListenAndServe(*addr, mux))
}
