package main

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// fetch fetches each URL in turn, as curl does, and writes each response
// body to stdout or to its -o file: after the response heads with -i, or
// the heads alone with -I, as received (wire order, 1xx and, with -L,
// redirects included). With -v the heads also go to stderr as they pass;
// with -w its format follows each transfer on stdout. A failure is one
// line on stderr that names the request, the backend and what went
// wrong, unless -s; with -f a status of 400 or more is such a failure.
// The exit status is the last URL's (with --fail-early, the first
// failure's), in curl's numbers (curlExit).
func fetch(ctx context.Context, cfg *config, stdout, stderr io.Writer) int {
	b, err := parseBackend(cfg.backend)
	if err != nil {
		cfg.diag(stderr, "client: backend %s: %v", cfg.backend, err)
		return exitFailed
	}
	log := &headLog{}
	if cfg.verbose {
		log.verbose = stderr
	}
	c := newFetchClient(cfg, b, log)
	defer c.CloseIdleConnections()
	code := exitOK
	for i, u := range cfg.urls {
		output := ""
		if i < len(cfg.outputs) {
			output = cfg.outputs[i]
		}
		t := fetchURL(ctx, cfg, c, b, log, u, output, stdout, stderr)
		if t.exit == exitInterrupted {
			return exitInterrupted
		}
		if cfg.writeOut != "" {
			io.WriteString(stdout, t.format(cfg.writeOut, stderr))
		}
		code = t.exit
		if code != exitOK && cfg.failEarly {
			break
		}
	}
	return code
}

// fetchURL makes the request to u and writes what it got; the transfer
// says how it went.
func fetchURL(ctx context.Context, cfg *config, c *http.Client, b backend, log *headLog, u *url.URL, output string, stdout, stderr io.Writer) *transfer {
	t := log.begin(u)
	defer log.finish(t)
	req := cfg.requestTo(ctx, u)
	resp, err := c.Do(req)
	if err != nil {
		t.exit = fetchFailed(ctx, cfg, b, req, err, stderr)
		return t
	}
	defer resp.Body.Close()
	t.response(resp)
	printBody := !cfg.headOnly
	if cfg.fail && resp.StatusCode >= 400 {
		cfg.diag(stderr, "client: %s %s on %s: the server answered %s (-f)", req.Method, u, b, resp.Status)
		t.exit, printBody = exitHTTPError, false
	}
	var body io.Reader // nil: the body is not printed
	if printBody {
		cr := &countingReader{r: resp.Body, n: &t.downloaded}
		body = cr
		if cfg.compressed {
			body = decoded(cr, resp.Header.Get("Content-Encoding"))
		}
	}
	if err := writeResponse(cfg, output, log.responseHeads(), body, stdout); err != nil {
		t.exit = fetchFailed(ctx, cfg, b, req, err, stderr)
	}
	return t
}

// writeResponse writes what fetch prints, to stdout or to the file
// output names, which it creates only when there is something to put in
// it: the heads (-i, -I), then the body unless it is nil. A failure to
// write is a writeError.
func writeResponse(cfg *config, output string, heads [][]byte, body io.Reader, stdout io.Writer) (err error) {
	out := stdout
	if output != "" {
		f := &lazyFile{name: output}
		defer func() {
			if cerr := f.Close(); err == nil && cerr != nil {
				err = writeError{cerr}
			}
		}()
		out = f
	}
	if cfg.include || cfg.headOnly {
		for _, h := range heads {
			if _, err := out.Write(h); err != nil {
				return writeError{err}
			}
		}
	}
	if body == nil {
		return nil
	}
	_, err = io.Copy(writerOnly{out}, body)
	return err
}

// A lazyFile is a file created at its first write, so that a transfer
// with nothing to write leaves none, as curl's -o does.
type lazyFile struct {
	name string
	f    *os.File
}

func (l *lazyFile) Write(p []byte) (int, error) {
	if l.f == nil {
		var err error
		if l.f, err = os.Create(l.name); err != nil {
			return 0, err
		}
	}
	return l.f.Write(p)
}

func (l *lazyFile) Close() error {
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}

// A writerOnly marks the errors of its Write as writeErrors, so that a
// full disk is told apart from a failing connection in io.Copy.
type writerOnly struct{ w io.Writer }

func (w writerOnly) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil {
		err = writeError{err}
	}
	return n, err
}

// A writeError is a failure to write the output, not to fetch.
type writeError struct{ err error }

func (e writeError) Error() string { return "writing the output: " + e.err.Error() }
func (e writeError) Unwrap() error { return e.err }

// decoded returns body decoded from the Content-Encoding enc, as
// --compressed asks: gzip, or deflate (zlib, or raw as some servers send
// it); other encodings pass through as they are. A body that does not
// decode fails with a decodeError; one that fails to arrive, with the
// error of the connection. A stream cut short by the end of the body
// ends there, as curl lets it.
func decoded(body *countingReader, enc string) io.Reader {
	var open func(io.Reader) (io.Reader, error)
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "gzip", "x-gzip":
		open = func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }
	case "deflate":
		open = openDeflate
	default:
		return body
	}
	return &decoder{open: open, body: body}
}

// openDeflate reads a zlib stream or, without a zlib header, raw deflate.
func openDeflate(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if err == nil && head[0]&0x0f == 8 && (uint(head[0])<<8|uint(head[1]))%31 == 0 {
		return zlib.NewReader(br)
	}
	return flate.NewReader(br), nil
}

// A decoder opens its decompressor on the body at the first read.
type decoder struct {
	open func(io.Reader) (io.Reader, error)
	body *countingReader
	dec  io.Reader
}

func (d *decoder) Read(p []byte) (n int, err error) {
	if d.dec == nil {
		d.dec, err = d.open(d.body)
	}
	if err == nil {
		n, err = d.dec.Read(p)
	}
	switch {
	case err == nil || err == io.EOF:
	case err == io.ErrUnexpectedEOF && d.body.err == nil:
		err = io.EOF // the body is complete but the stream is cut short: what decoded is all, as with curl
	case d.body.err != nil:
		err = d.body.err // the connection failed, not the decoding
	default:
		err = decodeError{err}
	}
	return n, err
}

// A decodeError is a body that did not decode (--compressed).
type decodeError struct{ err error }

func (e decodeError) Error() string { return "decoding the body: " + e.err.Error() }
func (e decodeError) Unwrap() error { return e.err }

// A countingReader counts the bytes read through it into n, and keeps
// the error that ended them, but io.EOF.
type countingReader struct {
	r   io.Reader
	n   *int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// fetchFailed reports a failed fetch and returns its exit status: 130,
// silently, if the fetch was interrupted.
func fetchFailed(ctx context.Context, cfg *config, b backend, req *http.Request, err error, stderr io.Writer) int {
	if ctx.Err() != nil {
		return exitInterrupted
	}
	cfg.diag(stderr, "%s", fetchError(cfg, b, req, err))
	return curlExit(err)
}

// diag prints one diagnostic line on stderr, unless -s.
func (c *config) diag(stderr io.Writer, format string, args ...any) {
	if !c.silent {
		fmt.Fprintf(stderr, format+"\n", args...)
	}
}

// fetchError is the one-line message for a failed fetch: the method, the
// URL, the backend and the cause, naming a timeout as such.
func fetchError(cfg *config, b backend, req *http.Request, err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	cause := firstLine(err)
	if classify(err) == errTimeout {
		cause = fmt.Sprintf("timeout after %v (-timeout): %s", cfg.timeout, cause)
	}
	return fmt.Sprintf("client: %s %s on %s: %s", req.Method, req.URL, b, cause)
}
