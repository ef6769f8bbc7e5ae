package main

import (
	"math"
	"sync"
	"time"
)

// A second is what one second of a run measured: the responses and
// failures that completed in it, and their latencies.
type second struct {
	responses  uint64
	failures   uint64 // requests that failed: errors, as in the totals
	unexpected uint64 // responses with a status outside -expect-status
	latency    coarseHistogram
}

// A series collects a run's seconds, counted from its start (the end of
// the warm-up). Each worker fills a second of its own and adds it here
// when its clock moves on to the next, so the lock is taken about once a
// second per connection, not once per response.
type series struct {
	start time.Time

	mu   sync.Mutex
	secs []second // guarded by mu
}

// add merges s into second i.
func (ss *series) add(i int, s *second) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for len(ss.secs) <= i {
		ss.secs = append(ss.secs, second{})
	}
	t := &ss.secs[i]
	t.responses += s.responses
	t.failures += s.failures
	t.unexpected += s.unexpected
	t.latency.Merge(&s.latency)
}

// A secondBuffer is a worker's current second, not yet added to the series.
type secondBuffer struct {
	series *series
	i      int // which second cur holds; -1 before the first
	cur    second
}

// at returns the second that t falls in, flushing the previous one.
func (b *secondBuffer) at(t time.Time) *second {
	i := max(int(t.Sub(b.series.start)/time.Second), 0)
	if i != b.i {
		b.flush()
		b.i = i
	}
	return &b.cur
}

// flush adds the current second to the series.
func (b *secondBuffer) flush() {
	if b.i >= 0 {
		b.series.add(b.i, &b.cur)
		b.cur = second{}
	}
}

// coarseShift makes a coarseHistogram's bucket of 2^coarseShift of
// Histogram's.
const coarseShift = 3

// A coarseHistogram counts latencies in the buckets of Histogram merged
// eight by eight: bucket k is Histogram's buckets 8k .. 8k+7, at most
// 1/16 of its values wide, so a percentile is within about 3%, plenty
// for a chart. At 2 KB it is small enough to keep one per second of a
// long run, which a Histogram (31 KB) is not.
type coarseHistogram struct {
	counts [numBuckets >> coarseShift]uint32
	count  uint64
}

func (h *coarseHistogram) Record(d time.Duration) {
	h.counts[bucketOf(max(d, 0))>>coarseShift]++
	h.count++
}

func (h *coarseHistogram) Merge(o *coarseHistogram) {
	for i, n := range o.counts {
		h.counts[i] += n
	}
	h.count += o.count
}

// Percentile returns the midpoint of the bucket that holds the value of
// rank ceil(q·count), 0 for an empty histogram.
func (h *coarseHistogram) Percentile(q float64) time.Duration {
	rank := max(uint64(math.Ceil(q*float64(h.count))), 1)
	var seen uint64
	for k, n := range h.counts {
		seen += uint64(n)
		if seen >= rank {
			lo, _ := bucketRange(k << coarseShift)
			_, hi := bucketRange(k<<coarseShift + 1<<coarseShift - 1)
			return lo + (hi-lo)/2
		}
	}
	return 0
}
