package http_test

import (
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/netfd"
)

// The README's migration snippet: one import, handlers untouched.
func ExampleListenAndServe() {
	http.ListenAndServe(":8080", nil)     // net/http
	ringhttp.ListenAndServe(":8080", nil) // ringnet

	http.ListenAndServeTLS(":8443", "cert.pem", "key.pem", nil)     // net/http
	ringhttp.ListenAndServeTLS(":8443", "cert.pem", "key.pem", nil) // ringnet
}

// The README's snippet on choosing a server's backend and seeing it.
func ExampleServer_BackendInUse() {
	srv := &ringhttp.Server{Addr: ":8080", Backend: netfd.Epoll} // "" means netfd.Auto
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "served on %s\n", srv.BackendInUse()) // "epoll"; "" on a listener not netfd's
	})
	log.Fatal(srv.ListenAndServe())
}

// The README's snippet on ErrorLog, the one field whose type differs from
// net/http's.
func ExampleServer_errorLog() {
	// Where net/http's ErrorLog was a *log.Logger, write to its writer:
	logger := log.New(os.Stderr, "http: ", log.LstdFlags)
	srv := &ringhttp.Server{ErrorLog: slog.New(slog.NewTextHandler(logger.Writer(), nil))}

	// Or share one slog.Handler; slog.NewLogLogger makes net/http's *log.Logger:
	h := slog.NewTextHandler(os.Stderr, nil)
	ringSrv := &ringhttp.Server{ErrorLog: slog.New(h)}
	stdSrv := &http.Server{ErrorLog: slog.NewLogLogger(h, slog.LevelError)}
	_, _, _ = srv, ringSrv, stdSrv
}

// The README's snippet on Protocols: HTTP/2 off over TLS, and h2c.
func ExampleServer_protocols() {
	// HTTP/1.1 only over TLS: ALPN no longer offers h2 (net/http's old way,
	// TLSNextProto set to an empty map, is not a field here).
	srv := &ringhttp.Server{Addr: ":8443", Protocols: new(http.Protocols)}
	srv.Protocols.SetHTTP1(true)
	log.Fatal(srv.ListenAndServeTLS("cert.pem", "key.pem"))

	// h2c with prior knowledge beside HTTP/1.1 on a cleartext port.
	h2c := &ringhttp.Server{Addr: ":8080", Protocols: new(http.Protocols)}
	h2c.Protocols.SetHTTP1(true)
	h2c.Protocols.SetUnencryptedHTTP2(true)
	log.Fatal(h2c.ListenAndServe())
}
