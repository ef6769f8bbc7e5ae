//go:build linux

package netfd

import (
	"os"
	"runtime"
	"strconv"
	"sync"

	"github.com/ringnet/ringnet/ring"
)

// Backends only tests and benchmarks can ask for: variants of the drivers
// that docs/design.md compares, and one that stresses a full SQ.
const (
	EpollThread      Backend = "epoll-thread"      // poller blocking in epoll_wait on a locked OS thread
	UringPerP        Backend = "uring-perp"        // one ring per P
	UringNoCoop      Backend = "uring-nocoop"      // without COOP_TASKRUN
	UringEnterEach   Backend = "uring-entereach"   // every submitter enters itself
	UringNoPollFirst Backend = "uring-nopollfirst" // recv never polls first
	UringSmallSQ     Backend = "uring-smallsq"     // an 8-entry SQ: submissions keep finding it full
)

type uringVariant struct {
	flags       uint32
	shards      int
	sq          uint32
	enterEach   bool
	noPollFirst bool
}

func (v uringVariant) driver() func() (driver, error) {
	return sync.OnceValues(func() (driver, error) {
		d, err := newUringDriver(v.flags, v.shards, v.sq)
		if err != nil {
			return nil, err
		}
		for _, u := range d.shards {
			u.enterEach, u.noPollFirst = v.enterEach, v.noPollFirst
		}
		return d, nil
	})
}

func init() {
	std := uringVariant{flags: uringFlags, shards: 1, sq: uringEntries}
	perP, noCoop, enterEach, noPollFirst, smallSQ := std, std, std, std, std
	perP.shards = runtime.GOMAXPROCS(0)
	noCoop.flags = ring.SetupCQSize | ring.SetupSubmitAll
	enterEach.enterEach = true
	noPollFirst.noPollFirst = true
	smallSQ.sq = 8
	testDrivers = map[Backend]func() (driver, error){
		EpollThread:      func() (driver, error) { return epollThread() },
		UringPerP:        perP.driver(),
		UringNoCoop:      noCoop.driver(),
		UringEnterEach:   enterEach.driver(),
		UringNoPollFirst: noPollFirst.driver(),
		UringSmallSQ:     smallSQ.driver(),
	}
	if s := os.Getenv("RINGNET_TEST_EPOLL_SPIN"); s != "" {
		spinRounds, _ = strconv.Atoi(s)
	}
}

// IsTestBackend reports whether b is one of the variants above.
func IsTestBackend(b Backend) bool { _, ok := testDrivers[b]; return ok }
