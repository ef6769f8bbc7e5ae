package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// reportLoad prints the result of a -load run, as text or, with -json, as
// JSON; -html and -hgrm also write their files. It warns on stderr when
// the open model fell short of -rate, and names the statuses outside
// -expect-status. It returns the exit status: 130 if the run was
// interrupted, 1 if a request failed, a status was not expected or none
// completed.
func reportLoad(cfg *config, meta runMeta, r *result, stdout, stderr io.Writer) int {
	var err error
	if cfg.json {
		err = writeJSON(stdout, toJSON(cfg, meta, r))
	} else {
		_, err = io.WriteString(stdout, textReport(cfg, meta, r))
	}
	if err == nil && cfg.htmlFile != "" {
		err = os.WriteFile(cfg.htmlFile, []byte(htmlPage(cfg, meta, []*backendRuns{oneRun(r)})), 0o644)
	}
	if err == nil && cfg.hgrmFile != "" {
		err = writeHgrmFile(cfg.hgrmFile, &r.latency)
	}
	if w := r.rateWarning(cfg); w != "" {
		cfg.diag(stderr, "%s", w)
	}
	if l := cfg.expect.outsideLine(r.status); l != "" {
		cfg.diag(stderr, "client: %s: %s", r.backend, l)
	}
	switch {
	case err != nil:
		cfg.diag(stderr, "client: %v", err)
		return exitFailed
	case r.interrupted:
		return exitInterrupted
	case !r.ok(cfg.expect):
		return exitFailed
	}
	return exitOK
}

// runLine says what was run: "GET URL: 64 connections for 10s after a
// 2s warm-up, pipeline 4, open model at 1000 requests/s".
func runLine(cfg *config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d connections for %s", cfg.method, cfg.url, cfg.conns, runLength(cfg))
	if cfg.warmup > 0 {
		fmt.Fprintf(&b, " after a %v warm-up", cfg.warmup)
	}
	if cfg.pipeline > 0 {
		fmt.Fprintf(&b, ", pipeline %d", cfg.pipeline)
	}
	if cfg.rate > 0 {
		fmt.Fprintf(&b, ", open model at %g requests/s", cfg.rate)
	} else {
		b.WriteString(", closed model")
	}
	return b.String()
}

// runLength is how long the run was to last: "10s", "1000 requests" or
// "10s or 1000 requests".
func runLength(cfg *config) string {
	switch {
	case cfg.requests == 0:
		return cfg.duration.String()
	case cfg.duration == 0:
		return fmt.Sprintf("%d requests", cfg.requests)
	}
	return fmt.Sprintf("%v or %d requests", cfg.duration, cfg.requests)
}

// interruptedLine says that a run was cut short and how much of it ran.
func interruptedLine(cfg *config, elapsed time.Duration) string {
	planned := ""
	if cfg.duration > 0 {
		planned = fmt.Sprintf(" of %v", cfg.duration)
	}
	return fmt.Sprintf("INTERRUPTED after %.2fs%s: the numbers cover that part only", elapsed.Seconds(), planned)
}

func textReport(cfg *config, meta runMeta, r *result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, on %s\n", runLine(cfg), r.backend)
	if r.interrupted {
		fmt.Fprintf(&b, "  %s\n", interruptedLine(cfg, r.elapsed))
	}
	secs := r.elapsed.Seconds()
	fmt.Fprintf(&b, "  requests  %d in %.2fs = %.1f/s\n", r.requests, secs, r.rps())
	if cfg.rate > 0 {
		fmt.Fprintf(&b, "  rate      %s\n", rateLine(cfg, r))
	}
	fmt.Fprintf(&b, "  bytes     %s read = %s/s, %s written = %s/s\n",
		fmtBytes(r.conns.read), fmtBytes(perSecond(r.conns.read, r.elapsed)),
		fmtBytes(r.conns.written), fmtBytes(perSecond(r.conns.written, r.elapsed)))
	fmt.Fprintf(&b, "  connects  %d (%d failed)%s\n", r.conns.dials+r.conns.dialFailures, r.conns.dialFailures, afterWarmup(cfg))
	b.WriteString(errorLines(r))
	fmt.Fprintf(&b, "  status    %s\n", statusLine(cfg.expect, r.status))
	fmt.Fprintf(&b, "  latency   %s\n", latencyLine(&r.latency))
	fmt.Fprintf(&b, "  run       %s, backend %s\n", meta, r.backend)
	return b.String()
}

// afterWarmup qualifies the counts that leave the warm-up out where a
// reader might expect them to include it.
func afterWarmup(cfg *config) string {
	if cfg.warmup > 0 {
		return " after the warm-up"
	}
	return ""
}

func perSecond(n int64, d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(float64(n) / d.Seconds())
}

// rateLine compares what the open model sent with -rate: "target 1000/s,
// sent 998.0/s (99.8%); 12 late, 4 dropped".
func rateLine(cfg *config, r *result) string {
	share := r.sentShare()
	return fmt.Sprintf("target %g/s, sent %.1f/s (%.1f%%); %d late, %d dropped",
		cfg.rate, share*cfg.rate, 100*share, r.late, r.dropped)
}

func fmtRateWarning(cfg *config, r *result) string {
	return fmt.Sprintf("client: warning: %s sent %.1f requests/s, %.0f%% of -rate %g (%d due requests dropped, %d sent late): "+
		"the server or -c %d connections could not keep up, and the load was lighter than asked for",
		r.backend, r.sentShare()*cfg.rate, 100*r.sentShare(), cfg.rate, r.dropped, r.late, cfg.conns)
}

// errorLines is the errors row: the total, then a line per class that
// occurred with one of its messages.
func errorLines(r *result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  errors    %d\n", r.failed())
	for i, n := range r.errors {
		if n > 0 {
			fmt.Fprintf(&b, "            %s %d, e.g. %s\n", errClassNames[i], n, r.samples[i])
		}
	}
	return b.String()
}

// statusLine is the status row: the responses by code, and how many of
// them fell outside -expect-status.
func statusLine(expect statusSet, status map[int]uint64) string {
	line := fmtStatus(status)
	if out := expect.outside(status); out != nil {
		line += fmt.Sprintf(" (%d outside -expect-status %s)", sum(out), expect)
	}
	return line
}

// latencyLine is the latency row: its percentiles, or n/a when no
// response arrived (a run against a refused port has no latency, and
// 0ns would read as a fast one).
func latencyLine(h *Histogram) string {
	if h.Count() == 0 {
		return "n/a: no responses"
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (min %s, mean %s)",
		fmtDur(h.Percentile(0.50)), fmtDur(h.Percentile(0.90)), fmtDur(h.Percentile(0.99)),
		fmtDur(h.Percentile(0.999)), fmtDur(h.Max()), fmtDur(h.Min()), fmtDur(h.Mean()))
}

// fmtErrors is the total failures, with the classes that occurred.
func fmtErrors(errs [numErrClasses]uint64) string {
	var n uint64
	var parts []string
	for i, e := range errs {
		if e > 0 {
			n += e
			parts = append(parts, fmt.Sprintf("%s %d", errClassNames[i], e))
		}
	}
	if n == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%s)", n, strings.Join(parts, ", "))
}

// fmtDur shows a latency with three significant digits in a fitting unit.
func fmtDur(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return sig3(float64(d)/1e3) + "µs"
	case d < time.Second:
		return sig3(float64(d)/1e6) + "ms"
	}
	return sig3(d.Seconds()) + "s"
}

func sig3(x float64) string {
	switch {
	case x >= 100:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case x >= 10:
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

func fmtBytes(n int64) string {
	switch {
	case n < 1e3:
		return fmt.Sprintf("%d B", n)
	case n < 1e6:
		return sig3(float64(n)/1e3) + " kB"
	case n < 1e9:
		return sig3(float64(n)/1e6) + " MB"
	}
	return sig3(float64(n)/1e9) + " GB"
}
