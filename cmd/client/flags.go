package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"time"
)

type mode int

const (
	modeFetch mode = iota
	modeLoad
	modeCompare
)

// A config is one invocation, parsed and checked.
type config struct {
	mode    mode
	backend string // auto, epoll, uring or std; compare mode runs all but auto
	method  string
	url     *url.URL
	header  http.Header
	host    string // a -H Host: value, which replaces the URL's host in the request
	body    []byte
	timeout time.Duration
	tls     *tls.Config // from -k and -cacert; nil: crypto/tls's defaults
	silent  bool        // -s without -S: no diagnostics on stderr

	// Fetch mode.
	include  bool   // -i
	headOnly bool   // -I
	follow   bool   // -L
	fail     bool   // -f
	verbose  bool   // -v
	output   string // -o; "" for stdout

	// Load and compare mode.
	conns    int
	duration time.Duration // 0: none, the run ends after -n requests
	requests int64         // -n; 0: no limit
	warmup   time.Duration
	pipeline int     // 0: through the Transport
	rate     float64 // requests/s in total; 0: closed model
	rounds   int     // -compare: runs per backend, interleaved
	json     bool
	htmlFile string
	hgrmFile string

	progress io.Writer // where the progress line ticks; nil for none
	// check, if set (by tests), is given every final response of a
	// load with its body, on the goroutine that read it.
	check func(resp *http.Response, body []byte)
}

// newRequest returns a request as the flags describe it, bound to ctx.
func (c *config) newRequest(ctx context.Context) *http.Request {
	var body io.ReadCloser = http.NoBody
	if c.body != nil {
		body = io.NopCloser(bytes.NewReader(c.body))
	}
	u := *c.url
	req := &http.Request{
		Method:        c.method,
		URL:           &u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        c.header.Clone(),
		Body:          body,
		ContentLength: int64(len(c.body)),
		Host:          c.host,
	}
	if c.body != nil {
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(c.body)), nil }
	}
	if req.Host == "" {
		req.Host = u.Host
	}
	return req.WithContext(ctx)
}

var errHelp = errors.New("help")

// rawFlags are the flag values that need checking or combining before
// they become a config.
type rawFlags struct {
	headers            headerFlag
	dFlag, data        string
	loadMode, cmpMode  bool
	silent, showErrors bool
	insecure           bool
	caFile             string
	set                map[string]bool // the flags given
	positional         []string
}

// defineFlags declares every flag on fs, writing into cfg and raw.
func defineFlags(fs *flag.FlagSet, cfg *config, raw *rawFlags) {
	fs.StringVar(&cfg.backend, "backend", "auto", "`backend`: auto, epoll, uring or std (Go's net.Dialer under the same Transport)")
	fs.StringVar(&cfg.method, "X", "", "request `method` (default GET, or POST with a body)")
	fs.Var(&raw.headers, "H", "request header `'Key: value'`; repeatable")
	fs.StringVar(&raw.dFlag, "d", "", "fetch mode: the request body, as -data; -load and -compare: the duration, as -duration")
	fs.StringVar(&raw.data, "data", "", "request `body`; @FILE reads it from FILE")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "limit for each request, from dial to the last byte")
	fs.BoolVar(&raw.insecure, "k", false, "do not verify the server's TLS certificate")
	fs.StringVar(&raw.caFile, "cacert", "", "trust the CA certificates in this PEM `file` (also --cacert)")
	fs.BoolVar(&raw.silent, "s", false, "silent: no error messages or warnings on stderr")
	fs.BoolVar(&raw.showErrors, "S", false, "with -s, still print error messages")

	fs.BoolVar(&cfg.include, "i", false, "fetch: print the response head, fields in the order received, before the body")
	fs.BoolVar(&cfg.headOnly, "I", false, "fetch: send a HEAD request and print the response head only")
	fs.BoolVar(&cfg.follow, "L", false, "fetch: follow redirects")
	fs.BoolVar(&cfg.fail, "f", false, "fetch: on a status of 400 or more print no body and exit 22")
	fs.BoolVar(&cfg.verbose, "v", false, "fetch: print the request and response heads on stderr, prefixed > and <")
	fs.StringVar(&cfg.output, "o", "", "fetch: write the body to `file` instead of stdout")

	fs.BoolVar(&raw.loadMode, "load", false, "load mode")
	fs.BoolVar(&raw.cmpMode, "compare", false, "compare mode: the load on epoll, uring and std")
	fs.IntVar(&cfg.conns, "c", 64, "load: `connections`")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "load: how long each run lasts, after the warm-up")
	fs.Int64Var(&cfg.requests, "n", 0, "load: stop after this many `requests` (with -d too: whichever comes first)")
	fs.DurationVar(&cfg.warmup, "warmup", 0, "load: run this long first without counting anything")
	fs.IntVar(&cfg.pipeline, "pipeline", 0, "load: requests in flight per connection, on raw connections (0: one at a time, through the Transport)")
	fs.Float64Var(&cfg.rate, "rate", 0, "load: total requests per second, open model (0: closed model, as fast as answered)")
	fs.IntVar(&cfg.rounds, "rounds", 3, "compare: runs per backend, interleaved; the report shows the median")
	fs.BoolVar(&cfg.json, "json", false, "load: print one JSON object (an array with -compare) instead of the text report")
	fs.StringVar(&cfg.htmlFile, "html", "", "load: also write a self-contained HTML page with the charts to `file`")
	fs.StringVar(&cfg.hgrmFile, "hgrm", "", "load: also write the latency distribution in HdrHistogram's percentile format (ms) to `file`; -compare writes one per backend, all rounds merged, named FILE with the backend before the extension")
	fs.Usage = func() {}
}

// parseArgs parses the command line. Flags may come before or after the URL,
// as with curl, and single-letter switches may be combined (-fsSL). It
// prints -help to stdout and returns errHelp.
func parseArgs(args []string, stdout io.Writer) (*config, error) {
	cfg := &config{header: http.Header{}}
	raw := &rawFlags{set: map[string]bool{}}
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors come back as one line; -help prints the usage to stdout
	defineFlags(fs, cfg, raw)
	args = expandSwitches(fs, args)
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				fmt.Fprint(stdout, usageText)
				fs.SetOutput(stdout)
				fs.PrintDefaults()
				return nil, errHelp
			}
			return nil, fmt.Errorf("%v (client -help lists the flags)", firstLine(err))
		}
		if fs.NArg() == 0 {
			break
		}
		raw.positional = append(raw.positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	fs.Visit(func(f *flag.Flag) { raw.set[f.Name] = true })
	if err := cfg.finish(raw); err != nil {
		return nil, err
	}
	return cfg, nil
}

// finish turns the parsed flags into the config, checking them.
func (c *config) finish(raw *rawFlags) error {
	switch {
	case raw.cmpMode:
		c.mode = modeCompare
	case raw.loadMode:
		c.mode = modeLoad
	}
	if err := c.checkMode(raw.set); err != nil {
		return err
	}
	if len(raw.positional) != 1 {
		return fmt.Errorf("want one URL, got %d arguments (client -help shows the usage)", len(raw.positional))
	}
	u, err := parseURL(raw.positional[0])
	if err != nil {
		return err
	}
	c.url = u
	if err := c.setBodyAndDuration(raw); err != nil {
		return err
	}
	c.setHeaders(raw.headers)
	c.silent = raw.silent && !raw.showErrors
	if c.tls, err = tlsConfig(raw.insecure, raw.caFile); err != nil {
		return err
	}
	if err := c.setMethod(raw.set); err != nil {
		return err
	}
	return c.checkNumbers()
}

// setBodyAndDuration reads -d as the body in fetch mode and as the
// duration otherwise, and -data. With -n and no duration given, the run
// has no time limit.
func (c *config) setBodyAndDuration(raw *rawFlags) error {
	set, data := raw.set, raw.data
	if set["d"] {
		if c.mode == modeFetch {
			if set["data"] {
				return errors.New("-d and -data are the same flag in fetch mode; give one")
			}
			data, set["data"] = raw.dFlag, true
		} else {
			d, err := time.ParseDuration(raw.dFlag)
			if err != nil {
				return fmt.Errorf("-d %q: in -load and -compare mode -d is the duration (e.g. -d 10s); the request body is -data", raw.dFlag)
			}
			c.duration, set["duration"] = d, true
		}
	}
	if set["n"] && !set["duration"] {
		c.duration = 0
	}
	if set["data"] {
		var err error
		if c.body, err = readBody(data); err != nil {
			return err
		}
	}
	return nil
}

// setMethod picks the method: -X, HEAD with -I, POST with a body, or GET.
func (c *config) setMethod(set map[string]bool) error {
	switch {
	case c.headOnly && (set["X"] || c.body != nil):
		return errors.New("-I sends a HEAD request: it does not go with -X or a body")
	case c.headOnly:
		c.method = http.MethodHead
	case c.method != "":
	case c.body != nil:
		c.method = http.MethodPost
	default:
		c.method = http.MethodGet
	}
	return nil
}

// modeFlags are the flags that apply in one mode only, or in load and
// compare mode only.
var modeFlags = map[mode][]string{
	modeFetch:   {"c", "duration", "n", "warmup", "pipeline", "rate", "rounds", "json", "html", "hgrm"},
	modeLoad:    {"i", "I", "L", "f", "v", "o", "rounds"},
	modeCompare: {"i", "I", "L", "f", "v", "o", "backend"},
}

// checkMode rejects flags that do not apply to the chosen mode, rather than
// silently ignoring them.
func (c *config) checkMode(set map[string]bool) error {
	for _, name := range modeFlags[c.mode] {
		if set[name] {
			return fmt.Errorf("-%s does not apply in %s mode", name, c.mode)
		}
	}
	return nil
}

func (c *config) checkNumbers() error {
	switch {
	case !validBackend(c.backend):
		return fmt.Errorf("unknown backend %q (want auto, epoll, uring or std)", c.backend)
	case c.timeout <= 0:
		return errors.New("-timeout must be positive")
	case c.mode == modeFetch:
		return nil
	case c.conns < 1:
		return errors.New("-c must be at least 1")
	case c.duration < 0 || c.duration == 0 && c.requests == 0:
		return errors.New("the duration must be positive")
	case c.requests < 0:
		return errors.New("-n must not be negative")
	case c.warmup < 0:
		return errors.New("-warmup must not be negative")
	case c.pipeline < 0:
		return errors.New("-pipeline must not be negative")
	case c.rate < 0:
		return errors.New("-rate must not be negative")
	case c.rounds < 1:
		return errors.New("-rounds must be at least 1")
	}
	return nil
}

func (m mode) String() string {
	return [...]string{"fetch", "-load", "-compare"}[m]
}

// parseURL accepts an http or https URL; like curl, it takes http:// as
// given when the scheme is missing.
func parseURL(s string) (*url.URL, error) {
	raw := s
	if !strings.Contains(s, "://") {
		raw = "http://" + s
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("bad URL %q: %v", s, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("bad URL %q: scheme %q is not http or https", s, u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("bad URL %q: no host", s)
	}
	return u, nil
}

// readBody returns the body -data names: the text itself, or, for @FILE,
// the file's bytes unchanged (curl's --data-binary).
func readBody(data string) ([]byte, error) {
	name, ok := strings.CutPrefix(data, "@")
	if !ok {
		return []byte(data), nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("-data: %v", err)
	}
	return b, nil
}

// setHeaders adds the -H fields. Like curl, a body without a Content-Type
// is sent as a form, and a Host field replaces the URL's host.
func (c *config) setHeaders(hs headerFlag) {
	c.header.Set("User-Agent", "ringnet-client")
	for _, h := range hs {
		if strings.EqualFold(h.key, "Host") {
			c.host = h.value
			continue
		}
		c.header.Add(h.key, h.value)
	}
	if c.body != nil && c.header.Get("Content-Type") == "" {
		c.header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
}

// A headerFlag collects repeated -H 'Key: value' flags.
type headerFlag []struct{ key, value string }

func (h *headerFlag) String() string { return "" }

func (h *headerFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, ":")
	k = textproto.TrimString(k)
	if !ok || k == "" || strings.ContainsAny(k, " \t\r\n") || strings.ContainsAny(v, "\r\n") {
		return fmt.Errorf("want 'Key: value', got %q", s)
	}
	*h = append(*h, struct{ key, value string }{k, textproto.TrimString(v)})
	return nil
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
