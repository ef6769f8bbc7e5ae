package ring

import (
	"bytes"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func localAddr(t *testing.T, fd int) unix.SockaddrInet4 {
	t.Helper()
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return *sa.(*unix.SockaddrInet4)
}

func peerAddr(t *testing.T, fd int) unix.SockaddrInet4 {
	t.Helper()
	sa, err := unix.Getpeername(fd)
	if err != nil {
		t.Fatal(err)
	}
	return *sa.(*unix.SockaddrInet4)
}

func TestAccept(t *testing.T) {
	r := newRing(t, 4, nil)
	ln, addr := listenTCP(t)
	sa, salen := new(unix.RawSockaddrAny), new(uint32)
	*salen = unix.SizeofSockaddrAny
	sqe := getSQE(t, r)
	sqe.PrepAccept(ln, sa, salen, unix.SOCK_CLOEXEC)
	sqe.SetData64(1)
	submit(t, r, 1)
	client := dialTCP(t, addr)

	c := reap(t, r, 1)[0]
	if c.UserData != 1 || c.Res < 0 {
		t.Fatalf("accept CQE %+v", c)
	}
	closeLater(t, int(c.Res))
	if *salen != unix.SizeofSockaddrInet4 {
		t.Fatalf("addrlen %d; want %d", *salen, unix.SizeofSockaddrInet4)
	}
	local := localAddr(t, client)
	want, _ := rawInet4(&local)
	got := (*[unix.SizeofSockaddrInet4]byte)(unsafe.Pointer(sa))
	if !bytes.Equal(got[:], (*[unix.SizeofSockaddrInet4]byte)(unsafe.Pointer(want))[:]) {
		t.Fatalf("peer address % x; want % x", got[:], (*[unix.SizeofSockaddrInet4]byte)(unsafe.Pointer(want))[:])
	}
	peer := peerAddr(t, int(c.Res))
	if peer != local {
		t.Fatalf("accepted peer %v; client is %v", peer, local)
	}
}

func TestMultishotAccept(t *testing.T) {
	r := newRing(t, 4, nil)
	ln, addr := listenTCP(t)
	sqe := getSQE(t, r)
	sqe.PrepMultishotAccept(ln, nil, nil, unix.SOCK_CLOEXEC)
	sqe.SetData64(7)
	submit(t, r, 1)

	for i := range 2 {
		client := dialTCP(t, addr)
		c := reap(t, r, 1)[0]
		if c.UserData != 7 || c.Res < 0 || c.Flags&CQEFMore == 0 {
			t.Fatalf("accept %d: CQE %+v; want an fd with CQEFMore", i, c)
		}
		closeLater(t, int(c.Res))
		if peerAddr(t, int(c.Res)) != localAddr(t, client) {
			t.Fatalf("accept %d: wrong peer", i)
		}
	}
	sqe = getSQE(t, r)
	sqe.PrepCancel64(7, 0)
	sqe.SetData64(8)
	submit(t, r, 1)
	m := reapByData(t, r, 2)
	wantCQE(t, m[7], 7, errRes(unix.ECANCELED))
	wantCQE(t, m[8], 8, 0)
	if m[7].Flags&CQEFMore != 0 {
		t.Fatal("final accept CQE has CQEFMore")
	}
}

func TestConnect(t *testing.T) {
	r := newRing(t, 4, nil)
	ln, addr := listenTCP(t)
	fd := tcpSocket(t)
	sa, salen := rawInet4(addr)
	sqe := getSQE(t, r)
	sqe.PrepConnect(fd, sa, salen)
	sqe.SetData64(3)
	submit(t, r, 1)
	wantCQE(t, reap(t, r, 1)[0], 3, 0)
	runtime.KeepAlive(sa) // the kernel may use it until the CQE

	nfd, _, err := unix.Accept4(ln, unix.SOCK_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, nfd)
	if peerAddr(t, nfd) != localAddr(t, fd) {
		t.Fatal("accepted connection is not ours")
	}
	if peerAddr(t, fd) != *addr {
		t.Fatal("connected to the wrong address")
	}
}

func TestConnectRefused(t *testing.T) {
	r := newRing(t, 4, nil)
	bound := tcpSocket(t) // holds a port nobody listens on
	if err := unix.Bind(bound, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	addr := localAddr(t, bound)
	fd := tcpSocket(t)
	sa, salen := rawInet4(&addr)
	sqe := getSQE(t, r)
	sqe.PrepConnect(fd, sa, salen)
	submit(t, r, 1)
	wantCQE(t, reap(t, r, 1)[0], 0, errRes(unix.ECONNREFUSED))
	runtime.KeepAlive(sa)
}

func TestRecv(t *testing.T) {
	r := newRing(t, 4, nil)
	a, b := socketPair(t)
	buf := make([]byte, 64)
	sqe := getSQE(t, r)
	sqe.PrepRecv(a, buf, 0)
	sqe.SetData64(5)
	submit(t, r, 1)
	if r.CQReady() != 0 {
		t.Fatal("recv completed before data was sent")
	}
	msg := []byte("ping over io_uring")
	writeAll(t, b, msg)
	c := reap(t, r, 1)[0]
	wantCQE(t, c, 5, int32(len(msg)))
	if !bytes.Equal(buf[:c.Res], msg) {
		t.Fatalf("recv %q; want %q", buf[:c.Res], msg)
	}

	if err := unix.Shutdown(b, unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	sqe = getSQE(t, r)
	sqe.PrepRecv(a, buf, 0)
	submit(t, r, 1)
	wantCQE(t, reap(t, r, 1)[0], 0, 0) // EOF
}

func TestSend(t *testing.T) {
	r := newRing(t, 4, nil)
	a, b := socketPair(t)
	msg := []byte("hello, ring")
	sqe := getSQE(t, r)
	sqe.PrepSend(a, msg, unix.MSG_NOSIGNAL)
	sqe.SetData64(9)
	submit(t, r, 1)
	wantCQE(t, reap(t, r, 1)[0], 9, int32(len(msg)))
	if got := readN(t, b, len(msg)); !bytes.Equal(got, msg) {
		t.Fatalf("peer read %q; want %q", got, msg)
	}

	if err := unix.Shutdown(b, unix.SHUT_RD); err != nil {
		t.Fatal(err)
	}
	sqe = getSQE(t, r)
	sqe.PrepSend(a, msg, unix.MSG_NOSIGNAL)
	submit(t, r, 1)
	if c := reap(t, r, 1)[0]; c.Res != errRes(unix.EPIPE) {
		t.Fatalf("send to closed peer: res %d; want -EPIPE", c.Res)
	}
}

func TestSendmsgWritev(t *testing.T) {
	r := newRing(t, 4, nil)
	a, b := socketPair(t)
	parts := [][]byte{[]byte("sendmsg "), []byte("gathers "), []byte("buffers")}
	iov := make([]unix.Iovec, len(parts))
	for i, p := range parts {
		iov[i].Base = &p[0]
		iov[i].SetLen(len(p))
	}
	msg := &unix.Msghdr{Iov: &iov[0]}
	msg.SetIovlen(len(iov))
	sqe := getSQE(t, r)
	sqe.PrepSendmsg(a, msg, unix.MSG_NOSIGNAL)
	sqe.SetData64(1)
	sqe.SetFlags(SQEIOLink) // keep the order: sendmsg, then writev
	sqe = getSQE(t, r)
	sqe.PrepWritev(a, iov[1:], 0)
	sqe.SetData64(2)
	submit(t, r, 2)
	m := reapByData(t, r, 2)
	runtime.KeepAlive(msg)
	runtime.KeepAlive(iov)
	wantCQE(t, m[1], 1, 23)
	wantCQE(t, m[2], 2, 15)
	want := "sendmsg gathers buffersgathers buffers"
	if got := readN(t, b, len(want)); string(got) != want {
		t.Fatalf("peer read %q; want %q", got, want)
	}
}

func TestSendZC(t *testing.T) {
	r := newRing(t, 4, nil)
	client, server := tcpPair(t)
	msg := []byte("zero-copy payload")
	sqe := getSQE(t, r)
	sqe.PrepSendZC(client, msg, unix.MSG_NOSIGNAL, SendZCReportUsage)
	sqe.SetData64(4)
	submit(t, r, 1)
	cqes := reap(t, r, 2)
	res, notif := cqes[0], cqes[1]
	if res.UserData != 4 || res.Res != int32(len(msg)) || res.Flags&(CQEFMore|CQEFNotif) != CQEFMore {
		t.Fatalf("result CQE %+v; want res %d with CQEFMore", res, len(msg))
	}
	if notif.UserData != 4 || notif.Flags&(CQEFMore|CQEFNotif) != CQEFNotif {
		t.Fatalf("notification CQE %+v; want CQEFNotif without CQEFMore", notif)
	}
	if u := uint32(notif.Res); u != 0 && u != NotifUsageZCCopied {
		t.Fatalf("notification res %#x; want 0 or NotifUsageZCCopied", u)
	}
	if got := readN(t, server, len(msg)); !bytes.Equal(got, msg) {
		t.Fatalf("peer read %q; want %q", got, msg)
	}

	a, _ := socketPair(t)
	sqe = getSQE(t, r)
	sqe.PrepSendZC(a, msg, 0, 0)
	submit(t, r, 1)
	// Even a failed send_zc posts CQEFMore and then a notification.
	cqes = reap(t, r, 2)
	if c := cqes[0]; c.Res != errRes(unix.EOPNOTSUPP) || c.Flags != CQEFMore {
		t.Fatalf("send_zc on AF_UNIX: %+v; want -EOPNOTSUPP with CQEFMore", c)
	}
	if c := cqes[1]; c.Flags != CQEFNotif {
		t.Fatalf("send_zc on AF_UNIX, second CQE %+v; want the notification", c)
	}
}

func TestClose(t *testing.T) {
	r := newRing(t, 4, nil)
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	closeLater(t, p[0])
	sqe := getSQE(t, r)
	sqe.PrepClose(p[1])
	submit(t, r, 1)
	wantCQE(t, reap(t, r, 1)[0], 0, 0)
	if n, err := unix.Read(p[0], make([]byte, 1)); n != 0 || err != nil {
		t.Fatalf("read from pipe with closed writer: %d, %v; want EOF", n, err)
	}
}

func TestShutdown(t *testing.T) {
	r := newRing(t, 4, nil)
	a, b := socketPair(t)
	sqe := getSQE(t, r)
	sqe.PrepShutdown(a, unix.SHUT_WR)
	submit(t, r, 1)
	wantCQE(t, reap(t, r, 1)[0], 0, 0)
	if n, err := unix.Read(b, make([]byte, 1)); n != 0 || err != nil {
		t.Fatalf("peer read: %d, %v; want EOF", n, err)
	}
	writeAll(t, b, []byte("x")) // only our write side is shut
}
