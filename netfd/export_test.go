package netfd

import (
	"os"
	"strconv"
)

// Backends only tests and benchmarks can ask for: the epoll driver with its
// poller goroutine blocking in epoll_wait on a locked OS thread, the design
// docs/design.md compares with the default.
const EpollThread Backend = "epoll-thread"

func init() {
	testDrivers = map[Backend]func() (driver, error){
		EpollThread: func() (driver, error) { return epollThread() },
	}
}

func init() {
	if s := os.Getenv("RINGNET_TEST_EPOLL_SPIN"); s != "" {
		spinRounds, _ = strconv.Atoi(s)
	}
}
