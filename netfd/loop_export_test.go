//go:build linux

package netfd

import "github.com/ringnet/ringnet/ring"

// NewLoopsSmallRing is NewLoops whose io_uring loops have an sq-entry SQ,
// a cq-entry CQ and bufs provided buffers of bufSize bytes, to run out of
// buffers and overflow the CQ on purpose.
func NewLoopsSmallRing(cfg LoopConfig, h LoopHandler, sq, cq uint32, bufs, bufSize int) (*Loops, error) {
	t := loopDefaults
	t.uring.sq, t.uring.cq, t.uring.bufs, t.uring.bufSize = sq, cq, bufs, bufSize
	return newLoops(cfg, h, t)
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
	"epoll":                variant(Epoll, func(t *loopTuning) {}),
	"epoll-locked":         variant(Epoll, func(t *loopTuning) { t.epollLock = true }),
	"uring":                variant(Uring, func(t *loopTuning) {}),
	"uring-locked":         variant(Uring, func(t *loopTuning) { t.uring.lock = true }),
	"uring-locked-regring": variant(Uring, func(t *loopTuning) { t.uring.lock, t.uring.regRing = true, true }),
	"uring-si-locked": variant(Uring, func(t *loopTuning) {
		t.uring.flags = ring.SetupSingleIssuer | ring.SetupDeferTaskrun | ring.SetupCQSize | ring.SetupSubmitAll
		t.uring.lock = true
	}),
	"uring-si-locked-regring": variant(Uring, func(t *loopTuning) {
		t.uring.flags = ring.SetupSingleIssuer | ring.SetupDeferTaskrun | ring.SetupCQSize | ring.SetupSubmitAll
		t.uring.lock, t.uring.regRing = true, true
	}),
}

// LoopVariantNames lists LoopVariants in the order benchmarks run them.
var LoopVariantNames = []string{"epoll", "epoll-locked", "uring", "uring-locked", "uring-locked-regring", "uring-si-locked", "uring-si-locked-regring"}

func variant(b Backend, f func(*loopTuning)) func(LoopConfig, LoopHandler) (*Loops, error) {
	return func(cfg LoopConfig, h LoopHandler) (*Loops, error) {
		t := loopDefaults
		f(&t)
		cfg.Backend = b
		return newLoops(cfg, h, t)
	}
}
