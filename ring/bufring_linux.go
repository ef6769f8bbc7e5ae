package ring

import (
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// bufEntry mirrors struct io_uring_buf. The ring's tail overlays the resv
// field of entry 0.
type bufEntry struct {
	Addr uint64
	Len  uint32
	Bid  uint16
	Resv uint16
}

// bufReg mirrors struct io_uring_buf_reg.
type bufReg struct {
	RingAddr    uint64
	RingEntries uint32
	Bgid        uint16
	Flags       uint16
	_           [3]uint64
}

// BufRing is a provided-buffer ring (struct io_uring_buf_ring): buffers the
// kernel picks from when an SQE has SQEBufferSelect and its group id. The
// application adds buffers (Add, then Advance); the kernel consumes them and
// names the one it used in CQE.BufferID. A BufRing is not safe for
// concurrent use. Buffers added must stay alive, unmoved and unused by the
// application until the kernel hands them back in a CQE, and then until
// they are re-added or the ring is freed.
type BufRing struct {
	mem     []byte // anonymous mapping shared with the kernel
	bufs    []bufEntry
	tail    uint16 // application's tail; published by Advance
	entries uint32
	bgid    uint16
}

// SetupBufRing maps and registers a buffer ring of entries slots (a power
// of two up to 32768) as group bgid. It starts empty.
// SetupBufRing corresponds to io_uring_setup_buf_ring.
func (r *Ring) SetupBufRing(entries uint32, bgid uint16) (*BufRing, error) {
	if entries == 0 || entries > 32768 || entries&(entries-1) != 0 {
		return nil, ErrBufRingEntries
	}
	size := int(entries) * int(unsafe.Sizeof(bufEntry{}))
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANONYMOUS|unix.MAP_PRIVATE)
	if err != nil {
		return nil, os.NewSyscallError("mmap", err)
	}
	reg := bufReg{RingAddr: uint64(uintptr(unsafe.Pointer(&mem[0]))), RingEntries: entries, Bgid: bgid}
	if _, err := r.register(regPbufRing, unsafe.Pointer(&reg), 1); err != nil {
		unix.Munmap(mem)
		return nil, err
	}
	br := &BufRing{mem: mem, entries: entries, bgid: bgid,
		bufs: unsafe.Slice((*bufEntry)(unsafe.Pointer(&mem[0])), entries)}
	return br, nil
}

// FreeBufRing unregisters br and unmaps it. Requests still using the group
// fail with -ENOBUFS. FreeBufRing corresponds to io_uring_free_buf_ring.
func (r *Ring) FreeBufRing(br *BufRing) error {
	reg := bufReg{Bgid: br.bgid}
	_, err := r.register(regUnregisterPbuf, unsafe.Pointer(&reg), 1)
	if err == nil {
		unix.Munmap(br.mem)
		br.mem, br.bufs = nil, nil
	}
	return err
}

// Mask returns the mask to pass to Add.
// Mask corresponds to io_uring_buf_ring_mask.
func (br *BufRing) Mask() int { return int(br.entries - 1) }

// Add puts buf with id bid in slot offset after the current tail, invisible
// to the kernel until Advance. buf must stay alive and unmoved until the
// kernel has used and returned it. Add corresponds to io_uring_buf_ring_add.
func (br *BufRing) Add(buf []byte, bid uint16, mask, offset int) {
	e := &br.bufs[(int(br.tail)+offset)&mask]
	e.Addr = bufAddr(buf)
	e.Len = uint32(len(buf))
	e.Bid = bid
}

// Advance makes n added buffers visible to the kernel by a release store
// of the tail. Advance corresponds to io_uring_buf_ring_advance.
func (br *BufRing) Advance(n int) {
	br.tail += uint16(n)
	// The 16-bit tail shares a 32-bit word with bufs[0].Bid, which only the
	// application writes; Go has no 16-bit atomic store, so store the word.
	word := (*uint32)(unsafe.Pointer(&br.bufs[0].Bid))
	var w [2]uint16
	w[0], w[1] = br.bufs[0].Bid, br.tail
	atomic.StoreUint32(word, *(*uint32)(unsafe.Pointer(&w)))
}
