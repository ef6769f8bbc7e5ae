package main

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// A schedule says when requests are due, which of them count and when
// the run is over. In the closed model (no -rate) a request is due when
// its connection is free. In the open model request i is due at start +
// i·interval whichever connection sends it, so the total rate is fixed
// however slowly the server answers.
//
// Requests due before measure (the -warmup) are sent but not counted.
// The run is over at end (none with -n alone), when limit requests have
// counted (-n), or when ctx is done. A schedule is shared by a run's
// connections; next is safe to call concurrently.
type schedule struct {
	start    time.Time // the first request is due
	measure  time.Time // requests due from here on count
	end      time.Time // no request is due from here on; zero for none
	limit    int64     // requests that count, at most; 0 for no limit
	interval float64   // nanoseconds between due times; 0 for the closed model
	issued   atomic.Int64
	counted  atomic.Int64

	onMeasure func() // if set, called once, with the first request that counts
	measured  sync.Once
}

// lateAfter is how long after its due time a request must go out to
// count as late. Below it is the client's own timer slack: the Go
// runtime rounds short sleeps up to about a millisecond.
const lateAfter = time.Millisecond

func newSchedule(cfg *config, start time.Time) *schedule {
	s := &schedule{start: start, measure: start.Add(cfg.warmup), limit: cfg.requests}
	if cfg.duration > 0 {
		s.end = s.measure.Add(cfg.duration)
	}
	if cfg.rate > 0 {
		s.interval = float64(time.Second) / cfg.rate
	}
	return s
}

// A slot is what next hands a connection: n requests to send back to
// back, due at due.
type slot struct {
	due     time.Time // their latency counts from here
	n       int       // how many; fewer than asked for when -n runs out
	counted bool      // due after the warm-up: their results count
	late    bool      // sent lateAfter or more after due: every connection was busy
}

// next reserves up to n requests to be sent back to back, waits until
// they are due, and returns them. It returns false when the run is over.
//
// A connection still busy with earlier responses when a request falls
// due sends it late, and its latency counts from the due time: the wait
// is the server's doing and leaving it out is coordinated omission. A
// connection that was idle counts from when it sends: a timer firing late
// is the client's doing.
func (s *schedule) next(ctx context.Context, n int, wait *timer) (slot, bool) {
	now := time.Now()
	sl, ok := s.reserve(ctx, n, now)
	switch {
	case !ok:
		return slot{}, false
	case sl.ready(now):
		return sl, ctx.Err() == nil
	case !wait.until(ctx, sl.due):
		return slot{}, false
	}
	sl.due = time.Now()
	return sl, true
}

// reserve is next without the wait, for a caller that must not block (a
// connection on an event loop): it reserves up to n requests at now and
// returns them with their due time, which may be to come. The caller
// sends them at once if sl.ready(now), else when they are due, its latency
// then counting from when it sends (sl.due = time.Now()), as next does.
func (s *schedule) reserve(ctx context.Context, n int, now time.Time) (slot, bool) {
	if s.over(ctx, now) {
		return slot{}, false // a backlog the server could not keep up with stays unsent
	}
	sl := slot{due: now, n: n}
	if s.interval > 0 {
		i := s.issued.Add(int64(n)) - int64(n)
		sl.due = s.start.Add(time.Duration(float64(i) * s.interval))
		if s.over(ctx, sl.due) {
			return slot{}, false
		}
	}
	sl.counted = !sl.due.Before(s.measure)
	if sl.counted && s.onMeasure != nil {
		s.measured.Do(s.onMeasure)
	}
	if sl.counted && s.limit > 0 {
		c := s.counted.Add(int64(n)) - int64(n)
		if c >= s.limit {
			return slot{}, false
		}
		sl.n = int(min(int64(n), s.limit-c))
	}
	return sl, true
}

// ready reports whether sl is due at now, marking it late if its due
// time passed lateAfter or more before.
func (sl *slot) ready(now time.Time) bool {
	if now.Before(sl.due) {
		return false
	}
	sl.late = now.Sub(sl.due) >= lateAfter
	return true
}

// over reports whether nothing is due at t any more: the end has passed,
// or ctx is done.
func (s *schedule) over(ctx context.Context, t time.Time) bool {
	return ctx.Err() != nil || !s.end.IsZero() && !t.Before(s.end)
}

// dueBefore returns how many counted requests the open model had due
// before t (capped at the end and at -n): what a run stopped at t should
// have sent.
func (s *schedule) dueBefore(t time.Time) int64 {
	if s.interval == 0 {
		return 0
	}
	if !s.end.IsZero() && t.After(s.end) {
		t = s.end
	}
	slots := func(t time.Time) int64 { // due times before t: ceil((t-start)/interval)
		return int64(math.Ceil(float64(t.Sub(s.start)) / s.interval))
	}
	n := max(slots(t)-slots(s.measure), 0)
	if s.limit > 0 {
		n = min(n, s.limit)
	}
	return n
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

// A backoff spaces out a connection's attempts to connect while they
// fail: 10 ms after the first failure, doubling up to 1 s, back to none
// after a success. Without it a refused port turns the load into a
// connect storm (tens of thousands of dials a second) that measures
// nothing and floods the server's accept queue once it is back.
type backoff struct{ d time.Duration }

const (
	minBackoff = 10 * time.Millisecond
	maxBackoff = time.Second
)

// failed returns how long to wait after one more failure.
func (b *backoff) failed() time.Duration {
	b.d = min(max(2*b.d, minBackoff), maxBackoff)
	return b.d
}

func (b *backoff) reset() { b.d = 0 }

// pause waits d, or until the run is over, whichever is first.
func (s *schedule) pause(ctx context.Context, wait *timer, d time.Duration) {
	t := time.Now().Add(d)
	if !s.end.IsZero() && t.After(s.end) {
		t = s.end
	}
	wait.until(ctx, t)
}
