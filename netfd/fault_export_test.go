//go:build linux

package netfd

import (
	"math/rand/v2"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Fault injection for tests: the faultFunc of op_linux.go, driven by
// plans that tests register per local port (every socket a listener
// accepts shares its port; a dialled socket has its own), so that tests
// running side by side only fault their own sockets.

// A FaultOp is one form of an op a Fault applies to.
type FaultOp = faultOp

const (
	RecvSys       = faultRecvSys       // read(2): epoll driver and loop, io_uring's read of queued data
	SendSys       = faultSendSys       // write(2): epoll driver and loop
	RecvRing      = faultRecvRing      // IORING_OP_RECV: io_uring driver
	SendRing      = faultSendRing      // IORING_OP_SEND: io_uring driver and loop
	RecvMultishot = faultRecvMultishot // multishot IORING_OP_RECV: io_uring loop
)

// A Fault is one kind of fault to inject on some ops.
type Fault struct {
	Ops   []FaultOp
	Errno syscall.Errno // fail the op with it instead of making it
	Limit int           // or make the op with 1 to Limit bytes (a short read or write)
	Odds  int           // strike one op in Odds (0 or 1: every op)
	Run   int           // once struck, strike this many ops of the socket in a row (a storm)
	After int           // strike no op of a socket before it made this many of Ops
	Once  bool          // strike each socket at most once (one run)
}

// A FaultPlan is the faults of one port and how often they struck.
type FaultPlan struct {
	faults []Fault
	mu     sync.Mutex // guards what follows
	rnd    *rand.Rand
	socks  map[int]*faultSock
	struck int
}

// faultSock is a socket's history under one Fault of the plan.
type faultSock struct {
	ops, run []int // per Fault: ops seen, strikes left in the current run
	done     []bool
}

// Struck returns how many ops the plan's faults struck so far.
func (p *FaultPlan) Struck() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.struck
}

var (
	faultMu    sync.Mutex
	faultPlans = map[int]*FaultPlan{}
)

// InjectFaults makes faults strike the ops of the sockets bound to local
// port port until the test ends. seed makes the odds repeatable.
func InjectFaults(t testing.TB, port int, seed uint64, faults ...Fault) *FaultPlan {
	p := &FaultPlan{faults: faults, rnd: rand.New(rand.NewPCG(seed, uint64(port))), socks: map[int]*faultSock{}}
	faultMu.Lock()
	if faultPlans[port] != nil {
		faultMu.Unlock()
		t.Fatalf("faults already injected on port %d", port)
	}
	faultPlans[port] = p
	if len(faultPlans) == 1 {
		f := faultFunc(injectFault)
		faultsOn.Store(&f)
	}
	faultMu.Unlock()
	t.Cleanup(func() {
		faultMu.Lock()
		delete(faultPlans, port)
		if len(faultPlans) == 0 {
			faultsOn.Store(nil)
		}
		faultMu.Unlock()
	})
	return p
}

// injectFault is the faultFunc: the plan of fd's local port decides.
func injectFault(op faultOp, fd int) fault {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return fault{}
	}
	var port int
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		port = sa.Port
	case *unix.SockaddrInet6:
		port = sa.Port
	default:
		return fault{}
	}
	faultMu.Lock()
	p := faultPlans[port]
	faultMu.Unlock()
	if p == nil {
		return fault{}
	}
	f := p.decide(op, fd)
	if f.errno == unix.EAGAIN || f.limit > 0 {
		wakeAfterFault(op, fd)
	}
	return f
}

func (p *FaultPlan) decide(op faultOp, fd int) fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.socks[fd]
	if s == nil {
		n := len(p.faults)
		s = &faultSock{ops: make([]int, n), run: make([]int, n), done: make([]bool, n)}
		p.socks[fd] = s
	}
	for i, f := range p.faults {
		if !hasOp(f.Ops, op) || s.done[i] {
			continue
		}
		s.ops[i]++
		if s.ops[i] <= f.After {
			continue
		}
		if s.run[i] == 0 && (f.Odds <= 1 || p.rnd.IntN(f.Odds) == 0) {
			s.run[i] = max(f.Run, 1)
		}
		if s.run[i] == 0 {
			continue
		}
		s.run[i]--
		s.done[i] = f.Once && s.run[i] == 0
		p.struck++
		if f.Errno != 0 {
			return fault{errno: f.Errno}
		}
		return fault{limit: 1 + p.rnd.IntN(f.Limit)}
	}
	return fault{}
}

func hasOp(ops []FaultOp, op FaultOp) bool {
	for _, o := range ops {
		if o == op {
			return true
		}
	}
	return false
}

// wakeAfterFault keeps the promise of edge-triggered readiness that an
// EAGAIN (or a read shorter than what was queued) makes: an edge follows
// once the socket is ready. The op was not made, or made smaller, so the
// socket may be ready now; the kernel is asked to signal it, as it would
// if the data or the room had come just after the call.
//
// For reading, setting SO_RCVLOWAT (to its default, 1) signals EPOLLIN if
// data or EOF waits (tcp_set_rcvlowat calls tcp_data_ready). For writing,
// poll(2) finds whether there is room; if not, it marks the socket
// SOCK_NOSPACE, as a write that found no room does, so that the next ACK
// signals EPOLLOUT; if so, setting TCP_NOTSENT_LOWAT (to its own value)
// signals it now (it calls sk_write_space).
func wakeAfterFault(op faultOp, fd int) {
	switch op {
	case faultRecvSys, faultRecvRing:
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVLOWAT, 1)
	case faultSendSys, faultSendRing:
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		if n, _ := unix.Poll(pfd, 0); n == 1 && pfd[0].Revents&unix.POLLOUT != 0 {
			if v, err := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT); err == nil {
				unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT, v)
			}
		}
	}
}

// UringOverflows returns how often the io_uring driver of backend b found
// completions in the kernel's overflow list.
func UringOverflows(b Backend) int64 {
	d, err := driverFor(b)
	if err != nil {
		return 0
	}
	if u, ok := d.(*uringDriver); ok {
		return u.ring.overflows.Load()
	}
	return 0
}

// HoldUringCQ stops the io_uring driver of backend b from taking
// completions out of its CQ (it holds the CQ lock that the reaper and the
// submitters drain under) until release is called; overflowed reports
// whether the kernel has had to put completions in its overflow list.
func HoldUringCQ(b Backend) (overflowed func() bool, release func()) {
	d, err := driverFor(b)
	if err != nil {
		panic(err)
	}
	u := d.(*uringDriver).ring
	u.cqmu.Lock()
	return u.r.CQOverflowPending, u.cqmu.Unlock
}

// LoopConnFd returns the descriptor of c, -1 once closed or detached.
func LoopConnFd(c *LoopConn) int { return c.sysfd }
