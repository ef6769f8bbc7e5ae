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
	expect  statusSet // -expect-status
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

func newWorkers(n int, s *series, expect statusSet) []*worker {
	ws := make([]*worker, n)
	for i := range ws {
		ws[i] = &worker{expect: expect, status: map[int]uint64{}, sec: secondBuffer{series: s, i: -1}}
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

// response records a response of sl that is complete now, by its status
// code: every engine records its responses here. A code outside
// -expect-status is no error (the exchange worked) but fails the run: it
// counts on the progress line and in its second as such.
func (w *worker) response(sl slot, code int) {
	w.responses.Add(1)
	unexpected := !w.expect.has(code)
	if unexpected {
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
	if unexpected {
		s.unexpected++
	}
}

// fail records n requests of sl that failed with err.
func (w *worker) fail(sl slot, err error, n int) {
	w.failures.Add(uint64(n))
	if !sl.counted {
		return
	}
	c := classify(err)
	w.errors[c] += uint64(n)
	if w.samples[c] == "" {
		w.samples[c] = errorSample(err)
	}
	w.sec.at(time.Now()).failures += uint64(n)
}
