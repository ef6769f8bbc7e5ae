package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/buildinfo"
	"github.com/ringnet/ringnet/internal/envhelp"
)

// Timeout defaults. Each bounds how long one client can hold server
// memory without making progress; none is zero, so none is unlimited.
const (
	// A header has no reason to take long: this is what stops a client
	// that opens connections and trickles bytes (slowloris). It is
	// ringhttp's own default.
	defaultReadHeaderTimeout = 10 * time.Second
	// The whole request, body included: a minute carries megabytes over a
	// slow link, and bounds a client that stalls in the middle of a body.
	defaultReadTimeout = 60 * time.Second
	// From the end of the request header to the end of the response: a
	// client that never reads cannot pin a response's buffers longer.
	defaultWriteTimeout = 60 * time.Second
	// Between requests on a keep-alive connection: ringhttp's default.
	// (ringhttp would use ReadTimeout here if this were zero.)
	defaultIdleTimeout = 120 * time.Second
	// How long SIGTERM waits for in-flight requests: shorter than the
	// 30 s grace period systemd and Kubernetes give before SIGKILL.
	defaultShutdownTimeout = 10 * time.Second
)

// backendNames are the values -backend accepts.
var backendNames = []string{"auto", "epoll", "uring", "std"}

// serverModes are the ringhttp.Server modes -mode chooses from, by the
// names in modeNames (their String).
var serverModes = []ringhttp.Mode{ringhttp.ModeAuto, ringhttp.ModeInline, ringhttp.ModeGoroutine}

// modeNames are the values -mode accepts.
var modeNames = func() (names []string) {
	for _, m := range serverModes {
		names = append(names, m.String())
	}
	return names
}()

// serverMode is the mode -mode names.
func serverMode(name string) ringhttp.Mode { return serverModes[slices.Index(modeNames, name)] }

// config is the command line, parsed.
type config struct {
	addr     string
	backend  string // one of backendNames
	mode     string // one of modeNames
	dir      string // "" serves no files
	dotfiles bool
	tlsCert  string // with tlsKey, or neither
	tlsKey   string

	readHeaderTimeout time.Duration // zero means no limit
	readTimeout       time.Duration
	writeTimeout      time.Duration
	idleTimeout       time.Duration
	shutdownTimeout   time.Duration // positive

	reusePort bool // SO_REUSEPORT: several processes share -addr
	maxConns  int  // 0: no limit

	accessLog bool
	logJSON   bool
	admin     string // "" means no admin listener
	version   bool
}

// defaultConfig is what the command runs with when given no flags.
func defaultConfig() config {
	return config{
		addr:              ":8080",
		backend:           "auto",
		mode:              "auto",
		readHeaderTimeout: defaultReadHeaderTimeout,
		readTimeout:       defaultReadTimeout,
		writeTimeout:      defaultWriteTimeout,
		idleTimeout:       defaultIdleTimeout,
		shutdownTimeout:   defaultShutdownTimeout,
	}
}

// parseFlags parses args. Errors and -h usage go to stderr; the error is
// flag.ErrHelp after -h.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(fs) }

	fs.StringVar(&cfg.addr, "addr", cfg.addr, "listen `address`")
	fs.Var(oneOf{&cfg.backend, backendNames}, "backend", "`backend`: "+strings.Join(backendNames, ", ")+
		"\n(std is Go's net listener, with the same HTTP engine)")
	fs.Var(oneOf{&cfg.mode, modeNames}, "mode", "`mode`: how handlers run on an epoll or uring listener: "+strings.Join(modeNames, ", ")+"\n"+
		"  auto: inline on netfd's event loops; a loop whose handler blocks for\n"+
		"    more than 1 ms is handed to a new goroutine\n"+
		"  inline: on the loops, never handed off (a blocking handler stalls\n"+
		"    its loop's other connections)\n"+
		"  goroutine: a goroutine per connection, as net/http\n"+
		"-backend std and -tls-cert always serve a goroutine per connection")
	fs.StringVar(&cfg.dir, "dir", "", "`directory` served under /static/ (none if empty: /static/ is 404)")
	fs.BoolVar(&cfg.dotfiles, "dotfiles", false, "serve files whose path has a segment starting with '.' (404 otherwise)")
	fs.StringVar(&cfg.tlsCert, "tls-cert", "", "PEM certificate `file`: serve HTTPS, HTTP/2 and HTTP/1.1 (with -tls-key)")
	fs.StringVar(&cfg.tlsKey, "tls-key", "", "PEM private key `file` for -tls-cert")
	fs.DurationVar(&cfg.readHeaderTimeout, "read-header-timeout", cfg.readHeaderTimeout, "limit on reading a request header (0: none)")
	fs.DurationVar(&cfg.readTimeout, "read-timeout", cfg.readTimeout, "limit on reading a whole request, body included (0: none)")
	fs.DurationVar(&cfg.writeTimeout, "write-timeout", cfg.writeTimeout, "limit from the end of a request header to the end of its response (0: none)")
	fs.DurationVar(&cfg.idleTimeout, "idle-timeout", cfg.idleTimeout, "limit on waiting for the next request on a keep-alive connection (0: none)")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", cfg.shutdownTimeout, "on SIGTERM or SIGINT, how long in-flight requests may take to finish")
	fs.BoolVar(&cfg.reusePort, "reuseport", false, "set SO_REUSEPORT on the listener, so that several server processes share -addr\n"+
		"(the kernel spreads new connections between them). With sysctl\n"+
		"net.ipv4.tcp_migrate_req=1, connections waiting in the queue of one that\n"+
		"stops move to another instead of being reset")
	fs.IntVar(&cfg.maxConns, "max-conns", 0, "at most this many connections open at once; more wait in the listen queue (0: no limit)")
	fs.BoolVar(&cfg.accessLog, "access-log", false, "write one line per request to stdout, in Combined Log Format")
	fs.BoolVar(&cfg.logJSON, "log-json", false, "log to stderr as JSON instead of slog text")
	fs.StringVar(&cfg.admin, "admin", "", "admin listen `address` (e.g. 127.0.0.1:6060) for /debug/pprof/, /debug/vars and /metrics;\nno authentication: keep it on loopback or a private network")
	fs.BoolVar(&cfg.version, "version", false, "print the version and exit")

	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if err := cfg.check(fs.Args()); err != nil {
		fmt.Fprintf(stderr, "server: %v\nRun 'server -h' for usage.\n", err)
		return cfg, err
	}
	return cfg, nil
}

// check reports what the flag package cannot: values that are wrong together.
func (cfg config) check(args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected arguments %q", args)
	}
	for name, d := range map[string]time.Duration{
		"read-header-timeout": cfg.readHeaderTimeout,
		"read-timeout":        cfg.readTimeout,
		"write-timeout":       cfg.writeTimeout,
		"idle-timeout":        cfg.idleTimeout,
	} {
		if d < 0 {
			return fmt.Errorf("-%s %v: negative", name, d)
		}
	}
	if cfg.maxConns < 0 {
		return fmt.Errorf("-max-conns %d: negative", cfg.maxConns)
	}
	if cfg.shutdownTimeout <= 0 {
		return fmt.Errorf("-shutdown-timeout %v: must be positive", cfg.shutdownTimeout)
	}
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		return errors.New("-tls-cert and -tls-key go together")
	}
	return nil
}

// oneOf is a flag whose value is one of names: -backend, -mode.
type oneOf struct {
	p     *string
	names []string
}

func (f oneOf) String() string {
	if f.p == nil { // the zero value flag.isZeroValue makes
		return ""
	}
	return *f.p
}

func (f oneOf) Set(s string) error {
	if !slices.Contains(f.names, s) {
		return fmt.Errorf("must be one of %s", strings.Join(f.names, ", "))
	}
	*f.p = s
	return nil
}

// usage is -h: what the server answers, then the flags.
func usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `Usage: server [flags]

Serves HTTP/1.1 with ringnet's engine on a netfd backend (epoll or io_uring),
or on Go's net listener with -backend std; with -tls-cert, HTTP/2 too
(negotiated by ALPN, served by net/http's HTTP/2 implementation).

Routes:
`)
	writeRoutes(w, true)
	fmt.Fprint(w, `
Admin routes (only with -admin, on their own listener):
  /debug/pprof/   net/http/pprof
  /debug/vars     expvar: cmdline, memstats, and the ringnet series of
                  /metrics under "ringnet"
  /metrics        Prometheus: the Go runtime and the process; requests by
                  code and method, a latency histogram, open and idle
                  connections, the backend; per event loop its
                  connections and queued bytes, and the hand-offs,
                  routes learned as blocking and sweeper closes

SIGTERM or SIGINT stops accepting, waits up to -shutdown-timeout for
in-flight requests and exits 0; a second signal exits at once with 1.

`+envhelp.Text+`
Flags:
`)
	fs.PrintDefaults()
}

// printVersion is -version: the line of buildinfo.Line, which names the
// module version the binary was built from (with its VCS revision, when
// go build recorded one) and Go's.
func printVersion(w io.Writer) {
	fmt.Fprintln(w, buildinfo.Line())
}
