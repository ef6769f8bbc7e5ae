//go:build linux

package netfd

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/ringnet/ringnet/epoll"
	"github.com/ringnet/ringnet/ring"
	"golang.org/x/sys/unix"
)

// Backends only tests and benchmarks can ask for: the driver designs that
// docs/design.md measured and dropped, kept here so that the benchmarks can
// compare them again, and two that stress a full SQ and an overflowing CQ. Every variant is
// written in this file on top of the production drivers.
//
// Not kept: every submitter entering the kernel itself instead of the single
// flusher (uring-entereach); it would need a second submission path in the
// driver. docs/design.md has its figures.
const (
	EpollThread      Backend = "epoll-thread"      // poller blocking in epoll_wait on a locked OS thread
	EpollSpin        Backend = "epoll-spin"        // poller spinning before it parks (RINGNET_TEST_EPOLL_SPIN rounds, default 5)
	UringPerP        Backend = "uring-perp"        // one ring per P
	UringNoCoop      Backend = "uring-nocoop"      // without COOP_TASKRUN
	UringNoPollFirst Backend = "uring-nopollfirst" // recv never polls first
	UringSmallSQ     Backend = "uring-smallsq"     // an 8-entry SQ: submissions keep finding it full
	UringSmallCQ     Backend = "uring-smallcq"     // an 8-entry SQ and a 16-entry CQ: completions overflow it
)

func init() {
	spin := 5
	if s := os.Getenv("RINGNET_TEST_EPOLL_SPIN"); s != "" {
		spin, _ = strconv.Atoi(s)
	}
	testDrivers = map[Backend]func() (driver, error){
		EpollThread: once(newEpollThread),
		EpollSpin:   once(func() (driver, error) { return newEpollSpin(spin) }),
		UringPerP:   once(func() (driver, error) { return newUringPerP(runtime.GOMAXPROCS(0)) }),
		UringNoCoop: once(func() (driver, error) {
			return newUringDriver(ring.SetupCQSize|ring.SetupSubmitAll, uringEntries, uringCQEntries)
		}),
		UringNoPollFirst: once(func() (driver, error) {
			d, err := newUringDriver(uringFlags, uringEntries, uringCQEntries)
			return uringNoPollFirst{d}, err
		}),
		UringSmallSQ: once(func() (driver, error) { return newUringDriver(uringFlags, 8, uringCQEntries) }),
		UringSmallCQ: once(func() (driver, error) { return newUringDriver(uringFlags, 8, 16) }),
	}
}

// once makes a variant's driver on first use, as the production drivers are.
func once[D driver](f func() (D, error)) func() (driver, error) {
	return sync.OnceValues(func() (driver, error) {
		d, err := f()
		if err != nil {
			return nil, err
		}
		return d, nil
	})
}

// IsTestBackend reports whether b is one of the variants above.
func IsTestBackend(b Backend) bool { _, ok := testDrivers[b]; return ok }

// newEpollThread is the epoll driver with its poller blocking in
// epoll_wait(-1) on a locked OS thread instead of waiting through the
// runtime poller.
func newEpollThread() (*epollDriver, error) {
	p, err := epoll.New()
	if err != nil {
		return nil, err
	}
	d := &epollDriver{p: p}
	go func() {
		runtime.LockOSThread()
		events := make([]epoll.Event, 256)
		for {
			n, _ := d.p.Wait(events, -1)
			d.dispatch(events[:n])
		}
	}()
	return d, nil
}

// newEpollSpin is the epoll driver whose poller, once the epoll fd is
// drained, makes up to rounds rounds of Gosched + epoll_wait(0) before it
// parks in the runtime poller again; events restart the count.
func newEpollSpin(rounds int) (*epollDriver, error) {
	p, err := epoll.New()
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(p.Fd(), true); err != nil {
		p.Close()
		return nil, err
	}
	d := &epollDriver{p: p, file: os.NewFile(uintptr(p.Fd()), "epoll")}
	rc, err := d.file.SyscallConn()
	if err != nil {
		p.Close()
		return nil, err
	}
	go func() {
		events := make([]epoll.Event, 256)
		for {
			rc.Read(func(uintptr) bool {
				idle := 0
				for {
					n, _ := d.p.Wait(events, 0)
					d.dispatch(events[:n])
					if n == len(events) {
						continue
					}
					if n > 0 {
						idle = 0
					}
					if idle >= rounds {
						return false
					}
					idle++
					runtime.Gosched()
				}
			})
		}
	}()
	return d, nil
}

// uringPerP is the io_uring driver with one ring per P, new netFDs spread
// over them round-robin.
type uringPerP struct {
	*uringDriver
	rings []*uring
	next  atomic.Uint32
}

func newUringPerP(n int) (*uringPerP, error) {
	d := &uringPerP{}
	for range n {
		u, err := newUring(uringFlags, uringEntries, uringCQEntries)
		if err != nil {
			return nil, err // rings already made stay for the process
		}
		d.rings = append(d.rings, u)
	}
	d.uringDriver = &uringDriver{ring: d.rings[0]}
	return d, nil
}

func (d *uringPerP) open(fd *netFD) error {
	d.rings[d.next.Add(1)%uint32(len(d.rings))].open(fd)
	return nil
}

// uringNoPollFirst is the io_uring driver without IORING_RECVSEND_POLL_FIRST:
// rdrained decides nothing else in that driver, so forgetting it before
// every read is enough.
type uringNoPollFirst struct{ *uringDriver }

func (d uringNoPollFirst) read(fd *netFD, p []byte) (int, error) {
	fd.rdrained = false
	return d.uringDriver.read(fd, p)
}
