package netfd

import (
	"os"
	"sync"
	"sync/atomic"

	"github.com/ringnet/ringnet/ring"
	"golang.org/x/sys/unix"
)

// uringFD is the io_uring driver's per-netFD state.
type uringFD struct {
	ring     *uring                      // the shard this netFD's ops go to
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
	u := d.shards[d.next.Add(1)%uint32(len(d.shards))]
	fd.u.ring = u
	u.register(&fd.u.r)
	u.register(&fd.u.w)
	return nil
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
			u.cancel(a.op.ud.Load())
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
		u.cancel(fd.u.r.ud.Load())
		if a := fd.u.acc.Load(); a != nil {
			a.w.notify(false)
		}
	} else {
		u.cancel(fd.u.w.ud.Load())
	}
}

// await waits for the CQE of o, which was just committed, and returns its
// result. A close or deadline that arrived before the op was registered is
// caught here: the waker saw no op in flight, so cancel it ourselves.
func (d *uring) await(fd *netFD, o *uop, dl *deadline) int32 {
	if interrupted(fd, dl) != nil {
		d.cancel(o.ud.Load())
	}
	<-o.done
	return o.res
}

// retry sorts a negative result: for ECANCELED it returns the close or
// deadline error that caused it, or nil if the deadline moved on since (the
// caller resubmits); EINTR and EAGAIN also mean resubmit.
func retry(fd *netFD, dl *deadline, res int32) (again bool, err error) {
	switch e := unix.Errno(-res); e {
	case unix.ECANCELED:
		if err := interrupted(fd, dl); err != nil {
			return false, err
		}
		return true, nil
	case unix.EINTR, unix.EAGAIN:
		return true, nil
	}
	return false, unix.Errno(-res)
}

func (d *uringDriver) read(fd *netFD, p []byte) (int, error) {
	u := fd.u.ring
	o := &fd.u.r
	if fd.u.nonempty {
		// The kernel said data is waiting: a plain recv finds it at once,
		// without an SQE, a CQE and a wake-up.
		fd.u.nonempty = false
		n, err := unix.Read(fd.sysfd, p)
		switch err {
		case nil:
			fd.u.nonempty = n == len(p) // there may be more
			fd.rdrained = n < len(p)
			return n, nil
		case unix.EAGAIN, unix.EINTR:
		default:
			return 0, os.NewSyscallError("read", err)
		}
	}
	for {
		if err := interrupted(fd, &fd.rdl); err != nil {
			return 0, err
		}
		o.buf = p
		sqe := u.start(o)
		sqe.PrepRecv(fd.sysfd, p, 0)
		if fd.rdrained && !u.noPollFirst {
			// The last recv emptied the socket: skip the attempt that would
			// find nothing and go straight to waiting for data.
			sqe.IoPrio |= ring.RecvsendPollFirst
		}
		u.commit()
		res := u.await(fd, o, &fd.rdl)
		o.buf = nil
		if res >= 0 {
			// The kernel says whether data is left (TCP reports it; where
			// it does not, polling first only costs the poll's arming).
			fd.u.nonempty = o.flags&ring.CQEFSockNonempty != 0
			fd.rdrained = res > 0 && !fd.u.nonempty
			return int(res), nil
		}
		if again, err := retry(fd, &fd.rdl, res); !again {
			return 0, syscallErr("read", err)
		}
	}
}

func (d *uringDriver) write(fd *netFD, p []byte) (int, error) {
	u := fd.u.ring
	o := &fd.u.w
	var nn int
	for nn < len(p) {
		if err := interrupted(fd, &fd.wdl); err != nil {
			return nn, err
		}
		chunk := p[nn:min(len(p), nn+maxRW)]
		o.buf = chunk
		sqe := u.start(o)
		sqe.PrepSend(fd.sysfd, chunk, unix.MSG_NOSIGNAL)
		u.commit()
		res := u.await(fd, o, &fd.wdl)
		o.buf = nil
		if res > 0 {
			nn += int(res)
			continue
		}
		if res == 0 {
			return nn, errUnexpectedEOF
		}
		if again, err := retry(fd, &fd.wdl, res); !again {
			return nn, syscallErr("write", err)
		}
	}
	return nn, nil
}

func (d *uringDriver) connect(fd *netFD, sa unix.Sockaddr) error {
	u := fd.u.ring
	o := &fd.u.w
	n, err := ring.RawSockaddr(sa, &o.sa)
	if err != nil {
		return err
	}
	for {
		if err := interrupted(fd, &fd.wdl); err != nil {
			return err
		}
		sqe := u.start(o)
		sqe.PrepConnect(fd.sysfd, &o.sa, n)
		u.commit()
		res := u.await(fd, o, &fd.wdl)
		switch e := unix.Errno(-res); {
		case res == 0, e == unix.EISCONN:
			return nil
		case e == unix.EALREADY, e == unix.EINPROGRESS:
			// A cancelled connect leaves the handshake running; a new
			// connect reports its state.
			if err := interrupted(fd, &fd.wdl); err != nil {
				return err
			}
			continue
		}
		if again, err := retry(fd, &fd.wdl, res); !again {
			return syscallErr("connect", err)
		}
	}
}

func (d *uringDriver) wait(fd *netFD, mode int) error {
	u := fd.u.ring
	o, dl, mask := &fd.u.r, &fd.rdl, uint32(unix.POLLIN|unix.POLLRDHUP)
	if mode == 'w' {
		o, dl, mask = &fd.u.w, &fd.wdl, unix.POLLOUT
	}
	for {
		if err := interrupted(fd, dl); err != nil {
			return err
		}
		sqe := u.start(o)
		sqe.PrepPollAdd(fd.sysfd, mask)
		u.commit()
		res := u.await(fd, o, dl)
		if res >= 0 {
			return nil
		}
		if again, err := retry(fd, dl, res); !again {
			return syscallErr("poll", err)
		}
	}
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
			return -1, nil, syscallErr("accept4", err)
		}
		arm := !a.armed && !fd.closing()
		if arm {
			a.armed = true
			a.final = make(chan struct{})
		}
		a.mu.Unlock()
		if arm { // outside a.mu: commit may run the completion handler
			sqe := u.start(&a.op)
			sqe.PrepMultishotAccept(fd.sysfd, nil, nil, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
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
	a.op.multishot = func(res int32, flags uint32, more bool) { d.accepted(fd, a, res, more) }
	d.register(&a.op)
	fd.u.acc.Store(a)
	return a
}

// accepted runs on the reaper for each CQE of the multishot accept.
func (d *uring) accepted(fd *netFD, a *acceptQueue, res int32, more bool) {
	a.mu.Lock()
	switch e := unix.Errno(-res); {
	case res >= 0:
		a.fds = append(a.fds, int(res))
	case e == unix.ECANCELED, e == unix.ECONNABORTED, e == unix.EINTR, e == unix.EAGAIN:
	default:
		a.err = e
	}
	if !more {
		a.armed = false
		close(a.final)
	}
	a.mu.Unlock()
	a.w.notify(true)
}

func syscallErr(name string, err error) error {
	if e, ok := err.(unix.Errno); ok {
		return os.NewSyscallError(name, e)
	}
	return err
}
