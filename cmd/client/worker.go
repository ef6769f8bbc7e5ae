package main

import (
	"sync/atomic"
	"time"
)

// A worker drives one connection and counts what it sees; each worker
// writes only its own counters, and a run adds them up at its end. The
// atomics are read by the progress line while the run lasts; they count
// the warm-up too, the rest only requests that count.
type worker struct {
	latency Histogram
	status  map[int]uint64
	errors  [numErrClasses]uint64
	samples [numErrClasses]string // the first message of each class
	sent    uint64                // requests sent
	late    uint64                // ... of them late (open model)
	sec     secondBuffer

	responses atomic.Uint64
	failures  atomic.Uint64
}

func newWorkers(n int, s *series) []*worker {
	ws := make([]*worker, n)
	for i := range ws {
		ws[i] = &worker{status: map[int]uint64{}, sec: secondBuffer{series: s, i: -1}}
	}
	return ws
}

// sending records that the requests of sl go out.
func (w *worker) sending(sl slot) {
	if !sl.counted {
		return
	}
	w.sent += uint64(sl.n)
	if sl.late {
		w.late += uint64(sl.n)
	}
}

// response records a response of sl that is complete now; status is its
// status line's code and text ("404 Not Found").
func (w *worker) response(sl slot, code int, status string) {
	w.responses.Add(1)
	bad := code < 200 || code > 299
	if bad {
		w.failures.Add(1)
	}
	if !sl.counted {
		return
	}
	now := time.Now()
	d := now.Sub(sl.due)
	w.latency.Record(d)
	w.status[code]++
	s := w.sec.at(now)
	s.responses++
	s.latency.Record(d)
	if bad {
		w.count(errBadStatus, 1, status)
		s.failures++
	}
}

// fail records n requests of sl that failed with err.
func (w *worker) fail(sl slot, err error, n int) {
	w.failures.Add(uint64(n))
	if !sl.counted {
		return
	}
	w.count(classify(err), n, errorSample(err))
	w.sec.at(time.Now()).failures += uint64(n)
}

func (w *worker) count(c errClass, n int, sample string) {
	w.errors[c] += uint64(n)
	if w.samples[c] == "" {
		w.samples[c] = sample
	}
}
