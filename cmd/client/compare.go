package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"
)

// compare runs the same load on every backend of compareBackends, -rounds
// times, interleaved (epoll, uring, std, epoll, uring, std, ...) so that a
// machine that drifts (thermal throttling, a noisy neighbour) hurts them
// alike, and one after another so that they do not compete for the CPU.
// It reports each backend's median round (by requests/s): every number of
// a report, table, JSON and page, and every chart, is that round's, with
// the range over the rounds beside requests/s and p99; errors and statuses
// are those of every round, and say so. A backend that cannot run here
// gets a row that says why.
func compare(ctx context.Context, cfg *config, stdout, stderr io.Writer) int {
	meta := currentMeta()
	bs := make([]*backendRuns, len(compareBackends))
	for i, name := range compareBackends {
		b, err := parseBackend(name)
		bs[i] = &backendRuns{backend: b, err: err}
	}
	runRounds(ctx, cfg.rounds, bs, func(b backend) *result { return runLoad(ctx, cfg, b) })
	return reportCompare(cfg, meta, bs, ctx.Err() != nil, stdout, stderr)
}

// runRounds runs each backend of bs that can run here once per round, in
// the order of bs within a round, until ctx is done.
func runRounds(ctx context.Context, rounds int, bs []*backendRuns, run func(backend) *result) {
	for range rounds {
		for _, br := range bs {
			if ctx.Err() != nil {
				return
			}
			if br.err == nil {
				br.runs = append(br.runs, run(br.backend))
			}
		}
	}
}

// backendRuns are a backend's rounds of a -compare run.
type backendRuns struct {
	backend backend
	err     error     // the backend cannot run here; no runs
	runs    []*result // in the order run
}

// oneRun is a -load run in the shape of a -compare one, for the page.
func oneRun(r *result) *backendRuns { return &backendRuns{backend: r.backend, runs: []*result{r}} }

// median returns the round with the median requests/s (the lower middle
// one for an even count), or nil if there is none.
func (br *backendRuns) median() *result {
	if len(br.runs) == 0 {
		return nil
	}
	rs := slices.Clone(br.runs)
	slices.SortStableFunc(rs, func(a, b *result) int { return cmpFloat(a.rps(), b.rps()) })
	return rs[(len(rs)-1)/2]
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// A spread is one number over the rounds: its value in the median round,
// which the report shows, and its least and greatest.
type spread struct{ median, min, max float64 }

// spreadOf returns f over the rounds.
func (br *backendRuns) spreadOf(f func(*result) float64) spread {
	m := br.median()
	if m == nil {
		return spread{math.NaN(), math.NaN(), math.NaN()}
	}
	s := spread{f(m), math.Inf(1), math.Inf(-1)}
	for _, r := range br.runs {
		s.min, s.max = min(s.min, f(r)), max(s.max, f(r))
	}
	return s
}

// Functions of a round for spreadOf.
func rpsOf(r *result) float64 { return r.rps() }
func p99Of(r *result) float64 { return float64(r.latency.Percentile(0.99)) }
func pOf(q float64) func(*result) float64 {
	return func(r *result) float64 { return float64(r.latency.Percentile(q)) }
}
func maxOf(r *result) float64 { return float64(r.latency.Max()) }

// responded reports whether every round got a response, so that its
// latencies mean something.
func (br *backendRuns) responded() bool {
	for _, r := range br.runs {
		if r.requests == 0 {
			return false
		}
	}
	return len(br.runs) > 0
}

// errors adds up the failures of every round.
func (br *backendRuns) errors() [numErrClasses]uint64 {
	var e [numErrClasses]uint64
	for _, r := range br.runs {
		for i, n := range r.errors {
			e[i] += n
		}
	}
	return e
}

// status adds up the responses by status code of every round.
func (br *backendRuns) status() map[int]uint64 {
	s := map[int]uint64{}
	for _, r := range br.runs {
		for code, n := range r.status {
			s[code] += n
		}
	}
	return s
}

// latency merges the latencies of every round.
func (br *backendRuns) latency() *Histogram {
	var h Histogram
	for _, r := range br.runs {
		h.Merge(&r.latency)
	}
	return &h
}

// reportCompare prints a -compare run as a markdown table or, with -json,
// a JSON array; -html and -hgrm also write their files. It returns the
// exit status: 130 if interrupted; 1 if a backend that ran failed a
// request or completed none in a round; a backend that could not run
// fails nothing.
func reportCompare(cfg *config, meta runMeta, bs []*backendRuns, interrupted bool, stdout, stderr io.Writer) int {
	var err error
	if cfg.json {
		err = writeJSON(stdout, compareJSON(cfg, meta, bs, interrupted))
	} else {
		_, err = io.WriteString(stdout, compareTable(cfg, meta, bs, interrupted))
	}
	if err == nil && cfg.htmlFile != "" {
		err = os.WriteFile(cfg.htmlFile, []byte(htmlPage(cfg, meta, bs)), 0o644)
	}
	for _, br := range bs {
		if err == nil && cfg.hgrmFile != "" && len(br.runs) > 0 {
			err = writeHgrmFile(hgrmName(cfg.hgrmFile, br.backend.name), br.latency())
		}
		for _, r := range br.runs {
			if w := r.rateWarning(cfg); w != "" {
				cfg.diag(stderr, "%s", w)
			}
		}
		if l := cfg.expect.outsideLine(br.status()); l != "" {
			cfg.diag(stderr, "client: %s, all rounds: %s", br.backend, l)
		}
	}
	if err != nil {
		cfg.diag(stderr, "client: %v", err)
		return exitFailed
	}
	if interrupted {
		return exitInterrupted
	}
	for _, br := range bs {
		for _, r := range br.runs {
			if !r.ok(cfg.expect) {
				return exitFailed
			}
		}
	}
	return exitOK
}

// roundsLine says how the rounds were run.
func roundsLine(cfg *config) string {
	if cfg.rounds == 1 {
		return "one round"
	}
	return fmt.Sprintf("the median of %d rounds interleaved (by req/s, with the range over the rounds; errors and statuses of all rounds)", cfg.rounds)
}

// compareTable is the markdown table of a -compare run: per backend its
// median round's requests/s, percentiles and max (with the range over the
// rounds of requests/s and p99 when they differ), all rounds' errors and
// statuses, and the median rounds' ratios to std's.
func compareTable(cfg *config, meta runMeta, bs []*backendRuns, interrupted bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, per backend, %s\n", runLine(cfg), roundsLine(cfg))
	fmt.Fprintf(&b, "  run %s\n", meta)
	if interrupted {
		b.WriteString("  INTERRUPTED: the rounds that ran, the last of them cut short\n")
	}
	b.WriteString("\n| backend | req/s | p50 | p99 | p99.9 | max | errors | status | req/s vs std | p99 vs std |\n")
	b.WriteString("|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	std := stdRuns(bs)
	for _, br := range bs {
		b.WriteString(compareRow(cfg, br, std))
	}
	return b.String()
}

// compareRow is one backend's row of compareTable.
func compareRow(cfg *config, br, std *backendRuns) string {
	switch {
	case br.err != nil:
		return fmt.Sprintf("| %s | unavailable: %s | | | | | | | | |\n", br.backend, strings.ReplaceAll(br.err.Error(), "|", "/"))
	case len(br.runs) == 0:
		return fmt.Sprintf("| %s | not run: interrupted | | | | | | | | |\n", br.backend)
	}
	rpsRatio, p99Ratio := ratios(br, std)
	rps := br.spreadOf(rpsOf)
	cells := []string{br.backend.String(), fmtSpread(rps, func(x float64) string { return fmt.Sprintf("%.0f", x) })}
	if br.responded() {
		dur := func(x float64) string { return fmtDur(durOf(x)) }
		cells = append(cells, dur(br.spreadOf(pOf(0.5)).median), fmtSpread(br.spreadOf(p99Of), dur),
			dur(br.spreadOf(pOf(0.999)).median), dur(br.spreadOf(maxOf).median))
	} else {
		cells = append(cells, "n/a", "n/a", "n/a", "n/a")
	}
	cells = append(cells, fmtErrors(br.errors()), statusLine(cfg.expect, br.status()), fmtRatio(rpsRatio), fmtRatio(p99Ratio))
	return "| " + strings.Join(cells, " | ") + " |\n"
}

func durOf(x float64) time.Duration { return time.Duration(math.Round(x)) }

// fmtSpread shows the median, with the range after it when the rounds
// differ: "51234 (49800–52011)".
func fmtSpread(s spread, f func(float64) string) string {
	if s.min == s.max {
		return f(s.median)
	}
	return fmt.Sprintf("%s (%s–%s)", f(s.median), f(s.min), f(s.max))
}

// stdRuns returns the std backend of bs if it ran, or nil.
func stdRuns(bs []*backendRuns) *backendRuns {
	for _, br := range bs {
		if br.backend.name == "std" && len(br.runs) > 0 {
			return br
		}
	}
	return nil
}

// ratios returns the requests/s and p99 of br's median round divided by
// those of std's; NaN where there is nothing to divide by.
func ratios(br, std *backendRuns) (rps, p99 float64) {
	rps, p99 = math.NaN(), math.NaN()
	if std == nil || len(br.runs) == 0 {
		return
	}
	if s := std.spreadOf(rpsOf).median; s > 0 {
		rps = br.spreadOf(rpsOf).median / s
	}
	if s := std.spreadOf(p99Of).median; s > 0 && std.responded() && br.responded() {
		p99 = br.spreadOf(p99Of).median / s
	}
	return
}

func fmtRatio(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.2f×", x)
}
