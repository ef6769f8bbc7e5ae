package wire

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"reflect"
	"strings"
	"testing"
)

// TestChunkedRoundTrip writes bodies with ChunkedWriter and reads them
// back with ChunkedReader and with net/http's decoder: the same bytes and
// trailers come out, whatever the pieces and the reader's buffer size.
func TestChunkedRoundTrip(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 1<<10)
	bodies := [][]string{
		nil,
		{"hello"},
		{"a", "", "bc", "def"},
		{big, "x", big[:4097]},
	}
	trailers := []http.Header{
		nil,
		{"X-Checksum": {"abc"}, "X-Two": {"1", "2"}},
	}
	for _, pieces := range bodies {
		for _, trailer := range trailers {
			var wire bytes.Buffer
			cw := NewChunkedWriter(&wire)
			for _, p := range pieces {
				if n, err := cw.Write([]byte(p)); n != len(p) || err != nil {
					t.Fatalf("Write(%d bytes) = %d, %v", len(p), n, err)
				}
			}
			if err := cw.Close(trailer); err != nil {
				t.Fatal(err)
			}
			want := strings.Join(pieces, "")
			for _, size := range []int{16, 4096, 1 << 16} {
				br := bufio.NewReaderSize(bytes.NewReader(wire.Bytes()), size)
				var got http.Header
				body, err := io.ReadAll(NewChunkedReader(&bufioSource{Reader: br}, &got))
				if err != nil || string(body) != want {
					t.Fatalf("size %d: read %d bytes, %v; want %d bytes", size, len(body), err, len(want))
				}
				if len(trailer) > 0 && !reflect.DeepEqual(got, trailer) || len(trailer) == 0 && got != nil {
					t.Errorf("size %d: trailer %v, want %v", size, got, trailer)
				}
				if br.Buffered() != 0 {
					t.Errorf("size %d: %d bytes left after the body", size, br.Buffered())
				}
			}
			std, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(wire.Bytes())))
			if err != nil || string(std) != want {
				t.Errorf("net/http reads %d bytes, %v; want %d bytes", len(std), err, len(want))
			}
		}
	}
}

// TestChunkedWriterBytes pins the exact encoding: one chunk per Write,
// lower-case hex, trailers as http.Header.Write writes them.
func TestChunkedWriterBytes(t *testing.T) {
	var b bytes.Buffer
	cw := NewChunkedWriter(&b)
	cw.Write([]byte("hello, world"))
	cw.Write(nil)
	cw.Write([]byte("!"))
	cw.Close(http.Header{"B": {"2"}, "A": {"1"}})
	const want = "c\r\nhello, world\r\n1\r\n!\r\n0\r\nA: 1\r\nB: 2\r\n\r\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }

func TestChunkedWriterShortWrite(t *testing.T) {
	cw := NewChunkedWriter(shortWriter{})
	if _, err := cw.Write([]byte("abcd")); err != io.ErrShortWrite {
		t.Fatalf("Write: %v, want io.ErrShortWrite", err)
	}
	if err := cw.Close(nil); err != io.ErrShortWrite {
		t.Errorf("Close after a failed Write: %v, want the same error", err)
	}
}

// TestBufioSourceLongLine reads a chunk-size line longer than the
// reader's buffer and one longer than the limit.
func TestBufioSourceLongLine(t *testing.T) {
	ext := ";" + strings.Repeat("x", 100)
	raw := "3" + ext + "\r\nabc\r\n0\r\n\r\n"
	br := bufio.NewReaderSize(strings.NewReader(raw), 16)
	var tr http.Header
	if body, err := io.ReadAll(NewChunkedReader(&bufioSource{Reader: br}, &tr)); err != nil || string(body) != "abc" {
		t.Fatalf("long extension: %q, %v", body, err)
	}
	raw = "3;" + strings.Repeat("x", maxChunkLine) + "\r\nabc\r\n0\r\n\r\n"
	br = bufio.NewReaderSize(strings.NewReader(raw), 16)
	if _, err := io.ReadAll(NewChunkedReader(&bufioSource{Reader: br}, &tr)); err != ErrLineTooLong {
		t.Fatalf("line past the limit: %v, want ErrLineTooLong", err)
	}
}
