// Package leakcheck finds the file descriptors and goroutines a test left
// behind. Every per-backend test helper in this repository takes a Snapshot
// before its subtests and checks it after them; WarmUp first starts the
// backends' process-wide pollers and rings so that they are not counted.
package leakcheck

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// A Snapshot is the number of open descriptors and of goroutines at a moment.
type Snapshot struct{ fds, goroutines int }

// Take records the process's open descriptors and goroutines now.
func Take() Snapshot { return Snapshot{countFDs(), runtime.NumGoroutine()} }

// Wait waits up to timeout for descriptors and goroutines to be back to s
// (teardown runs asynchronously: closing conns, exiting goroutines) and
// returns "" or a report naming every open descriptor and every goroutine.
func (s Snapshot) Wait(timeout time.Duration) string {
	deadline := time.Now().Add(timeout)
	for {
		now := Take()
		if now.fds <= s.fds && now.goroutines <= s.goroutines {
			return ""
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			return fmt.Sprintf("leak: %d fds (was %d), %d goroutines (was %d):\n%s\n%s",
				now.fds, s.fds, now.goroutines, s.goroutines, fdList(), buf)
		}
		time.Sleep(10 * time.Millisecond) // polling for teardown, not synchronizing a test
	}
}

// Check fails t if, after up to 5 s, descriptors or goroutines outnumber s.
// It does nothing if t already failed. The report also goes to stderr: go
// test without -v drops the log of a parent test that fails in Cleanup
// after parallel subtests.
func (s Snapshot) Check(t testing.TB) {
	t.Helper()
	if t.Failed() {
		return
	}
	if report := s.Wait(5 * time.Second); report != "" {
		fmt.Fprintln(os.Stderr, t.Name()+": "+report)
		t.Fatal(report)
	}
}

func countFDs() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	return len(ents)
}

func fdList() string {
	ents, _ := os.ReadDir("/proc/self/fd")
	var b strings.Builder
	for _, e := range ents {
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		fmt.Fprintf(&b, "fd %s -> %s\n", e.Name(), target)
	}
	return b.String()
}
