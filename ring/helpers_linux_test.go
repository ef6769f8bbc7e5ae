package ring

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func newRing(t *testing.T, entries uint32, p *Params) *Ring {
	t.Helper()
	r, err := New(entries, p)
	if err != nil {
		t.Fatalf("New(%d): %v", entries, err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

func closeLater(t *testing.T, fds ...int) {
	t.Cleanup(func() {
		for _, fd := range fds {
			if err := unix.Close(fd); err != nil {
				t.Errorf("close(%d): %v", fd, err)
			}
		}
	})
}

func socketPair(t *testing.T) (a, b int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, fds[0], fds[1])
	return fds[0], fds[1]
}

// listenTCP returns a listening socket on 127.0.0.1:0 and its address.
func listenTCP(t *testing.T) (int, *unix.SockaddrInet4) {
	t.Helper()
	fd := tcpSocket(t)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 16); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fd, sa.(*unix.SockaddrInet4)
}

func tcpSocket(t *testing.T) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, fd)
	return fd
}

// dialTCP connects a blocking socket; loopback connects complete through
// the listen backlog without an accept.
func dialTCP(t *testing.T, addr *unix.SockaddrInet4) int {
	t.Helper()
	fd := tcpSocket(t)
	if err := unix.Connect(fd, addr); err != nil {
		t.Fatal(err)
	}
	return fd
}

// tcpPair returns two connected loopback TCP sockets.
func tcpPair(t *testing.T) (client, server int) {
	t.Helper()
	ln, addr := listenTCP(t)
	client = dialTCP(t, addr)
	server, _, err := unix.Accept4(ln, unix.SOCK_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, server)
	return client, server
}

// rawInet4 converts addr to the form the kernel reads, on the heap.
func rawInet4(addr *unix.SockaddrInet4) (*unix.RawSockaddrAny, uint32) {
	any := new(unix.RawSockaddrAny)
	sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(any))
	sa.Family = unix.AF_INET
	port := (*[2]byte)(unsafe.Pointer(&sa.Port)) // network byte order
	port[0], port[1] = byte(addr.Port>>8), byte(addr.Port)
	sa.Addr = addr.Addr
	return any, unix.SizeofSockaddrInet4
}

func getSQE(t *testing.T, r *Ring) *SQE {
	t.Helper()
	sqe := r.GetSQE()
	if sqe == nil {
		t.Fatal("GetSQE: SQ full")
	}
	return sqe
}

func submit(t *testing.T, r *Ring, want int) {
	t.Helper()
	n, err := r.Submit()
	if err != nil || n != want {
		t.Fatalf("Submit = %d, %v; want %d", n, err, want)
	}
}

// reap waits for n CQEs and returns copies in arrival order. It fails the
// test if one takes more than 10 seconds instead of hanging.
func reap(t *testing.T, r *Ring, n int) []CQE {
	t.Helper()
	out := make([]CQE, 0, n)
	for len(out) < n {
		c, err := r.WaitCQETimeout(&unix.Timespec{Sec: 10})
		if err != nil {
			t.Fatalf("WaitCQETimeout after %d of %d CQEs: %v", len(out), n, err)
		}
		out = append(out, *c)
		r.CQESeen(c)
	}
	return out
}

// reapByData is reap for requests that post one CQE each.
func reapByData(t *testing.T, r *Ring, n int) map[uint64]CQE {
	t.Helper()
	m := make(map[uint64]CQE, n)
	for _, c := range reap(t, r, n) {
		if _, dup := m[c.UserData]; dup {
			t.Fatalf("two CQEs for user_data %d", c.UserData)
		}
		m[c.UserData] = c
	}
	return m
}

func wantCQE(t *testing.T, c CQE, data uint64, res int32) {
	t.Helper()
	if c.UserData != data || c.Res != res {
		t.Fatalf("CQE{data %d, res %d, flags %#x}; want data %d, res %d", c.UserData, c.Res, c.Flags, data, res)
	}
}

func errRes(e unix.Errno) int32 { return -int32(e) }

func writeAll(t *testing.T, fd int, b []byte) {
	t.Helper()
	if n, err := unix.Write(fd, b); err != nil || n != len(b) {
		t.Fatalf("write = %d, %v", n, err)
	}
}

// readN reads exactly n bytes from a blocking fd.
func readN(t *testing.T, fd, n int) []byte {
	t.Helper()
	buf := make([]byte, n)
	for got := 0; got < n; {
		m, err := unix.Read(fd, buf[got:])
		if err != nil || m == 0 {
			t.Fatalf("read after %d of %d bytes: %d, %v", got, n, m, err)
		}
		got += m
	}
	return buf
}

func nopRoundTrip(t *testing.T, r *Ring) {
	t.Helper()
	sqe := getSQE(t, r)
	sqe.PrepNop()
	sqe.SetData64(0xfeed)
	submit(t, r, 1)
	wantCQE(t, reap(t, r, 1)[0], 0xfeed, 0)
}
