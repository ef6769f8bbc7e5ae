package ring

import "errors"

// Errors returned by this package besides raw errnos. Failed system calls
// return *os.SyscallError wrapping a syscall.Errno, so
// errors.Is(err, syscall.ENOSYS) and friends work.
var (
	// ErrNoSingleMmap: the kernel lacks IORING_FEAT_SINGLE_MMAP (before 5.4).
	ErrNoSingleMmap = errors.New("ring: kernel lacks IORING_FEAT_SINGLE_MMAP")

	// ErrSetupFlags: a setup flag this package cannot drive (SQE128, CQE32,
	// NO_MMAP, REGISTERED_FD_ONLY).
	ErrSetupFlags = errors.New("ring: unsupported setup flag")

	// ErrClosed: the ring was already closed.
	ErrClosed = errors.New("ring: closed")

	// ErrBufRingEntries: buffer ring sizes must be a power of two, at most 32768.
	ErrBufRingEntries = errors.New("ring: buffer ring entries must be a power of two <= 32768")
)
