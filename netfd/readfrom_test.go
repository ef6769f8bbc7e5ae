//go:build linux

package netfd_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// randomFile writes size seeded random bytes to a new file in dir and
// returns its contents.
func randomFile(t *testing.T, dir string, size int) (string, []byte) {
	t.Helper()
	data := make([]byte, size)
	rand.NewChaCha8([32]byte{'s', 'e', 'n', 'd', byte(size)}).Read(data)
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, data
}

// sparseFile returns an open file of size zero bytes that takes no disk.
func sparseFile(t *testing.T, size int64) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "sparse"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return f
}

// receive reads c to EOF on a goroutine and returns a channel with the
// SHA-256 of what it read.
func receive(c net.Conn) <-chan [sha256.Size]byte {
	ch := make(chan [sha256.Size]byte, 1)
	go func() {
		h := sha256.New()
		io.Copy(h, c)
		ch <- [sha256.Size]byte(h.Sum(nil))
	}()
	return ch
}

// TestReadFromFile sends files of several sizes with ReadFrom, whole, from
// an offset, through an io.LimitedReader and through io.Copy (which goes
// by os.File.WriteTo), and checks what arrived byte for byte, the count,
// and the file offset and N left behind, the same on every backend.
func TestReadFromFile(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		for _, size := range []int{0, 1, 4<<10 + 1, 8 << 20} {
			path, data := randomFile(t, t.TempDir(), size)
			cases := []struct {
				name      string
				off, lim  int64 // lim < 0: no LimitedReader
				viaIOCopy bool
			}{
				{name: "whole", lim: -1},
				{name: "offset", off: int64(size) / 3, lim: -1},
				{name: "limited", off: int64(size) / 4, lim: int64(size) / 2},
				{name: "limit-past-end", off: int64(size) / 2, lim: int64(size)},
				{name: "io.Copy", off: int64(size) / 5, lim: -1, viaIOCopy: true},
			}
			for _, tc := range cases {
				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.Seek(tc.off, io.SeekStart); err != nil {
					t.Fatal(err)
				}
				want := data[tc.off:]
				var r io.Reader = f
				var lr *io.LimitedReader
				if tc.lim >= 0 {
					lr = &io.LimitedReader{R: f, N: tc.lim}
					r = lr
					want = want[:min(int64(len(want)), tc.lim)]
				}
				c, s := tcpPair(t, b)
				got := receive(c)
				var n int64
				if tc.viaIOCopy {
					n, err = io.Copy(s, f)
				} else {
					n, err = s.(io.ReaderFrom).ReadFrom(r)
				}
				if err != nil {
					t.Fatalf("%d bytes, %s: ReadFrom: %v", size, tc.name, err)
				}
				s.(halfCloser).CloseWrite()
				if n != int64(len(want)) {
					t.Errorf("%d bytes, %s: ReadFrom returned %d, want %d", size, tc.name, n, len(want))
				}
				if h := <-got; h != sha256.Sum256(want) {
					t.Errorf("%d bytes, %s: the bytes received differ from the file's", size, tc.name)
				}
				if pos, _ := f.Seek(0, io.SeekCurrent); pos != tc.off+n {
					t.Errorf("%d bytes, %s: file offset %d after, want %d", size, tc.name, pos, tc.off+n)
				}
				if lr != nil && lr.N != tc.lim-n {
					t.Errorf("%d bytes, %s: LimitedReader.N %d after, want %d", size, tc.name, lr.N, tc.lim-n)
				}
				f.Close()
			}
		}
	})
}

// TestReadFromNotFile sends readers sendfile cannot take (a bytes.Reader,
// the read end of a pipe): ReadFrom copies them instead.
func TestReadFromNotFile(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		data := make([]byte, 300<<10)
		rand.NewChaCha8([32]byte{'p', 'i', 'p', 'e'}).Read(data)
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pr.Close()
		go func() {
			pw.Write(data)
			pw.Close()
		}()
		for _, r := range []io.Reader{bytes.NewReader(data), pr, io.LimitReader(pr, 0)} {
			c, s := tcpPair(t, b)
			got := receive(c)
			n, err := s.(io.ReaderFrom).ReadFrom(r)
			if err != nil {
				t.Fatalf("ReadFrom(%T): %v", r, err)
			}
			s.(halfCloser).CloseWrite()
			want := data
			if lr, ok := r.(*io.LimitedReader); ok && lr.N == 0 {
				want = nil
			}
			if n != int64(len(want)) || <-got != sha256.Sum256(want) {
				t.Errorf("ReadFrom(%T) sent %d bytes (want %d) or other bytes", r, n, len(want))
			}
		}
	})
}

// TestReadFromDeadline: a peer that does not read makes ReadFrom of a big
// file stop at the write deadline with the net package's error, having
// sent part of the file and advanced its offset by exactly that.
func TestReadFromDeadline(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		f := sparseFile(t, 256<<20)
		_, s := tcpPair(t, b)
		s.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		n, err := s.(io.ReaderFrom).ReadFrom(f)
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "readfrom" || !errors.Is(err, os.ErrDeadlineExceeded) || !oe.Timeout() {
			t.Fatalf("ReadFrom to a peer that does not read: %d, %#v; want a readfrom *net.OpError that is os.ErrDeadlineExceeded", n, err)
		}
		if n <= 0 || n >= 256<<20 {
			t.Errorf("sent %d bytes before the deadline", n)
		}
		if pos, _ := f.Seek(0, io.SeekCurrent); pos != n {
			t.Errorf("file offset %d, want the %d bytes sent", pos, n)
		}
	})
}

// TestReadFromPeerReset: a peer that reads a little and resets the
// connection makes ReadFrom fail with sendfile's error, as std's does.
func TestReadFromPeerReset(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		f := sparseFile(t, 256<<20)
		c, s := tcpPair(t, b)
		go func() {
			io.CopyN(io.Discard, c, 1<<20)
			c.(interface{ SetLinger(int) error }).SetLinger(0)
			c.Close()
		}()
		s.SetWriteDeadline(time.Now().Add(time.Minute)) // a hang fails, not hangs
		n, err := s.(io.ReaderFrom).ReadFrom(f)
		var oe *net.OpError
		var se *os.SyscallError
		if !errors.As(err, &oe) || oe.Op != "readfrom" || !errors.As(err, &se) || se.Syscall != "sendfile" ||
			!errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
			t.Fatalf("ReadFrom to a peer that reset: %d, %#v; want readfrom, sendfile: ECONNRESET or EPIPE", n, err)
		}
		if n < 1<<20 || n >= 256<<20 {
			t.Errorf("sent %d bytes before the reset", n)
		}
	})
}

// TestReadFromClose: Close wakes a ReadFrom waiting for the peer to read
// with net.ErrClosed.
func TestReadFromClose(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		f := sparseFile(t, 256<<20)
		c, s := tcpPair(t, b)
		done := make(chan error, 1)
		go func() {
			_, err := s.(io.ReaderFrom).ReadFrom(f)
			done <- err
		}()
		// The first bytes arriving say ReadFrom is under way; then the
		// socket buffers fill and it waits.
		io.ReadFull(c, make([]byte, 1))
		s.Close()
		if err := <-done; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("ReadFrom after Close: %v, want net.ErrClosed", err)
		}
	})
}
