package main

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"time"
)

// htmlPage returns a self-contained page for -html: what was run and on
// what, the summary numbers per backend (medians over the rounds of a
// -compare run), and inline SVG charts of each backend's (median) run:
// latency by percentile (on a log axis of "nines"), the latency
// distribution (share of responses per tenth of a decade), and requests,
// errors and latency second by second. No script, no external asset.
func htmlPage(cfg *config, meta runMeta, bs []*backendRuns) string {
	var b strings.Builder
	title := html.EscapeString(cfg.method + " " + cfg.url.String())
	fmt.Fprintf(&b, htmlHead, title, title, html.EscapeString(runLine(cfg)))
	if cfg.mode == modeCompare {
		fmt.Fprintf(&b, "<p>Per backend: %s. The charts show the same median rounds.</p>\n", roundsLine(cfg))
	}
	metaTable(&b, meta, bs)
	htmlNotes(&b, cfg, bs)
	shown := summaryTable(&b, cfg, bs)
	if len(shown) == 0 {
		b.WriteString("<p>No responses: nothing to chart.</p>\n")
	} else {
		lo, hi := latencyDecades(shown)
		b.WriteString("<h2>Latency by percentile</h2>\n")
		percentileChart(&b, shown, lo, hi)
		b.WriteString("<h2>Latency distribution</h2>\n")
		distributionChart(&b, shown, lo, hi)
		secondCharts(&b, shown)
	}
	b.WriteString("</body>\n</html>\n")
	return b.String()
}

const htmlHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ringnet client: %s</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 820px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: .25em .7em; text-align: right; border-bottom: 1px solid #ddd; }
th:first-child, td:first-child { text-align: left; }
table.meta td { text-align: left; }
.warn { color: #a40000; font-weight: bold; }
svg { display: block; margin: .5em 0 1.5em; }
svg text { font: 11px system-ui, sans-serif; fill: #444; }
.grid { stroke: #e4e4e4; }
.axis { stroke: #888; }
</style>
</head>
<body>
<h1>%s</h1>
<p>%s.</p>
`

// metaTable lists when and on what the run was made.
func metaTable(b *strings.Builder, m runMeta, bs []*backendRuns) {
	names := make([]string, len(bs))
	for i, br := range bs {
		names[i] = br.backend.String()
	}
	b.WriteString("<table class=\"meta\">\n")
	for _, row := range [][2]string{
		{"date", m.Date}, {"ringnet", m.Version}, {"Go", m.Go}, {"kernel", "Linux " + m.Kernel},
		{"CPU", fmt.Sprintf("%d × %s", m.CPUs, m.CPU)}, {"backend", strings.Join(names, ", ")},
	} {
		fmt.Fprintf(b, "<tr><td>%s</td><td>%s</td></tr>\n", row[0], html.EscapeString(row[1]))
	}
	b.WriteString("</table>\n")
}

// htmlNotes says what the open model sent against -rate, and warns of
// statuses outside -expect-status, an interrupted run and a rate not
// reached.
func htmlNotes(b *strings.Builder, cfg *config, bs []*backendRuns) {
	for _, br := range bs {
		if l := cfg.expect.outsideLine(br.status()); l != "" {
			fmt.Fprintf(b, "<p class=\"warn\">%s: %s.</p>\n", html.EscapeString(br.backend.String()), html.EscapeString(l))
		}
		if m := br.median(); m != nil && cfg.rate > 0 {
			fmt.Fprintf(b, "<p>%s: %s.</p>\n", html.EscapeString(br.backend.String()), rateLine(cfg, m))
		}
		for _, r := range br.runs {
			if r.interrupted {
				fmt.Fprintf(b, "<p class=\"warn\">%s: %s.</p>\n", html.EscapeString(br.backend.String()), html.EscapeString(interruptedLine(cfg, r.elapsed)))
			}
			if w := r.rateWarning(cfg); w != "" {
				fmt.Fprintf(b, "<p class=\"warn\">%s.</p>\n", html.EscapeString(strings.TrimPrefix(w, "client: ")))
			}
		}
	}
}

// summaryTable writes a row per backend, its median round's numbers but
// for the errors and statuses of every round, and returns the median
// rounds of those that got responses, in the order of their colours.
func summaryTable(b *strings.Builder, cfg *config, bs []*backendRuns) []*result {
	b.WriteString("<table>\n<tr><th>backend</th><th>requests</th><th>req/s</th><th>errors</th><th>status</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>\n")
	var shown []*result
	for _, br := range bs {
		name := html.EscapeString(br.backend.String())
		switch {
		case br.err != nil:
			fmt.Fprintf(b, "<tr><td>%s</td><td colspan=\"9\">unavailable: %s</td></tr>\n", name, html.EscapeString(br.err.Error()))
			continue
		case len(br.runs) == 0:
			fmt.Fprintf(b, "<tr><td>%s</td><td colspan=\"9\">not run: interrupted</td></tr>\n", name)
			continue
		}
		if br.responded() {
			name = legendEntry(br.backend.String(), len(shown))
			shown = append(shown, br.median())
		}
		fmt.Fprintf(b, "<tr><td>%s</td><td>%d</td><td>%s</td><td>%s</td>%s%s</tr>\n", name, br.median().requests,
			fmtSpread(br.spreadOf(rpsOf), func(x float64) string { return fmt.Sprintf("%.0f", x) }),
			html.EscapeString(fmtErrors(br.errors())), statusCell(cfg.expect, br.status()), latencyCells(br))
	}
	b.WriteString("</table>\n")
	return shown
}

// statusCell is the status cell of a summary row: the responses by
// code, those outside -expect-status marked.
func statusCell(expect statusSet, status map[int]uint64) string {
	if len(status) == 0 {
		return "<td>none</td>"
	}
	var parts []string
	for _, part := range strings.Split(fmtStatus(status), ", ") {
		code, _ := strconv.Atoi(part[:3])
		if !expect.has(code) {
			part = `<span class="warn">` + part + "</span>"
		}
		parts = append(parts, part)
	}
	return "<td>" + strings.Join(parts, ", ") + "</td>"
}

// latencyCells are the percentile cells of a summary row: the median
// round's; n/a without responses.
func latencyCells(br *backendRuns) string {
	if !br.responded() {
		return strings.Repeat("<td>n/a</td>", 5)
	}
	dur := func(x float64) string { return fmtDur(durOf(x)) }
	var b strings.Builder
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		fmt.Fprintf(&b, "<td>%s</td>", dur(br.spreadOf(pOf(q)).median))
	}
	fmt.Fprintf(&b, "<td>%s</td>", dur(br.spreadOf(maxOf).median))
	return b.String()
}

// The plot area of both charts, in SVG user units.
const (
	chartW, chartH         = 800, 360
	padL, padR, padT, padB = 70, 20, 15, 45
	plotW, plotH           = chartW - padL - padR, chartH - padT - padB
	samplesPerChart        = 400
	binsPerDecade          = 10
)

var seriesColors = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"}

func color(i int) string { return seriesColors[i%len(seriesColors)] }

func legendEntry(name string, i int) string {
	return fmt.Sprintf(`<span style="color:%s">■</span> %s`, color(i), html.EscapeString(name))
}

// latencyDecades returns the powers of ten that bracket every latency of
// the runs shown, as exponents of nanoseconds.
func latencyDecades(shown []*result) (lo, hi int) {
	lo, hi = math.MaxInt, math.MinInt
	for _, r := range shown {
		lo = min(lo, int(math.Floor(math.Log10(float64(max(r.latency.Min(), 1))))))
		hi = max(hi, int(math.Ceil(math.Log10(float64(max(r.latency.Max(), 1))))))
	}
	return lo, max(hi, lo+1)
}

// logPos maps d onto [0, 1] across the decades lo..hi.
func logPos(d time.Duration, lo, hi int) float64 {
	v := math.Log10(float64(max(d, 1)))
	return (v - float64(lo)) / float64(hi-lo)
}

func percentileChart(b *strings.Builder, shown []*result, lo, hi int) {
	var most uint64
	for _, r := range shown {
		most = max(most, r.latency.Count())
	}
	// The x axis runs to the nines the samples can resolve: 99.9% needs 1000.
	nines := min(max(int(math.Floor(math.Log10(float64(most)))), 2), 6)
	openSVG(b, "latency by percentile")
	for k := 0; k <= nines; k++ {
		x := padL + float64(plotW*k)/float64(nines)
		fmt.Fprintf(b, `<line class="grid" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>`+"\n", x, padT, x, padT+plotH)
		anchor := "middle"
		if k == nines {
			anchor = "end"
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="%s">%s</text>`+"\n", x, padT+plotH+16, anchor, ninesLabel(k))
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">percentile</text>`+"\n", padL+plotW/2, chartH-6)
	latencyAxis(b, lo, hi, false)
	for i, r := range shown {
		var pts strings.Builder
		for s := 0; s <= samplesPerChart; s++ {
			n := float64(nines) * float64(s) / samplesPerChart
			d := r.latency.Percentile(1 - math.Pow(10, -n))
			fmt.Fprintf(&pts, "%.1f,%.1f ", padL+plotW*n/float64(nines), padT+plotH*(1-logPos(d, lo, hi)))
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", color(i), strings.TrimSpace(pts.String()))
	}
	legend(b, shown)
	b.WriteString("</svg>\n")
}

// ninesLabel names the percentile k nines out: 0%, 90%, 99%, 99.9%, ...
func ninesLabel(k int) string {
	switch k {
	case 0:
		return "0%"
	case 1:
		return "90%"
	case 2:
		return "99%"
	}
	return "99." + strings.Repeat("9", k-2) + "%"
}

// axisDur is fmtDur without trailing zeros, for tick labels: "5ms", "2.5ms".
func axisDur(d time.Duration) string {
	s := fmtDur(d)
	num := strings.TrimRight(s, "nµms")
	unit := s[len(num):]
	if strings.Contains(num, ".") {
		num = strings.TrimRight(strings.TrimRight(num, "0"), ".")
	}
	return num + unit
}

func distributionChart(b *strings.Builder, shown []*result, lo, hi int) {
	bins := (hi - lo) * binsPerDecade
	shares := make([][]float64, len(shown))
	top := 0.0
	for i, r := range shown {
		shares[i] = make([]float64, bins)
		h := &r.latency
		for k, n := range h.counts {
			if n == 0 {
				continue
			}
			bl, bh := bucketRange(k)
			bin := int(logPos(bl+(bh-bl)/2, lo, hi) * float64(bins))
			shares[i][min(max(bin, 0), bins-1)] += float64(n) / float64(h.Count())
		}
		for _, s := range shares[i] {
			top = max(top, s)
		}
	}
	top = niceCeil(top)
	openSVG(b, "latency distribution")
	for k := 0; k <= 4; k++ {
		y := padT + float64(plotH)*(1-float64(k)/4)
		fmt.Fprintf(b, `<line class="grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`+"\n", padL, y, padL+plotW, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%.3g%%</text>`+"\n", padL-6, y+4, top*100*float64(k)/4)
	}
	fmt.Fprintf(b, `<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">share of responses</text>`+"\n", padT+plotH/2, padT+plotH/2)
	latencyAxis(b, lo, hi, true)
	for i := range shown {
		var pts strings.Builder
		for k, s := range shares[i] {
			x0 := padL + float64(plotW*k)/float64(bins)
			x1 := padL + float64(plotW*(k+1))/float64(bins)
			y := padT + float64(plotH)*(1-s/top)
			fmt.Fprintf(&pts, "%.1f,%.1f %.1f,%.1f ", x0, y, x1, y)
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", color(i), strings.TrimSpace(pts.String()))
	}
	legend(b, shown)
	b.WriteString("</svg>\n")
}

func openSVG(b *strings.Builder, label string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`+"\n",
		chartW, chartH, chartW, chartH, label)
	fmt.Fprintf(b, `<rect class="axis" fill="none" x="%d" y="%d" width="%d" height="%d"/>`+"\n", padL, padT, plotW, plotH)
}

// latencyAxis draws the log latency axis, at 1, 2 and 5 times each power
// of ten (only the powers when there are many): vertical (the y axis) for the percentile chart, horizontal for
// the distribution.
func latencyAxis(b *strings.Builder, lo, hi int, horizontal bool) {
	for e := lo; e <= hi; e++ {
		for _, m := range []float64{1, 2, 5} {
			if (e == hi || hi-lo > 5) && m > 1 { // past 5 decades, 2 and 5 would crowd the labels
				break
			}
			d := time.Duration(m * math.Pow(10, float64(e)))
			p := logPos(d, lo, hi)
			class := `class="grid"`
			if m > 1 {
				class += ` stroke-dasharray="2 3"`
			}
			if horizontal {
				x := padL + float64(plotW)*p
				fmt.Fprintf(b, `<line %s x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>`+"\n", class, x, padT, x, padT+plotH)
				fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x, padT+plotH+16, axisDur(d))
			} else {
				y := padT + float64(plotH)*(1-p)
				fmt.Fprintf(b, `<line %s x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`+"\n", class, padL, y, padL+plotW, y)
				fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", padL-6, y+4, axisDur(d))
			}
		}
	}
	if horizontal {
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">latency</text>`+"\n", padL+plotW/2, chartH-6)
	} else {
		fmt.Fprintf(b, `<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">latency</text>`+"\n", padT+plotH/2, padT+plotH/2)
	}
}

func legend(b *strings.Builder, shown []*result) {
	// A backing so that lines under the legend do not run through it.
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="110" height="%d" fill="white" fill-opacity="0.85"/>`+"\n", padL+6, padT+3, 16*len(shown)+6)
	for i, r := range shown {
		y := padT + 16 + 16*i
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
			padL+12, y-9, color(i), padL+26, y, html.EscapeString(r.backend.String()))
	}
}

// niceCeil rounds x up to 1, 2 or 5 times a power of ten.
func niceCeil(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if x <= m*p {
			return m * p
		}
	}
	return 10 * p
}
