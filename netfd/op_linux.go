package netfd

import (
	"os"
	"sync/atomic"

	"github.com/ringnet/ringnet/ring"
	"golang.org/x/sys/unix"
)

// The socket operations netfd performs, each described once with its two
// forms, as monoio's OpAble describes an op by its uring_op and its
// legacy_call:
//
//	sys(fd, ...) (n, err)
//		The syscall form, on a non-blocking socket: what the epoll driver
//		and the epoll loop call. err is nil, unix.EAGAIN ("not now": wait
//		for readiness and call again) or final, an *os.SyscallError. EINTR
//		is retried inside.
//
//	prep(sqe, fd, ...)
//		The io_uring form: fills sqe (all but its user_data) for the same
//		operation. What prep points the kernel at (buffer, socket address)
//		must stay reachable until the op's last CQE.
//
//	result(res, flags) (n, err)
//		Turns the op's CQE into sys's result: err is nil, unix.EAGAIN
//		("submit again"), final as an *os.SyscallError, or a bare
//		unix.ECANCELED, which only the submitter can sort out (whose
//		close or deadline cancelled it).
//
// The loops that wait are written once per driver around these: "try sys,
// wait for the edge on EAGAIN, try again" (waiter.do in
// driver_epoll_linux.go) and "prep, submit, await the CQE, sort result"
// (uring.do in driver_uring_ops_linux.go). The event loops use the same
// descriptions with their own waiting.
//
// The ops are values of empty types, so that a call reads as
// recvOp.sys(fd, buf) and costs what the bare syscall does.
var (
	recvOp          opRecv          // read(2) / IORING_OP_RECV
	sendOp          opSend          // write(2) / IORING_OP_SEND with MSG_NOSIGNAL
	acceptOp        opAccept        // accept4(2) / multishot IORING_OP_ACCEPT
	connectOp       opConnect       // connect(2) + SO_ERROR / IORING_OP_CONNECT
	recvMultishotOp opRecvMultishot // read(2) until EAGAIN / multishot IORING_OP_RECV on a buffer ring
	pollOp          opPoll          // the epoll driver's park / IORING_OP_POLL_ADD
)

type (
	opRecv          struct{}
	opSend          struct{}
	opAccept        struct{}
	opConnect       struct{}
	opRecvMultishot struct{}
	opPoll          struct{}
)

// sys reads at most len(p) > 0 bytes: (0, nil) is EOF.
func (opRecv) sys(fd int, p []byte) (int, error) { return rwSys(faultRecvSys, fd, p) }

// prep receives into p. pollFirst (IORING_RECVSEND_POLL_FIRST) skips the
// attempt the kernel would make at once: for a socket known to be empty,
// that attempt would find nothing.
func (opRecv) prep(sqe *ring.SQE, fd int, p []byte, pollFirst bool) {
	sqe.PrepRecv(fd, p, 0)
	if pollFirst {
		sqe.IoPrio |= ring.RecvsendPollFirst
	}
	if f := faultsOn.Load(); f != nil {
		f.prep(sqe, faultRecvRing, fd)
	}
}

// result is the byte count, 0 at EOF. When the CQE's flags carry
// ring.CQEFSockNonempty, data was left in the socket.
func (opRecv) result(res int32, _ uint32) (int, error) {
	if res >= 0 {
		return int(res), nil
	}
	return 0, cqeErr("read", res)
}

// sys writes some of p > 0 bytes; (0, nil) means the kernel took nothing
// and never will (the caller reports io.ErrUnexpectedEOF).
func (opSend) sys(fd int, p []byte) (int, error) { return rwSys(faultSendSys, fd, p) }

// rwSys is the sys form of recv (op faultRecvSys) and of send
// (faultSendSys): read(2) or write(2), retried on EINTR, its error sorted
// as sys promises. It picks the syscall by op rather than taking it as a
// func value: this loop is too big to inline, and a call through a func
// value with p would make p escape, and with it every caller's buffer.
// Each sys passes a constant op, so the switch costs a predicted branch.
func rwSys(op faultOp, fd int, p []byte) (int, error) {
	for {
		var n int
		var err error
		// An empty write (netFD.Write's probe for EPIPE) skips the fault
		// hook: it sends nothing to fault.
		switch f := faultsOn.Load(); {
		case op == faultRecvSys && f == nil:
			n, err = unix.Read(fd, p)
		case op == faultRecvSys:
			n, err = f.read(fd, p)
		case f == nil || len(p) == 0:
			n, err = unix.Write(fd, p)
		default:
			n, err = f.write(fd, p)
		}
		switch err {
		case nil:
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, err
		}
		name := "read"
		if op == faultSendSys {
			name = "write"
		}
		return 0, os.NewSyscallError(name, err)
	}
}

// prep sends p with MSG_NOSIGNAL: a broken connection answers EPIPE
// without raising SIGPIPE.
func (opSend) prep(sqe *ring.SQE, fd int, p []byte) {
	sqe.PrepSend(fd, p, unix.MSG_NOSIGNAL)
	if f := faultsOn.Load(); f != nil {
		f.prep(sqe, faultSendRing, fd)
	}
}

// result is the byte count, which may be short.
func (opSend) result(res int32, _ uint32) (int, error) {
	if res >= 0 {
		return int(res), nil
	}
	return 0, cqeErr("write", res)
}

// acceptFlags make every accepted descriptor non-blocking and close-on-exec.
const acceptFlags = unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC

// sys accepts one connection. A connection reset before it was taken
// (ECONNABORTED) is skipped, as EINTR is.
func (opAccept) sys(fd int) (int, unix.Sockaddr, error) {
	for {
		nfd, sa, err := unix.Accept4(fd, acceptFlags)
		switch err {
		case nil:
			return nfd, sa, nil
		case unix.EINTR, unix.ECONNABORTED:
			continue
		case unix.EAGAIN:
			return -1, nil, err
		}
		return -1, nil, os.NewSyscallError("accept4", err)
	}
}

// prep arms a multishot accept: one CQE per connection, with
// ring.CQEFMore while it stays armed. The peer's address is not asked
// for; it would be overwritten by every accept (the driver calls
// getpeername).
func (opAccept) prep(sqe *ring.SQE, fd int) {
	sqe.PrepMultishotAccept(fd, nil, nil, acceptFlags)
}

// result is one accepted descriptor; unix.EAGAIN also stands for a
// connection reset before it was taken.
func (opAccept) result(res int32, _ uint32) (int, error) {
	if res >= 0 {
		return int(res), nil
	}
	if unix.Errno(-res) == unix.ECONNABORTED {
		return -1, unix.EAGAIN
	}
	return -1, cqeErr("accept4", res)
}

// sys starts connecting to sa: nil once connected, unix.EAGAIN while the
// handshake runs. After each wake-up for writing, check says how it went.
func (opConnect) sys(fd int, sa unix.Sockaddr) error {
	switch err := unix.Connect(fd, sa); err {
	case nil, unix.EISCONN:
		return nil
	case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
		return unix.EAGAIN
	default:
		return os.NewSyscallError("connect", err)
	}
}

// check reads SO_ERROR after a connect in progress was woken for writing:
// nil once connected, unix.EAGAIN if the wake-up was spurious.
func (opConnect) check(fd int) error {
	nerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return os.NewSyscallError("getsockopt", err)
	}
	switch e := unix.Errno(nerr); e {
	case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
		return unix.EAGAIN
	case unix.EISCONN:
		return nil
	case 0:
		if _, err := unix.Getpeername(fd); err == nil {
			return nil
		}
		return unix.EAGAIN
	default:
		return os.NewSyscallError("connect", e)
	}
}

// prep connects to the n-byte address rsa, which must stay reachable
// until the CQE.
func (opConnect) prep(sqe *ring.SQE, fd int, rsa *unix.RawSockaddrAny, n uint32) {
	sqe.PrepConnect(fd, rsa, n)
}

// result is nil once connected. A connect that a cancel interrupted
// leaves the handshake running; submitting it again reports its state, so
// EALREADY and EINPROGRESS are unix.EAGAIN.
func (opConnect) result(res int32, _ uint32) (int, error) {
	switch e := unix.Errno(-res); {
	case res == 0, e == unix.EISCONN:
		return 0, nil
	case e == unix.EALREADY, e == unix.EINPROGRESS:
		return 0, unix.EAGAIN
	}
	return 0, cqeErr("connect", res)
}

// sys is one read of a loop's receive: the loop calls it until it says
// EAGAIN (or the loop's own bound), which is what the multishot form
// does in the kernel. It calls rwSys itself, not recvOp.sys, to stay
// within the inliner's budget: the loop then calls rwSys directly.
func (opRecvMultishot) sys(fd int, p []byte) (int, error) { return rwSys(faultRecvSys, fd, p) }

// prep arms a receive that posts one CQE per arrival, its bytes in a
// buffer the kernel picks from the provided-buffer group bgid when data
// comes, so that an idle connection holds none.
func (opRecvMultishot) prep(sqe *ring.SQE, fd int, bgid uint16) {
	sqe.PrepRecvMultishot(fd, 0)
	sqe.SetBufGroup(bgid)
	if f := faultsOn.Load(); f != nil {
		f.prep(sqe, faultRecvMultishot, fd)
	}
}

// result is one CQE of the receive: n > 0 bytes in the provided buffer
// bid, or n == 0 at EOF. more says the receive stays armed; when it is
// false the receive has ended and must be armed again to go on. err is
// nil, unix.ENOBUFS (the buffer group ran dry: give buffers back and
// re-arm), unix.EAGAIN (for EINTR and EAGAIN too, as cqeErr says: re-arm),
// a bare unix.ECANCELED, or final, named "read" as sys's is, so that both
// forms report a failure alike.
func (opRecvMultishot) result(res int32, flags uint32) (n int, bid uint16, more bool, err error) {
	more = flags&ring.CQEFMore != 0
	if res >= 0 {
		return int(res), uint16(flags >> ring.CQEBufferShift), more, nil
	}
	switch e := unix.Errno(-res); e {
	case unix.ENOBUFS, unix.ECANCELED:
		return 0, 0, more, e
	case unix.EINTR, unix.EAGAIN:
		return 0, 0, more, unix.EAGAIN
	}
	return 0, 0, more, os.NewSyscallError("read", unix.Errno(-res))
}

// prep waits until fd is ready for mode ('r' or 'w'), for RawConn. The
// epoll form is waiter.park: readiness there comes with the edge.
func (opPoll) prep(sqe *ring.SQE, fd int, mode int) {
	mask := uint32(unix.POLLIN | unix.POLLRDHUP)
	if mode == 'w' {
		mask = unix.POLLOUT
	}
	sqe.PrepPollAdd(fd, mask)
}

// result is nil once fd is ready.
func (opPoll) result(res int32, _ uint32) (int, error) {
	if res >= 0 {
		return 0, nil
	}
	return 0, cqeErr("poll", res)
}

// cqeErr sorts a CQE's negative result res the way result promises:
// ECANCELED bare, EINTR and EAGAIN as unix.EAGAIN, the rest as the
// *os.SyscallError of name.
func cqeErr(name string, res int32) error {
	switch e := unix.Errno(-res); e {
	case unix.ECANCELED:
		return e
	case unix.EINTR, unix.EAGAIN:
		return unix.EAGAIN
	default:
		return os.NewSyscallError(name, e)
	}
}

// Fault injection, for tests. faultsOn is nil unless a test installed a
// faultFunc (fault_export_test.go); then every recv and send, in both of
// its forms, asks it first what to do with the op. Off, it costs each op
// one load and a branch (docs/robustness.md has the benchmarks).
var faultsOn atomic.Pointer[faultFunc]

// A faultFunc decides what becomes of op on descriptor fd.
type faultFunc func(op faultOp, fd int) fault

type faultOp uint8

const (
	faultRecvSys       faultOp = iota // recvOp.sys, also under recvMultishotOp.sys
	faultSendSys                      // sendOp.sys
	faultRecvRing                     // recvOp.prep
	faultSendRing                     // sendOp.prep
	faultRecvMultishot                // recvMultishotOp.prep
)

// A fault is what becomes of one op. The zero value leaves it alone.
// errno != 0 fails it with that error instead of making it: the sys form
// returns it as the syscall would (EINTR, EAGAIN and all), the io_uring
// form becomes a NOP whose CQE carries -errno. limit > 0 makes the op
// with at most limit bytes: a short read or write.
type fault struct {
	errno unix.Errno
	limit int
}

// read and write are the syscalls of the sys forms with the fault f
// decides: the error instead of the call, or the call with fewer bytes.
func (f *faultFunc) read(fd int, p []byte) (int, error) {
	ft := (*f)(faultRecvSys, fd)
	if ft.errno != 0 {
		return 0, ft.errno
	}
	return unix.Read(fd, p[:ft.shorten(len(p))])
}

func (f *faultFunc) write(fd int, p []byte) (int, error) {
	ft := (*f)(faultSendSys, fd)
	if ft.errno != 0 {
		return 0, ft.errno
	}
	return unix.Write(fd, p[:ft.shorten(len(p))])
}

// shorten returns how many of n bytes the op is made with.
func (ft fault) shorten(n int) int {
	if ft.limit > 0 && ft.limit < n {
		return ft.limit
	}
	return n
}

// nopInjectResult is IORING_NOP_INJECT_RESULT: the NOP posts sqe->len as
// its result. A kernel without it fails the NOP with -EINVAL, which the
// fault tests would report as a failure, not as the fault.
const nopInjectResult = 1

func (f *faultFunc) prep(sqe *ring.SQE, op faultOp, fd int) {
	ft := (*f)(op, fd)
	switch {
	case ft.errno != 0:
		*sqe = ring.SQE{Opcode: ring.OpNop, Len: uint32(-int32(ft.errno)), OpFlags: nopInjectResult, UserData: sqe.UserData}
	default:
		sqe.Len = uint32(ft.shorten(int(sqe.Len)))
	}
}
