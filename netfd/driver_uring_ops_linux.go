package netfd

import (
	"sync"
	"sync/atomic"

	"github.com/ringnet/ringnet/ring"
	"golang.org/x/sys/unix"
)

// uringFD is the io_uring driver's per-netFD state.
type uringFD struct {
	ring     *uring                      // the ring this netFD's ops go to
	r, w     uop                         // the read-side and write-side op slots
	nonempty bool                        // the last recv left data in the socket; guarded by the read lock
	acc      atomic.Pointer[acceptQueue] // listeners: connections from the multishot accept
}

// acceptQueue holds what a listener's multishot accept produced.
type acceptQueue struct {
	op    uop
	mu    sync.Mutex // guards the fields below
	fds   []int      // accepted, not yet taken by Accept
	err   error      // an accept error to report once
	armed bool       // the multishot accept is in flight
	final chan struct{}
	w     waiter // the Accept goroutine parks here
}

func (d *uringDriver) name() Backend { return Uring }

func (d *uringDriver) open(fd *netFD) error {
	d.ring.open(fd)
	return nil
}

// open puts fd's ops on this ring.
func (d *uring) open(fd *netFD) {
	fd.u.ring = d
	d.register(&fd.u.r)
	d.register(&fd.u.w)
}

func (d *uringDriver) close(fd *netFD) error {
	d.release(fd)
	return closeErr(unix.Close(fd.sysfd))
}

// release frees the FD's op slots; a listener's multishot accept is
// cancelled first and the connections it queued are closed.
func (d *uringDriver) release(fd *netFD) error {
	u := fd.u.ring
	if a := fd.u.acc.Load(); a != nil {
		a.mu.Lock()
		armed := a.armed
		a.mu.Unlock()
		if armed {
			u.cancel(&a.op)
			<-a.final
		}
		for _, nfd := range a.fds {
			unix.Close(nfd)
		}
		u.ops.free(a.op.slot)
	}
	u.ops.free(fd.u.r.slot)
	u.ops.free(fd.u.w.slot)
	return nil
}

func (d *uringDriver) wake(fd *netFD, mode int) {
	u := fd.u.ring
	if mode == 'r' {
		u.cancel(&fd.u.r)
		if a := fd.u.acc.Load(); a != nil {
			a.w.notify(false)
		}
	} else {
		u.cancel(&fd.u.w)
	}
}

// do is the io_uring driver's one loop, for every op a goroutine waits on:
// prep fills the SQE (an op's prep form), do submits it on o, waits for
// its CQE and sorts that with result (the op's result form). A cancel
// caused by a close or an expired deadline returns that error; one whose
// deadline has moved on since, and result's EAGAIN, submit again. flags
// are those of the CQE result accepted.
func (d *uring) do(fd *netFD, o *uop, dl *deadline, prep func(*ring.SQE), result func(res int32, flags uint32) (int, error)) (n int, flags uint32, err error) {
	for {
		if err := interrupted(fd, dl); err != nil {
			return 0, 0, err
		}
		prep(d.start(o))
		d.commit()
		res, flags := d.await(fd, o, dl)
		n, err := result(res, flags)
		switch err {
		case unix.ECANCELED:
			if err := interrupted(fd, dl); err != nil {
				return 0, 0, err
			}
			continue
		case unix.EAGAIN:
			continue
		}
		return n, flags, err
	}
}

func (d *uringDriver) read(fd *netFD, p []byte) (int, error) {
	if fd.u.nonempty {
		// The kernel said data is waiting: a plain read finds it at once,
		// without an SQE, a CQE and a wake-up.
		fd.u.nonempty = false
		n, err := recvOp.sys(fd.sysfd, p)
		switch err {
		case nil:
			fd.u.nonempty = n == len(p) // there may be more
			fd.rdrained = n < len(p)
			return n, nil
		case unix.EAGAIN: // gone after all: wait on the ring
		default:
			return 0, err
		}
	}
	u, o := fd.u.ring, &fd.u.r
	// When the last recv emptied the socket, poll first: skip the attempt
	// that would find nothing and wait for data at once.
	pollFirst := fd.rdrained
	o.buf = p
	n, flags, err := u.do(fd, o, &fd.rdl, func(sqe *ring.SQE) { recvOp.prep(sqe, fd.sysfd, p, pollFirst) }, recvOp.result)
	o.buf = nil
	if err != nil {
		return 0, err
	}
	// The kernel says whether data is left (TCP reports it; where it does
	// not, polling first only costs the poll's arming).
	fd.u.nonempty = flags&ring.CQEFSockNonempty != 0
	fd.rdrained = n > 0 && !fd.u.nonempty
	return n, nil
}

func (d *uringDriver) write(fd *netFD, p []byte) (int, error) {
	o := &fd.u.w
	o.buf = p
	n, _, err := fd.u.ring.do(fd, o, &fd.wdl, func(sqe *ring.SQE) { sendOp.prep(sqe, fd.sysfd, p) }, sendOp.result)
	o.buf = nil
	return n, err
}

func (d *uringDriver) connect(fd *netFD, sa unix.Sockaddr) error {
	o := &fd.u.w
	n, err := ring.RawSockaddr(sa, &o.sa)
	if err != nil {
		return err
	}
	_, _, err = fd.u.ring.do(fd, o, &fd.wdl, func(sqe *ring.SQE) { connectOp.prep(sqe, fd.sysfd, &o.sa, n) }, connectOp.result)
	return err
}

func (d *uringDriver) wait(fd *netFD, mode int) error {
	o, dl := &fd.u.r, &fd.rdl
	if mode == 'w' {
		o, dl = &fd.u.w, &fd.wdl
	}
	_, _, err := fd.u.ring.do(fd, o, dl, func(sqe *ring.SQE) { pollOp.prep(sqe, fd.sysfd, mode) }, pollOp.result)
	return err
}

// accept takes a connection from the listener's multishot accept, arming it
// on first use and again whenever the kernel ends it.
func (d *uringDriver) accept(fd *netFD) (int, unix.Sockaddr, error) {
	u := fd.u.ring
	a := u.acceptQueue(fd)
	for {
		a.mu.Lock()
		if len(a.fds) > 0 {
			nfd := a.fds[0]
			a.fds = a.fds[1:]
			a.mu.Unlock()
			sa, err := unix.Getpeername(nfd)
			if err != nil {
				unix.Close(nfd) // reset before we could look at it: take the next
				continue
			}
			return nfd, sa, nil
		}
		if err := a.err; err != nil {
			a.err = nil
			a.mu.Unlock()
			return -1, nil, err
		}
		arm := !a.armed && !fd.closing()
		if arm {
			a.armed = true
			a.final = make(chan struct{})
		}
		a.mu.Unlock()
		if arm { // outside a.mu: commit may run the completion handler
			acceptOp.prep(u.start(&a.op), fd.sysfd)
			u.commit()
		}
		if err := a.w.park(fd, &fd.rdl); err != nil {
			return -1, nil, err
		}
	}
}

// acceptQueue returns fd's accept queue, creating it on the first Accept.
// Accepts hold the read lock, so only one creates it; wake may read it from
// any goroutine, hence the atomic pointer.
func (d *uring) acceptQueue(fd *netFD) *acceptQueue {
	if a := fd.u.acc.Load(); a != nil {
		return a
	}
	a := &acceptQueue{}
	a.w.ch = make(chan struct{}, 1)
	a.op.multishot = func(res int32, flags uint32, more bool) { d.accepted(a, res, more) }
	d.register(&a.op)
	fd.u.acc.Store(a)
	return a
}

// accepted runs on the reaper for each CQE of the multishot accept.
func (d *uring) accepted(a *acceptQueue, res int32, more bool) {
	nfd, err := acceptOp.result(res, 0)
	a.mu.Lock()
	switch err {
	case nil:
		a.fds = append(a.fds, nfd)
	case unix.EAGAIN, unix.ECANCELED:
	default:
		a.err = err
	}
	if !more {
		a.armed = false
		close(a.final)
	}
	a.mu.Unlock()
	a.w.notify(true)
}
