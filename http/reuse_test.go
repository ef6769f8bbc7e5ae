package http_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	ringhttp "github.com/ringnet/ringnet/http"
)

// TestKeptRequest checks what the server reuses from one request to the
// next on a connection (docs/design.md, "Allocations per request on the
// loops"): a handler that keeps r, r.Header, r.URL, a header value and
// r.Context() past its return still sees, after 32 more pipelined
// requests on the connection, what it saw, and the context is done.
func TestKeptRequest(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		type kept struct {
			r      *http.Request
			h      http.Header
			accept string
			ctx    context.Context
			want   string
		}
		var mu sync.Mutex // the handlers' writes, the test's reads
		var all []kept
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a := r.Header.Get("Accept")
			mu.Lock()
			all = append(all, kept{r, r.Header, a, r.Context(), r.URL.Path + " " + a + " " + r.Header.Get("X-N")})
			mu.Unlock()
			io.WriteString(w, r.URL.Path)
		})
		c := dial(t, serve(t, b, &ringhttp.Server{Handler: h}))
		const n = 33
		var reqs strings.Builder
		for i := range n {
			fmt.Fprintf(&reqs, "GET /p%d HTTP/1.1\r\nHost: x\r\nAccept: a/%d\r\nX-N: %d\r\n\r\n", i, i, i)
		}
		if _, err := io.WriteString(c, reqs.String()); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		for i := range n {
			if _, body := readResponse(t, br, "GET"); body != fmt.Sprintf("/p%d", i) {
				t.Fatalf("response %d: %q", i, body)
			}
		}
		// The handlers ran one after the other on the connection's
		// goroutine or loop, before their responses were read.
		mu.Lock()
		defer mu.Unlock()
		if len(all) != n {
			t.Fatalf("%d handlers ran, want %d", len(all), n)
		}
		for i, k := range all {
			if got := k.r.URL.Path + " " + k.h.Get("Accept") + " " + k.r.Header.Get("X-N"); got != k.want || k.accept != fmt.Sprintf("a/%d", i) {
				t.Errorf("request %d kept: %q (accept %q), want %q", i, got, k.accept, k.want)
			}
			if k.ctx.Err() != context.Canceled {
				t.Errorf("request %d: kept context's Err %v, want Canceled", i, k.ctx.Err())
			}
		}
	})
}

// TestHeaderSnapshot checks that what a handler does to its header after
// WriteHeader does not reach the wire, as in net/http: neither a new
// field, nor a changed value slice, nor a deleted field; and that the
// next response on the connection starts from an empty header.
func TestHeaderSnapshot(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/second" {
				io.WriteString(w, "second")
				return
			}
			w.Header()["X-Vals"] = []string{"one", "two"}
			w.Header().Set("X-Gone", "still")
			w.WriteHeader(http.StatusAccepted)
			w.Header()["X-Vals"][0] = "changed"
			w.Header().Set("X-Late", "late")
			w.Header().Del("X-Gone")
			io.WriteString(w, "first")
		})
		c := dial(t, serve(t, b, &ringhttp.Server{Handler: h}))
		io.WriteString(c, "GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 202 || string(body) != "first" || strings.Join(resp.Header["X-Vals"], ",") != "one,two" ||
			resp.Header.Get("X-Gone") != "still" || resp.Header.Get("X-Late") != "" {
			t.Errorf("first: %d %q %v", resp.StatusCode, body, resp.Header)
		}
		resp, err = http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		if string(body) != "second" || resp.Header.Get("X-Vals") != "" || resp.Header.Get("X-Gone") != "" || resp.Header.Get("X-Late") != "" {
			t.Errorf("second: %q %v", body, resp.Header)
		}
	})
}
