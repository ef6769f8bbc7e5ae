package http

import (
	"io"
	"strings"
	"testing"

	"github.com/ringnet/ringnet/internal/wire"
)

// pieceReader returns at most n bytes per Read.
type pieceReader struct {
	r io.Reader
	n int
}

func (p *pieceReader) Read(b []byte) (int, error) { return p.r.Read(b[:min(len(b), p.n)]) }

// TestHeaderScanLinear checks that a head arriving in small pieces is
// searched for line ends once, byte for byte, whether the connection
// reads the pieces itself (goroutine mode: readHead) or is handed the
// bytes so far each time and told wire.ErrNeedMore until the head is
// whole (loop mode: takeHead): the work is linear in the bytes received,
// also for one long line. It checks the block comes out right too.
func TestHeaderScanLinear(t *testing.T) {
	const piece = 128
	head := "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + strings.Repeat("b", 256<<10) + "\r\nX-A: 1\r\n\r\n"
	const limit = DefaultMaxHeaderBytes + 4096

	t.Run("goroutine", func(t *testing.T) {
		c := &conn{srv: &Server{}}
		c.r.conn = &fakeConn{r: &pieceReader{strings.NewReader(head + "next"), piece}}
		block, err := c.readHead()
		if err != nil || block != head {
			t.Fatalf("got %d bytes, %v; want the %d-byte head", len(block), err, len(head))
		}
		if c.r.head.Scanned != len(head) {
			t.Errorf("searched %d bytes for line ends, want %d (each byte once)", c.r.head.Scanned, len(head))
		}
		if got := string(c.r.buffered()); !strings.HasPrefix("next", got) {
			t.Errorf("left %q buffered, want a prefix of %q", got, "next")
		}
	})

	t.Run("loop", func(t *testing.T) {
		var b connReader
		var in []byte
		for i := 0; i < len(head); i += piece {
			in = append(in, head[i:min(i+piece, len(head))]...)
			b.buf, b.r, b.w = in, 0, len(in)
			block, err := b.takeHead(limit, "")
			if i+piece < len(head) {
				if err != wire.ErrNeedMore {
					t.Fatalf("after %d bytes: %v, want wire.ErrNeedMore", len(in), err)
				}
				continue
			}
			if err != nil || block != head {
				t.Fatalf("got %d bytes, %v; want the %d-byte head", len(block), err, len(head))
			}
		}
		if b.head != (wire.HeadScan{Scanned: len(head)}) {
			t.Errorf("scan state %+v after the head, want only the %d bytes scanned", b.head, len(head))
		}
	})
}

// TestHeaderScanResumesFields checks that a resumed scan counts fields
// across pieces: maxHeaderFields arriving 7 bytes at a time are taken,
// one more is refused.
func TestHeaderScanResumesFields(t *testing.T) {
	for _, n := range []int{maxHeaderFields, maxHeaderFields + 1} {
		head := "GET / HTTP/1.1\r\n" + strings.Repeat("X: 1\r\n", n) + "\r\n"
		var b connReader
		var err error
		for i := 7; ; i += 7 { // pieces that cut lines anywhere
			i = min(i, len(head))
			b.buf, b.r, b.w = []byte(head[:i]), 0, i
			if _, err = b.takeHead(DefaultMaxHeaderBytes, ""); err != wire.ErrNeedMore {
				break
			}
		}
		want := error(nil)
		if n > maxHeaderFields {
			want = errHeaderTooBig
		}
		if err != want {
			t.Errorf("%d fields: %v, want %v", n, err, want)
		}
	}
}
