package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// secondCharts draws the runs second by second, each second a step:
// responses/s (solid) and failures/s (dashed: errors and statuses
// outside -expect-status), then p50 (solid) and p99 (dashed) latency.
func secondCharts(b *strings.Builder, shown []*result) {
	var rps, lat []chartLine
	for i, r := range shown {
		req, errs := chartLine{color: color(i)}, chartLine{color: color(i), dashed: true}
		p50, p99 := chartLine{color: color(i)}, chartLine{color: color(i), dashed: true}
		for k := range r.series {
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
	b.WriteString("<h2>Requests per second</h2>\n<p>Solid: responses/s; dashed: failures/s, errors and statuses outside -expect-status.</p>\n")
	timeChart(b, "requests per second", "per second", rps, fmtCount, shown)
	b.WriteString("<h2>Latency per second</h2>\n<p>Solid: p50; dashed: p99.</p>\n")
	timeChart(b, "latency per second", "latency", lat, func(y float64) string { return axisDur(time.Duration(y)) }, shown)
}

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
// zero, the y axis labelled by tick.
func timeChart(b *strings.Builder, label, yTitle string, lines []chartLine, tick func(float64) string, shown []*result) {
	var xMax, yMax float64
	for _, l := range lines {
		for _, s := range l.steps {
			xMax, yMax = max(xMax, s[1]), max(yMax, s[2])
		}
	}
	xMax, yMax = max(math.Ceil(xMax), 1), niceCeil(yMax)
	openSVG(b, label)
	for k := 0; k <= 4; k++ {
		y := padT + float64(plotH)*(1-float64(k)/4)
		fmt.Fprintf(b, `<line class="grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`+"\n", padL, y, padL+plotW, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", padL-6, y+4, tick(yMax*float64(k)/4))
		x := padL + float64(plotW*k)/4
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%.3gs</text>`+"\n", x, padT+plotH+16, xMax*float64(k)/4)
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
