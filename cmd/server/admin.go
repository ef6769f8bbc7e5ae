package main

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
)

// newAdmin is the -admin server: pprof, expvar and the metrics, on a mux
// of its own. (Importing net/http/pprof and expvar also registers them on
// http.DefaultServeMux, which nothing here serves.)
func newAdmin(m *metrics, log *slog.Logger) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // and the named profiles under it
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/vars", m.serveVars)
	mux.Handle("GET /metrics", m.handler(log))
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: defaultReadHeaderTimeout,
		IdleTimeout:       defaultIdleTimeout,
		// No WriteTimeout: a CPU profile or trace streams for as long as
		// its ?seconds= asks (pprof refuses one longer than WriteTimeout).
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError),
	}
}
