package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringnet/ringnet/internal/backendtest"
)

// -compare runs every backend -rounds times and prints a table with one
// row each, the medians with their range and the ratios to std; -json
// prints an array with every round.
func TestCompare(t *testing.T) {
	backendtest.Backend{Name: "uring", NB: "uring"}.Available(t)
	url := server(t) + "/text"
	code, out, errOut := runClient(t, "-compare", "-rounds", "2", "-c", "2", "-d", "150ms", url)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || errOut != "" || len(lines) != 8 {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	if want := "GET " + url + ": 2 connections for 150ms, closed model, per backend, the median of 2 rounds interleaved " +
		"(by req/s, with the range over the rounds; errors and statuses of all rounds)"; lines[0] != want {
		t.Errorf("first line %q, want %q", lines[0], want)
	}
	if !strings.HasPrefix(lines[1], "  run 20") {
		t.Errorf("no run metadata: %q", lines[1])
	}
	if want := "| backend | req/s | p50 | p99 | p99.9 | max | errors | status | req/s vs std | p99 vs std |"; lines[3] != want {
		t.Errorf("table head %q, want %q", lines[3], want)
	}
	row := regexp.MustCompile(`^\| (\w+) \| [1-9]\d*( \(\d+–\d+\))? \| \S+ \| \S+( \(\S+–\S+\))? \| \S+ \| \S+ \| 0 \| 200: [1-9]\d* \| (\d+\.\d\d)× \| (\d+\.\d\d)× \|$`)
	var names []string
	for _, l := range lines[5:] {
		m := row.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("row %q", l)
			continue
		}
		names = append(names, m[1])
		if m[1] == "std" && (m[4] != "1.00" || m[5] != "1.00") {
			t.Errorf("std row %q: ratios to itself are not 1.00", l)
		}
	}
	if !slices.Equal(names, []string{"epoll", "uring", "std"}) {
		t.Errorf("rows %q, want epoll, uring, std", names)
	}

	code, out, _ = runClient(t, "-compare", "-json", "-rounds", "2", "-c", "2", "-d", "100ms", url)
	var rs []jsonBackend
	if err := json.Unmarshal([]byte(out), &rs); err != nil || code != exitOK || len(rs) != 3 {
		t.Fatalf("-compare -json: exit %d, %v:\n%s", code, err, out)
	}
	for i, want := range []string{"epoll", "uring", "std"} {
		r := rs[i]
		if r.Backend != want || r.Requests == 0 || r.RPSvsStd == nil || r.P99vsStd == nil || len(r.Rounds) != 2 ||
			r.RPSRounds == nil || !(r.RPSRounds.Min <= r.RPSRounds.Median && r.RPSRounds.Median <= r.RPSRounds.Max) || r.Meta.Go == "" {
			t.Errorf("-compare -json [%d]: %+v", i, r)
		}
	}
}

// Rounds interleave the backends, and one that cannot run is skipped.
func TestRunRounds(t *testing.T) {
	bs := []*backendRuns{{backend: backend{name: "epoll"}}, {backend: backend{name: "uring"}, err: errors.New("no")}, {backend: backend{name: "std"}}}
	var order []string
	runRounds(context.Background(), 3, bs, func(b backend) *result {
		order = append(order, b.name)
		return &result{backend: b}
	})
	if want := "epoll std epoll std epoll std"; strings.Join(order, " ") != want {
		t.Errorf("order %q, want %q", order, want)
	}
	if len(bs[0].runs) != 3 || len(bs[1].runs) != 0 {
		t.Errorf("runs: %d, %d", len(bs[0].runs), len(bs[1].runs))
	}
}

// fakeRun is a round with n responses of latency d in a second.
func fakeRun(name string, n int, d time.Duration) *result {
	r := &result{backend: backend{name: name, nb: "x"}, elapsed: time.Second, status: map[int]uint64{}}
	if n > 0 {
		r.status[200] = uint64(n)
	}
	for range n {
		r.latency.Record(d)
	}
	r.requests = uint64(n)
	return r
}

// Every report shows the median round's numbers (by req/s), with the range
// over the rounds, the ratios of median rounds, and n/a for latency
// without responses: epoll's median round has a p99 of 1 ms, where the
// median of its rounds' p99s would be 3 ms, and 200 requests, where the
// rounds add up to 600.
func TestCompareMedian(t *testing.T) {
	cfg, err := parseArgs([]string{"-compare", "-rounds", "3", "-c", "8", "-d", "1s", "http://127.0.0.1:1/"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	epoll := &backendRuns{backend: backend{name: "epoll", nb: "epoll"}, runs: []*result{
		fakeRun("epoll", 300, 3*time.Millisecond), fakeRun("epoll", 100, 5*time.Millisecond), fakeRun("epoll", 200, 1*time.Millisecond),
	}}
	std := &backendRuns{backend: backend{name: "std"}, runs: []*result{
		fakeRun("std", 100, 4*time.Millisecond), fakeRun("std", 100, 4*time.Millisecond), fakeRun("std", 100, 4*time.Millisecond),
	}}
	dead := &backendRuns{backend: backend{name: "uring", nb: "uring"}, runs: []*result{fakeRun("uring", 0, 0), fakeRun("uring", 0, 0), fakeRun("uring", 0, 0)}}
	if m := epoll.median(); m.requests != 200 {
		t.Errorf("median round has %d requests, want 200", m.requests)
	}
	bs := []*backendRuns{epoll, dead, std}
	var out bytes.Buffer
	code := reportCompare(cfg, currentMeta(), bs, false, &out, io.Discard)
	want := "| epoll | 200 (100–300) | 1.00ms | 1.00ms (1.00ms–5.00ms) | 1.00ms | 1.00ms | 0 | 200: 600 | 2.00× | 0.25× |\n" +
		"| uring | 0 | n/a | n/a | n/a | n/a | 0 | none | 0.00× | - |\n" +
		"| std | 100 | 4.00ms | 4.00ms | 4.00ms | 4.00ms | 0 | 200: 300 | 1.00× | 1.00× |\n"
	if code != exitFailed || !strings.HasSuffix(out.String(), want) {
		t.Errorf("exit %d (want 1: uring completed nothing), table:\n%s\nwant it to end with:\n%s", code, out.String(), want)
	}

	j := compareJSON(cfg, currentMeta(), bs, false)[0]
	if j.Requests != 200 || j.RequestsPerSecond != 200 || j.LatencyMicros.P99 != 1000 || *j.RPSRounds != (jsonSpread{200, 100, 300}) ||
		*j.P99Rounds != (jsonSpread{1000, 1000, 5000}) || *j.RPSvsStd != 2 || *j.P99vsStd != 0.25 {
		t.Errorf("-json: %+v, rounds %+v %+v", j, *j.RPSRounds, *j.P99Rounds)
	}
	page := htmlPage(cfg, currentMeta(), bs)
	if want := "</span> epoll</td><td>200</td><td>200 (100–300)</td><td>0</td><td>200: 600</td><td>1.00ms</td><td>1.00ms</td><td>1.00ms</td><td>1.00ms</td><td>1.00ms</td></tr>"; !strings.Contains(page, want) {
		t.Errorf("-html: no row %q in\n%s", want, page)
	}
}

// A backend that cannot run here gets a row that says why and fails
// nothing; without a std run there are no ratios.
func TestCompareTableUnavailable(t *testing.T) {
	cfg, err := parseArgs([]string{"-compare", "-rounds", "1", "-c", "8", "-d", "1s", "http://127.0.0.1:1/"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ran := &result{backend: backend{name: "epoll", nb: "epoll"}, elapsed: time.Second, status: map[int]uint64{200: 3}}
	for _, ms := range []time.Duration{1, 2, 3} {
		ran.latency.Record(ms * time.Millisecond)
	}
	ran.requests = 3
	bs := []*backendRuns{oneRun(ran), {backend: backend{name: "uring"}, err: errors.New("io_uring: operation not permitted | EPERM")}}
	var out bytes.Buffer
	if code := reportCompare(cfg, currentMeta(), bs, false, &out, io.Discard); code != exitOK {
		t.Errorf("exit %d with a backend unavailable, want %d", code, exitOK)
	}
	want := "| epoll | 3 | 2.00ms | 3.00ms | 3.00ms | 3.00ms | 0 | 200: 3 | - | - |\n" +
		"| uring | unavailable: io_uring: operation not permitted / EPERM | | | | | | | | |\n"
	if !strings.HasSuffix(out.String(), want) {
		t.Errorf("table:\n%s\nwant it to end with:\n%s", out.String(), want)
	}
}
