package ring

import "unsafe"

// probeOp mirrors struct io_uring_probe_op.
type probeOp struct {
	Op    uint8
	_     uint8
	Flags uint16
	_     uint32
}

// Probe mirrors struct io_uring_probe with room for every possible opcode.
type Probe struct {
	LastOp uint8 // the highest opcode this kernel knows
	OpsLen uint8 // entries filled in ops
	_      uint16
	_      [3]uint32
	ops    [256]probeOp
}

var _ [0]struct{} = [unsafe.Sizeof(Probe{}) - 16 - 256*8]struct{}{}

// Probe asks the kernel which opcodes it supports.
// Probe corresponds to io_uring_get_probe_ring.
func (r *Ring) Probe() (*Probe, error) {
	p := new(Probe)
	if _, err := r.register(regProbe, unsafe.Pointer(p), uint32(len(p.ops))); err != nil {
		return nil, err
	}
	return p, nil
}

// OpSupported reports whether the kernel supports opcode op.
// OpSupported corresponds to io_uring_opcode_supported.
func (p *Probe) OpSupported(op uint8) bool {
	if op > p.LastOp || int(op) >= int(p.OpsLen) {
		return false
	}
	return p.ops[op].Flags&opSupported != 0
}
