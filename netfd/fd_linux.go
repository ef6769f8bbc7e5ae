package netfd

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// maxRW caps a single read or write on a stream socket, as internal/poll
// does, so a huge buffer cannot make one syscall run for ever.
const maxRW = 1 << 30

// A netFD is a non-blocking socket driven by a backend. Read and Write may run
// concurrently with each other; concurrent Reads (and concurrent Writes) are
// serialized. Close may be called at any time: it wakes every blocked
// operation with net.ErrClosed and closes the descriptor once the last
// operation has returned.
type netFD struct {
	sysfd int
	drv   driver

	// ref is the reference count in the low bits and refClosing on top.
	// Every operation holds a reference while it runs; the netFD itself holds
	// one until Close. The descriptor is closed when the count drops to zero.
	ref      atomic.Uint64
	closed   chan struct{} // closed once the descriptor is closed
	closeErr error         // written before closed is closed

	rmu sync.Mutex // serializes reads and accepts
	wmu sync.Mutex // serializes writes

	rdl, wdl deadline

	// rdrained is set when the last read returned less than asked: the
	// socket was emptied, so the next read waits for a new edge before
	// making a syscall. Guarded by rmu.
	rdrained bool

	// pending holds bytes a loop received and its handler did not consume
	// before the connection left the loop (LoopConn.Detach); Read returns
	// them first. Guarded by rmu.
	pending []byte
	// released is set by release before the last reference goes: the
	// descriptor then leaves the driver but stays open.
	released bool

	pd pollDesc // the epoll driver's state
	u  uringFD  // the io_uring driver's state
}

const refClosing = 1 << 63

// newFD wraps sysfd, a non-blocking socket, and registers it with drv. On
// error sysfd is closed.
func newFD(sysfd int, drv driver) (*netFD, error) {
	fd := &netFD{sysfd: sysfd, drv: drv, closed: make(chan struct{})}
	fd.ref.Store(1)
	fd.rdl.init(fd, 'r')
	fd.wdl.init(fd, 'w')
	if err := drv.open(fd); err != nil {
		unix.Close(sysfd)
		return nil, err
	}
	return fd, nil
}

// incref adds a reference for an operation, or fails once Close has begun.
func (fd *netFD) incref() error {
	for {
		old := fd.ref.Load()
		if old&refClosing != 0 {
			return net.ErrClosed
		}
		if fd.ref.CompareAndSwap(old, old+1) {
			return nil
		}
	}
}

// decref drops a reference and closes the descriptor after the last one.
func (fd *netFD) decref() {
	if fd.ref.Add(^uint64(0)) == refClosing {
		if fd.released {
			fd.closeErr = fd.drv.release(fd)
		} else {
			fd.closeErr = fd.drv.close(fd)
		}
		close(fd.closed)
	}
}

// closing reports whether Close has begun.
func (fd *netFD) closing() bool { return fd.ref.Load()&refClosing != 0 }

func (fd *netFD) readLock() error {
	if err := fd.incref(); err != nil {
		return err
	}
	fd.rmu.Lock()
	if fd.closing() {
		fd.rmu.Unlock()
		fd.decref()
		return net.ErrClosed
	}
	return nil
}

func (fd *netFD) readUnlock() {
	fd.rmu.Unlock()
	fd.decref()
}

func (fd *netFD) writeLock() error {
	if err := fd.incref(); err != nil {
		return err
	}
	fd.wmu.Lock()
	if fd.closing() {
		fd.wmu.Unlock()
		fd.decref()
		return net.ErrClosed
	}
	return nil
}

func (fd *netFD) writeUnlock() {
	fd.wmu.Unlock()
	fd.decref()
}

// Close wakes every blocked operation with net.ErrClosed, waits until the
// last one has returned, closes the descriptor and returns the error of that
// close. A second Close returns net.ErrClosed.
func (fd *netFD) Close() error {
	if err := fd.beginClose(); err != nil {
		return err
	}
	fd.wakeAll()
	<-fd.closed
	return fd.closeErr
}

// beginClose sets the closing flag, or fails if Close or release began.
func (fd *netFD) beginClose() error {
	for {
		old := fd.ref.Load()
		if old&refClosing != 0 {
			return net.ErrClosed
		}
		if fd.ref.CompareAndSwap(old, old|refClosing) {
			return nil
		}
	}
}

// wakeAll wakes every blocked operation and drops the FD's own reference.
func (fd *netFD) wakeAll() {
	fd.rdl.stop()
	fd.wdl.stop()
	fd.drv.wake(fd, 'r')
	fd.drv.wake(fd, 'w')
	fd.decref()
}

// release ends fd's life as Close does, but leaves the descriptor open and
// returns it with the bytes Read has not returned yet (Loops.Attach).
func (fd *netFD) release() (int, []byte, error) {
	if err := fd.beginClose(); err != nil {
		return -1, nil, err
	}
	fd.released = true // before our decref, the only one that can be last
	fd.wakeAll()
	<-fd.closed
	return fd.sysfd, fd.pending, fd.closeErr
}

// Read reads into p. It returns (0, io.EOF) once the peer has shut down its
// side, (0, nil) for an empty p, os.ErrDeadlineExceeded after the read
// deadline and net.ErrClosed after Close.
func (fd *netFD) Read(p []byte) (int, error) {
	if err := fd.readLock(); err != nil {
		return 0, err
	}
	defer fd.readUnlock()
	if len(p) == 0 {
		return 0, nil
	}
	if fd.rdl.expired() {
		return 0, errDeadline
	}
	if len(fd.pending) > 0 {
		n := copy(p, fd.pending)
		fd.pending = fd.pending[n:]
		if len(fd.pending) == 0 {
			fd.pending = nil
		}
		return n, nil
	}
	if len(p) > maxRW {
		p = p[:maxRW]
	}
	n, err := fd.drv.read(fd, p)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of p, or returns how much was written and why it stopped.
func (fd *netFD) Write(p []byte) (int, error) {
	if err := fd.writeLock(); err != nil {
		return 0, err
	}
	defer fd.writeUnlock()
	if fd.wdl.expired() {
		return 0, errDeadline
	}
	if len(p) == 0 {
		// Like internal/poll, make the call anyway: it reports EPIPE after
		// CloseWrite. An empty write never blocks, so no driver is needed.
		_, err := sendOp.sys(fd.sysfd, p)
		return 0, err
	}
	var nn int
	for nn < len(p) {
		n, err := fd.drv.write(fd, p[nn:min(len(p), nn+maxRW)])
		nn += n
		if err != nil {
			return nn, err
		}
		if n == 0 {
			return nn, errUnexpectedEOF
		}
	}
	return nn, nil
}

// Accept returns the next connection as a non-blocking descriptor and the
// peer's address.
func (fd *netFD) Accept() (int, unix.Sockaddr, error) {
	if err := fd.readLock(); err != nil {
		return -1, nil, err
	}
	defer fd.readUnlock()
	if fd.rdl.expired() {
		return -1, nil, errDeadline
	}
	return fd.drv.accept(fd)
}

// Shutdown shuts down the reading, writing or both sides (unix.SHUT_*).
func (fd *netFD) Shutdown(how int) error {
	if err := fd.incref(); err != nil {
		return err
	}
	defer fd.decref()
	return unix.Shutdown(fd.sysfd, how)
}

// SetReadDeadline sets the read deadline; see net.Conn.
func (fd *netFD) SetReadDeadline(t time.Time) error { return fd.setDeadline(t, true, false) }

// SetWriteDeadline sets the write deadline; see net.Conn.
func (fd *netFD) SetWriteDeadline(t time.Time) error { return fd.setDeadline(t, false, true) }

// SetDeadline sets both deadlines; see net.Conn.
func (fd *netFD) SetDeadline(t time.Time) error { return fd.setDeadline(t, true, true) }

func (fd *netFD) setDeadline(t time.Time, r, w bool) error {
	if err := fd.incref(); err != nil {
		return err
	}
	defer fd.decref()
	if r {
		fd.rdl.set(t)
	}
	if w {
		fd.wdl.set(t)
	}
	return nil
}

// Control runs f with the descriptor, which stays open while f runs.
func (fd *netFD) Control(f func(uintptr)) error {
	if err := fd.incref(); err != nil {
		return err
	}
	defer fd.decref()
	f(uintptr(fd.sysfd))
	return nil
}

// RawRead calls f until it returns true, waiting for readability between
// calls, as syscall.RawConn.Read.
func (fd *netFD) RawRead(f func(uintptr) bool) error {
	if err := fd.readLock(); err != nil {
		return err
	}
	defer fd.readUnlock()
	fd.rdrained = false
	for {
		if fd.rdl.expired() {
			return errDeadline
		}
		if f(uintptr(fd.sysfd)) {
			return nil
		}
		if err := fd.drv.wait(fd, 'r'); err != nil {
			return err
		}
	}
}

// RawWrite calls f until it returns true, waiting for writability between
// calls, as syscall.RawConn.Write.
func (fd *netFD) RawWrite(f func(uintptr) bool) error {
	if err := fd.writeLock(); err != nil {
		return err
	}
	defer fd.writeUnlock()
	for {
		if fd.wdl.expired() {
			return errDeadline
		}
		if f(uintptr(fd.sysfd)) {
			return nil
		}
		if err := fd.drv.wait(fd, 'w'); err != nil {
			return err
		}
	}
}
