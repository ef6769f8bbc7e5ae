// Command server serves HTTP with ringnet's own HTTP/1.1 engine.
//
//	go run ./cmd/server [-addr :8080] [-backend auto|epoll|uring|std] [-dir DIR]
//
// -backend std runs the same engine on Go's own net listener, for
// comparison. Routes: / (an index naming the backend), /plaintext and /json
// (the TechEmpower responses), /echo (echoes the request body),
// /hello/{name}, and /static/ (files from -dir).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/mux"
	"github.com/ringnet/ringnet/netfd"
)

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	backend := flag.String("backend", "auto", "auto, epoll, uring or std")
	dir := flag.String("dir", ".", "directory served under /static/")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log, *addr, *backend, *dir); err != nil {
		log.Error("server", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, addr, backend, dir string) error {
	ln, resolved, err := listen(addr, backend)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "backend", resolved)
	srv := &ringhttp.Server{Handler: routes(resolved, dir), ErrorLog: log}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != ringhttp.ErrServerClosed {
		return err
	}
	return nil
}

// listen opens the listener: a netfd one for auto, epoll and uring, Go's own
// for std.
func listen(addr, backend string) (net.Listener, string, error) {
	if backend == "std" {
		ln, err := net.Listen("tcp", addr)
		return ln, "std", err
	}
	b, err := netfd.Resolve(netfd.Backend(backend))
	if err != nil {
		return nil, "", err
	}
	lc := netfd.ListenConfig{Backend: b}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	return ln, string(b), err
}

func routes(backend, dir string) http.Handler {
	r := mux.New()
	r.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "ringnet on %s\n\n/plaintext\n/json\n/echo (POST a body)\n/hello/{name}\n/static/\n", backend)
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
	r.Handle("GET /static/", http.StripPrefix("/static/", http.FileServer(http.Dir(dir))))
	return r
}
