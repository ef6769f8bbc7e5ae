package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringnet/ringnet/internal/testtool"
)

// The -html page of a real run, as headless Chromium parses and draws it:
// the DOM holds the four charts, and the screenshot shows the run's lines
// and the shaded partial second of the charts over time.
func TestHTMLInChromium(t *testing.T) {
	chromium := testtool.Path(t, "chromium", "chromium")
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	code, _, errOut := runClient(t, "-load", "-backend", "std", "-c", "2", "-d", "1200ms", "-html", file, server(t)+"/text")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	browse := func(args ...string) []byte {
		t.Helper()
		args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
			"--user-data-dir=" + filepath.Join(dir, "profile")}, args...)
		cmd := exec.CommandContext(ctx, chromium, append(args, "file://"+file)...)
		var out, errs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errs
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %q: %v\n%s", args, err, errs.Bytes())
		}
		return out.Bytes()
	}

	dom := string(browse("--dump-dom"))
	for _, label := range []string{"latency by percentile", "latency distribution", "requests per second", "latency per second"} {
		if !strings.Contains(dom, `aria-label="`+label+`"`) {
			t.Errorf("Chromium's DOM has no chart %q", label)
		}
	}
	if n := strings.Count(dom, "<polyline"); n < 6 || !strings.Contains(dom, `class="partial"`) || !strings.HasSuffix(strings.TrimSpace(dom), "</html>") {
		t.Errorf("Chromium's DOM: %d polylines, want 6 or more, and the partial second shaded:\n%s", n, dom)
	}

	shot := filepath.Join(dir, "shot.png")
	browse("--window-size=900,2600", "--screenshot="+shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The charts draw the run's colour: lines across 730 px, 2700 pixels
	// in one screenshot, none in a blank one. The shading of the partial
	// second is a rectangle of #eee in each chart over time: 0.2 s of 1.2
	// of 730 px by 300 px, twice (97000 pixels in one screenshot).
	if n := pixels(img, 0x1f, 0x77, 0xb4); n < 1500 {
		t.Errorf("%d pixels of the run's colour #1f77b4, want 1500 or more", n)
	}
	if n := pixels(img, 0xee, 0xee, 0xee); n < 2*60*300 {
		t.Errorf("%d pixels of the shading #eee, want %d or more", n, 2*60*300)
	}
}

// pixels counts the pixels of img of the colour r, g, b, within 8 of
// each channel for the colour's antialiased edges.
func pixels(img image.Image, r, g, b uint8) int {
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if near(pr, r) && near(pg, g) && near(pb, b) {
				n++
			}
		}
	}
	return n
}

// near reports whether the 16-bit channel c is within 8 of the 8-bit v.
func near(c uint32, v uint8) bool {
	d := int(c>>8) - int(v)
	return -8 <= d && d <= 8
}
