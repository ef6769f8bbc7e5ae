package netfd

import (
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// ReadFrom implements io.ReaderFrom as net.TCPConn's does. A file (an
// *os.File, or any syscall.Conn such as the wrapper os.File.WriteTo hands
// to io.Copy), alone or in an *io.LimitedReader, goes from its current
// offset to the socket with sendfile(2), never through user space; its
// offset and the LimitedReader's N advance by what was sent. Any other
// reader, or a file sendfile refuses before sending anything (a pipe), is
// copied through Write. It returns how much was sent; EOF of r is not an
// error. Errors are *net.OpError with Op "readfrom", as the net package's:
// a sendfile failure wraps an *os.SyscallError named "sendfile", an
// expired write deadline os.ErrDeadlineExceeded.
//
// On either backend the socket is written with sendfile(2) directly and,
// when it is full, the goroutine waits for it to drain through the
// driver (an edge on epoll, a poll SQE on io_uring): the file's pages go
// from the page cache to the socket, and a client that stops reading
// costs no buffer at all (docs/design.md, "Files: sendfile").
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	n, err, handled := c.fd.sendFile(r)
	if !handled {
		n, err = io.Copy(connWithoutReadFrom{Conn: c}, r)
	}
	if err != nil && err != io.EOF {
		err = c.opError("readfrom", err)
	}
	return n, err
}

// connWithoutReadFrom hides Conn.ReadFrom from io.Copy, which would
// otherwise call it back (the net package's genericReadFrom).
type connWithoutReadFrom struct {
	noReadFrom
	*Conn
}

type noReadFrom struct{}

// ReadFrom makes connWithoutReadFrom's ReadFrom ambiguous, so it has none.
func (noReadFrom) ReadFrom(io.Reader) (int64, error) { panic("unreachable") }

// sendFile sends the file behind r, as ReadFrom describes. handled is
// false when it sent nothing and the caller should copy r instead.
func (fd *netFD) sendFile(r io.Reader) (written int64, err error, handled bool) {
	remain := int64(-1) // the rest of the file
	lr, limited := r.(*io.LimitedReader)
	if limited {
		remain, r = lr.N, lr.R
		if remain <= 0 {
			return 0, nil, true
		}
	}
	sc, ok := r.(syscall.Conn)
	if !ok {
		return 0, nil, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, nil, false
	}
	var serr error
	// The file's own RawConn keeps its descriptor open while it is used.
	err = rc.Read(func(src uintptr) bool {
		written, serr, handled = fd.sendFileFrom(int(src), remain)
		return true
	})
	if err == nil {
		err = serr
	}
	if limited {
		lr.N = remain - written
	}
	if errno, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError("sendfile", errno)
	}
	return written, err, handled
}

// sendFileFrom sends size bytes (all, if size < 0) of the file src from
// its offset, under the write lock: sendfile(2) on the non-blocking
// socket, and on EAGAIN a wait for writability through the driver,
// bounded by the write deadline and woken by Close.
func (fd *netFD) sendFileFrom(src int, size int64) (written int64, err error, handled bool) {
	if err := fd.writeLock(); err != nil {
		return 0, err, true
	}
	defer fd.writeUnlock()
	for {
		if fd.wdl.expired() {
			return written, errDeadline, true
		}
		chunk := maxRW
		if size >= 0 {
			chunk = int(min(size-written, maxRW))
		}
		n, err := unix.Sendfile(fd.sysfd, src, nil, chunk)
		if n > 0 {
			written += int64(n)
		}
		switch err {
		case nil:
			if n == 0 || size >= 0 && written >= size {
				return written, nil, true // EOF, or all of size sent
			}
		case unix.EAGAIN:
			if err := fd.drv.wait(fd, 'w'); err != nil {
				return written, err, true
			}
		case unix.EINTR:
		case unix.ENOSYS, unix.EOPNOTSUPP, unix.EINVAL:
			// Not a file sendfile can read (a pipe, a socket): unhandled
			// if nothing was sent, so that the caller copies instead.
			return written, err, written > 0
		default:
			return written, err, true
		}
	}
}
