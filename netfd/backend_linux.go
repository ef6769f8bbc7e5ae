//go:build linux

package netfd

import "golang.org/x/sys/unix"

// A driver runs the blocking-style operations of a netFD on one kind of kernel
// interface. The netFD owns what is common to every driver: the descriptor's
// lifetime (reference count and closing flag), the serialization of
// concurrent reads and of concurrent writes, and the deadlines. A driver
// owns the waiting: how an operation that cannot complete now is parked, and
// how it is woken.
//
// Every driver must provide:
//
//	name() Backend
//		Returns the backend the driver implements.
//
//	open(fd *netFD) error
//		Prepares per-descriptor state for fd, a non-blocking socket. Called
//		once, before any other method sees fd. On error the netFD closes sysfd.
//
//	read(fd *netFD, p []byte) (int, error)
//		Reads at most len(p) > 0 bytes, blocking until some arrive, the
//		peer shuts down (0, nil), or an error occurs. Called with the read
//		lock held.
//
//	write(fd *netFD, p []byte) (int, error)
//		Writes some of p, len(p) > 0, blocking until the kernel accepted at
//		least one byte or an error occurs; returns how much was written.
//		(0, nil) means the kernel took nothing and will not. The netFD
//		calls it until all of p is written. Called with the write lock
//		held.
//
//	accept(fd *netFD) (int, unix.Sockaddr, error)
//		Accepts one connection as a non-blocking, close-on-exec descriptor.
//		Called with the read lock held.
//
//	connect(fd *netFD, sa unix.Sockaddr) error
//		Connects fd to sa, blocking until the connection is established or
//		has failed. Called before fd is visible to any other goroutine,
//		with the write deadline as the dial deadline.
//
//	wait(fd *netFD, mode int) error
//		Blocks until fd may be ready for mode ('r' or 'w'), for RawConn.
//
//	wake(fd *netFD, mode int)
//		Interrupts the operation blocked in mode: its deadline expired or
//		fd is closing. Both conditions are published in fd before wake is
//		called; a blocked operation must observe them and return
//		os.ErrDeadlineExceeded or net.ErrClosed. wake may be called at any
//		time, from any goroutine, also when nothing is blocked.
//
//	release(fd *netFD) error
//		Releases per-descriptor state but leaves Sysfd open, for a loop to
//		take over (Loops.Attach). Called instead of close, under the same
//		conditions.
//
//	close(fd *netFD) error
//		Releases per-descriptor state and closes sysfd. Called exactly once,
//		after the last operation on fd has returned.
//
// Operations return bare errors (unix.Errno, net.ErrClosed,
// os.ErrDeadlineExceeded); the Conn and Listener wrap them as the net
// package does.
type driver interface {
	name() Backend
	open(fd *netFD) error
	read(fd *netFD, p []byte) (int, error)
	write(fd *netFD, p []byte) (int, error)
	accept(fd *netFD) (int, unix.Sockaddr, error)
	connect(fd *netFD, sa unix.Sockaddr) error
	wait(fd *netFD, mode int) error
	wake(fd *netFD, mode int)
	release(fd *netFD) error
	close(fd *netFD) error
}
