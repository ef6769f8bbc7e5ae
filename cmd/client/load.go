package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// load runs the load on the chosen backend and prints its report: text, or
// JSON with -json; -html and -hgrm also write their files.
func load(ctx context.Context, cfg *config, stdout, stderr io.Writer) int {
	b, err := parseBackend(cfg.backend)
	if err != nil {
		cfg.diag(stderr, "client: backend %s: %v", cfg.backend, err)
		return exitFailed
	}
	meta := currentMeta()
	r := runLoad(ctx, cfg, b)
	return reportLoad(cfg, meta, r, stdout, stderr)
}

// runLoad runs cfg's load on b and returns what it measured. Requests stop
// being sent when the run is over (see schedule); the ones in flight then
// complete, bounded by -timeout. Cancelling ctx (Ctrl-C) ends the run early
// and drops the requests it interrupted.
func runLoad(ctx context.Context, cfg *config, b backend) *result {
	var (
		conns    connStats
		base     connTotals // at the end of the warm-up
		measured bool
	)
	lr := startLoops(cfg, b, &conns) // before the clock starts: a ring takes time to set up
	start := time.Now()
	s := newSchedule(cfg, start)
	s.onMeasure = func() { base, measured = conns.totals(), true }
	ser := &series{start: s.measure}
	workers := newWorkers(cfg.conns, ser, cfg.expect)
	stopProgress := startProgress(cfg.progress, b, start, workers)
	runWorkers(ctx, cfg, b, s, &conns, workers, lr)
	stopped := time.Now()
	stopProgress()

	r := collect(b, workers, ser)
	r.interrupted = ctx.Err() != nil
	r.elapsed = max(stopped.Sub(s.measure), 0)
	if measured {
		r.conns = conns.totals().sub(base)
	}
	if cfg.rate > 0 {
		r.due = uint64(s.dueBefore(stopped))
		r.dropped = r.due - min(r.sent, r.due)
	}
	return r
}

// runWorkers runs one worker per connection until the schedule says the
// run is over, then closes every connection of the run: on lr's loops if
// it is not nil, else through the Transport or the pipeliner.
func runWorkers(ctx context.Context, cfg *config, b backend, s *schedule, conns *connStats, workers []*worker, lr *loopRun) {
	if lr != nil {
		lr.run(ctx, s, workers)
		return
	}
	defer conns.closeAll()
	var wg sync.WaitGroup
	if cfg.pipeline > 0 {
		p := newPipeliner(cfg, b, conns)
		for _, w := range workers {
			wg.Go(func() { p.run(ctx, w, s) })
		}
		wg.Wait()
		return
	}
	c := newHTTPClient(cfg, b, conns)
	tmpl := cfg.newRequest(ctx)
	for _, w := range workers {
		wg.Go(func() { runHTTP(ctx, c, tmpl, cfg, w, s) })
	}
	wg.Wait()
	c.CloseIdleConnections()
}

// runHTTP sends requests one after another through the client's Transport
// until s says the run is over. After a failure to connect it backs off.
func runHTTP(ctx context.Context, c *http.Client, tmpl *http.Request, cfg *config, w *worker, s *schedule) {
	var (
		wait timer
		bo   backoff
	)
	defer wait.stop()
	for {
		sl, ok := s.next(ctx, 1, &wait)
		if !ok {
			return
		}
		w.sending(sl)
		resp, err := send(c, tmpl, cfg)
		switch {
		case ctx.Err() != nil:
			return // interrupted: neither a response nor a failure
		case err != nil:
			w.fail(sl, err, 1)
			if connectFailed(err) {
				s.pause(ctx, &wait, bo.failed())
			}
		default:
			bo.reset()
			w.response(sl, resp.StatusCode)
		}
	}
}

// send makes one request, a copy of tmpl, and reads its response body to
// the end.
func send(c *http.Client, tmpl *http.Request, cfg *config) (*http.Response, error) {
	req := *tmpl // the Transport does not modify a request, so the copies may share fields
	if cfg.body != nil {
		req.Body = io.NopCloser(bytes.NewReader(cfg.body))
	}
	resp, err := c.Do(&req)
	if err != nil {
		return nil, err
	}
	err = drain(resp, cfg.check)
	return resp, err
}

// drain reads resp's body to its end and closes it, handing it to
// check if set.
func drain(resp *http.Response, check func(*http.Response, []byte)) error {
	defer resp.Body.Close()
	if check == nil {
		_, err := io.Copy(io.Discard, resp.Body)
		return err
	}
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		check(resp, body)
	}
	return err
}
