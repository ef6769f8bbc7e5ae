//go:build linux

package netfd_test

import (
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net"
	"testing"
)

// TestTransfer64MiB sends 64 MiB of seeded random bytes in each direction
// at the same time over one TCP connection and compares SHA-256 sums of what
// was sent and what arrived.
func TestTransfer64MiB(t *testing.T) {
	const size = 64 << 20
	run(t, func(t *testing.T, b backend) {
		c, s := tcpPair(t, b)
		type result struct {
			sent, got [sha256.Size]byte
			n         int64
			err       error
		}
		results := make(chan result, 2)
		for i, ends := range [][2]net.Conn{{c, s}, {s, c}} {
			w, r := ends[0], ends[1]
			sent := make(chan [sha256.Size]byte, 1)
			go func() {
				h := sha256.New()
				src := rand.NewChaCha8([32]byte{byte(i), 'r', 'i', 'n', 'g'})
				buf := make([]byte, 256<<10)
				for left := size; left > 0; left -= len(buf) {
					src.Read(buf)
					h.Write(buf)
					if _, err := w.Write(buf); err != nil {
						t.Errorf("write: %v", err)
						break
					}
				}
				if err := w.(halfCloser).CloseWrite(); err != nil {
					t.Errorf("CloseWrite: %v", err)
				}
				sent <- [sha256.Size]byte(h.Sum(nil))
			}()
			go func() {
				h := sha256.New()
				n, err := io.CopyBuffer(h, r, make([]byte, 256<<10))
				results <- result{sent: <-sent, got: [sha256.Size]byte(h.Sum(nil)), n: n, err: err}
			}()
		}
		for range 2 {
			r := <-results
			if r.err != nil {
				t.Fatalf("read: %v", r.err)
			}
			if r.n != size {
				t.Fatalf("received %d bytes, want %d", r.n, size)
			}
			if r.sent != r.got {
				t.Fatalf("sha256 of received bytes %x, of sent bytes %x", r.got, r.sent)
			}
		}
	})
}
