//go:build linux

package netfd

// NewLoopsSmallRing is NewLoops whose io_uring loops have an sq-entry SQ,
// a cq-entry CQ and bufs provided buffers of bufSize bytes, to run out of
// buffers and overflow the CQ on purpose.
func NewLoopsSmallRing(cfg LoopConfig, h LoopHandler, sq, cq uint32, bufs, bufSize int) (*Loops, error) {
	u := uringLoopDefaults
	u.sq, u.cq, u.bufs, u.bufSize = sq, cq, bufs, bufSize
	return newLoops(cfg, h, &u)
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
