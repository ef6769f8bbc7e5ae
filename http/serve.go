package http

import (
	"net"
	"net/http"
)

// The package-level functions serve with a zero Server, as net/http's do:
// the defaults of Server apply, and there is no way to shut them down but
// closing the listener. Use a Server for timeouts, Shutdown or a backend
// other than netfd.Auto.

// ListenAndServe listens on the TCP address addr with the netfd.Auto
// backend and serves h on it, as net/http.ListenAndServe; nil h means
// http.DefaultServeMux. It always returns a non-nil error.
func ListenAndServe(addr string, h http.Handler) error {
	s := &Server{Addr: addr, Handler: h}
	return s.ListenAndServe()
}

// ListenAndServeTLS is ListenAndServe over TLS, as
// net/http.ListenAndServeTLS: certFile and keyFile hold the certificate
// (followed by any intermediates) and its private key, in PEM.
func ListenAndServeTLS(addr, certFile, keyFile string, h http.Handler) error {
	s := &Server{Addr: addr, Handler: h}
	return s.ListenAndServeTLS(certFile, keyFile)
}

// Serve serves h on every connection l accepts, as net/http.Serve: l may
// be a netfd listener or any other, Go's own included. nil h means
// http.DefaultServeMux. It returns the error of l's Accept, having closed l.
func Serve(l net.Listener, h http.Handler) error {
	s := &Server{Handler: h}
	return s.Serve(l)
}

// ServeTLS is Serve over TLS on l, as net/http.ServeTLS: certFile and
// keyFile hold the certificate and its private key, in PEM.
func ServeTLS(l net.Listener, h http.Handler, certFile, keyFile string) error {
	s := &Server{Handler: h}
	return s.ServeTLS(l, certFile, keyFile)
}
