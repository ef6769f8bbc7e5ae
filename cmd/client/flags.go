package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ringnet/ringnet/internal/buildinfo"
	"github.com/ringnet/ringnet/internal/envhelp"
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
	url     *url.URL   // the URL; in fetch mode the first of urls
	urls    []*url.URL // fetch mode: every URL, fetched in order
	header  http.Header
	host    string // a -H Host: value, which replaces the URL's host in the request
	body    []byte
	timeout time.Duration
	tls     *tls.Config // from -k and -cacert; nil: crypto/tls's defaults
	silent  bool        // -s without -S: no diagnostics on stderr

	// Fetch mode.
	include    bool     // -i
	headOnly   bool     // -I
	follow     bool     // -L
	fail       bool     // -f
	failEarly  bool     // --fail-early
	verbose    bool     // -v
	compressed bool     // --compressed
	outputs    []string // -o, one per URL in order; the URLs past them go to stdout
	writeOut   string   // -w; "" for none

	// Load and compare mode.
	conns    int
	duration time.Duration // 0: none, the run ends after -n requests
	requests int64         // -n; 0: no limit
	warmup   time.Duration
	pipeline int     // 0: through the Transport
	rate     float64 // requests/s in total; 0: closed model
	rounds   int     // -compare: runs per backend, interleaved
	expect   statusSet
	json     bool
	htmlFile string
	hgrmFile string

	progress io.Writer // where the progress line ticks; nil for none
	// check, if set (by tests), is given every final response of a
	// load with its body, on the goroutine that read it.
	check func(resp *http.Response, body []byte)
}

// newRequest returns a request to the URL as the flags describe it,
// bound to ctx.
func (c *config) newRequest(ctx context.Context) *http.Request { return c.requestTo(ctx, c.url) }

// requestTo returns the request of the flags to u, bound to ctx.
func (c *config) requestTo(ctx context.Context, u *url.URL) *http.Request {
	var body io.ReadCloser = http.NoBody
	if c.body != nil {
		body = io.NopCloser(bytes.NewReader(c.body))
	}
	uc := *u
	req := &http.Request{
		Method:        c.method,
		URL:           &uc,
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

// errDone says that parseArgs printed what was asked for (-help,
// -version) and there is nothing to run.
var errDone = errors.New("done")

// rawFlags are the flag values that need checking or combining before
// they become a config.
type rawFlags struct {
	headers            headerFlag
	data               []dataPart // -d, --data, --data-binary, --data-raw, in order
	outputs            listFlag
	userAgent          string  // -A
	user               string  // -u
	maxTime            float64 // -m, in seconds
	expect             string  // -expect-status
	loadMode, cmpMode  bool
	silent, showErrors bool
	insecure           bool
	version            bool
	caFile             string
	set                map[string]bool // the flags given, by their short name
	positional         []string
}

// defineFlags declares every flag on fs, writing into cfg and raw, and
// then curl's long names for the short ones (longNames).
func defineFlags(fs *flag.FlagSet, cfg *config, raw *rawFlags) {
	fs.StringVar(&cfg.backend, "backend", "auto", "`backend`: auto, epoll, uring or std (Go's net.Dialer under the same Transport)")
	fs.StringVar(&cfg.method, "X", "", "request `method` (default GET, or POST with a body); -XPOST works too")
	fs.Var(&raw.headers, "H", "request header `'Key: value'`, repeatable, replacing a default field of the same name; 'Key:' removes one, 'Key;' sends it empty")
	fs.Var(dataFlag{dataASCII, true, &raw.data}, "d", "fetch mode: request `body`, as --data; -load and -compare: the duration, as -duration")
	fs.Var(dataFlag{dataASCII, false, &raw.data}, "data", "request `body`; @FILE reads FILE without its CR and LF bytes; repeated, the parts are joined by &")
	fs.Var(dataFlag{dataBinary, false, &raw.data}, "data-binary", "request `body`; @FILE reads FILE unchanged")
	fs.Var(dataFlag{dataRaw, false, &raw.data}, "data-raw", "request `body`, taken as it is, @ included")
	fs.StringVar(&raw.userAgent, "A", "", "User-Agent `value` (default ringnet-client); -A '' sends none")
	fs.StringVar(&raw.user, "u", "", "`user:password` for HTTP Basic authentication")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "limit for each request, from dial to the last byte")
	fs.Float64Var(&raw.maxTime, "m", 0, "limit for each request in `seconds`, as curl takes it: -timeout in other words")
	fs.BoolVar(&raw.insecure, "k", false, "do not verify the server's TLS certificate")
	fs.StringVar(&raw.caFile, "cacert", "", "trust the CA certificates in this PEM `file`")
	fs.BoolVar(&raw.silent, "s", false, "silent: no error messages or warnings on stderr")
	fs.BoolVar(&raw.showErrors, "S", false, "with -s, still print error messages")
	fs.BoolVar(&raw.version, "version", false, "print the version of this binary and exit")

	fs.BoolVar(&cfg.include, "i", false, "fetch: print the response head, fields in the order received, before the body")
	fs.BoolVar(&cfg.headOnly, "I", false, "fetch: send a HEAD request and print the response head only")
	fs.BoolVar(&cfg.follow, "L", false, "fetch: follow redirects (up to 50)")
	fs.BoolVar(&cfg.fail, "f", false, "fetch: on a status of 400 or more print no body and exit 22")
	fs.BoolVar(&cfg.failEarly, "fail-early", false, "fetch: stop at the first URL that fails, with its exit status")
	fs.BoolVar(&cfg.verbose, "v", false, "fetch: print the request and response heads on stderr, prefixed > and <")
	fs.BoolVar(&cfg.compressed, "compressed", false, "fetch: ask for gzip or deflate and print the body decoded")
	fs.Var(&raw.outputs, "o", "fetch: write the body to `file` instead of stdout; repeated, one per URL in order")
	fs.StringVar(&cfg.writeOut, "w", "", "fetch: after each transfer print this `format` on stdout: %{http_code} and the other variables -help lists")

	fs.BoolVar(&raw.loadMode, "load", false, "load mode")
	fs.BoolVar(&raw.cmpMode, "compare", false, "compare mode: the load on epoll, uring and std")
	fs.IntVar(&cfg.conns, "c", 64, "load: `connections`")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "load: how long each run lasts, after the warm-up")
	fs.Int64Var(&cfg.requests, "n", 0, "load: stop after this many `requests` (with -d too: whichever comes first)")
	fs.DurationVar(&cfg.warmup, "warmup", 0, "load: run this long first without counting anything")
	fs.IntVar(&cfg.pipeline, "pipeline", 0, "load: requests in flight per connection, on raw connections (0: one at a time, through the Transport)")
	fs.Float64Var(&cfg.rate, "rate", 0, "load: total requests per second, open model (0: closed model, as fast as answered)")
	fs.IntVar(&cfg.rounds, "rounds", 3, "compare: runs per backend, interleaved; the report shows the median round")
	fs.StringVar(&raw.expect, "expect-status", "2xx", "load: the `statuses` a run expects, as 2xx, 200, 200-299 or a list (200,204,3xx); any other fails the run")
	fs.BoolVar(&cfg.json, "json", false, "load: print one JSON object (an array with -compare) instead of the text report")
	fs.StringVar(&cfg.htmlFile, "html", "", "load: also write a self-contained HTML page with the charts to `file`")
	fs.StringVar(&cfg.hgrmFile, "hgrm", "", "load: also write the latency distribution in HdrHistogram's percentile format (ms) to `file`; -compare writes one per backend, all rounds merged, named FILE with the backend before the extension")
	for long, short := range longNames {
		f := fs.Lookup(short)
		fs.Var(f.Value, long, f.Usage)
	}
	fs.Usage = func() {}
}

// longNames are curl's long names of the flags, each the same flag as
// its short name here (package flag takes -name and --name alike).
var longNames = map[string]string{
	"request": "X", "header": "H", "user-agent": "A", "user": "u", "max-time": "m",
	"insecure": "k", "silent": "s", "show-error": "S", "V": "version",
	"include": "i", "head": "I", "location": "L", "fail": "f", "verbose": "v", "output": "o", "write-out": "w",
}

// shortName returns the name a flag is known by in config and errors:
// "i" for --include.
func shortName(name string) string {
	if s, ok := longNames[name]; ok {
		return s
	}
	return name
}

// parseArgs parses the command line. Flags may come before or after the
// URLs, as with curl, and short ones may be written curl's ways (-fsSL,
// -XPOST). It prints -help and -version to stdout and returns errDone.
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
				fmt.Fprint(stdout, usageText+"\n"+envhelp.Text+"\nFlags:\n")
				printFlags(stdout, fs)
				return nil, errDone
			}
			return nil, fmt.Errorf("%v (client -help lists the flags)", firstLine(err))
		}
		if fs.NArg() == 0 {
			break
		}
		raw.positional = append(raw.positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	fs.Visit(func(f *flag.Flag) { raw.set[shortName(f.Name)] = true })
	if raw.version {
		fmt.Fprintln(stdout, buildinfo.Line())
		return nil, errDone
	}
	if err := cfg.finish(raw); err != nil {
		return nil, err
	}
	return cfg, nil
}

// printFlags prints the flags as package flag does, each under its short
// name with its long one noted, "(also --include)".
func printFlags(w io.Writer, fs *flag.FlagSet) {
	long := map[string]string{}
	for l, s := range longNames {
		long[s] = l
	}
	shown := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.VisitAll(func(f *flag.Flag) {
		if _, alias := longNames[f.Name]; alias {
			return
		}
		usage := f.Usage
		if l := long[f.Name]; l != "" {
			usage += " (also -" + strings.Repeat("-", min(len(l)-1, 1)) + l + ")"
		}
		shown.Var(f.Value, f.Name, usage)
	})
	shown.SetOutput(w)
	shown.PrintDefaults()
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
	if err := c.setURLs(raw); err != nil {
		return err
	}
	if err := c.setBodyAndDuration(raw); err != nil {
		return err
	}
	if err := c.setHeaders(raw); err != nil {
		return err
	}
	if err := c.setTimeout(raw); err != nil {
		return err
	}
	var err error
	if c.expect, err = parseStatusSet(raw.expect); err != nil {
		return fmt.Errorf("-expect-status %q: %v", raw.expect, err)
	}
	c.silent = raw.silent && !raw.showErrors
	if c.tls, err = tlsConfig(raw.insecure, raw.caFile); err != nil {
		return err
	}
	if err := c.setMethod(raw.set); err != nil {
		return err
	}
	return c.checkNumbers()
}

// setURLs parses the URLs: one in -load and -compare mode, one or more
// in fetch mode, each with at most one -o.
func (c *config) setURLs(raw *rawFlags) error {
	n := len(raw.positional)
	switch {
	case n == 0:
		return errors.New("want a URL, got none (client -help shows the usage)")
	case n > 1 && c.mode != modeFetch:
		return fmt.Errorf("%s takes one URL, got %d arguments", c.mode, n)
	case len(raw.outputs) > n:
		return fmt.Errorf("%d -o files for %d URLs", len(raw.outputs), n)
	}
	for _, s := range raw.positional {
		u, err := parseURL(s)
		if err != nil {
			return err
		}
		c.urls = append(c.urls, u)
	}
	c.url, c.outputs = c.urls[0], raw.outputs
	return nil
}

// setTimeout takes -m, curl's spelling of -timeout in seconds.
func (c *config) setTimeout(raw *rawFlags) error {
	switch {
	case !raw.set["m"]:
		return nil
	case raw.set["timeout"]:
		return errors.New("-m and -timeout are the same limit; give one")
	case raw.maxTime <= 0 || raw.maxTime > math.MaxInt64/float64(time.Second):
		return fmt.Errorf("-m %g: want a positive number of seconds", raw.maxTime)
	}
	c.timeout = time.Duration(raw.maxTime * float64(time.Second))
	return nil
}

// setBodyAndDuration reads -d as a part of the body in fetch mode and as
// the duration otherwise, and the other body flags. With -n and no
// duration given, the run has no time limit.
func (c *config) setBodyAndDuration(raw *rawFlags) error {
	var parts []string
	for _, p := range raw.data {
		if p.d && c.mode != modeFetch {
			d, err := time.ParseDuration(p.value)
			if err != nil {
				return fmt.Errorf("-d %q: in -load and -compare mode -d is the duration (e.g. -d 10s); the request body is --data", p.value)
			}
			c.duration, raw.set["duration"] = d, true
			continue
		}
		b, err := p.read()
		if err != nil {
			return err
		}
		parts = append(parts, string(b))
	}
	if raw.set["n"] && !raw.set["duration"] {
		c.duration = 0
	}
	if parts != nil {
		c.body = []byte(strings.Join(parts, "&"))
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
	modeFetch:   {"c", "duration", "n", "warmup", "pipeline", "rate", "rounds", "expect-status", "json", "html", "hgrm"},
	modeLoad:    {"i", "I", "L", "f", "fail-early", "v", "compressed", "o", "w", "rounds"},
	modeCompare: {"i", "I", "L", "f", "fail-early", "v", "compressed", "o", "w", "backend"},
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

// A dataPart is one body flag: -d, --data, --data-binary or --data-raw.
type dataPart struct {
	kind  dataKind
	d     bool // given as -d, which is the duration in -load and -compare mode
	value string
}

type dataKind int

const (
	dataASCII  dataKind = iota // -d, --data: @FILE is read without CR and LF, as curl does
	dataBinary                 // --data-binary: @FILE is read unchanged
	dataRaw                    // --data-raw: no @FILE
)

// read returns the part's bytes: its text, or the file @FILE names.
func (p dataPart) read() ([]byte, error) {
	name, ok := strings.CutPrefix(p.value, "@")
	if !ok || p.kind == dataRaw {
		return []byte(p.value), nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("--data: %v", err)
	}
	if p.kind == dataASCII {
		b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r"), nil), []byte("\n"), nil)
	}
	return b, nil
}

// A dataFlag adds a dataPart of its kind for each time it is given.
type dataFlag struct {
	kind  dataKind
	d     bool
	parts *[]dataPart
}

func (f dataFlag) String() string { return "" }

func (f dataFlag) Set(s string) error {
	*f.parts = append(*f.parts, dataPart{f.kind, f.d, s})
	return nil
}

// setHeaders builds the request's fields: the -H fields, then the
// defaults that no -H field of the same name replaced or removed:
// User-Agent (-A, or ringnet-client), Authorization (-u) and, for a
// body, Content-Type (a form, as curl sends). As with curl, a Host field
// replaces the URL's host.
func (c *config) setHeaders(raw *rawFlags) error {
	given := map[string]bool{}
	for _, h := range raw.headers {
		key := textproto.CanonicalMIMEHeaderKey(h.key)
		given[key] = true
		switch {
		case key == "Host":
			c.host = h.value
		case h.remove:
			c.header.Del(key)
		default:
			c.header.Add(key, h.value)
		}
	}
	if !given["User-Agent"] {
		ua := "ringnet-client"
		if raw.set["A"] {
			ua = raw.userAgent
		}
		c.header.Set("User-Agent", ua)
	} else if c.header.Get("User-Agent") == "" {
		c.header.Set("User-Agent", "") // the Transport sends none
	}
	if raw.set["u"] && !given["Authorization"] {
		if !strings.Contains(raw.user, ":") {
			return fmt.Errorf("-u %q: want user:password", raw.user)
		}
		c.header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(raw.user)))
	}
	if c.compressed && !given["Accept-Encoding"] {
		c.header.Set("Accept-Encoding", "deflate, gzip")
	}
	if c.body != nil && !given["Content-Type"] {
		c.header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return nil
}

// A headerFlag collects repeated -H flags: 'Key: value', 'Key:' (remove
// the field) or 'Key;' (send it empty).
type headerFlag []struct {
	key, value string
	remove     bool
}

func (h *headerFlag) String() string { return "" }

func (h *headerFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, ":")
	empty := false
	if !ok {
		k, empty = strings.CutSuffix(s, ";")
	}
	k = textproto.TrimString(k)
	if !ok && !empty || k == "" || strings.ContainsAny(k, " \t\r\n") || strings.ContainsAny(v, "\r\n") {
		return fmt.Errorf("want 'Key: value', 'Key:' or 'Key;', got %q", s)
	}
	v = textproto.TrimString(v)
	*h = append(*h, struct {
		key, value string
		remove     bool
	}{k, v, ok && v == ""})
	return nil
}

// A listFlag collects a flag given several times.
type listFlag []string

func (l *listFlag) String() string { return "" }

func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
