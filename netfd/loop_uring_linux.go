package netfd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ringnet/ringnet/ring"
	"golang.org/x/sys/unix"
)

// The io_uring loop: one ring per loop, entered only by the goroutine
// running the loop. Each connection has one multishot recv armed, whose data
// lands in a buffer the kernel picks from the loop's provided-buffer ring
// when data arrives, so an idle connection holds no buffer. The handler
// sees the bytes in that buffer; what it does not consume is copied into
// the connection and the buffer goes back to the ring once the event was
// dispatched (done). Queued
// writes become one send SQE per connection at the end of the pass, and
// one io_uring_enter submits them all and waits for the next completions.
// Other goroutines wake the loop through an eventfd that a read SQE in the
// ring waits on.
type uringLoop struct {
	l    *loop
	r    *ring.Ring
	cfg  uringLoopConfig
	br   *ring.BufRing
	bufs []byte // the provided buffers, cfg.bufs × cfg.bufSize
	nbr  int    // buffers given back since the last BufRing.Advance
	cqes []*ring.CQE
	full bool // the last reap took a full batch: more may wait

	wakefd    int
	wakeBuf   *[8]byte       // the eventfd read's buffer, on the heap
	ts        *unix.Timespec // reap's wait limit, on the heap
	wakeArmed bool

	rearm []*LoopConn // connections whose recv ended and must be armed again

	// Counted for tests: recvs ended by an empty buffer ring, and passes
	// that found completions waiting in the kernel's overflow list.
	enobufs, overflows int
}

// uringLoopConfig sizes a loop's ring and buffers; tests shrink it to hit
// buffer exhaustion and CQ overflow.
type uringLoopConfig struct {
	flags   uint32
	sq, cq  uint32
	bufs    int // provided buffers (a power of two)
	bufSize int
	lock    bool // LockOSThread the loop goroutine (no hand-off then)
}

// uringLoopDefaults: an unlocked loop goroutine, on a ring without
// SINGLE_ISSUER|DEFER_TASKRUN (which tie a ring to one thread), so that
// any goroutine can take the loop over (the hand-off); COOP_TASKRUN spares
// the submitting threads an interrupt per completion. docs/design.md
// compares the two.
var uringLoopDefaults = uringLoopConfig{
	flags: ring.SetupCoopTaskrun | ring.SetupCQSize | ring.SetupSubmitAll,
	sq:    1024, cq: 16384,
	// Every buffer of the ring gets used in turn, so its whole size counts
	// in the RSS whatever the number of connections: 2 MiB per loop.
	bufs: 512, bufSize: 4 << 10,
}

// user_data of the loop's SQEs: a connection's recv or send is an op of
// the lifecycle the blocking driver uses too (uring_lifecycle_linux.go),
// its user_data l.opUD(c, dir); cancels have cancelUD, and the eventfd
// read wakeUD, which no op's user_data is (their top bits are clear).
const wakeUD = ^uint64(0) - 1

const loopBgid = 0

func newUringLoop(l *loop, cfg uringLoopConfig) (*uringLoop, error) {
	r, err := ring.New(cfg.sq, &ring.Params{Flags: cfg.flags, CQEntries: cfg.cq})
	if err != nil {
		return nil, &errUringSetup{reason: setupReason(err), err: err}
	}
	u := &uringLoop{l: l, r: r, cfg: cfg, cqes: make([]*ring.CQE, 256), wakeBuf: new([8]byte), wakefd: -1, ts: new(unix.Timespec)}
	if err := u.init(); err != nil {
		u.close()
		return nil, err
	}
	return u, nil
}

func (u *uringLoop) init() error {
	if err := probeOps(u.r); err != nil {
		return err
	}
	br, err := u.r.SetupBufRing(uint32(u.cfg.bufs), loopBgid)
	if err != nil {
		return err
	}
	u.br = br
	u.bufs = make([]byte, u.cfg.bufs*u.cfg.bufSize)
	for i := range u.cfg.bufs {
		br.Add(u.buf(uint16(i))[:u.cfg.bufSize], uint16(i), br.Mask(), i)
	}
	br.Advance(u.cfg.bufs)
	u.wakefd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	return os.NewSyscallError("eventfd", err)
}

func (u *uringLoop) buf(bid uint16) []byte {
	off := int(bid) * u.cfg.bufSize
	return u.bufs[off : off+u.cfg.bufSize : off+u.cfg.bufSize]
}

// sqe returns a free SQE, submitting the queued ones first if the SQ is
// full.
func (u *uringLoop) sqe() *ring.SQE {
	for {
		if s := u.r.GetSQE(); s != nil {
			return s
		}
		u.r.Submit()
	}
}

func (u *uringLoop) add(c *LoopConn) error {
	u.armRecv(c)
	return nil
}

func (u *uringLoop) armRecv(c *LoopConn) {
	s := u.sqe()
	recvMultishotOp.prep(s, c.sysfd, loopBgid)
	ud := u.l.opUD(c, recvDir)
	c.recv.start(ud)
	s.SetData64(ud)
}

func (u *uringLoop) send(c *LoopConn) {
	c.sending, c.out, c.sendOff = c.out, nil, 0
	u.prepSend(c)
}

func (u *uringLoop) prepSend(c *LoopConn) {
	s := u.sqe()
	sendOp.prep(s, c.sysfd, c.sending[c.sendOff:])
	ud := u.l.opUD(c, sendDir)
	c.send.start(ud)
	s.SetData64(ud)
}

func (u *uringLoop) stopRecv(c *LoopConn) {
	c.recvOff = true
	if ud, ok := c.recv.cancel(); ok {
		s := u.sqe()
		s.PrepCancel64(ud, 0)
		s.SetData64(cancelUD)
	}
}

func (u *uringLoop) resumeRecv(c *LoopConn) {
	c.recvOff = false
	if !c.recvArmed() && !c.eof {
		u.armRecv(c)
	} // else the cancel's final CQE re-arms it
}

func (u *uringLoop) release(*LoopConn) {}

// takeOver needs nothing: the buffer the old goroutine's method was
// given goes back to the ring through the loop's inbox (recvDone).
func (u *uringLoop) takeOver() {}

// recycle gives provided buffer bid back to the kernel.
func (u *uringLoop) recycle(bid uint16) {
	u.br.Add(u.buf(bid), bid, u.br.Mask(), u.nbr)
	u.nbr++
}

func (u *uringLoop) wake() {
	one := [8]byte{1}
	unix.Write(u.wakefd, one[:])
}

// reap makes the pass's one io_uring_enter: it submits every SQE queued
// since the last one and, if block, waits for a completion; then it
// takes one batch of completions, which holds at most len(cqes) of the
// provided buffers until it is dispatched.
func (u *uringLoop) reap(wait time.Duration) error {
	if u.nbr > 0 { // the buffers the last batch's events were done with
		u.br.Advance(u.nbr)
		u.nbr = 0
	}
	for _, c := range u.rearm {
		if c.state == connOpen && !c.recvOff && !c.recvArmed() && !c.eof {
			u.armRecv(c)
		}
	}
	clear(u.rearm)
	u.rearm = u.rearm[:0]
	if !u.wakeArmed {
		s := u.sqe()
		s.PrepRead(u.wakefd, u.wakeBuf[:], 0)
		s.SetData64(wakeUD)
		u.wakeArmed = true
	}
	var min uint32
	if wait != 0 && !u.full {
		min = 1
	}
	if u.r.CQOverflowPending() {
		u.overflows++ // this enter moves them into the CQ
	}
	var err error
	if min > 0 && wait > 0 {
		*u.ts = unix.NsecToTimespec(int64(wait))
		_, err = u.r.EnterTimeout(u.r.FlushSQ(), min, ring.EnterGetEvents, u.ts)
	} else {
		_, err = u.r.Enter(u.r.FlushSQ(), min, ring.EnterGetEvents)
	}
	if err != nil && !errors.Is(err, unix.EBUSY) && !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.ETIME) {
		return err
	}
	n := u.r.PeekBatchCQE(u.cqes)
	for _, cqe := range u.cqes[:n] {
		u.complete(cqe.UserData, cqe.Res, cqe.Flags)
	}
	u.r.CQAdvance(uint32(n))
	u.full = n == len(u.cqes)
	return nil
}

// waiting reports whether completions wait in the CQ (or its overflow
// list): the ring's head and tail are in memory shared with the kernel.
func (u *uringLoop) waiting() bool { return u.r.CQWaiting() || u.r.CQOverflowPending() }

// read: the io_uring loop queues received bytes (evData), never evReadable.
func (u *uringLoop) read(*LoopConn) bool { panic("netfd: io_uring loop: evReadable") }

// done gives an evData event's provided buffer back to the kernel.
func (u *uringLoop) done(ev event) {
	if ev.kind == evData {
		u.recycle(uint16(ev.buf))
	}
}

// complete takes one CQE into the loop's state and queue. Every CQE
// belongs to an op the loop started: one that matches no connection, or
// finds its op in a state where no CQE is due, means the bookkeeping is
// broken, and it panics rather than lose the event.
func (u *uringLoop) complete(ud uint64, res int32, flags uint32) {
	switch ud {
	case cancelUD:
		return // the cancel's own CQE; the op's comes on its own
	case wakeUD:
		u.wakeArmed = false
		return
	}
	slot := uint32(ud)
	var c *LoopConn
	if i := slot >> 1; int(i) < len(u.l.conns) {
		c = u.l.conns[i]
	}
	if c == nil {
		panic(fmt.Sprintf("netfd: io_uring loop: CQE (user_data %#x, res %d) for no connection", ud, res))
	}
	if slot&1 == sendDir {
		c.send.complete(ud, res, true, opIdle)
		u.sendDone(c, res)
		return
	}
	more := flags&ring.CQEFMore != 0
	c.recv.complete(ud, res, !more, opIdle)
	u.recvDone(c, res, flags)
}

func (u *uringLoop) recvDone(c *LoopConn, res int32, flags uint32) {
	n, bid, more, err := recvMultishotOp.result(res, flags)
	if !more {
	}
	switch {
	case err == nil && n > 0:
		u.l.queue(event{c: c, kind: evData, buf: int32(bid), data: u.buf(bid)[:n:n]})
	case err == nil:
		u.l.eof(c)
	case err == unix.ENOBUFS:
		// The ring ran dry: buffers come back during this pass and the
		// recv is armed again at the start of the next.
		u.enobufs++
	case err == unix.ECANCELED, err == unix.EAGAIN:
		// Cancelled (by stopRecv, or by the kernel) or interrupted: armed
		// again below unless receiving stopped.
	default:
		u.l.peerGone(c)
		c.fail(c.opError("read", err))
	}
	if more {
		return
	}
	if c.state == connOpen && !c.recvOff && !c.eof {
		u.rearm = append(u.rearm, c)
	}
	u.l.settle(c)
}

func (u *uringLoop) sendDone(c *LoopConn, res int32) {
	n, err := sendOp.result(res, 0)
	if (err == unix.EAGAIN || err == unix.ECANCELED) && c.err == nil {
		// Interrupted, or cancelled by the kernel (the loop never cancels
		// a send): nothing was sent, send the rest again.
		u.prepSend(c)
		return
	}
	if err == nil && n == 0 {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		u.dropSending(c)
		c.fail(c.opError("write", err))
		return
	}
	c.sendOff += n
	u.l.queued -= n
	if c.sendOff < len(c.sending) && c.err == nil {
		u.prepSend(c) // the kernel took part of it: send the rest
		return
	}
	u.dropSending(c) // sent, or failed meanwhile
	if len(c.out) > 0 && c.err == nil {
		u.send(c)
		return
	}
	u.l.sent(c)
}

// dropSending releases the buffer of c's finished send, with what the
// kernel did not take of it (a send that failed).
func (u *uringLoop) dropSending(c *LoopConn) {
	u.l.queued -= len(c.sending) - c.sendOff
	u.l.bufs.put(c.sending)
	c.sending, c.sendOff = nil, 0
}

// close cancels the eventfd read, waits for its completion (it writes into
// wakeBuf), and releases the ring. Every connection is gone by now.
func (u *uringLoop) close() {
	if u.wakeArmed {
		s := u.sqe()
		s.PrepCancel64(wakeUD, 0)
		s.SetData64(cancelUD)
		for u.wakeArmed {
			u.r.Enter(u.r.FlushSQ(), 1, ring.EnterGetEvents)
			n := u.r.PeekBatchCQE(u.cqes)
			for _, cqe := range u.cqes[:n] {
				if cqe.UserData == wakeUD {
					u.wakeArmed = false
				}
			}
			u.r.CQAdvance(uint32(n))
		}
	}
	if u.br != nil {
		u.r.FreeBufRing(u.br)
	}
	u.r.Close()
	if u.wakefd >= 0 {
		unix.Close(u.wakefd)
	}
}
