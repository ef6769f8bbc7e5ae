package main

import (
	"math"
	"math/bits"
	"time"
)

// A Histogram counts latencies in log-linear buckets, the layout of
// HdrHistogram: values below 2^subBits nanoseconds each have a bucket of
// their own, and every power-of-two range above is split into 2^subBits
// equal buckets. A bucket is then at most 1/128 of its values wide, so a
// percentile read back as the bucket's midpoint is within 0.4% of the
// recorded value, across 1 ns .. maxValue (137 s); larger values fall in
// the top bucket. Count, Min, Max and Mean are exact.
//
// The zero value is an empty histogram ready to use. A Histogram is not
// safe for concurrent use: each load worker records into its own and they
// are merged at the end.
type Histogram struct {
	counts [numBuckets]uint64
	count  uint64
	sum    float64 // nanoseconds; float so that long runs cannot overflow
	min    time.Duration
	max    time.Duration
}

const (
	subBits    = 7
	subCount   = 1 << subBits // buckets per power of two, and exact buckets below it
	maxBits    = 37           // values up to 2^37 ns, about 137 s, are bucketed precisely
	numBuckets = subCount * (maxBits - subBits + 1)
	maxValue   = time.Duration(1)<<maxBits - 1
)

// bucketOf returns the index of the bucket that counts v nanoseconds.
func bucketOf(v time.Duration) int {
	if v < 0 {
		v = 0
	}
	if v > maxValue {
		v = maxValue
	}
	if v < subCount {
		return int(v)
	}
	exp := bits.Len64(uint64(v)) - 1 // 2^exp <= v < 2^(exp+1), exp >= subBits
	shift := exp - subBits
	return subCount*(shift+1) + int(uint64(v)>>shift) - subCount
}

// bucketRange returns the smallest and largest values bucket i counts.
func bucketRange(i int) (lo, hi time.Duration) {
	if i < subCount {
		return time.Duration(i), time.Duration(i)
	}
	shift := i/subCount - 1
	lo = time.Duration(subCount+i%subCount) << shift
	return lo, lo + time.Duration(1)<<shift - 1
}

// Record counts one value.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(d)]++
	if h.count == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.count++
	h.sum += float64(d)
}

// Merge adds every value counted by o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.count == 0 {
		return
	}
	for i, n := range o.counts {
		h.counts[i] += n
	}
	if h.count == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.count += o.count
	h.sum += o.sum
}

// Count returns the number of values recorded.
func (h *Histogram) Count() uint64 { return h.count }

// Min returns the smallest value recorded, 0 if none.
func (h *Histogram) Min() time.Duration { return h.min }

// Max returns the largest value recorded, 0 if none.
func (h *Histogram) Max() time.Duration { return h.max }

// Mean returns the average of the values recorded, 0 if none.
func (h *Histogram) Mean() time.Duration {
	if h.count == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.count))
}

// Percentile returns the value below or at which a fraction q (0..1) of
// the recorded values lie: the value of rank ceil(q·count), read as the
// midpoint of its bucket and kept within [Min, Max]. It returns 0 for an
// empty histogram and Max for q >= 1.
func (h *Histogram) Percentile(q float64) time.Duration {
	if h.count == 0 {
		return 0
	}
	if q >= 1 {
		return h.max
	}
	rank := uint64(math.Ceil(q * float64(h.count)))
	rank = max(rank, 1)
	var seen uint64
	for i, n := range h.counts {
		seen += n
		if seen >= rank {
			lo, hi := bucketRange(i)
			return min(max(lo+(hi-lo)/2, h.min), h.max)
		}
	}
	return h.max
}
