package http_test

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
)

// testHandler is the handler both servers of the differential test run:
// each path exercises one part of the request or the response.
func testHandler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	})
	m.HandleFunc("/info", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		fmt.Fprintf(w, "method=%q uri=%q url=%q path=%q rawpath=%q query=%q host=%q\n",
			r.Method, r.RequestURI, r.URL.String(), r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.Host)
		fmt.Fprintf(w, "proto=%q %d.%d cl=%d te=%q close=%v\n", r.Proto, r.ProtoMajor, r.ProtoMinor, r.ContentLength, r.TransferEncoding, r.Close)
		writeHeader(w, "header", r.Header)
		writeHeader(w, "trailer", r.Trailer)
		fmt.Fprintf(w, "body=%q err=%v\n", body, err)
	})
	m.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, r.Body)
	})
	m.HandleFunc("/noread", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ignored the body")
	})
	m.HandleFunc("/closebody", func(w http.ResponseWriter, r *http.Request) {
		r.Body.Close()
		io.WriteString(w, "closed the body")
	})
	m.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 50; i++ {
			fmt.Fprintf(w, "%03d:%s\n", i, strings.Repeat("x", 95))
		}
	})
	m.HandleFunc("/bigwrite", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("y", 3000)))
		w.Write([]byte(strings.Repeat("z", 100)))
	})
	m.HandleFunc("/cl", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5000")
		w.Write([]byte(strings.Repeat("c", 5000)))
	})
	m.HandleFunc("/short", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		io.WriteString(w, "abc")
	})
	m.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "one")
		w.(http.Flusher).Flush()
		io.WriteString(w, "two")
	})
	m.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		var code int
		fmt.Sscan(r.PathValue("code"), &code)
		w.Header().Set("X-A", "b")
		w.WriteHeader(code)
		io.WriteString(w, "body")
	})
	m.HandleFunc("/early", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</a.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.WriteHeader(http.StatusAccepted)
		w.WriteHeader(http.StatusOK) // superfluous
		io.WriteString(w, "late")
	})
	m.HandleFunc("/sniff", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html><body>hi</body></html>")
	})
	m.HandleFunc("/typed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		io.WriteString(w, `{"ok":true}`)
	})
	m.HandleFunc("/trailers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum, X-Count")
		io.WriteString(w, "data")
		w.Header().Set("X-Sum", "42")
		w.Header().Set(http.TrailerPrefix+"X-Late", "yes")
	})
	m.HandleFunc("/after", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
		w.Header().Set("X-Too-Late", "1")
		io.WriteString(w, "x")
	})
	m.HandleFunc("/conn-close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	})
	m.HandleFunc("/identity", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Transfer-Encoding", "identity")
		io.WriteString(w, "raw")
	})
	m.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {})
	m.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		panic("boom")
	})
	m.HandleFunc("/abort", func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	})
	m.HandleFunc("/maxbytes", func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4))
		fmt.Fprintf(w, "err=%v", err)
	})
	m.HandleFunc("/set-te-chunked", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Transfer-Encoding", "chunked")
		io.WriteString(w, "x")
	})
	m.HandleFunc("/set-cl-and-te", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Transfer-Encoding", "chunked")
		w.Header().Set("Content-Length", "1")
		io.WriteString(w, "x")
	})
	m.HandleFunc("/bad-cl", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "abc")
		io.WriteString(w, "x")
	})
	m.HandleFunc("/over-cl", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "2")
		_, err := io.WriteString(w, "abc")
		w.Header().Set("X-Err", fmt.Sprint(err))
	})
	m.HandleFunc("/keepalive-header", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "keep-alive")
		w.Header().Set("Content-Length", "2")
		io.WriteString(w, "ok")
	})
	m.HandleFunc("/head-cl", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "42")
	})
	m.HandleFunc("/write-204", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(204)
		_, err := io.WriteString(w, "no")
		fmt.Fprint(io.Discard, err)
	})
	m.HandleFunc("/encoded", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		io.WriteString(w, "<html>")
	})
	m.HandleFunc("/header-newline", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Injected", "a\r\nX-Evil: 1")
		w.Header()["lower-case"] = []string{" spaced "}
		io.WriteString(w, "x")
	})
	m.HandleFunc("/flush-empty", func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
	})
	m.HandleFunc("/flush-then-trailer", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-T")
		w.(http.Flusher).Flush()
		w.Header().Set("X-T", "v")
	})
	m.HandleFunc("/bigbody-read", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, n)
	})
	return m
}

func writeHeader(w io.Writer, name string, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(w, "%s(%v):", name, h == nil)
	for _, k := range keys {
		fmt.Fprintf(w, " %s=%q", k, h[k])
	}
	fmt.Fprintln(w)
}
