//go:build linux

package netfd

import (
	"os"
	"runtime"
	"strconv"
	"sync"

	"github.com/ringnet/ringnet/ring"
)

// Backends only tests and benchmarks can ask for: the epoll driver with its
// poller goroutine blocking in epoll_wait on a locked OS thread, the design
// docs/design.md compares with the default.
const EpollThread Backend = "epoll-thread"

// Variants of the io_uring driver that docs/design.md compares.
const (
	UringPerP        Backend = "uring-perp"        // one ring per P
	UringNoCoop      Backend = "uring-nocoop"      // without COOP_TASKRUN
	UringEnterEach   Backend = "uring-entereach"   // every submitter enters itself
	UringNoPollFirst Backend = "uring-nopollfirst" // recv never polls first
)

func init() {
	variant := func(flags uint32, shards int, enterEach bool, noPollFirst ...bool) func() (driver, error) {
		return sync.OnceValues(func() (driver, error) {
			d, err := newUringDriver(flags, shards)
			if err != nil {
				return nil, err
			}
			for _, u := range d.shards {
				u.enterEach = enterEach
				u.noPollFirst = len(noPollFirst) > 0
			}
			return d, nil
		})
	}
	n := runtime.GOMAXPROCS(0)
	testDrivers = map[Backend]func() (driver, error){
		EpollThread:      func() (driver, error) { return epollThread() },
		UringPerP:        variant(uringFlags, n, false),
		UringNoCoop:      variant(ring.SetupCQSize|ring.SetupSubmitAll, 1, false),
		UringEnterEach:   variant(uringFlags, 1, true),
		UringNoPollFirst: variant(uringFlags, 1, false, true),
	}
}

func init() {
	if s := os.Getenv("RINGNET_TEST_EPOLL_SPIN"); s != "" {
		spinRounds, _ = strconv.Atoi(s)
	}
}

// IsTestBackend reports whether b is one of the variants above.
func IsTestBackend(b Backend) bool { _, ok := testDrivers[b]; return ok }
