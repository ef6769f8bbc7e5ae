package epoll

import (
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Interest is the event mask every descriptor is registered with: readable,
// writable, peer half-closed, edge-triggered. Error and hang-up are always
// reported by the kernel.
const Interest = unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET

// The layout of Event must be the kernel's struct epoll_event.
var _ [unsafe.Sizeof(Event{}) - unsafe.Sizeof(unix.EpollEvent{})]struct{}
var _ [unsafe.Sizeof(unix.EpollEvent{}) - unsafe.Sizeof(Event{})]struct{}

// Token returns the token the descriptor was registered with.
func (e *Event) Token() Token { return *(*Token)(unsafe.Pointer(&e.data)) }

// Readable reports whether the event wakes a reader: data, peer half-close,
// hang-up or error.
func (e *Event) Readable() bool {
	return e.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0
}

// Writable reports whether the event wakes a writer: space, hang-up or error.
func (e *Event) Writable() bool {
	return e.Events&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0
}

// A Poller is an epoll instance plus an eventfd that Wake uses to interrupt
// Wait. Add, Delete and Wake may be called concurrently with each
// other and with Wait; Wait must not be called concurrently with itself.
type Poller struct {
	epfd   int
	wakefd int
	woken  atomic.Bool // a wake-up is pending in the eventfd
}

// wakeToken marks the eventfd's events; no caller slot uses it.
const wakeToken = Token(^uint64(0))

// New creates a poller (epoll_create1 with EPOLL_CLOEXEC) and its wake-up
// eventfd.
func New() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	p := &Poller{epfd: epfd, wakefd: wakefd}
	if err := p.ctl(unix.EPOLL_CTL_ADD, wakefd, unix.EPOLLIN|unix.EPOLLET, wakeToken); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// Fd returns the epoll descriptor, for callers that wait on it through
// another poller (an epoll fd is itself pollable).
func (p *Poller) Fd() int { return p.epfd }

// Close closes the epoll descriptor and the eventfd.
func (p *Poller) Close() error {
	err := unix.Close(p.epfd)
	unix.Close(p.wakefd)
	if err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}

// Add registers fd with the Interest mask and token t.
func (p *Poller) Add(fd int, t Token) error {
	return p.ctl(unix.EPOLL_CTL_ADD, fd, Interest, t)
}

// Delete removes fd from the interest list. Call it before closing fd: a
// descriptor that was duplicated stays registered after close.
func (p *Poller) Delete(fd int) error {
	err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil)
	if err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

func (p *Poller) ctl(op, fd int, events uint32, t Token) error {
	ev := Event{Events: events}
	*(*Token)(unsafe.Pointer(&ev.data)) = t
	err := unix.EpollCtl(p.epfd, op, fd, (*unix.EpollEvent)(unsafe.Pointer(&ev)))
	if err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

// Wait fills events with ready descriptors and returns how many. It blocks
// for at most msec milliseconds (-1: no limit, 0: do not block). A wake-up
// from Wake returns early and is not reported as an event. EINTR returns
// (0, nil).
func (p *Poller) Wait(events []Event, msec int) (int, error) {
	if len(events) == 0 {
		return 0, nil
	}
	n, err := unix.EpollWait(p.epfd, *(*[]unix.EpollEvent)(unsafe.Pointer(&events)), msec)
	if err != nil {
		if err == unix.EINTR {
			return 0, nil
		}
		return 0, os.NewSyscallError("epoll_wait", err)
	}
	for i := 0; i < n; i++ {
		if events[i].Token() == wakeToken {
			p.drainWake()
			n--
			events[i] = events[n]
			i--
		}
	}
	return n, nil
}

// Wake interrupts a Wait in progress, or makes the next Wait return at once.
// Wakes that arrive while one is pending are merged.
func (p *Poller) Wake() error {
	if !p.woken.CompareAndSwap(false, true) {
		return nil
	}
	one := [8]byte{1}
	_, err := unix.Write(p.wakefd, one[:])
	if err != nil && err != unix.EAGAIN {
		return os.NewSyscallError("write", err)
	}
	return nil
}

func (p *Poller) drainWake() {
	var buf [8]byte
	unix.Read(p.wakefd, buf[:])
	p.woken.Store(false)
}
