package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// load runs the load on the chosen backend and prints its report: text, or
// JSON with -json; -html also writes the page.
func load(ctx context.Context, cfg *config, stdout, stderr io.Writer) int {
	b, err := parseBackend(cfg.backend)
	if err != nil {
		fmt.Fprintf(stderr, "client: backend %s: %v\n", cfg.backend, err)
		return exitFailed
	}
	r := runLoad(ctx, cfg, b)
	return report(cfg, []*result{r}, stdout, stderr)
}

// A result is what one load run on one backend measured.
type result struct {
	backend  backend
	err      error // the backend could not run here; nothing was measured
	elapsed  time.Duration
	requests uint64                // responses received, whatever their status
	errors   [numErrClasses]uint64 // failed requests by class; bad_status counts responses
	status   map[int]uint64        // responses by status code
	bytes    struct{ read, written int64 }
	latency  Histogram // every response, from send (or due) time to the last body byte
}

// failed returns the number of requests that failed, bad_status included.
func (r *result) failed() uint64 {
	var n uint64
	for _, e := range r.errors {
		n += e
	}
	return n
}

// ok reports whether the run completed requests and none failed.
func (r *result) ok() bool { return r.err == nil && r.requests > 0 && r.failed() == 0 }

// A worker drives one connection. Its counters are read by the progress
// line while it runs, hence atomics; each worker writes only its own.
type worker struct {
	latency   Histogram
	status    map[int]uint64
	errors    [numErrClasses]uint64
	responses atomic.Uint64
	failures  atomic.Uint64
}

// response records a response that took d.
func (w *worker) response(d time.Duration, code int) {
	w.latency.Record(d)
	w.status[code]++
	w.responses.Add(1)
	if code < 200 || code > 299 {
		w.errors[errBadStatus]++
		w.failures.Add(1)
	}
}

// fail records n requests that failed with err.
func (w *worker) fail(err error, n int) {
	w.errors[classify(err)] += uint64(n)
	w.failures.Add(uint64(n))
}

// runLoad runs cfg's load on b and returns what it measured. Requests stop
// being sent when the duration is over; the ones in flight then complete,
// bounded by -timeout. Cancelling ctx (Ctrl-C) ends the run early and
// drops the requests it interrupted.
func runLoad(ctx context.Context, cfg *config, b backend) *result {
	r := &result{backend: b, status: map[int]uint64{}}
	var counted byteCounter
	workers := make([]*worker, cfg.conns)
	for i := range workers {
		workers[i] = &worker{status: map[int]uint64{}}
	}
	start := time.Now()
	s := &schedule{start: start, end: start.Add(cfg.duration)}
	if cfg.rate > 0 {
		s.interval = float64(time.Second) / cfg.rate
	}
	stopProgress := startProgress(cfg.progress, b, start, workers)

	var wg sync.WaitGroup
	if cfg.pipeline > 0 {
		p := newPipeliner(cfg, b, &counted)
		for _, w := range workers {
			wg.Go(func() { p.run(ctx, w, s) })
		}
		wg.Wait()
	} else {
		c := newHTTPClient(b, cfg.conns, cfg.timeout, false, &counted)
		tmpl := cfg.newRequest(ctx)
		for _, w := range workers {
			wg.Go(func() { runHTTP(ctx, c, tmpl, cfg.body, w, s) })
		}
		wg.Wait()
		c.CloseIdleConnections()
	}
	r.elapsed = time.Since(start)
	stopProgress()

	for _, w := range workers {
		r.latency.Merge(&w.latency)
		for code, n := range w.status {
			r.status[code] += n
		}
		for i, n := range w.errors {
			r.errors[i] += n
		}
	}
	r.requests = r.latency.Count()
	r.bytes.read, r.bytes.written = counted.read.Load(), counted.written.Load()
	return r
}

// runHTTP sends requests one after another through the client's Transport
// until s says the run is over.
func runHTTP(ctx context.Context, c *http.Client, tmpl *http.Request, body []byte, w *worker, s *schedule) {
	var wait timer
	defer wait.stop()
	for {
		due, ok := s.next(ctx, 1, &wait)
		if !ok {
			return
		}
		req := *tmpl // the Transport does not modify a request, so the copies may share fields
		if body != nil {
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
		resp, err := c.Do(&req)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		switch {
		case ctx.Err() != nil:
			return // interrupted: neither a response nor a failure
		case err != nil:
			w.fail(err, 1)
		default:
			w.response(time.Since(due), resp.StatusCode)
		}
	}
}

// A schedule says when requests are due. In the closed model (no -rate) a
// request is due when its connection is free. In the open model request i
// is due at start + i·interval whichever connection sends it, so the total
// rate is fixed however slowly the server answers.
type schedule struct {
	start, end time.Time
	interval   float64 // nanoseconds between due times; 0 for the closed model
	issued     atomic.Int64
}

// next reserves n requests to be sent back to back, waits until the first
// is due, and returns the time their latency counts from. It returns false
// when the run is over: the end or the due time has passed, or ctx is done.
//
// A connection still busy with earlier responses when a request falls due
// sends it late, and its latency counts from the due time: the wait is the
// server's doing and leaving it out is coordinated omission. A connection
// that was idle counts from when it sends: a timer firing late (the Go
// runtime rounds short sleeps up to a millisecond) is the client's doing.
func (s *schedule) next(ctx context.Context, n int, wait *timer) (time.Time, bool) {
	now := time.Now()
	if !now.Before(s.end) || ctx.Err() != nil {
		return now, false // a backlog the server could not keep up with stays unsent
	}
	if s.interval == 0 {
		return now, true
	}
	i := s.issued.Add(int64(n)) - int64(n)
	due := s.start.Add(time.Duration(float64(i) * s.interval))
	switch {
	case !due.Before(s.end):
		return due, false
	case !now.Before(due):
		return due, ctx.Err() == nil
	case !wait.until(ctx, due):
		return due, false
	}
	return time.Now(), true
}

// A timer waits for due times; it is made on first use and reused.
type timer struct{ t *time.Timer }

// until waits until t or until ctx is done, and reports whether t came first.
func (w *timer) until(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	if w.t == nil {
		w.t = time.NewTimer(d)
	} else {
		w.t.Reset(d)
	}
	select {
	case <-w.t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (w *timer) stop() {
	if w.t != nil {
		w.t.Stop()
	}
}
