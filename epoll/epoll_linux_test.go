package epoll

import (
	"testing"

	"golang.org/x/sys/unix"
)

func newPoller(t *testing.T) *Poller {
	t.Helper()
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func socketpair(t *testing.T) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds[0], fds[1]
}

func TestTokenRoundTrip(t *testing.T) {
	tok := MakeToken(0xdeadbeef, 0x01020304)
	if tok.Slot() != 0xdeadbeef || tok.Gen() != 0x01020304 {
		t.Fatalf("token %x: slot %x gen %x", uint64(tok), tok.Slot(), tok.Gen())
	}
}

func TestEdgeTriggeredReadiness(t *testing.T) {
	p := newPoller(t)
	a, b := socketpair(t)
	tok := MakeToken(7, 3)
	if err := p.Add(a, tok); err != nil {
		t.Fatal(err)
	}
	ev := make([]Event, 8)

	// A fresh socket is writable: one edge.
	n, err := p.Wait(ev, 0)
	if err != nil || n != 1 || ev[0].Token() != tok || !ev[0].Writable() || ev[0].Readable() {
		t.Fatalf("initial: n=%d err=%v ev=%+v", n, err, ev[:n])
	}
	// Edge-triggered: nothing new, nothing reported.
	if n, _ := p.Wait(ev, 0); n != 0 {
		t.Fatalf("no new edge, got %d events", n)
	}
	// Each arrival of data is a new edge, even if earlier data was not read.
	for i := 0; i < 2; i++ {
		if _, err := unix.Write(b, []byte("x")); err != nil {
			t.Fatal(err)
		}
		n, err = p.Wait(ev, -1)
		if err != nil || n != 1 || ev[0].Token() != tok || !ev[0].Readable() {
			t.Fatalf("arrival %d: n=%d err=%v ev=%+v", i, n, err, ev[:n])
		}
	}
	// Peer close reports RDHUP, which wakes readers.
	unix.Shutdown(b, unix.SHUT_WR)
	n, err = p.Wait(ev, -1)
	if err != nil || n != 1 || ev[0].Events&unix.EPOLLRDHUP == 0 || !ev[0].Readable() {
		t.Fatalf("half-close: n=%d err=%v ev=%+v", n, err, ev[:n])
	}
}

func TestDelete(t *testing.T) {
	p := newPoller(t)
	a, b := socketpair(t)
	if err := p.Add(a, MakeToken(1, 1)); err != nil {
		t.Fatal(err)
	}
	ev := make([]Event, 8)
	p.Wait(ev, 0)
	unix.Write(b, []byte("y"))
	n, _ := p.Wait(ev, -1)
	if n != 1 || ev[0].Token() != MakeToken(1, 1) || !ev[0].Readable() {
		t.Fatalf("before delete: %+v", ev[:n])
	}
	if err := p.Delete(a); err != nil {
		t.Fatal(err)
	}
	unix.Write(b, []byte("z"))
	if n, _ := p.Wait(ev, 0); n != 0 {
		t.Fatalf("deleted fd reported %d events", n)
	}
	if err := p.Delete(a); err == nil {
		t.Fatal("deleting twice succeeded")
	}
	if err := p.Add(-1, 0); err == nil {
		t.Fatal("adding a bad fd succeeded")
	}
}

func TestWake(t *testing.T) {
	p := newPoller(t)
	ev := make([]Event, 4)
	done := make(chan int)
	go func() {
		n, _ := p.Wait(ev, -1)
		done <- n
	}()
	if err := p.Wake(); err != nil {
		t.Fatal(err)
	}
	if n := <-done; n != 0 {
		t.Fatalf("wake reported %d events", n)
	}
	// Merged wakes: two Wakes, one pending wake-up, consumed by one Wait.
	p.Wake()
	p.Wake()
	if n, _ := p.Wait(ev, -1); n != 0 {
		t.Fatalf("got %d events", n)
	}
	if n, _ := p.Wait(ev, 0); n != 0 {
		t.Fatalf("stale wake-up: %d", n)
	}
	// The wake-up must work again after being consumed.
	go p.Wake()
	if n, _ := p.Wait(ev, -1); n != 0 {
		t.Fatalf("got %d events", n)
	}
}

func TestManyDescriptors(t *testing.T) {
	p := newPoller(t)
	const N = 100
	peers := make([]int, N)
	for i := range N {
		a, b := socketpair(t)
		peers[i] = b
		if err := p.Add(a, MakeToken(uint32(i), 9)); err != nil {
			t.Fatal(err)
		}
	}
	ev := make([]Event, 16)
	for { // drain the initial writable edges
		n, _ := p.Wait(ev, 0)
		if n == 0 {
			break
		}
	}
	for _, b := range peers {
		unix.Write(b, []byte("!"))
	}
	seen := make(map[uint32]bool)
	for len(seen) < N {
		n, err := p.Wait(ev, -1) // a small slice takes several rounds
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ev[:n] {
			if e.Token().Gen() != 9 || !e.Readable() {
				t.Fatalf("bad event %+v", e)
			}
			seen[e.Token().Slot()] = true
		}
	}
}
