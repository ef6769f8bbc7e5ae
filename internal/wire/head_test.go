package wire

import (
	"strings"
	"testing"
)

// TestHeadScan feeds each head to Scan whole, then growing a byte at a
// time as it would arrive: the answer is the same, the scan looks at each
// byte once, and it says ErrNeedMore until the head is decided.
func TestHeadScan(t *testing.T) {
	lim := HeadLimits{Bytes: 64, Line: 20, Fields: 2}
	for _, tt := range []struct {
		head       string
		start, end int
		err        error
	}{
		{"GET / HTTP/1.1\r\nA: b\r\n\r\nnext", 0, 24, nil},
		{"\r\n\r\nGET / HTTP/1.1\r\n\r\n", 4, 22, nil}, // empty lines before the start line
		{"GET / HTTP/1.1\r\nA: b\n\r\n", 0, 0, ErrBareLF},
		{"GET / HTTP/1.1\r\n\n", 0, 0, ErrBareLF},
		{"\n", 0, 0, ErrBareLF},
		{"GET /" + strings.Repeat("a", 16) + " HTTP/1.1\r\n\r\n", 0, 0, ErrStartLineTooLong},
		{"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 0, 0, ErrTooManyFields},
		{"GET / HTTP/1.1\r\nA: " + strings.Repeat("a", 64) + "\r\n\r\n", 0, 0, ErrHeaderTooLarge},
		{"GET / HTTP/1.1\r\nA: 1\r\n", 0, 0, ErrNeedMore},
	} {
		var s HeadScan
		start, end, err := s.Scan([]byte(tt.head), lim)
		if start != tt.start || end != tt.end || err != tt.err {
			t.Errorf("%q at once: %d, %d, %v; want %d, %d, %v", tt.head, start, end, err, tt.start, tt.end, tt.err)
		}
		var p HeadScan
		for i := 1; i <= len(tt.head); i++ {
			start, end, err = p.Scan([]byte(tt.head[:i]), lim)
			if err != ErrNeedMore {
				break
			}
		}
		if start != tt.start || end != tt.end || err != tt.err {
			t.Errorf("%q a byte at a time: %d, %d, %v; want %d, %d, %v", tt.head, start, end, err, tt.start, tt.end, tt.err)
		}
		if p.Scanned > len(tt.head) {
			t.Errorf("%q a byte at a time: %d bytes searched, more than the head", tt.head, p.Scanned)
		}
	}
}

// TestHeadScanStartLineLimit: a start line that has not ended within
// the head's byte limit is the line's fault, not the fields'.
func TestHeadScanStartLineLimit(t *testing.T) {
	var s HeadScan
	if _, _, err := s.Scan([]byte("GET /"+strings.Repeat("a", 20)), HeadLimits{Bytes: 16}); err != ErrStartLineTooLong {
		t.Errorf("got %v, want ErrStartLineTooLong", err)
	}
}
