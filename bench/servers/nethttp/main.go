// Command nethttp serves the TechEmpower plaintext response with Go's
// net/http server: the baseline every other row is compared with. It also
// answers GET /sleep/{ms} as cmd/server does (bench/blocking.sh): sleeps
// {ms} milliseconds, at most 10000, then writes "slept {ms} ms\n"; an
// {ms} that is not a whole number is 400. Like cmd/server, it echoes the
// body of /echo, serves -dir under /static/ (bench/slow.sh), and with
// -tls-cert and -tls-key serves HTTPS, HTTP/2 included (bench/h2.sh).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"strconv"
	"time"

	"github.com/ringnet/ringnet/bench/internal/plaintext"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	dir := flag.String("dir", "", "directory served under /static/ (none if empty)")
	certFile := flag.String("tls-cert", "", "PEM certificate `file`: serve HTTPS, HTTP/2 and HTTP/1.1 (with -tls-key)")
	keyFile := flag.String("tls-key", "", "PEM private key `file` for -tls-cert")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+plaintext.Path, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Server"] = []string{"bench"}
		h["Content-Type"] = []string{"text/plain"}
		io.WriteString(w, plaintext.Body)
	})
	mux.HandleFunc("GET /sleep/{ms}", sleep)
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) { io.Copy(w, r.Body) })
	if *dir != "" {
		mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServer(http.Dir(*dir))))
	}
	if *certFile != "" {
		log.Fatal(http.ListenAndServeTLS(*addr, *certFile, *keyFile, mux))
	}
	log.Fatal(http.ListenAndServe(*addr, mux))
}

// maxSleep is cmd/server's cap on /sleep/{ms}.
const maxSleep = 10 * time.Second

// sleep is cmd/server's /sleep/{ms}: a handler that blocks, as on a
// database call, and gives up when the client is gone.
func sleep(w http.ResponseWriter, r *http.Request) {
	ms, err := strconv.ParseUint(r.PathValue("ms"), 10, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		http.Error(w, "{ms} must be a whole number of milliseconds", http.StatusBadRequest)
		return
	}
	d := maxSleep
	if err == nil && ms < uint64(maxSleep/time.Millisecond) {
		d = time.Duration(ms) * time.Millisecond
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
		return
	}
	fmt.Fprintf(w, "slept %d ms\n", d.Milliseconds())
}
