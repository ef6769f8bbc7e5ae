package ring

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Params mirrors struct io_uring_params. Set Flags (and CQEntries with
// SetupCQSize, SQThreadIdle with SetupSQPoll) before New; New fills in the
// rest as the kernel reports it.
type Params struct {
	SQEntries    uint32
	CQEntries    uint32
	Flags        uint32
	SQThreadCPU  uint32
	SQThreadIdle uint32 // milliseconds
	Features     uint32
	WQFd         uint32
	resv         [3]uint32
	SQOff        SQRingOffsets
	CQOff        CQRingOffsets
}

// SQRingOffsets mirrors struct io_sqring_offsets: byte offsets into the ring mapping.
type SQRingOffsets struct {
	Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1 uint32
	UserAddr                                                        uint64
}

// CQRingOffsets mirrors struct io_cqring_offsets: byte offsets into the ring mapping.
type CQRingOffsets struct {
	Head, Tail, RingMask, RingEntries, Overflow, CQEs, Flags, Resv1 uint32
	UserAddr                                                        uint64
}

var _ [0]struct{} = [unsafe.Sizeof(Params{}) - 120]struct{}{}

// Ring is one io_uring instance: the shared SQ and CQ rings and the SQE array.
//
// Concurrency: the SQ side (GetSQE, Prep*, Submit*, SQReady, SQSpaceLeft) must
// be used by one goroutine at a time; callers serialize GetSQE..Submit with
// their own lock. The CQ side (PeekCQE, PeekBatchCQE, CQAdvance, CQESeen,
// WaitCQE, CQReady) likewise. One goroutine may use the SQ side while another
// uses the CQ side. Register* calls are system calls and may run anywhere.
// Close must not run concurrently with anything else.
type Ring struct {
	fd         int    // the io_uring fd; -1 after Close
	enterFd    int    // fd, or the registered index after RegisterRingFd
	enterFlags uint32 // EnterRegisteredRing after RegisterRingFd
	flags      uint32 // setup flags
	features   uint32

	ringMem []byte // SQ and CQ rings: one mapping (FeatSingleMmap)
	sqeMem  []byte // the SQE array

	sq subQueue
	cq compQueue
}

// subQueue is the submission side. k* point into ringMem and are shared
// with the kernel; sqeHead and sqeTail belong to the SQ-side caller.
type subQueue struct {
	khead, ktail, kflags, kdropped *uint32
	mask, entries                  uint32
	sqes                           []SQE  // view of sqeMem
	sqeHead                        uint32 // first SQE not yet published to ktail
	sqeTail                        uint32 // next SQE GetSQE hands out
}

// compQueue is the completion side; k* are shared with the kernel.
type compQueue struct {
	khead, ktail, koverflow, kflags *uint32
	mask, entries                   uint32
	cqes                            []CQE // view of ringMem
}

// New creates a ring with at least entries SQEs (rounded up to a power of
// two by the kernel). p may be nil; if not, it is updated with what the
// kernel chose. New corresponds to io_uring_queue_init_params.
//
// It needs IORING_FEAT_SINGLE_MMAP (Linux 5.4) and returns ErrNoSingleMmap
// without it. If io_uring is unavailable the error wraps ENOSYS (no
// io_uring), EPERM (io_uring_disabled or seccomp) or EINVAL (unknown flags).
func New(entries uint32, p *Params) (*Ring, error) {
	if p == nil {
		p = new(Params)
	}
	if p.Flags&setupUnsupported != 0 {
		return nil, ErrSetupFlags
	}
	fd, err := sysSetup(entries, p)
	if err != nil {
		return nil, err
	}
	r := &Ring{fd: fd, enterFd: fd, flags: p.Flags, features: p.Features}
	if p.Features&FeatSingleMmap == 0 {
		unix.Close(fd)
		return nil, ErrNoSingleMmap
	}
	if err := r.mmap(p); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return r, nil
}

// mmap maps the rings and the SQE array and points the queues into them.
func (r *Ring) mmap(p *Params) error {
	size := max(p.SQOff.Array+p.SQEntries*4, p.CQOff.CQEs+p.CQEntries*uint32(unsafe.Sizeof(CQE{})))
	mem, err := unix.Mmap(r.fd, offSQRing, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return os.NewSyscallError("mmap", err)
	}
	sqeMem, err := unix.Mmap(r.fd, offSQEs, int(p.SQEntries)*int(unsafe.Sizeof(SQE{})), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		unix.Munmap(mem)
		return os.NewSyscallError("mmap", err)
	}
	r.ringMem, r.sqeMem = mem, sqeMem

	so := &p.SQOff
	r.sq = subQueue{
		khead: u32at(mem, so.Head), ktail: u32at(mem, so.Tail),
		kflags: u32at(mem, so.Flags), kdropped: u32at(mem, so.Dropped),
		mask: *u32at(mem, so.RingMask), entries: *u32at(mem, so.RingEntries),
		sqes: unsafe.Slice((*SQE)(unsafe.Pointer(&sqeMem[0])), p.SQEntries),
	}
	if p.Flags&SetupNoSQArray == 0 {
		// Map SQ slot i to SQE i once, so submitting only moves the tail.
		array := unsafe.Slice(u32at(mem, so.Array), p.SQEntries)
		for i := range array {
			array[i] = uint32(i)
		}
	}
	co := &p.CQOff
	r.cq = compQueue{
		khead: u32at(mem, co.Head), ktail: u32at(mem, co.Tail),
		koverflow: u32at(mem, co.Overflow), kflags: u32at(mem, co.Flags),
		mask: *u32at(mem, co.RingMask), entries: *u32at(mem, co.RingEntries),
		cqes: unsafe.Slice((*CQE)(unsafe.Pointer(&mem[co.CQEs])), p.CQEntries),
	}
	return nil
}

// u32at points at the uint32 at byte offset off of an mmap'd region.
func u32at(mem []byte, off uint32) *uint32 {
	return (*uint32)(unsafe.Pointer(&mem[off]))
}

// Close unmaps the rings and closes the ring fd. The kernel then cancels
// what is still in flight in the background, with no CQE to tell when it is
// done: memory of requests whose last CQE was not reaped before Close
// should stay referenced (or be leaked), not reused. Buffer rings are not
// freed: call FreeBufRing first. Close corresponds to io_uring_queue_exit.
func (r *Ring) Close() error {
	if r.fd < 0 {
		return ErrClosed
	}
	unix.Munmap(r.sqeMem)
	unix.Munmap(r.ringMem)
	r.sqeMem, r.ringMem, r.sq, r.cq = nil, nil, subQueue{}, compQueue{}
	err := unix.Close(r.fd)
	r.fd, r.enterFd = -1, -1
	if err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}

// Fd returns the ring's file descriptor (liburing's ring->ring_fd).
func (r *Ring) Fd() int { return r.fd }

// Features returns the IORING_FEAT_* flags the kernel reported
// (io_uring_params.features; liburing keeps them in ring->features).
func (r *Ring) Features() uint32 { return r.features }

// Flags returns the IORING_SETUP_* flags of the ring (liburing's ring->flags).
func (r *Ring) Flags() uint32 { return r.flags }
