package http

import (
	"bytes"
	"net"

	"github.com/ringnet/ringnet/internal/wire"
)

// connReader is the input buffer of one connection: every byte the server
// reads from the client goes into buf first. The request header is parsed
// in place from buf[r:w]; bodies are served from it, and reads larger than
// what is buffered go to the connection directly.
//
// It belongs to whoever serves the connection (a loop, or a goroutine),
// and, while a handler runs, to whoever reads the request body, under
// body.mu (body.go).
type connReader struct {
	conn net.Conn
	buf  []byte // len(buf) is the capacity; grown up to the header limit
	r, w int    // buf[r:w] is read but not yet consumed
	err  error  // sticky error from conn.Read
	// leave, set on the loops, moves the connection off its loop before a
	// read from conn (buf is the loop's until then; conn.leaveLoop).
	leave func() error
	// head is the scan of the request head in buf[r:w] (takeHead), kept
	// while the head arrives.
	head wire.HeadScan
}

// toBlocking leaves the event loop, if on one, before reading from conn.
func (b *connReader) toBlocking() error {
	if b.leave == nil {
		return nil
	}
	return b.leave()
}

const initialReadBuf = 4 << 10

// buffered returns the bytes read from the connection but not consumed.
func (b *connReader) buffered() []byte { return b.buf[b.r:b.w] }

// consume drops n buffered bytes.
func (b *connReader) consume(n int) {
	b.r += n
	if b.r == b.w {
		b.r, b.w = 0, 0
	}
}

// fill reads once from the connection into the free end of buf, growing
// buf (up to limit bytes in all) when it holds no free space. It returns
// errTooLarge when buf already holds limit unconsumed bytes.
func (b *connReader) fill(limit int) error {
	if b.err != nil {
		return b.err
	}
	if err := b.toBlocking(); err != nil {
		b.err = err
		return err
	}
	if b.buf == nil {
		b.buf = make([]byte, min(initialReadBuf, limit))
	}
	if b.r > 0 && b.w == len(b.buf) {
		b.w = copy(b.buf, b.buf[b.r:b.w])
		b.r = 0
	}
	if b.w == len(b.buf) {
		if len(b.buf) >= limit {
			return errTooLarge
		}
		nb := make([]byte, min(2*len(b.buf), limit))
		b.w = copy(nb, b.buf[b.r:b.w])
		b.r = 0
		b.buf = nb
	}
	n, err := b.conn.Read(b.buf[b.w:])
	b.w += n
	if n > 0 {
		return nil
	}
	if err == nil {
		return nil
	}
	b.err = err
	return err
}

// Read reads up to len(p) bytes: from the buffer if it holds any, else in
// one read from the connection. It is the body's source of bytes.
func (b *connReader) Read(p []byte) (int, error) {
	if b.r < b.w {
		n := copy(p, b.buf[b.r:b.w])
		b.consume(n)
		return n, nil
	}
	if b.err != nil {
		return 0, b.err
	}
	if err := b.toBlocking(); err != nil {
		b.err = err
		return 0, err
	}
	if len(p) >= len(b.buf) && len(b.buf) > 0 {
		n, err := b.conn.Read(p)
		if err != nil {
			b.err = err
		}
		return n, err
	}
	if err := b.fill(max(len(b.buf), initialReadBuf)); err != nil && b.r == b.w {
		return 0, err
	}
	n := copy(p, b.buf[b.r:b.w])
	b.consume(n)
	return n, nil
}

// peek returns the next n bytes without consuming them, reading more
// when fewer are buffered; on a read error it returns what there is.
func (b *connReader) peek(n int) ([]byte, error) {
	for b.w-b.r < n {
		if err := b.fill(max(len(b.buf), initialReadBuf)); err != nil {
			return b.buf[b.r:b.w], err
		}
	}
	return b.buf[b.r : b.r+n], nil
}

// readLine returns the next line ending in "\n", without the "\n",
// reading more when needed; the line stays valid until the next call.
// A line longer than limit is errLineTooLong.
func (b *connReader) readLine(limit int) ([]byte, error) {
	scanned := 0
	for {
		buf := b.buffered()
		if i := bytes.IndexByte(buf[scanned:], '\n'); i >= 0 {
			if scanned+i > limit {
				return nil, errLineTooLong
			}
			line := buf[:scanned+i]
			b.consume(scanned + i + 1)
			return line, nil
		}
		scanned = len(buf)
		if scanned > limit {
			return nil, errLineTooLong
		}
		if err := b.fill(max(len(b.buf), limit+1)); err != nil {
			if err == errTooLarge {
				return nil, errLineTooLong
			}
			return nil, err
		}
	}
}

// release drops the buffer when it is empty, so an idle connection holds
// no buffer memory beyond the struct.
func (b *connReader) release() {
	if b.r == b.w && len(b.buf) > initialReadBuf {
		b.buf = nil
		b.r, b.w = 0, 0
	}
}

// unread puts back one byte read from the connection outside the buffer
// (by the client-gone watch), before anything buffered.
func (b *connReader) unread(c byte) {
	if b.r > 0 {
		b.r--
		b.buf[b.r] = c
		return
	}
	nb := make([]byte, max(len(b.buf), initialReadBuf))
	nb[0] = c
	b.w = 1 + copy(nb[1:], b.buf[b.r:b.w])
	b.r = 0
	b.buf = nb
}
