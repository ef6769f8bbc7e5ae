package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Histogram's layout is HdrHistogram's with 2 significant digits (256
// sub-buckets, the lower half of each bucket past the first shared with
// the one before) up to 2^maxBits ns: these are the numbers
// HdrHistogram's footer gives for it.
const (
	hdrSubBuckets = 2 * subCount
	hdrBuckets    = maxBits - subBits
)

// hgrmTicks is HdrHistogram's percentileTicksPerHalfDistance: 5 rows for
// each halving of the distance to 100%, as its tools and plotters expect.
const hgrmTicks = 5

// writeHgrmFile writes h to name in the format of HdrHistogram's
// outputPercentileDistribution (see writeHgrm).
func writeHgrmFile(name string, h *Histogram) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	writeHgrm(w, h)
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeHgrm writes h as HdrHistogram's outputPercentileDistribution
// writes a histogram with 5 ticks per half distance, values scaled to
// milliseconds: the column header, a row per percentile step (the
// highest value of the bucket the step falls in, the step, the count up
// to there and 1/(1-percentile)), the last row at 100% without that
// column, and the Mean/StdDeviation, Max/Total count and
// Buckets/SubBuckets footer. Values carry three decimals, a microsecond.
// Plotters such as HdrHistogram's plotFiles.html read it as it is.
func writeHgrm(w io.Writer, h *Histogram) {
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	fmt.Fprintf(w, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)")
	for _, p := range hgrmSteps(h) {
		q := p.level / 100
		if p.level == 100 {
			fmt.Fprintf(w, "%12.3f %2.12f %10d\n", ms(p.value), q, p.count)
		} else {
			fmt.Fprintf(w, "%12.3f %2.12f %10d %14.2f\n", ms(p.value), q, p.count, 1/(1-q))
		}
	}
	fmt.Fprintf(w, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", ms(h.Mean()), ms(h.stdDev()))
	fmt.Fprintf(w, "#[Max     = %12.3f, Total count    = %12d]\n", ms(h.Max()), h.Count())
	fmt.Fprintf(w, "#[Buckets = %12d, SubBuckets     = %12d]\n", hdrBuckets, hdrSubBuckets)
}

// An hgrmStep is one row of the distribution.
type hgrmStep struct {
	value time.Duration // the highest value of the bucket the step is reached in
	level float64       // the percentile step, 0..100
	count uint64        // values up to and including that bucket
}

// hgrmSteps walks h as HdrHistogram's PercentileIterator does: a step is
// reported at the first bucket whose cumulative share reaches it (a
// bucket may reach several), the steps narrow as they near 100%, the
// walk ends at the last value, and a final step at 100% repeats it.
func hgrmSteps(h *Histogram) []hgrmStep {
	if h.count == 0 {
		return nil
	}
	var (
		steps []hgrmStep
		level float64
		seen  uint64
		top   time.Duration
	)
	for i, n := range h.counts {
		if n == 0 {
			continue
		}
		seen += n
		_, top = bucketRange(i)
		for 100*float64(seen)/float64(h.count) >= level {
			steps = append(steps, hgrmStep{top, level, seen})
			level = nextHgrmLevel(level)
			if seen == h.count {
				break
			}
		}
		if seen == h.count {
			break
		}
	}
	return append(steps, hgrmStep{top, 100, h.count})
}

// nextHgrmLevel is PercentileIterator.incrementIterationLevel: the step
// after level, hgrmTicks of them per halving of the distance to 100%.
func nextHgrmLevel(level float64) float64 {
	halvings := int64(math.Log(100/(100-level)) / math.Log(2))
	ticks := hgrmTicks * math.Pow(2, float64(halvings+1))
	return level + 100/ticks
}

// stdDev returns the standard deviation of the values recorded, each
// taken as its bucket's midpoint.
func (h *Histogram) stdDev() time.Duration {
	if h.count == 0 {
		return 0
	}
	mean := h.sum / float64(h.count)
	var sq float64
	for i, n := range h.counts {
		if n == 0 {
			continue
		}
		lo, hi := bucketRange(i)
		d := float64(lo+(hi-lo)/2) - mean
		sq += float64(n) * d * d
	}
	return time.Duration(math.Sqrt(sq / float64(h.count)))
}

// hgrmName is the -hgrm file for backend b in a -compare run: the name
// with the backend before its extension, "lat.hgrm" to "lat.epoll.hgrm".
func hgrmName(name, b string) string {
	ext := filepath.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + b + ext
}
