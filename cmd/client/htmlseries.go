package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// secondCharts draws the runs second by second, each second a step:
// responses/s (solid) and failures/s (dashed: errors and statuses
// outside -expect-status), then p50 (solid) and p99 (dashed) latency.
// The x axis is the run's time, to its end; the seconds past the whole
// ones (chartedSeconds) are shaded and not drawn.
func secondCharts(b *strings.Builder, shown []*result) {
	var rps, lat []chartLine
	ax := timeAxis{whole: math.Inf(1)}
	for i, r := range shown {
		req, errs := chartLine{color: color(i)}, chartLine{color: color(i), dashed: true}
		p50, p99 := chartLine{color: color(i)}, chartLine{color: color(i), dashed: true}
		ax.end, ax.whole = max(ax.end, r.elapsed.Seconds()), min(ax.whole, chartedUntil(r))
		for k := range min(len(r.series), int(math.Ceil(chartedUntil(r)))) {
			s := &r.series[k]
			x0, span := float64(k), secondLength(r, k).Seconds()
			req.step(x0, x0+span, float64(s.responses)/span)
			errs.step(x0, x0+span, float64(s.failures+s.unexpected)/span)
			if s.latency.count > 0 {
				p50.step(x0, x0+span, float64(s.latency.Percentile(0.5)))
				p99.step(x0, x0+span, float64(s.latency.Percentile(0.99)))
			}
		}
		rps = append(rps, req, errs)
		lat = append(lat, p50, p99)
	}
	partial := ""
	if ax.tail() {
		tail := time.Duration((ax.end - ax.whole) * float64(time.Second))
		partial = fmt.Sprintf(" Shaded: the last %s, less than a second, not charted (mostly the requests still in flight at the end: its rate would read as a spike or a drop); its responses count in the totals.", fmtDur(tail))
	}
	b.WriteString("<h2>Requests per second</h2>\n<p>Solid: responses/s; dashed: failures/s, errors and statuses outside -expect-status." + partial + "</p>\n")
	timeChart(b, "requests per second", "per second", rps, fmtCount, shown, ax)
	b.WriteString("<h2>Latency per second</h2>\n<p>Solid: p50; dashed: p99." + partial + "</p>\n")
	timeChart(b, "latency per second", "latency", lat, func(y float64) string { return axisDur(time.Duration(y)) }, shown, ax)
}

// chartedUntil returns the seconds of r the charts draw: the whole ones.
// The last second is cut short by the end of the run, and what completes
// in it is mostly what was in flight then: 256 responses in its 3 ms read
// as 85k/s. A run shorter than a second has only that one, which is
// drawn.
func chartedUntil(r *result) float64 {
	if r.elapsed < time.Second {
		return r.elapsed.Seconds()
	}
	return math.Floor(r.elapsed.Seconds())
}

// A timeAxis is the x axis of the charts over time: from 0 to the end of
// the longest run, drawn up to whole seconds, the rest shaded.
type timeAxis struct{ end, whole float64 }

// tail reports whether part of the axis is not charted.
func (a timeAxis) tail() bool { return a.end > a.whole }

// A chartLine is one line of a timeChart: steps of (from, to, value), x
// in seconds; a step that does not start where the last ended begins a
// new stretch of line.
type chartLine struct {
	color  string
	dashed bool
	steps  [][3]float64
}

func (l *chartLine) step(x0, x1, y float64) { l.steps = append(l.steps, [3]float64{x0, x1, y}) }

// fmtCount labels a count axis: 500, 1.5k, 20k, 1.2M.
func fmtCount(y float64) string {
	switch {
	case y >= 1e6:
		return fmt.Sprintf("%.3gM", y/1e6)
	case y >= 1e3:
		return fmt.Sprintf("%.3gk", y/1e3)
	}
	return fmt.Sprintf("%.3g", y)
}

// timeChart draws lines over the seconds of the run on linear axes from
// zero, x along ax, the y axis labelled by tick.
func timeChart(b *strings.Builder, label, yTitle string, lines []chartLine, tick func(float64) string, shown []*result, ax timeAxis) {
	var yMax float64
	for _, l := range lines {
		for _, s := range l.steps {
			yMax = max(yMax, s[2])
		}
	}
	xMax, yMax := max(ax.end, 1e-3), niceCeil(yMax)
	openSVG(b, label)
	if ax.tail() {
		x0 := padL + plotW*ax.whole/xMax
		fmt.Fprintf(b, `<rect class="partial" x="%.1f" y="%d" width="%.1f" height="%d" fill="#eee"/>`+"\n", x0, padT, padL+plotW-x0, plotH)
	}
	for k := 0; k <= 4; k++ {
		y := padT + float64(plotH)*(1-float64(k)/4)
		fmt.Fprintf(b, `<line class="grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`+"\n", padL, y, padL+plotW, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", padL-6, y+4, tick(yMax*float64(k)/4))
	}
	step := niceCeil(xMax / 8)
	for k := 0.0; k*step <= xMax*(1+1e-9); k++ {
		x := padL + plotW*k*step/xMax
		fmt.Fprintf(b, `<line class="grid" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>`+"\n", x, padT, x, padT+plotH)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%ss</text>`+"\n", x, padT+plotH+16, strconv.FormatFloat(k*step, 'g', 6, 64))
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">seconds</text>`+"\n", padL+plotW/2, chartH-6)
	fmt.Fprintf(b, `<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">%s</text>`+"\n", padT+plotH/2, padT+plotH/2, yTitle)
	for _, l := range lines {
		drawSteps(b, l, xMax, yMax)
	}
	legend(b, shown)
	b.WriteString("</svg>\n")
}

// drawSteps draws l as polylines, one per unbroken stretch of steps.
func drawSteps(b *strings.Builder, l chartLine, xMax, yMax float64) {
	dash := ""
	if l.dashed {
		dash = ` stroke-dasharray="5 4"`
	}
	var pts strings.Builder
	flush := func() {
		if pts.Len() > 0 {
			fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5"%s points="%s"/>`+"\n", l.color, dash, strings.TrimSpace(pts.String()))
			pts.Reset()
		}
	}
	end := math.NaN()
	for _, s := range l.steps {
		if s[0] != end {
			flush()
		}
		y := padT + plotH*(1-s[2]/yMax)
		fmt.Fprintf(&pts, "%.1f,%.1f %.1f,%.1f ", padL+plotW*s[0]/xMax, y, padL+plotW*s[1]/xMax, y)
		end = s[1]
	}
	flush()
}
