package ring

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestRawSockaddr(t *testing.T) {
	var raw unix.RawSockaddrAny
	n, err := RawSockaddr(&unix.SockaddrInet4{Port: 0x1234, Addr: [4]byte{127, 0, 0, 1}}, &raw)
	if err != nil || n != unix.SizeofSockaddrInet4 {
		t.Fatal(n, err)
	}
	b := (*[16]byte)(unsafePointer(&raw))
	if b[0] != unix.AF_INET || b[2] != 0x12 || b[3] != 0x34 || b[4] != 127 || b[7] != 1 {
		t.Fatalf("inet4 layout % x", b[:])
	}
	n, err = RawSockaddr(&unix.SockaddrUnix{Name: "/tmp/x"}, &raw)
	if err != nil || n != 2+6+1 {
		t.Fatal(n, err)
	}
	n, err = RawSockaddr(&unix.SockaddrUnix{Name: "@abs"}, &raw)
	if err != nil || n != 2+4 || raw.Addr.Data[0] != 0 {
		t.Fatal(n, err, raw.Addr.Data[:4])
	}
}

func unsafePointer(raw *unix.RawSockaddrAny) unsafe.Pointer { return unsafe.Pointer(raw) }
