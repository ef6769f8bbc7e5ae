package main

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// Every value falls in a bucket that contains it, buckets follow each other
// without gaps, and none is wider than 1/128 of its values.
func TestHistogramBuckets(t *testing.T) {
	check := func(v time.Duration) {
		i := bucketOf(v)
		lo, hi := bucketRange(i)
		if v < lo || v > hi {
			t.Fatalf("%d ns in bucket %d = [%d, %d]", v, i, lo, hi)
		}
		if width := float64(hi - lo + 1); lo >= subCount && width/float64(lo) > 1.0/128 {
			t.Fatalf("bucket %d = [%d, %d] is %.3f%% wide", i, lo, hi, 100*width/float64(lo))
		}
	}
	for v := range time.Duration(1 << 16) {
		check(v)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		check(time.Duration(rng.Int64N(int64(maxValue))))
	}
	for i := 1; i < numBuckets; i++ {
		_, prevHi := bucketRange(i - 1)
		lo, _ := bucketRange(i)
		if lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, bucket %d ends at %d", i, lo, i-1, prevHi)
		}
	}
	if got := bucketOf(maxValue); got != numBuckets-1 {
		t.Errorf("bucketOf(maxValue) = %d, want the last bucket %d", got, numBuckets-1)
	}
	if got := bucketOf(time.Hour); got != numBuckets-1 {
		t.Errorf("bucketOf(1h) = %d, want the last bucket %d", got, numBuckets-1)
	}
}

// Percentiles of known data are within 1% of the exact ones; count, min,
// max and mean are exact.
func TestHistogramPercentiles(t *testing.T) {
	var h Histogram
	const n = 100000
	rng := rand.New(rand.NewPCG(3, 4))
	for _, i := range rng.Perm(n) { // 1 µs .. 100 ms, in random order
		h.Record(time.Duration(i+1) * time.Microsecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration // the value of rank ceil(q·n)
	}{
		{0, 1 * time.Microsecond},
		{0.5, 50 * time.Millisecond},
		{0.9, 90 * time.Millisecond},
		{0.99, 99 * time.Millisecond},
		{0.999, 99900 * time.Microsecond},
		{0.9999, 99990 * time.Microsecond},
		{1, 100 * time.Millisecond},
	} {
		got := h.Percentile(tc.q)
		if rel := math.Abs(float64(got-tc.want)) / float64(tc.want); rel > 0.01 {
			t.Errorf("Percentile(%v) = %v, want %v within 1%% (off by %.2f%%)", tc.q, got, tc.want, 100*rel)
		}
	}
	if h.Count() != n || h.Min() != time.Microsecond || h.Max() != 100*time.Millisecond {
		t.Errorf("count %d, min %v, max %v", h.Count(), h.Min(), h.Max())
	}
	if want := (n + 1) * time.Microsecond / 2; h.Mean() != want {
		t.Errorf("mean %v, want %v", h.Mean(), want)
	}
}

// A histogram of a few values reads them back exactly at their ranks.
func TestHistogramSmall(t *testing.T) {
	var h Histogram
	if h.Percentile(0.5) != 0 || h.Max() != 0 || h.Mean() != 0 {
		t.Fatal("empty histogram is not all zero")
	}
	for _, v := range []time.Duration{5, 100, 7} { // ns: exact buckets
		h.Record(v)
	}
	for q, want := range map[float64]time.Duration{0.1: 5, 0.34: 7, 0.5: 7, 0.67: 100, 1: 100} {
		if got := h.Percentile(q); got != want {
			t.Errorf("Percentile(%v) = %v, want %v", q, got, want)
		}
	}
	h.Record(10 * time.Minute) // beyond the precise range: counted, Max exact
	if h.Max() != 10*time.Minute || h.Percentile(1) != 10*time.Minute || h.Percentile(0.9) > 10*time.Minute {
		t.Errorf("max %v, p100 %v, p90 %v", h.Max(), h.Percentile(1), h.Percentile(0.9))
	}
}

// Merging histograms gives the histogram of all their values.
func TestHistogramMerge(t *testing.T) {
	var a, b, all Histogram
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 10000 {
		v := time.Duration(rng.ExpFloat64() * float64(time.Millisecond))
		all.Record(v)
		if i%3 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
	}
	var m Histogram
	m.Merge(&a)
	m.Merge(&Histogram{})
	m.Merge(&b)
	if m.counts != all.counts || m.Count() != all.Count() || m.Min() != all.Min() || m.Max() != all.Max() {
		t.Errorf("merged: count %d min %v max %v; all: count %d min %v max %v",
			m.Count(), m.Min(), m.Max(), all.Count(), all.Min(), all.Max())
	}
	if d := m.Mean() - all.Mean(); d < -1 || d > 1 {
		t.Errorf("merged mean %v, all %v", m.Mean(), all.Mean())
	}
}
