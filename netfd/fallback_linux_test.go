//go:build linux

package netfd_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/ringnet/ringnet/netfd"
	"golang.org/x/sys/unix"
)

// fallbackChildEnv makes the test binary act as the child of
// TestAutoFallsBackWithoutIOUring (see TestMain).
const fallbackChildEnv = "RINGNET_TEST_NO_IO_URING"

// TestAutoFallsBackWithoutIOUring runs a child process in which a seccomp
// filter makes io_uring_setup fail with EPERM, as Docker's default profile
// does: Auto must pick epoll, work, say why in one log line, and give the
// same reason through ResolveReason.
func TestAutoFallsBackWithoutIOUring(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fallbackChildEnv+"=1", "RINGNET_BACKEND=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\nstdout: %s\nstderr: %s", err, &stdout, &stderr)
	}
	if got := strings.TrimSpace(stdout.String()); got != "auto=epoll reason=EPERM uring-error=EPERM exchange=ok" {
		t.Errorf("child reported %q", got)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if strings.Contains(l, "io_uring") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "using epoll") || !strings.Contains(lines[0], "EPERM") {
		t.Errorf("want one log line naming EPERM, got:\n%s", &stderr)
	}
}

// fallbackChild runs in the child process: block io_uring_setup, then use
// the Auto backend.
func fallbackChild() int {
	if err := denyIOUringSetup(); err != nil {
		fmt.Println("seccomp:", err)
		return 1
	}
	auto, why, err := netfd.ResolveReason(netfd.Auto)
	if strings.HasPrefix(why, "io_uring_setup: EPERM") {
		why = "EPERM"
	}
	_, uerr := netfd.Resolve(netfd.Uring)
	uringErr := "none"
	if uerr != nil && strings.Contains(uerr.Error(), "EPERM") {
		uringErr = "EPERM"
	}
	ln, err2 := netfd.Listen("tcp", "127.0.0.1:0")
	exchange := "failed"
	if err2 == nil {
		go func() {
			if c, err := ln.Accept(); err == nil {
				echo(c)
				c.Close()
			}
		}()
		if c, err := netfd.Dial("tcp", ln.Addr().String()); err == nil {
			c.Write([]byte("hi"))
			buf := make([]byte, 2)
			b, _ := netfd.BackendOf(c)
			if _, err := io.ReadFull(c, buf); err == nil && string(buf) == "hi" && b == netfd.Epoll {
				exchange = "ok"
			}
			c.Close()
		}
		ln.Close()
	}
	fmt.Printf("auto=%s reason=%s uring-error=%s exchange=%s\n", auto, why, uringErr, exchange)
	if err != nil {
		return 1
	}
	return 0
}

// denyIOUringSetup installs, on every thread, a seccomp filter under which
// io_uring_setup fails with EPERM and everything else is allowed.
func denyIOUringSetup() error {
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	prog := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 4}, // arch
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 1, Jf: 0, K: unix.AUDIT_ARCH_X86_64},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW}, // other arch: leave alone
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0},        // syscall number
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: unix.SYS_IO_URING_SETUP},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if errno != 0 {
		return errno
	}
	return nil
}

var _ net.Conn = (*netfd.Conn)(nil)
