package ring

import (
	"runtime"
	"unsafe"
)

// filesUpdate mirrors struct io_uring_files_update.
type filesUpdate struct {
	Offset uint32
	_      uint32
	Fds    uint64
}

// rsrcUpdate mirrors struct io_uring_rsrc_update.
type rsrcUpdate struct {
	Offset uint32
	_      uint32
	Data   uint64
}

func (r *Ring) register(op uint32, arg unsafe.Pointer, nr uint32) (int, error) {
	return sysRegister(r.fd, op, arg, nr)
}

// RegisterEventFD makes the kernel signal the eventfd fd for every posted
// CQE, so a goroutine can wait for completions through the runtime poller.
// RegisterEventFD corresponds to io_uring_register_eventfd.
func (r *Ring) RegisterEventFD(fd int) error {
	v := int32(fd)
	_, err := r.register(regRegisterEventFD, unsafe.Pointer(&v), 1)
	return err
}

// RegisterEventFDAsync is RegisterEventFD signalling only completions
// posted from an io-wq worker, not inline ones.
// RegisterEventFDAsync corresponds to io_uring_register_eventfd_async.
func (r *Ring) RegisterEventFDAsync(fd int) error {
	v := int32(fd)
	_, err := r.register(regEventFDAsync, unsafe.Pointer(&v), 1)
	return err
}

// UnregisterEventFD removes the registered eventfd.
// UnregisterEventFD corresponds to io_uring_unregister_eventfd.
func (r *Ring) UnregisterEventFD() error {
	_, err := r.register(regUnregisterEventFD, nil, 0)
	return err
}

// RegisterFiles registers fds as the fixed file table: an SQE with
// SQEFixedFile uses Fd as an index into it. -1 leaves a slot empty.
// RegisterFiles corresponds to io_uring_register_files.
func (r *Ring) RegisterFiles(fds []int32) error {
	var p unsafe.Pointer
	if len(fds) > 0 {
		p = unsafe.Pointer(&fds[0])
	}
	_, err := r.register(regRegisterFiles, p, uint32(len(fds)))
	return err
}

// UnregisterFiles drops the fixed file table.
// UnregisterFiles corresponds to io_uring_unregister_files.
func (r *Ring) UnregisterFiles() error {
	_, err := r.register(regUnregisterFiles, nil, 0)
	return err
}

// RegisterFilesUpdate replaces slots off, off+1, ... of the fixed file
// table with fds (-1 clears a slot, RegisterFilesSkip keeps it) and returns
// how many slots it updated. RegisterFilesUpdate corresponds to
// io_uring_register_files_update.
func (r *Ring) RegisterFilesUpdate(off uint32, fds []int32) (int, error) {
	up := filesUpdate{Offset: off}
	if len(fds) > 0 {
		up.Fds = kaddr(uintptr(unsafe.Pointer(&fds[0]))) // on the heap: the stack may move before the call
	}
	n, err := r.register(regFilesUpdate, unsafe.Pointer(&up), uint32(len(fds)))
	runtime.KeepAlive(fds)
	return n, err
}

// RegisterRingFd registers the ring fd with itself so io_uring_enter skips
// the fd lookup. The kernel keeps registered ring fds per thread: only use
// it when every Enter comes from one OS thread (runtime.LockOSThread), as
// with SetupSingleIssuer. RegisterRingFd corresponds to io_uring_register_ring_fd.
func (r *Ring) RegisterRingFd() error {
	up := rsrcUpdate{Offset: ^uint32(0), Data: uint64(r.fd)}
	if _, err := r.register(regRingFds, unsafe.Pointer(&up), 1); err != nil {
		return err
	}
	r.enterFd, r.enterFlags = int(up.Offset), EnterRegisteredRing
	return nil
}

// UnregisterRingFd undoes RegisterRingFd.
// UnregisterRingFd corresponds to io_uring_unregister_ring_fd.
func (r *Ring) UnregisterRingFd() error {
	if r.enterFlags&EnterRegisteredRing == 0 {
		return nil
	}
	up := rsrcUpdate{Offset: uint32(r.enterFd)}
	if _, err := r.register(regUnregisterRingFds, unsafe.Pointer(&up), 1); err != nil {
		return err
	}
	r.enterFd, r.enterFlags = r.fd, 0
	return nil
}
