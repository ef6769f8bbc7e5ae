package main

import (
	"fmt"
	"io"
	"time"
)

// startProgress ticks one line on out each second while a run lasts, the
// line rewritten in place; the returned function stops it and erases the
// line. With a nil out it does nothing: the report alone is the output.
func startProgress(out io.Writer, b backend, start time.Time, workers []*worker) (stop func()) {
	if out == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		var last uint64
		for {
			select {
			case <-done:
				fmt.Fprint(out, "\r\033[K")
				return
			case now := <-tick.C:
				var n, failed uint64
				for _, w := range workers {
					n += w.responses.Load()
					failed += w.failures.Load()
				}
				fmt.Fprint(out, "\r\033[K"+progressLine(b, now.Sub(start), n, n-last, failed))
				last = n
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// progressLine is the text of the progress line: the backend, the time
// so far, the responses so far, those of the last second and the failures.
func progressLine(b backend, elapsed time.Duration, responses, lastSecond, failed uint64) string {
	return fmt.Sprintf("%s %4.0fs  %d responses  %d/s  %d failed", b, elapsed.Seconds(), responses, lastSecond, failed)
}
