// Command server serves HTTP on a netfd listener.
//
//	go run ./cmd/server [-addr :8080] [-backend auto|epoll|uring|std]
//
// Until ringnet's own HTTP engine lands, the handler runs on Go's net/http
// server over a netfd listener.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/ringnet/ringnet/mux"
	"github.com/ringnet/ringnet/netfd"
)

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	backend := flag.String("backend", "auto", "auto, epoll, uring or std")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log, *addr, *backend); err != nil {
		log.Error("server", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, addr, backend string) error {
	ln, resolved, err := listen(addr, backend)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "backend", resolved)
	srv := &http.Server{Handler: routes()}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

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

func routes() http.Handler {
	r := mux.New()
	r.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "Hello, World!\n")
	})
	r.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "Hello, %s!\n", r.PathValue("name"))
	})
	return r
}
