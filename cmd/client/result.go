package main

import "time"

// A result is what one load run on one backend measured. Everything in
// it counts from the end of the warm-up.
type result struct {
	backend     backend
	err         error // the backend could not run here; nothing was measured
	interrupted bool  // the run was cancelled (Ctrl-C) before its end
	elapsed     time.Duration
	requests    uint64                // responses received, whatever their status
	sent        uint64                // requests sent
	late        uint64                // open model: requests sent late, every connection busy
	due         uint64                // open model: requests due while the run lasted
	dropped     uint64                // open model: requests due but never sent
	errors      [numErrClasses]uint64 // failed requests by class
	samples     [numErrClasses]string // one message of each class that occurred
	status      map[int]uint64        // responses by status code
	conns       connTotals            // dials and bytes
	latency     Histogram             // every response, from send (or due) time to the last body byte
	series      []second              // per second of the run
}

// collect adds up the workers' counts.
func collect(b backend, workers []*worker, ser *series) *result {
	r := &result{backend: b, status: map[int]uint64{}}
	for _, w := range workers {
		w.sec.flush()
		r.latency.Merge(&w.latency)
		for code, n := range w.status {
			r.status[code] += n
		}
		for i, n := range w.errors {
			r.errors[i] += n
			if r.samples[i] == "" {
				r.samples[i] = w.samples[i]
			}
		}
		r.sent += w.sent
		r.late += w.late
	}
	r.requests = r.latency.Count()
	r.series = ser.secs // every worker has flushed: no lock needed
	return r
}

// failed returns the number of requests that failed: the errors.
func (r *result) failed() uint64 {
	var n uint64
	for _, e := range r.errors {
		n += e
	}
	return n
}

// ok reports whether the run completed requests, none failed and every
// status was one of expect.
func (r *result) ok(expect statusSet) bool {
	return r.err == nil && r.requests > 0 && r.failed() == 0 && expect.outside(r.status) == nil
}

// rps returns the responses per second.
func (r *result) rps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

// sentShare returns the share of the requests due that went out (open
// model), 1 when none were due.
func (r *result) sentShare() float64 {
	if r.due == 0 {
		return 1
	}
	return float64(min(r.sent, r.due)) / float64(r.due)
}

// belowRate is the share of the target rate under which a run gets a
// warning: the load was not what was asked for.
const belowRate = 0.95

// rateWarning returns a warning if the open model sent less than
// belowRate of what was due, or "".
func (r *result) rateWarning(cfg *config) string {
	if cfg.rate == 0 || r.err != nil || r.sentShare() >= belowRate {
		return ""
	}
	return fmtRateWarning(cfg, r)
}
