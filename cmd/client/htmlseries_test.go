package main

import (
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// seriesRun is a run of elapsed time with n responses of 1 ms in each
// whole second and last in the partial one after them.
func seriesRun(elapsed time.Duration, n, last uint64) *result {
	r := &result{backend: backend{name: "epoll", nb: "epoll"}, elapsed: elapsed, status: map[int]uint64{}}
	whole := int(elapsed / time.Second)
	for k := 0; k <= whole; k++ {
		s := second{responses: n}
		if k == whole {
			s.responses = last
		}
		for range s.responses {
			s.latency.Record(time.Millisecond)
			r.latency.Record(time.Millisecond)
		}
		r.series = append(r.series, s)
		r.requests += s.responses
	}
	r.status[200] = r.requests
	return r
}

// chart returns the SVG of the page whose aria-label is label.
func chart(t *testing.T, page, label string) string {
	t.Helper()
	i := strings.Index(page, `aria-label="`+label+`"`)
	if i < 0 {
		t.Fatalf("no chart %q", label)
	}
	return page[i : i+strings.Index(page[i:], "</svg>")]
}

// The per-second charts run along the run's own time, to its end, and
// leave out its last partial second, shaded: 3 s at 1000/s then 256
// responses in 4 ms (a 64k/s spike) chart as 1k/s to 3 s, on an axis up
// to 1k, ticked every half second to 3 s.
func TestChartPartialSecond(t *testing.T) {
	cfg, err := parseArgs([]string{"-load", "-c", "256", "-d", "3s", "http://127.0.0.1:1/"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	page := htmlPage(cfg, currentMeta(), []*backendRuns{oneRun(seriesRun(3004*time.Millisecond, 1000, 256))})
	rps := chart(t, page, "requests per second")
	ticks := regexp.MustCompile(`>([\d.]+)s</text>`).FindAllStringSubmatch(rps, -1)
	var xs []string
	for _, m := range ticks {
		xs = append(xs, m[1])
	}
	if got := strings.Join(xs, " "); got != "0 0.5 1 1.5 2 2.5 3" {
		t.Errorf("x ticks %s, want 0 to 3 every 0.5", got)
	}
	if !strings.Contains(rps, `>1k</text>`) || strings.Count(rps, `k</text>`) != 1 || !strings.Contains(rps, `class="partial"`) {
		t.Errorf("y axis to 1k with the partial second shaded, not charted:\n%s", rps)
	}
	// The solid line ends at 3 s: x = padL + plotW·3/3.004.
	line := regexp.MustCompile(`stroke-width="1.5" points="([^"]*)"`).FindStringSubmatch(rps)
	pts := strings.Fields(line[1])
	last, _ := strconv.ParseFloat(strings.Split(pts[len(pts)-1], ",")[0], 64)
	if want := padL + plotW*3/3.004; len(pts) != 6 || last < want-0.1 || last > want+0.1 {
		t.Errorf("responses/s line %q: want 3 steps to x %.1f", pts, want)
	}
	if !strings.Contains(page, "Shaded: the last 4.00ms, less than a second, not charted") {
		t.Errorf("the page does not say what is shaded")
	}

	// A run shorter than a second has only its partial second: drawn.
	page = htmlPage(cfg, currentMeta(), []*backendRuns{oneRun(seriesRun(300*time.Millisecond, 0, 300))})
	rps = chart(t, page, "requests per second")
	if strings.Contains(rps, `class="partial"`) || !strings.Contains(rps, `>1k</text>`) || !strings.Contains(rps, `>0.3s</text>`) {
		t.Errorf("300 ms run: want its 1000/s drawn to 0.3 s, unshaded:\n%s", rps)
	}
}
