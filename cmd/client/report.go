package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// report prints the results of a -load run (one) or a -compare run (one
// per backend): as text or a markdown table, or as JSON with -json; with
// -html it also writes the page. It returns the exit status: failed if
// any run failed a request or completed none.
func report(cfg *config, rs []*result, stdout, stderr io.Writer) int {
	var err error
	switch {
	case cfg.json && cfg.mode == modeCompare:
		err = writeJSON(stdout, compareJSON(cfg, rs))
	case cfg.json:
		err = writeJSON(stdout, toJSON(cfg, rs[0], nil))
	case cfg.mode == modeCompare:
		_, err = io.WriteString(stdout, compareTable(cfg, rs))
	default:
		_, err = io.WriteString(stdout, textReport(cfg, rs[0]))
	}
	if err == nil && cfg.htmlFile != "" {
		err = os.WriteFile(cfg.htmlFile, []byte(htmlPage(cfg, rs)), 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "client: %v\n", err)
		return exitFailed
	}
	for _, r := range rs {
		if !r.ok() {
			return exitFailed
		}
	}
	return exitOK
}

// runLine says what was run: "GET URL: 64 connections for 2s, pipeline 4, rate 1000/s".
func runLine(cfg *config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d connections for %v", cfg.method, cfg.url, cfg.conns, cfg.duration)
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

func textReport(cfg *config, r *result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, on %s\n", runLine(cfg), r.backend)
	secs := r.elapsed.Seconds()
	fmt.Fprintf(&b, "  requests  %d in %.2fs = %.1f/s\n", r.requests, secs, float64(r.requests)/secs)
	fmt.Fprintf(&b, "  bytes     %s read = %s/s, %s written = %s/s\n",
		fmtBytes(r.bytes.read), fmtBytes(int64(float64(r.bytes.read)/secs)),
		fmtBytes(r.bytes.written), fmtBytes(int64(float64(r.bytes.written)/secs)))
	fmt.Fprintf(&b, "  errors    %d", r.failed())
	sep := " ("
	for i, n := range r.errors {
		fmt.Fprintf(&b, "%s%s %d", sep, errClassNames[i], n)
		sep = ", "
	}
	b.WriteString(")\n")
	fmt.Fprintf(&b, "  status    %s\n", fmtStatus(r.status))
	h := &r.latency
	fmt.Fprintf(&b, "  latency   p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (min %s, mean %s)\n",
		fmtDur(h.Percentile(0.50)), fmtDur(h.Percentile(0.90)), fmtDur(h.Percentile(0.99)),
		fmtDur(h.Percentile(0.999)), fmtDur(h.Max()), fmtDur(h.Min()), fmtDur(h.Mean()))
	return b.String()
}

// compareTable is the markdown table of a -compare run, with each
// backend's requests/s and p99 as ratios to std's.
func compareTable(cfg *config, rs []*result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, per backend\n\n", runLine(cfg))
	b.WriteString("| backend | req/s | p50 | p99 | p99.9 | max | errors | req/s vs std | p99 vs std |\n")
	b.WriteString("|:--|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	std := stdResult(rs)
	for _, r := range rs {
		if r.err != nil {
			fmt.Fprintf(&b, "| %s | unavailable: %s | | | | | | | |\n", r.backend, strings.ReplaceAll(r.err.Error(), "|", "/"))
			continue
		}
		h := &r.latency
		rpsRatio, p99Ratio := ratios(r, std)
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s | %s | %s | %s | %s |\n",
			r.backend, r.rps(), fmtDur(h.Percentile(0.50)), fmtDur(h.Percentile(0.99)),
			fmtDur(h.Percentile(0.999)), fmtDur(h.Max()), fmtErrors(r), fmtRatio(rpsRatio), fmtRatio(p99Ratio))
	}
	return b.String()
}

func (r *result) rps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

// stdResult returns the std run of rs, or nil if there is none that ran.
func stdResult(rs []*result) *result {
	for _, r := range rs {
		if r.backend.name == "std" && r.err == nil {
			return r
		}
	}
	return nil
}

// ratios returns r's requests/s and p99 divided by std's; NaN where there
// is nothing to divide by.
func ratios(r, std *result) (rps, p99 float64) {
	rps, p99 = math.NaN(), math.NaN()
	if std == nil {
		return
	}
	if s := std.rps(); s > 0 {
		rps = r.rps() / s
	}
	if s := std.latency.Percentile(0.99); s > 0 && r.latency.Count() > 0 {
		p99 = float64(r.latency.Percentile(0.99)) / float64(s)
	}
	return
}

func fmtRatio(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.2f×", x)
}

// fmtErrors is the total failures, with the classes that occurred.
func fmtErrors(r *result) string {
	n := r.failed()
	if n == 0 {
		return "0"
	}
	var parts []string
	for i, e := range r.errors {
		if e > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", errClassNames[i], e))
		}
	}
	return fmt.Sprintf("%d (%s)", n, strings.Join(parts, ", "))
}

// fmtStatus lists the responses by status code: "200: 1234, 404: 5".
func fmtStatus(status map[int]uint64) string {
	if len(status) == 0 {
		return "none"
	}
	codes := make([]int, 0, len(status))
	for c := range status {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%d: %d", c, status[c])
	}
	return strings.Join(parts, ", ")
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

// A jsonResult is the -json form of a result; the field names are the
// schema scripts rely on.
type jsonResult struct {
	URL               string            `json:"url"`
	Method            string            `json:"method"`
	Backend           string            `json:"backend"`
	Unavailable       string            `json:"unavailable,omitempty"`
	Connections       int               `json:"connections"`
	Pipeline          int               `json:"pipeline"`
	Rate              float64           `json:"rate"`
	DurationSeconds   float64           `json:"duration_s"`
	ElapsedSeconds    float64           `json:"elapsed_s"`
	Requests          uint64            `json:"requests"`
	RequestsPerSecond float64           `json:"requests_per_s"`
	BytesRead         int64             `json:"bytes_read"`
	BytesReadPerSec   float64           `json:"bytes_read_per_s"`
	BytesWritten      int64             `json:"bytes_written"`
	Errors            map[string]uint64 `json:"errors"`
	Status            map[string]uint64 `json:"status"`
	LatencyMicros     jsonLatency       `json:"latency_us"`
	RPSvsStd          *float64          `json:"rps_vs_std,omitempty"`
	P99vsStd          *float64          `json:"p99_vs_std,omitempty"`
}

type jsonLatency struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}

// toJSON converts r; with std non-nil it adds the ratios to std.
func toJSON(cfg *config, r *result, std *result) jsonResult {
	j := jsonResult{
		URL: cfg.url.String(), Method: cfg.method, Backend: r.backend.String(),
		Connections: cfg.conns, Pipeline: cfg.pipeline, Rate: cfg.rate,
		DurationSeconds: cfg.duration.Seconds(), ElapsedSeconds: r.elapsed.Seconds(),
		Requests: r.requests, RequestsPerSecond: r.rps(),
		BytesRead: r.bytes.read, BytesWritten: r.bytes.written,
		Errors: map[string]uint64{"total": r.failed()}, Status: map[string]uint64{},
	}
	if r.err != nil {
		j.Unavailable = r.err.Error()
	}
	if r.elapsed > 0 {
		j.BytesReadPerSec = float64(r.bytes.read) / r.elapsed.Seconds()
	}
	for i, n := range r.errors {
		j.Errors[errClassNames[i]] = n
	}
	for code, n := range r.status {
		j.Status[strconv.Itoa(code)] = n
	}
	h := &r.latency
	us := func(d time.Duration) float64 { return math.Round(float64(d)/100) / 10 }
	j.LatencyMicros = jsonLatency{
		Min: us(h.Min()), Mean: us(h.Mean()), P50: us(h.Percentile(0.5)), P90: us(h.Percentile(0.9)),
		P99: us(h.Percentile(0.99)), P999: us(h.Percentile(0.999)), Max: us(h.Max()),
	}
	if std != nil && r.err == nil {
		rps, p99 := ratios(r, std)
		if !math.IsNaN(rps) {
			j.RPSvsStd = &rps
		}
		if !math.IsNaN(p99) {
			j.P99vsStd = &p99
		}
	}
	return j
}

func compareJSON(cfg *config, rs []*result) []jsonResult {
	std := stdResult(rs)
	out := make([]jsonResult, len(rs))
	for i, r := range rs {
		out[i] = toJSON(cfg, r, std)
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
