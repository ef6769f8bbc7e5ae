package http

import "github.com/ringnet/ringnet/internal/wire"

// The chunked decoder of request bodies is wire.ChunkedReader; the
// connection's buffer is its source.
var _ wire.Source = (*connReader)(nil)

func (b *connReader) Peek(n int) ([]byte, error) { return b.peek(n) }

func (b *connReader) Discard(n int) (int, error) {
	b.consume(n)
	return n, nil
}

func (b *connReader) NextLine(limit int) ([]byte, error) { return b.readLine(limit) }
