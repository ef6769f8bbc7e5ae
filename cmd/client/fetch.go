package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// fetch makes one request and prints the response body to stdout, after
// the status line and header fields with -i. It fails with one line on
// stderr that names the request, the backend and what went wrong.
func fetch(ctx context.Context, cfg *config, stdout, stderr io.Writer) int {
	b, err := parseBackend(cfg.backend)
	if err != nil {
		fmt.Fprintf(stderr, "client: backend %s: %v\n", cfg.backend, err)
		return exitFailed
	}
	c := newHTTPClient(b, 1, cfg.timeout, cfg.follow, nil)
	defer c.CloseIdleConnections()
	resp, err := c.Do(cfg.newRequest(ctx))
	if err != nil {
		fmt.Fprintln(stderr, fetchError(cfg, b, err))
		return exitFailed
	}
	defer resp.Body.Close()
	if cfg.include {
		if err := writeHead(stdout, resp); err != nil {
			return exitFailed
		}
	}
	if _, err := io.Copy(stdout, resp.Body); err != nil {
		fmt.Fprintln(stderr, fetchError(cfg, b, err))
		return exitFailed
	}
	return exitOK
}

// writeHead writes the status line and header fields as they came, with
// curl -i's CRLF line ends; the fields are in sorted order, as the parsed
// header keeps no order.
func writeHead(w io.Writer, resp *http.Response) error {
	h := resp.Header
	if len(resp.TransferEncoding) > 0 && h.Get("Transfer-Encoding") == "" {
		h = h.Clone()
		h.Set("Transfer-Encoding", strings.Join(resp.TransferEncoding, ", "))
	}
	if _, err := fmt.Fprintf(w, "%s %s\r\n", resp.Proto, resp.Status); err != nil {
		return err
	}
	if err := h.Write(w); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\r\n")
	return err
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
