package main

import (
	"io"
	"net/http"
	"time"
)

// An observer is told about each request once its handler has returned:
// the access log and the metrics. It may be called concurrently.
type observer func(r *http.Request, rec *recorder, begin time.Time, elapsed time.Duration)

// observe wraps h so that every observer sees every request. Without
// -access-log and -admin there are no observers and no wrapper: the
// benchmarked path stays the bare handler.
func observe(h http.Handler, observers ...observer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		begin := time.Now()
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		elapsed := time.Since(begin)
		for _, o := range observers {
			o(r, rec, begin, elapsed)
		}
	})
}

// A recorder is a ResponseWriter that remembers the status and counts
// the body bytes. Unwrap lets http.ResponseController reach the
// engine's own writer (deadlines, hijacking).
type recorder struct {
	http.ResponseWriter
	code  int   // the final status; 0 until the header is written
	bytes int64 // body bytes written by the handler
}

// status is the response's status: 200 if the handler wrote nothing.
func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

func (r *recorder) WriteHeader(code int) {
	// 1xx responses other than 101 are informational: the final status
	// is still to come, as net/http counts them.
	if r.code == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// ReadFrom passes io.Copy into the writer (http.ServeContent, FileServer)
// on to the engine's own ReadFrom, so that behind the access log a file
// still goes out with sendfile rather than through Write.
func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	var n int64
	var err error
	if rf, ok := r.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(struct{ io.Writer }{r.ResponseWriter}, src)
	}
	r.bytes += n
	return n, err
}

func (r *recorder) Flush() {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	http.NewResponseController(r.ResponseWriter).Flush()
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
