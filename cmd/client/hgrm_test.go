package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The export has HdrHistogram's header, rows and footer, its percentile
// steps (0, 10, ... 50, 55, ... 75, 77.5, ...), values that grow with them
// and a last row at 100% with the total.
func TestHgrmFormat(t *testing.T) {
	var h Histogram
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	var out bytes.Buffer
	writeHgrm(&out, &h)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if want := "       Value     Percentile TotalCount 1/(1-Percentile)"; lines[0] != want || lines[1] != "" {
		t.Fatalf("header %q %q, want %q and an empty line", lines[0], lines[1], want)
	}
	n := len(lines)
	footer := []string{
		fmt.Sprintf("#[Mean    = %12.3f, StdDeviation   = %12.3f]", float64(h.Mean())/1e6, float64(h.stdDev())/1e6),
		"#[Max     =        1.000, Total count    =         1000]",
		"#[Buckets =           30, SubBuckets     =          256]",
	}
	for i, want := range footer {
		if got := lines[n-3+i]; got != want {
			t.Errorf("footer line %d: %q, want %q", i, got, want)
		}
	}
	rows := lines[2 : n-3]
	var levels []string
	prev := -1.0
	for i, row := range rows {
		f := strings.Fields(row)
		last := i == len(rows)-1
		if len(f) != 4 && !last || last && len(f) != 3 {
			t.Fatalf("row %q", row)
		}
		v, _ := strconv.ParseFloat(f[0], 64)
		if v < prev {
			t.Errorf("row %q: value below the previous row's", row)
		}
		prev = v
		levels = append(levels, f[1])
	}
	want := []string{"0.000000000000", "0.100000000000", "0.200000000000", "0.300000000000", "0.400000000000",
		"0.500000000000", "0.550000000000", "0.600000000000", "0.650000000000", "0.700000000000", "0.750000000000", "0.775000000000"}
	if strings.Join(levels[:len(want)], " ") != strings.Join(want, " ") {
		t.Errorf("steps %q, want them to start %q", levels, want)
	}
	if got := rows[0]; got != "       0.001 0.000000000000          1           1.00" {
		t.Errorf("first row %q", got)
	}
	if got := rows[len(rows)-1]; !strings.HasSuffix(got, " 1.000000000000       1000") {
		t.Errorf("last row %q", got)
	}
	if f := strings.Fields(rows[5]); f[1] != "0.500000000000" || f[2] != "501" || f[3] != "2.00" {
		t.Errorf("the 50%% row %q: want 501 values up to it (its bucket holds 500 and 501 µs)", rows[5])
	}
}

// An empty histogram is the header and footer alone.
func TestHgrmEmpty(t *testing.T) {
	var out bytes.Buffer
	writeHgrm(&out, &Histogram{})
	if n := strings.Count(out.String(), "\n"); n != 5 {
		t.Errorf("%d lines:\n%s", n, out.String())
	}
}

// -hgrm writes the file of a load run; under -compare, one per backend.
func TestLoadHgrm(t *testing.T) {
	file := filepath.Join(t.TempDir(), "lat.hgrm")
	code, _, errOut := runClient(t, "-load", "-backend", "std", "-c", "1", "-n", "20", "-hgrm", file, server(t)+"/text")
	b, err := os.ReadFile(file)
	if code != exitOK || err != nil || !strings.Contains(string(b), "Total count    =           20]") {
		t.Errorf("exit %d, stderr %q, %v:\n%s", code, errOut, err, b)
	}
	if got := hgrmName("/tmp/lat.hgrm", "epoll"); got != "/tmp/lat.epoll.hgrm" {
		t.Errorf("hgrmName: %q", got)
	}
}
