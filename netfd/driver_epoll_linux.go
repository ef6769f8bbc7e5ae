package netfd

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/ringnet/ringnet/epoll"
	"golang.org/x/sys/unix"
)

// The epoll driver: every socket is registered once, edge-triggered, for
// input and output. An operation tries its syscall (the op's sys form,
// op_linux.go); on EAGAIN it parks on the netFD's pollDesc until the poller
// sees a new edge, a deadline passes or Close begins (waiter.do).
//
// The poller is one goroutine that waits for the epoll descriptor through the
// Go runtime's own netpoller (an epoll fd is itself pollable), so no OS
// thread is held blocked in epoll_wait: docs/design.md has the measurements.

// A waiter is one direction of a pollDesc. state moves between:
//
//	pdNil   nothing happened since the last syscall
//	pdReady an edge arrived: the next syscall may succeed
//	pdWait  a goroutine is parked on ch
//
// Readiness is a sticky token: it is consumed before the syscall, never after
// EAGAIN, so an edge that arrives while the syscall runs is not lost. Only the
// goroutine that moves pdWait→pdNil sends on ch, so every park gets exactly
// one wake-up and ch never holds a stale one.
type waiter struct {
	state atomic.Uint32
	ch    chan struct{} // cap 1
}

const (
	pdNil uint32 = iota
	pdReady
	pdWait
)

// consume clears a readiness token before a syscall.
func (w *waiter) consume() { w.state.CompareAndSwap(pdReady, pdNil) }

// park blocks until a readiness token is available (and consumes it), or the
// netFD is closing, or the deadline dl has expired.
func (w *waiter) park(fd *netFD, dl *deadline) error {
	for {
		if w.state.CompareAndSwap(pdReady, pdNil) {
			return nil
		}
		if err := interrupted(fd, dl); err != nil {
			return err
		}
		if !w.state.CompareAndSwap(pdNil, pdWait) {
			continue // a token arrived
		}
		// Close and deadline expiry publish their flag before waking; recheck
		// after publishing pdWait so that one of the two sides sees the other.
		if interrupted(fd, dl) != nil && w.state.CompareAndSwap(pdWait, pdNil) {
			continue
		}
		<-w.ch // the waker took the token, if there was one
		return interrupted(fd, dl)
	}
}

func interrupted(fd *netFD, dl *deadline) error {
	if fd.closing() {
		return errClosing
	}
	if dl.expired() {
		return errDeadline
	}
	return nil
}

// notify wakes the parked goroutine, if any. ready leaves a token when no one
// is parked (an edge); without it the call only interrupts (close, deadline).
func (w *waiter) notify(ready bool) {
	for {
		switch w.state.Load() {
		case pdWait:
			if w.state.CompareAndSwap(pdWait, pdNil) {
				select {
				case w.ch <- struct{}{}:
				default:
				}
				return
			}
		case pdNil:
			if !ready || w.state.CompareAndSwap(pdNil, pdReady) {
				return
			}
		default: // pdReady
			return
		}
	}
}

// pollDesc is the epoll driver's per-netFD state.
type pollDesc struct {
	token epoll.Token
	r, w  waiter
	// hup is set by the poller, before it notifies r, once an event says
	// the peer shut down or the socket has an error: from then on a read
	// that returns less than asked has not emptied the socket (EOF or the
	// error is still to be read), so rdrained must not skip the syscall.
	hup atomic.Bool
}

// epollDriver owns one epoll instance and the table that maps the slot in
// each event's token back to its netFD.
type epollDriver struct {
	p     *epoll.Poller
	table slotTable[netFD]
	gen   atomic.Uint32
	file  *os.File // the epoll fd as the runtime poller sees it; keeps it open
}

var defaultEpoll = sync.OnceValues(newEpollDriver)

// newEpollDriver creates the epoll instance and starts its poller, which
// waits for the epoll fd through the runtime poller. (A poller blocking in
// epoll_wait on a locked OS thread, and one spinning before it parks, were
// measured and dropped: docs/design.md; export_test.go keeps both as test
// backends.)
func newEpollDriver() (*epollDriver, error) {
	p, err := epoll.New()
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(p.Fd(), true); err != nil {
		p.Close()
		return nil, os.NewSyscallError("fcntl", err)
	}
	d := &epollDriver{p: p, file: os.NewFile(uintptr(p.Fd()), "epoll")}
	rc, err := d.file.SyscallConn()
	if err != nil {
		p.Close()
		return nil, err
	}
	go d.runNested(rc)
	return d, nil
}

// runNested drains the epoll fd without blocking and lets the runtime poller
// park this goroutine until the epoll fd becomes readable again.
func (d *epollDriver) runNested(rc syscall.RawConn) {
	events := make([]epoll.Event, 256)
	for {
		rc.Read(func(uintptr) bool {
			for {
				n, _ := d.p.Wait(events, 0)
				d.dispatch(events[:n])
				if n < len(events) {
					return false
				}
			}
		})
	}
}

func (d *epollDriver) dispatch(events []epoll.Event) {
	for i := range events {
		ev := &events[i]
		fd := d.table.get(ev.Token().Slot())
		if fd == nil || fd.pd.token != ev.Token() {
			continue // closed since; the slot may hold a newer netFD
		}
		if ev.Events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			fd.pd.hup.Store(true)
		}
		if ev.Readable() {
			fd.pd.r.notify(true)
		}
		if ev.Writable() {
			fd.pd.w.notify(true)
		}
	}
}

func (d *epollDriver) name() Backend { return Epoll }

func (d *epollDriver) open(fd *netFD) error {
	fd.pd.r.ch = make(chan struct{}, 1)
	fd.pd.w.ch = make(chan struct{}, 1)
	slot := d.table.alloc()
	fd.pd.token = epoll.MakeToken(slot, d.gen.Add(1))
	d.table.set(slot, fd)
	if err := d.p.Add(fd.sysfd, fd.pd.token); err != nil {
		d.table.free(slot)
		return err
	}
	return nil
}

func (d *epollDriver) release(fd *netFD) error {
	d.p.Delete(fd.sysfd)
	d.table.free(fd.pd.token.Slot())
	return nil
}

func (d *epollDriver) close(fd *netFD) error {
	d.release(fd)
	return closeErr(unix.Close(fd.sysfd))
}

func (d *epollDriver) wake(fd *netFD, mode int) {
	if mode == 'r' {
		fd.pd.r.notify(false)
	} else {
		fd.pd.w.notify(false)
	}
}

func (d *epollDriver) wait(fd *netFD, mode int) error {
	if mode == 'r' {
		return fd.pd.r.park(fd, &fd.rdl)
	}
	return fd.pd.w.park(fd, &fd.wdl)
}

// do is the epoll driver's one loop, for every op: try attempt (an op's
// sys form) and, while it says EAGAIN, park until the next edge and try
// again. The readiness token is consumed before each attempt, never after
// EAGAIN, so an edge that arrives during the attempt is not lost.
// waitFirst parks before the first attempt, when that attempt is known
// to find nothing.
func (w *waiter) do(fd *netFD, dl *deadline, waitFirst bool, attempt func() (int, error)) (int, error) {
	if waitFirst {
		if err := w.park(fd, dl); err != nil {
			return 0, err
		}
	}
	for {
		w.consume()
		n, err := attempt()
		if err != unix.EAGAIN {
			return n, err
		}
		if err := w.park(fd, dl); err != nil {
			return 0, err
		}
	}
}

func (d *epollDriver) read(fd *netFD, p []byte) (int, error) {
	// When the last read emptied the socket and no edge has been consumed
	// since, wait for one instead of making the read that says EAGAIN.
	drained := fd.rdrained
	fd.rdrained = false
	n, err := fd.pd.r.do(fd, &fd.rdl, drained, func() (int, error) { return recvOp.sys(fd.sysfd, p) })
	if err != nil {
		return 0, err
	}
	fd.rdrained = n > 0 && n < len(p) && !fd.pd.hup.Load()
	return n, nil
}

func (d *epollDriver) write(fd *netFD, p []byte) (int, error) {
	return fd.pd.w.do(fd, &fd.wdl, false, func() (int, error) { return sendOp.sys(fd.sysfd, p) })
}

func (d *epollDriver) accept(fd *netFD) (int, unix.Sockaddr, error) {
	var sa unix.Sockaddr
	nfd, err := fd.pd.r.do(fd, &fd.rdl, false, func() (nfd int, err error) {
		nfd, sa, err = acceptOp.sys(fd.sysfd)
		return nfd, err
	})
	if err != nil {
		return -1, nil, err
	}
	return nfd, sa, nil
}

func (d *epollDriver) connect(fd *netFD, sa unix.Sockaddr) error {
	if err := connectOp.sys(fd.sysfd, sa); err != unix.EAGAIN {
		return err
	}
	// In progress: each time fd becomes writable, ask how it went.
	_, err := fd.pd.w.do(fd, &fd.wdl, true, func() (int, error) { return 0, connectOp.check(fd.sysfd) })
	return err
}

func closeErr(err error) error {
	if err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}
