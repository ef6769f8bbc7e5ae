package leakcheck

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestWaitSeesLeaksAndTheirEnd(t *testing.T) {
	s := Take()
	f, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	go func() { <-stop }()
	report := s.Wait(50 * time.Millisecond)
	if !strings.Contains(report, "/dev/null") || !strings.Contains(report, "leak:") {
		t.Fatalf("report misses the open file:\n%.300s", report)
	}
	f.Close()
	close(stop)
	if report := s.Wait(5 * time.Second); report != "" {
		t.Fatalf("still reported after cleanup:\n%.300s", report)
	}
}
