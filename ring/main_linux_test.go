package ring

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// TestMain fails the run if the tests leave file descriptors open.
func TestMain(m *testing.M) {
	// The first timer starts the runtime poller (an epoll fd and an
	// eventfd); m.Run arms its alarm with AfterFunc, so do that before counting.
	time.AfterFunc(time.Hour, func() {}).Stop()
	before := openFDs()
	code := m.Run()
	if after := openFDs(); code == 0 && after != before {
		fmt.Fprintf(os.Stderr, "fd leak: %v open before the tests, %v after\n", before, after)
		code = 1
	}
	os.Exit(code)
}

func openFDs() string {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err.Error()
	}
	s := ""
	for _, e := range ents {
		l, _ := os.Readlink("/proc/self/fd/" + e.Name())
		s += e.Name() + "=" + l + " "
	}
	return s
}
