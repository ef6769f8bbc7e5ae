package http

import (
	"io"
	"net/http"
	"os"
	"sync"

	"github.com/ringnet/ringnet/internal/wire"
)

// Files: the ResponseWriter is an io.ReaderFrom, as net/http's, so that
// io.Copy and io.CopyN (http.ServeContent, ServeFile, FileServer) hand
// the body to the connection's own ReadFrom, which sends a file with
// sendfile(2) (netfd.Conn, net.TCPConn): a client that stops reading a
// big file then holds no buffer of the server's.

// sniffLen is how much of the body ReadFrom writes through Write first,
// for Content-Type sniffing, as net/http does.
const sniffLen = 512

// copyBufSize is the size of the pooled buffer ReadFrom copies through
// when the connection cannot take the body as is (chunked, HEAD, TLS):
// net/http's.
const copyBufSize = 32 << 10

// chunkRoom is the room copyChunks keeps in a copy buffer around the
// bytes of a chunk, for its framing: its size in hex and CRLF before,
// CRLF after.
const chunkRoom = 10

type copyBuf [copyBufSize]byte

var copyBufPool = sync.Pool{New: func() any { return new(copyBuf) }}

// copyBuffer is io.CopyBuffer through a pooled buffer.
func copyBuffer(dst io.Writer, src io.Reader) (int64, error) {
	buf := copyBufPool.Get().(*copyBuf)
	defer copyBufPool.Put(buf)
	return io.CopyBuffer(dst, src, buf[:copyBufSize])
}

// writerOnly hides a writer's ReadFrom from io.Copy.
type writerOnly struct{ io.Writer }

// ReadFrom copies src to the body, as net/http's response.ReadFrom: the
// first sniffLen bytes go through Write (they decide the Content-Type and
// are not sent before src has produced them), then the header is
// committed and, when the body goes out as is (not chunked, not HEAD, a
// status that has a body), the rest goes to the connection's ReadFrom.
// With a Content-Length, no more than it is sent: a src longer than that
// gets http.ErrContentLength, as Write would answer (net/http sends the
// excess on this path).
func (w *response) ReadFrom(src io.Reader) (n int64, err error) {
	rf, ok := w.c.rwc.(io.ReaderFrom)
	if !ok || w.c.hijacked() {
		return copyBuffer(writerOnly{w}, src)
	}
	if !w.committed {
		n0, err := copyBuffer(writerOnly{w}, io.LimitReader(src, sniffLen))
		n += n0
		if err != nil || n0 < sniffLen {
			return n, err
		}
		w.flushBuf()
		if !w.committed {
			w.commit(nil)
		}
	} else {
		w.flushBuf()
	}
	if err := w.c.flush(); err != nil {
		return n, err
	}
	if _, ok := src.(io.WriterTo); w.chunking && w.contentLength == -1 && (!ok || isFile(src)) {
		n0, err := w.copyChunks(src)
		return n + n0, err
	}
	if w.chunking || !bodyAllowedForStatus(w.status) || w.req.Method == "HEAD" {
		n0, err := copyBuffer(writerOnly{w}, src)
		return n + n0, err
	}
	body, left := w.bounded(src)
	n0, err := rf.ReadFrom(body)
	if l, ok := src.(*io.LimitedReader); ok && body != src {
		l.N -= n0
	}
	n += n0
	w.written += n0
	if n0 > 0 {
		w.c.writes++
	}
	if err == nil && body != src && n0 == left {
		// src may be longer than the Content-Length: one byte says.
		var b [1]byte
		if m, _ := io.ReadFull(src, b[:]); m > 0 {
			w.written++ // so the connection is not reused (reusable)
			err = http.ErrContentLength
		}
	}
	if err != nil && err != http.ErrContentLength {
		w.c.werr = err // the body is cut short: the connection closes
	}
	return n, err
}

// copyChunks sends src as chunks, one per Read, framing each in the copy
// buffer around its bytes and writing it to the connection in one call:
// a client that stops reading holds that one 32 KiB buffer and no output
// buffer besides, less than net/http's 32 KiB and its 4 KiB writer. The
// chunks are chunkRoom+2 bytes shorter than net/http's, which reads the
// whole 32 KiB (a buffer with room on top would cost the next size
// class, 40 KiB). A read error ends the copy and is returned, as
// io.Copy's; the response then ends as the handler ends it.
func (w *response) copyChunks(src io.Reader) (n int64, err error) {
	buf := copyBufPool.Get().(*copyBuf)
	defer copyBufPool.Put(buf)
	for {
		m, rerr := src.Read(buf[chunkRoom : copyBufSize-2])
		if m > 0 {
			var size [chunkRoom]byte
			h := wire.AppendChunkSize(size[:0], m)
			start := chunkRoom - len(h)
			copy(buf[start:], h)
			end := chunkRoom + m
			buf[end], buf[end+1] = '\r', '\n'
			if _, err := w.c.rwc.Write(buf[start : end+2]); err != nil {
				w.c.werr = err
				return n, err
			}
			w.c.writes++
			n += int64(m)
			w.written += int64(m)
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// isFile reports whether r is an *os.File, whose WriteTo, to a writer
// that is not a socket, only io.Copies it through a 32 KiB buffer of its
// own: copyChunks reads it as well with the pooled one.
func isFile(r io.Reader) bool {
	_, ok := r.(*os.File)
	return ok
}

// bounded returns what of src may still be sent, and how much that is,
// -1 for no bound: with a Content-Length, src limited to what it leaves
// (as one *io.LimitedReader over the file, so that the connection still
// sees a LimitedReader of a file); else src itself.
func (w *response) bounded(src io.Reader) (io.Reader, int64) {
	if w.contentLength == -1 {
		return src, -1
	}
	left := max(w.contentLength-w.written, 0)
	if l, ok := src.(*io.LimitedReader); ok {
		if l.N <= left {
			return l, l.N
		}
		return &io.LimitedReader{R: l.R, N: left}, left
	}
	return &io.LimitedReader{R: src, N: left}, left
}

// ReadFrom sends r after what was written before. On the loop a body
// that fits the loop's queue is queued there, as Write would; a bigger
// one, or one of unknown size, leaves the loop first (what is queued is
// sent before Leave returns, so the bytes stay in order) and goes to the
// blocking connection's ReadFrom: a file goes out with sendfile under
// the write deadline rather than through the loop's memory.
func (l *loopConn) ReadFrom(r io.Reader) (int64, error) {
	c := l.c
	c.lcMu.Lock()
	if c.onLoop() {
		if size, ok := sizeOf(r); ok && l.lc.Queued()+int(min(size, maxOutBuffered+1)) <= maxOutBuffered {
			c.lcMu.Unlock()
			return copyBuffer(writerOnly{l}, r)
		}
	}
	err := c.leaveLoopLocked(false) // nothing to do once left, but its error
	c.lcMu.Unlock()
	if err != nil {
		return 0, err
	}
	nc := l.conn()
	if rf, ok := nc.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return copyBuffer(writerOnly{nc}, r)
}

// sizeOf returns an upper bound of how much r has left to read, if it can
// tell.
func sizeOf(r io.Reader) (int64, bool) {
	switch r := r.(type) {
	case *io.LimitedReader:
		if r.N > maxOutBuffered { // what it limits may be smaller
			if n, ok := sizeOf(r.R); ok && n < r.N {
				return n, true
			}
		}
		return r.N, true
	case interface{ Len() int }: // bytes.Reader, strings.Reader, bytes.Buffer
		return int64(r.Len()), true
	case interface {
		Stat() (os.FileInfo, error)
		Seek(int64, int) (int64, error)
	}: // *os.File, and what os.File.WriteTo hands to io.Copy
		fi, err := r.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return 0, false
		}
		pos, err := r.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, false
		}
		return max(fi.Size()-pos, 0), true
	}
	return 0, false
}
