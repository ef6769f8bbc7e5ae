package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
)

// fetch makes one request and writes the response body to stdout, or to
// -o's file: after the response heads with -i, or the heads alone with
// -I, as received (wire order, 1xx and, with -L, redirects included).
// With -v the heads also go to stderr as they pass. It fails with one
// line on stderr that names the request, the backend and what went wrong,
// unless -s; with -f a status of 400 or more is such a failure, exit 22.
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
	resp, err := c.Do(cfg.newRequest(ctx))
	if err != nil {
		return fetchFailed(ctx, cfg, b, err, stderr)
	}
	defer resp.Body.Close()
	if cfg.fail && resp.StatusCode >= 400 {
		cfg.diag(stderr, "client: %s %s on %s: the server answered %s (-f)", cfg.method, cfg.url, b, resp.Status)
		return exitHTTPError
	}
	if err := writeResponse(cfg, log.responseHeads(), resp.Body, stdout); err != nil {
		return fetchFailed(ctx, cfg, b, err, stderr)
	}
	return exitOK
}

// writeResponse writes what fetch prints to stdout or to -o's file, which
// it creates only now that there is a response to put in it.
func writeResponse(cfg *config, heads [][]byte, body io.Reader, stdout io.Writer) (err error) {
	out := stdout
	if cfg.output != "" {
		f, err := os.Create(cfg.output)
		if err != nil {
			return err
		}
		defer func() {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}()
		out = f
	}
	if cfg.include || cfg.headOnly {
		for _, h := range heads {
			if _, err := out.Write(h); err != nil {
				return err
			}
		}
	}
	if !cfg.headOnly {
		_, err = io.Copy(out, body)
	}
	return err
}

// fetchFailed reports a failed fetch and returns its exit status: 130,
// silently, if the fetch was interrupted.
func fetchFailed(ctx context.Context, cfg *config, b backend, err error, stderr io.Writer) int {
	if ctx.Err() != nil {
		return exitInterrupted
	}
	cfg.diag(stderr, "%s", fetchError(cfg, b, err))
	return exitFailed
}

// diag prints one diagnostic line on stderr, unless -s.
func (c *config) diag(stderr io.Writer, format string, args ...any) {
	if !c.silent {
		fmt.Fprintf(stderr, format+"\n", args...)
	}
}

// fetchError is the one-line message for a failed fetch: the method, the
// URL, the backend and the cause, naming a timeout as such.
func fetchError(cfg *config, b backend, err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	cause := firstLine(err)
	if classify(err) == errTimeout {
		cause = fmt.Sprintf("timeout after %v (-timeout): %s", cfg.timeout, cause)
	}
	return fmt.Sprintf("client: %s %s on %s: %s", cfg.method, cfg.url, b, cause)
}
