// Command server serves HTTP with ringnet's own HTTP/1.1 engine.
//
//	go run ./cmd/server [-addr :8080] [-backend auto|epoll|uring|std] [-mode auto|inline|goroutine] [-dir DIR] [flags]
//
// -backend std runs the same engine on Go's own net listener, for
// comparison. -mode says how handlers run on an epoll or uring listener:
// inline on netfd's event loops with a blocked loop handed off (auto),
// without the hand-off (inline), or a goroutine per connection. Routes: /
// (an index naming the backend), /plaintext and /json (the TechEmpower
// responses), /echo (echoes the request body), /hello/{name},
// /sleep/{ms} and /spin/{ms} (a handler that blocks, one that burns CPU:
// for benchmarks), and /static/ (files from -dir, none without it).
// server -h lists every flag; SIGTERM or SIGINT drains and exits 0.
//
// Files by role: flags.go (the command line), main.go (start, serve,
// shut down), logger.go (stderr's format), routes.go, static.go (-dir),
// observe.go (the recorder the access log and the metrics share),
// accesslog.go, admin.go and metrics.go (-admin).
package main

import (
	"context"
	"crypto/tls"
	"errors"
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
	"github.com/ringnet/ringnet/netfd"
	"golang.org/x/sys/unix"
)

func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	os.Exit(command(os.Args[1:], os.Stdout, os.Stderr, sigs))
}

// command runs the server with the command line args and returns the
// exit status: 0 after -h, -version or a drained shutdown, 1 when the
// server fails or its shutdown is cut short, 2 for a bad command line.
func command(args []string, stdout, stderr io.Writer, sigs <-chan os.Signal) int {
	cfg, err := parseFlags(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		return 2
	case cfg.version:
		printVersion(stdout)
		return 0
	}
	log := newLogger(stderr, cfg.logJSON)
	// Library lines (netfd's io_uring fallback warning) use slog's
	// default logger: the same format, then.
	slog.SetDefault(log)
	if err := run(cfg, sigs, log, stdout); err != nil {
		log.Error("exit", "err", err)
		return 1
	}
	return 0
}

// run serves until a signal arrives on sigs, then drains. Access log
// lines go to accessOut.
func run(cfg config, sigs <-chan os.Signal, log *slog.Logger, accessOut io.Writer) error {
	s, err := start(cfg, log, accessOut)
	if err != nil {
		return err
	}
	return s.serve(sigs)
}

// errForced is the end of a shutdown cut short by a second signal.
var errForced = errors.New("second signal: connections closed without draining")

// A server is the running command: the ringhttp.Server on its listener
// and, with -admin, a net/http server for debugging it on another.
type server struct {
	cfg     config
	log     *slog.Logger
	backend string // what -backend resolved to: std, epoll or uring
	mode    string // how handlers run: -mode, or goroutine on std and TLS
	ln      net.Listener
	http    *ringhttp.Server
	static  *os.Root // nil without -dir

	// The admin side door is net/http's, so that it keeps answering
	// (pprof above all) when the engine it inspects is in trouble.
	admin   *http.Server // nil without -admin
	adminLn net.Listener

	// draining is closed when the ringhttp.Server's Shutdown starts:
	// from then on no request is accepted and responses close their
	// connection. Tests wait for it.
	draining chan struct{}
}

// start opens everything the server needs, the listeners last, and logs
// the address it listens on: once start returns, connections queue.
func start(cfg config, log *slog.Logger, accessOut io.Writer) (_ *server, err error) {
	s := &server{cfg: cfg, log: log, draining: make(chan struct{})}
	defer func() {
		if err != nil {
			s.release()
		}
	}()
	var static http.Handler
	if cfg.dir != "" {
		if static, s.static, err = newStatic(cfg.dir, cfg.dotfiles); err != nil {
			return nil, err
		}
	}
	tlsConfig, err := loadTLS(cfg)
	if err != nil {
		return nil, err
	}
	if s.ln, s.backend, err = listen(cfg.addr, cfg.backend, cfg.reusePort); err != nil {
		return nil, err
	}

	handler := routes(s.backend, static)
	var observers []observer
	if cfg.accessLog {
		observers = append(observers, newAccessLog(accessOut).observe)
	}
	var m *metrics
	if cfg.admin != "" {
		m = newMetrics(s.backend)
		observers = append(observers, m.observe)
		if s.adminLn, err = net.Listen("tcp", cfg.admin); err != nil {
			return nil, fmt.Errorf("admin: %w", err)
		}
		s.admin = newAdmin(m, log)
	}
	if len(observers) > 0 {
		handler = observe(handler, observers...)
	}

	s.http = &ringhttp.Server{
		Handler:           handler,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: orNone(cfg.readHeaderTimeout),
		ReadTimeout:       cfg.readTimeout,
		WriteTimeout:      cfg.writeTimeout,
		IdleTimeout:       orNone(cfg.idleTimeout),
		ErrorLog:          log,
		Mode:              serverMode(cfg.mode),
		MaxConns:          cfg.maxConns,
	}
	s.mode = cfg.mode
	if s.backend == "std" || tlsConfig != nil { // ringhttp serves these a goroutine per connection
		s.mode = "goroutine"
	}
	if m != nil {
		s.http.ConnState = m.connState
		m.loops = s.http.LoopStats
	}
	s.http.RegisterOnShutdown(func() { close(s.draining) })

	log.Info("listening", "addr", s.ln.Addr().String(), "backend", s.backend, "mode", s.mode, "tls", tlsConfig != nil)
	if s.adminLn != nil {
		log.Info("admin listening", "addr", s.adminLn.Addr().String())
	}
	return s, nil
}

// loadTLS loads -tls-cert and -tls-key, if given, into a config for
// ServeTLS: here rather than in ServeTLS, so that a bad file fails before
// the server claims to listen.
func loadTLS(cfg config) (*tls.Config, error) {
	if cfg.tlsCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}}, nil
}

// orNone maps the flags' "0 means no limit" to ringhttp's, where zero
// means a default and a negative value none.
func orNone(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// serve serves until the first signal on sigs, then shuts down. It
// returns nil once every in-flight request has finished.
func (s *server) serve(sigs <-chan os.Signal) error {
	defer s.release()
	served := make(chan error, 1)
	go func() {
		if s.http.TLSConfig != nil {
			served <- s.http.ServeTLS(s.ln, "", "") // the certificate is in TLSConfig
		} else {
			served <- s.http.Serve(s.ln)
		}
	}()
	if s.admin != nil {
		adminDone := make(chan struct{})
		go func() {
			defer close(adminDone)
			s.admin.Serve(s.adminLn)
		}()
		// The admin server stays up while the main one drains, to watch
		// the drain; then it closes at once (a running CPU profile too).
		defer func() {
			s.admin.Close()
			<-adminDone
		}()
	}
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case sig := <-sigs:
		return s.shutdown(sig, sigs, served)
	}
}

// shutdown drains the server: it stops accepting, lets in-flight
// requests finish for up to cfg.shutdownTimeout, and closes what is left
// then, or at once on a second signal.
func (s *server) shutdown(sig os.Signal, sigs <-chan os.Signal, served <-chan error) error {
	s.log.Info("shutting down", "signal", sig.String(), "timeout", s.cfg.shutdownTimeout)
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.shutdownTimeout)
	defer cancel()
	drained := make(chan error, 1)
	go func() { drained <- s.http.Shutdown(ctx) }()
	var err error
	select {
	case err = <-drained:
	case sig := <-sigs:
		s.log.Warn("second signal: closing every connection", "signal", sig.String())
		s.http.Close()
		cancel()
		<-drained
		err = errForced
	}
	if err != nil {
		s.http.Close() // after a timeout, what is still open
	}
	<-served // ErrServerClosed, once Shutdown has closed the listener
	if err != nil {
		return fmt.Errorf("shutdown after %v: %w", time.Since(begin).Round(time.Millisecond), err)
	}
	s.log.Info("shutdown complete", "elapsed", time.Since(begin))
	return nil
}

// release closes what start opened and Serve does not close.
func (s *server) release() {
	if s.static != nil {
		s.static.Close()
	}
	if s.http == nil { // start failed: nobody serves the listeners
		if s.ln != nil {
			s.ln.Close()
		}
		if s.adminLn != nil {
			s.adminLn.Close()
		}
	}
}

// listen opens the listener: a netfd one for auto, epoll and uring, Go's own
// for std, with SO_REUSEPORT if reusePort. It returns the backend that
// runs: std, epoll or uring.
func listen(addr, backend string, reusePort bool) (net.Listener, string, error) {
	if backend == "std" {
		var lc net.ListenConfig
		if reusePort {
			lc.Control = func(_, _ string, c syscall.RawConn) error {
				var serr error
				if err := c.Control(func(fd uintptr) {
					serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
				}); err != nil {
					return err
				}
				return serr
			}
		}
		ln, err := lc.Listen(context.Background(), "tcp", addr)
		return ln, "std", err
	}
	b, err := netfd.Resolve(netfd.Backend(backend))
	if err != nil {
		return nil, "", err
	}
	lc := netfd.ListenConfig{Backend: b, ReusePort: reusePort}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	return ln, string(b), err
}
