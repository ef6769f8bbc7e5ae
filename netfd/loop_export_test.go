//go:build linux

package netfd

import "github.com/ringnet/ringnet/ring"

// NewLoopsSmallRing is NewLoops whose io_uring loops have an sq-entry SQ,
// a cq-entry CQ and bufs provided buffers of bufSize bytes, to run out of
// buffers and overflow the CQ on purpose.
func NewLoopsSmallRing(cfg LoopConfig, h LoopHandler, sq, cq uint32, bufs, bufSize int) (*Loops, error) {
	u := uringLoopDefaults
	u.sq, u.cq, u.bufs, u.bufSize = sq, cq, bufs, bufSize
	return newLoops(cfg, h, u)
}

// RingStats returns, once the Loops is closed, how many recvs ended
// because the buffer ring was empty and how many passes found the CQ
// overflowed, over all io_uring loops.
func (g *Loops) RingStats() (enobufs, overflows int) {
	for _, l := range g.loops {
		if u, ok := l.k.(*uringLoop); ok {
			enobufs += u.enobufs
			overflows += u.overflows
		}
	}
	return enobufs, overflows
}

// LoopVariants are the loop designs docs/design.md compares, by name; the
// first of each backend is the default.
var LoopVariants = map[string]func(cfg LoopConfig, h LoopHandler) (*Loops, error){
	"epoll":        variant(Epoll, func(u *uringLoopConfig) {}),
	"uring":        variant(Uring, func(u *uringLoopConfig) {}),
	"uring-locked": variant(Uring, func(u *uringLoopConfig) { u.lock = true }),
	"uring-si-locked": variant(Uring, func(u *uringLoopConfig) {
		u.flags = ring.SetupSingleIssuer | ring.SetupDeferTaskrun | ring.SetupCQSize | ring.SetupSubmitAll
		u.lock = true
	}),
}

// LoopVariantNames lists LoopVariants in the order benchmarks run them.
var LoopVariantNames = []string{"epoll", "uring", "uring-locked", "uring-si-locked"}

func variant(b Backend, f func(*uringLoopConfig)) func(LoopConfig, LoopHandler) (*Loops, error) {
	return func(cfg LoopConfig, h LoopHandler) (*Loops, error) {
		u := uringLoopDefaults
		f(&u)
		cfg.Backend = b
		return newLoops(cfg, h, u)
	}
}

// CallInOnLoop returns, read on c's loop between two passes, the input
// c's last method was given that c still refers to: none once the method
// returned (a reference would pin the buffer it is in).
func CallInOnLoop(c *LoopConn) []byte {
	ch := make(chan []byte, 1)
	c.l.post(func() { ch <- c.callIn })
	return <-ch
}
