//go:build linux

package netfd_test

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/ringnet/ringnet/internal/backendtest"
)

// BenchmarkReadFromFile sends a 16 MiB file (in the page cache) over
// loopback TCP per op: "sendfile" with Conn.ReadFrom, "copy" through
// Write in 32 KiB pieces (io.Copy with ReadFrom hidden: the read/send
// loop a ResponseWriter without ReadFrom made), on std, epoll and uring.
// The reader drains with a 256 KiB buffer on its own goroutine. Besides
// MB/s it reports the process's CPU time per MiB sent (both ends).
//
//	go test -run XXX -bench ReadFromFile -benchtime 2s ./netfd/
func BenchmarkReadFromFile(b *testing.B) {
	const size = 16 << 20
	path := filepath.Join(b.TempDir(), "f")
	if err := os.WriteFile(path, make([]byte, size), 0o600); err != nil {
		b.Fatal(err)
	}
	for _, be := range backendtest.All {
		for _, how := range []string{"sendfile", "copy"} {
			b.Run(be.Name+"/"+how, func(b *testing.B) {
				ln := be.ListenTCP(b)
				accepted := make(chan net.Conn, 1)
				go func() {
					s, _ := ln.Accept()
					accepted <- s
				}()
				c, err := be.Dial("tcp", ln.Addr().String())
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				s := <-accepted
				if s == nil {
					b.Fatal("accept failed")
				}
				done := make(chan struct{})
				go func() {
					io.CopyBuffer(io.Discard, c, make([]byte, 256<<10))
					close(done)
				}()
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				var w io.Writer = s
				if how == "copy" {
					w = struct{ io.Writer }{s}
				}
				buf := make([]byte, 32<<10)
				b.SetBytes(size)
				cpu0 := cpuTime()
				b.ResetTimer()
				for range b.N {
					f.Seek(0, io.SeekStart)
					var n int64
					if how == "copy" {
						n, err = io.CopyBuffer(w, struct{ io.Reader }{f}, buf)
					} else {
						n, err = s.(io.ReaderFrom).ReadFrom(f)
					}
					if err != nil || n != size {
						b.Fatalf("sent %d, %v", n, err)
					}
				}
				b.StopTimer()
				// CPU time (both ends, this process) per MiB: what a busy
				// machine's wall clock does not show (cpuTime: extbench_test.go).
				b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/(size>>20)/1e3, "cpu-µs/MiB")
				s.Close()
				<-done
			})
		}
	}
}
