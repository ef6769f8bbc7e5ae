package main

import (
	"bytes"
	"context"
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
	mode     mode
	backend  string // auto, epoll, uring or std; compare mode runs all but auto
	method   string
	url      *url.URL
	header   http.Header
	host     string // a -H Host: value, which replaces the URL's host in the request
	body     []byte
	include  bool // -i
	follow   bool // -L
	timeout  time.Duration
	conns    int
	duration time.Duration
	pipeline int     // 0: through the Transport
	rate     float64 // requests/s in total; 0: closed model
	json     bool
	htmlFile string

	progress io.Writer // where the progress line ticks; nil for none
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

const usageText = `Usage:
  client [flags] URL                              fetch URL and print the body, like curl
  client -load [-c N] [-d DURATION] [flags] URL     load: throughput, errors, latency
  client -compare [-c N] [-d DURATION] [flags] URL  the same load on epoll, uring and std

Fetch mode prints the response body on stdout; with -i the status line and
header fields come first, as with curl -i. -d BODY sends a body (POST unless
-X says otherwise). An error is one line on stderr naming the backend.

Load mode runs -c connections for -d and reports requests/s, bytes/s,
errors by class and latency percentiles (from a log-linear histogram, within
1% of the true value). Closed model by default: each connection sends its
next request when the previous response has arrived, and latency runs from
the send to the last byte of the body. -rate R switches to an open model:
requests are due at a fixed total rate of R/s spread over the connections,
and a request sent late because its connection was still waiting for the
server counts its latency from when it was due, not when it was sent, so a
server that stalls shows as latency instead of as fewer samples (no
coordinated omission). -pipeline N writes N requests back to back on each
connection and then reads the N responses; it runs on raw connections of
the backend, not through the Transport. A progress line ticks on stderr
each second when stderr is a terminal.

Compare mode runs the same load once per backend, one after another, and
prints a markdown table with each backend's ratios to std. Every backend,
std included, runs ringnet's client Transport; std dials with Go's
net.Dialer.

In -load and -compare mode -d is the duration; the request body is -data.

Error classes: connect_refused; reset (reset, or closed by the server
before answering); timeout (-timeout expired); bad_status (a response that
is not 2xx; these count as requests too); other.

Exit status: 0 on success; 1 when the request failed, or, under load, when
any request failed (bad_status included) or none completed; 2 for bad flags
or a bad URL.

Flags:
`

// parseArgs parses the command line. Flags may come before or after the URL,
// as with curl. It prints -help to stdout and returns errHelp.
func parseArgs(args []string, stdout io.Writer) (*config, error) {
	cfg := &config{header: http.Header{}}
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors come back as one line; -help prints the usage to stdout
	var (
		headers           headerFlag
		dFlag, data       string
		loadMode, cmpMode bool
	)
	fs.StringVar(&cfg.backend, "backend", "auto", "`backend`: auto, epoll, uring or std (Go's net.Dialer under the same Transport)")
	fs.StringVar(&cfg.method, "X", "", "request `method` (default GET, or POST with a body)")
	fs.Var(&headers, "H", "request header `'Key: value'`; repeatable")
	fs.StringVar(&dFlag, "d", "", "fetch mode: the request body, as -data; -load and -compare: the duration, as -duration")
	fs.StringVar(&data, "data", "", "request `body`; @FILE reads it from FILE")
	fs.BoolVar(&cfg.include, "i", false, "fetch: print the status line and header fields before the body")
	fs.BoolVar(&cfg.follow, "L", false, "fetch: follow redirects")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "limit for each request, from dial to the last byte")
	fs.BoolVar(&loadMode, "load", false, "load mode")
	fs.BoolVar(&cmpMode, "compare", false, "compare mode: the load on epoll, uring and std")
	fs.IntVar(&cfg.conns, "c", 64, "load: `connections`")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "load: how long each run lasts")
	fs.IntVar(&cfg.pipeline, "pipeline", 0, "load: requests in flight per connection, on raw connections (0: one at a time, through the Transport)")
	fs.Float64Var(&cfg.rate, "rate", 0, "load: total requests per second, open model (0: closed model, as fast as answered)")
	fs.BoolVar(&cfg.json, "json", false, "load: print one JSON object (an array with -compare) instead of the text report")
	fs.StringVar(&cfg.htmlFile, "html", "", "load: also write a self-contained HTML page with the latency charts to `file`")
	fs.Usage = func() {}

	var positional []string
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
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	switch {
	case cmpMode:
		cfg.mode = modeCompare
	case loadMode:
		cfg.mode = modeLoad
	}
	if err := cfg.checkMode(set); err != nil {
		return nil, err
	}
	if len(positional) != 1 {
		return nil, fmt.Errorf("want one URL, got %d arguments (client -help shows the usage)", len(positional))
	}
	u, err := parseURL(positional[0])
	if err != nil {
		return nil, err
	}
	cfg.url = u
	if set["d"] {
		if cfg.mode == modeFetch {
			if set["data"] {
				return nil, errors.New("-d and -data are the same flag in fetch mode; give one")
			}
			data, set["data"] = dFlag, true
		} else if cfg.duration, err = time.ParseDuration(dFlag); err != nil {
			return nil, fmt.Errorf("-d %q: in -load and -compare mode -d is the duration (e.g. -d 10s); the request body is -data", dFlag)
		}
	}
	if set["data"] {
		if cfg.body, err = readBody(data); err != nil {
			return nil, err
		}
	}
	cfg.setHeaders(headers)
	if cfg.method == "" {
		cfg.method = http.MethodGet
		if cfg.body != nil {
			cfg.method = http.MethodPost
		}
	}
	return cfg, cfg.checkNumbers()
}

// checkMode rejects flags that do not apply to the chosen mode, rather than
// silently ignoring them.
func (c *config) checkMode(set map[string]bool) error {
	var wrong []string
	switch c.mode {
	case modeFetch:
		wrong = []string{"c", "duration", "pipeline", "rate", "json", "html"}
	case modeLoad, modeCompare:
		wrong = []string{"i", "L"}
		if c.mode == modeCompare {
			wrong = append(wrong, "backend")
		}
	}
	for _, name := range wrong {
		if set[name] {
			return fmt.Errorf("-%s does not apply in %s mode", name, c.mode)
		}
	}
	return nil
}

func (c *config) checkNumbers() error {
	switch {
	case c.timeout <= 0:
		return errors.New("-timeout must be positive")
	case c.mode == modeFetch:
		return nil
	case c.conns < 1:
		return errors.New("-c must be at least 1")
	case c.duration <= 0:
		return errors.New("the duration must be positive")
	case c.pipeline < 0:
		return errors.New("-pipeline must not be negative")
	case c.rate < 0:
		return errors.New("-rate must not be negative")
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
