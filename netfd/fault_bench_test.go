//go:build linux

package netfd

import (
	"testing"

	"github.com/ringnet/ringnet/ring"
	"golang.org/x/sys/unix"
)

// BenchmarkFaultHookOff measures what the fault-injection hook costs an
// op while no test installed it: each op form next to the bare call it
// wraps. The sys forms read an empty socket (a real syscall, EAGAIN);
// the prep forms fill an SQE (no syscall).
//
//	go test -run '^$' -bench FaultHookOff -count 5 ./netfd/
func BenchmarkFaultHookOff(b *testing.B) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	p := make([]byte, 4096)
	var sqe ring.SQE
	b.Run("read/bare", func(b *testing.B) {
		for range b.N {
			unix.Read(fds[0], p)
		}
	})
	b.Run("read/op", func(b *testing.B) {
		for range b.N {
			recvOp.sys(fds[0], p)
		}
	})
	b.Run("prep-recv/bare", func(b *testing.B) {
		for range b.N {
			sqe.PrepRecv(fds[0], p, 0)
		}
	})
	b.Run("prep-recv/op", func(b *testing.B) {
		for range b.N {
			recvOp.prep(&sqe, fds[0], p, false)
		}
	})
	b.Run("prep-send/bare", func(b *testing.B) {
		for range b.N {
			sqe.PrepSend(fds[0], p, unix.MSG_NOSIGNAL)
		}
	})
	b.Run("prep-send/op", func(b *testing.B) {
		for range b.N {
			sendOp.prep(&sqe, fds[0], p)
		}
	})
}
