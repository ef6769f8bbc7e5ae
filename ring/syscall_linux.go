package ring

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The three io_uring system calls. They return *os.SyscallError on failure.
// unsafe.Pointer arguments keep their object alive until the call returns.

func sysSetup(entries uint32, p *Params) (int, error) {
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(p)), 0)
	if errno != 0 {
		return -1, os.NewSyscallError("io_uring_setup", errno)
	}
	return int(fd), nil
}

// sysEnter is io_uring_enter(2); arg is nil or, with EnterExtArg, a *getEventsArg.
func sysEnter(fd int, toSubmit, minComplete, flags uint32, arg unsafe.Pointer, argSz uintptr) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(fd),
		uintptr(toSubmit), uintptr(minComplete), uintptr(flags), uintptr(arg), argSz)
	if errno != 0 {
		return 0, errno // the caller looks at EINTR before wrapping
	}
	return int(n), nil
}

func sysRegister(fd int, op uint32, arg unsafe.Pointer, nr uint32) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(fd),
		uintptr(op), uintptr(arg), uintptr(nr), 0, 0)
	if errno != 0 {
		return 0, os.NewSyscallError("io_uring_register", errno)
	}
	return int(n), nil
}
