//go:build linux

package netfd_test

import (
	"io"
	"testing"
)

// TestReadWriteAllocs pins the blocking path at zero allocations per
// round trip: a Write and a Read on each end, through each driver's one
// retry loop and its op descriptions. Not parallel: AllocsPerRun counts
// the whole process.
func TestReadWriteAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, b := range netfdBackends {
		t.Run(b.Name, func(t *testing.T) {
			b.Available(t)
			c, s := tcpPair(t, b)
			msg, buf := make([]byte, 64), make([]byte, 64)
			rt := func() {
				if _, err := c.Write(msg); err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadFull(s, buf); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Write(buf); err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					t.Fatal(err)
				}
			}
			rt() // warm up: the first reads may take the ring's slow path
			if n := testing.AllocsPerRun(200, rt); n != 0 {
				t.Errorf("%v allocations per round trip, want 0", n)
			}
		})
	}
}
