package netfd

import (
	"sync"
	"sync/atomic"
)

// slotTable maps small integers (the slot in an event's token or a
// completion's user_data) to FDs or in-flight operations. Lookups are lock-free, so the poller never
// contends with goroutines opening and closing descriptors; alloc and free
// take a mutex. Pages are allocated on first use and never freed.
type slotTable[T any] struct {
	pages [slotPages]atomic.Pointer[slotPage[T]]

	mu       sync.Mutex // guards freeList and next
	freeList []uint32
	next     uint32
}

const (
	slotPageSize = 1024
	slotPages    = 16384 // 16M descriptors
)

type slotPage[T any] [slotPageSize]atomic.Pointer[T]

func (t *slotTable[T]) get(slot uint32) *T {
	page := t.pages[(slot/slotPageSize)%slotPages].Load()
	if page == nil {
		return nil
	}
	return page[slot%slotPageSize].Load()
}

// alloc reserves a slot; set publishes a netFD in it. Everything the poller
// reads from the netFD must be written before set.
func (t *slotTable[T]) alloc() uint32 {
	t.mu.Lock()
	var slot uint32
	if n := len(t.freeList); n > 0 {
		slot = t.freeList[n-1]
		t.freeList = t.freeList[:n-1]
	} else {
		slot = t.next
		t.next++
	}
	page := t.pages[slot/slotPageSize].Load()
	if page == nil {
		page = new(slotPage[T])
		t.pages[slot/slotPageSize].Store(page)
	}
	t.mu.Unlock()
	return slot
}

func (t *slotTable[T]) set(slot uint32, v *T) {
	t.pages[slot/slotPageSize].Load()[slot%slotPageSize].Store(v)
}

func (t *slotTable[T]) free(slot uint32) {
	t.pages[slot/slotPageSize].Load()[slot%slotPageSize].Store(nil)
	t.mu.Lock()
	t.freeList = append(t.freeList, slot)
	t.mu.Unlock()
}
