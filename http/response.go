package http

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ringnet/ringnet/internal/wire"
)

// bufferBeforeChunking is how many body bytes a response holds before it
// commits its header: a handler that writes less than this and returns
// gets a Content-Length, else the body is chunked. It is net/http's size,
// so both frame the same responses the same way.
const bufferBeforeChunking = 2048

// response is the http.ResponseWriter of one request. It runs on the
// handler's goroutine, which is the connection's goroutine (or its loop's).
//
// It is the connection's, reused from one request to the next with the
// rest of what only the ResponseWriter uses (connReuse): net/http does
// not let a handler use a ResponseWriter once ServeHTTP returned. What a
// handler may keep (the Request, its URL, the header values, the
// request's context) is one allocation per request (mem). docs/design.md,
// "Allocations per request on the loops", counts what is left and says
// why each reuse is allowed.
type response struct {
	c    *conn
	req  *http.Request
	body *body // nil when the request has no body

	handlerHeader http.Header // what Header() returns
	// hdr is what commit writes: the snapshot of handlerHeader taken at
	// WriteHeader (empty if the handler had not asked for the map yet).
	// Changes after WriteHeader do not reach the wire, as in net/http.
	hdr          *headerList
	calledHeader bool

	status      int
	wroteHeader bool // the final status is decided
	committed   bool // status line and header are in c.out
	handlerDone bool

	buf []byte // body bytes not yet framed, up to bufferBeforeChunking

	contentLength int64 // declared or computed length, -1 if unknown
	written       int64 // body bytes the handler wrote
	chunking      bool
	closeAfter    bool // the connection closes after this response
	fullDuplex    bool
	// Read from the request before the handler can change its header.
	wants10KeepAlive bool     // HTTP/1.0 with "Connection: keep-alive"
	wantsClose       bool     // "Connection: close" (or HTTP/1.0 without keep-alive)
	trailers         []string // declared trailer keys
	loggedWarning    bool     // "superfluous WriteHeader" is logged once

	// mem is the request's own memory: the Request, its context and
	// client-gone watch, new for every request (a handler may keep them).
	mem *reqMem
}

// newResponse returns the response of the next request on c, its Request
// (w.req) empty for parseRequest to fill.
func (c *conn) newResponse() *response {
	r := c.reused()
	w := &r.resp
	*w = response{c: c, handlerHeader: r.takeHeader(), contentLength: -1, mem: new(reqMem)}
	w.req = &w.mem.req
	return w
}

// connReuse is what the requests of one connection reuse, one after the
// other. Only what belongs to the ResponseWriter is reused, which net/http
// does not let a handler use once ServeHTTP returned; the Request and
// what it points to are new every time, since a handler may keep them.
type connReuse struct {
	// resp is the ResponseWriter, which net/http does not let a handler
	// use once ServeHTTP returned: the next request's is the same memory.
	resp response
	body []byte // the pre-commit body buffer, bufferBeforeChunking bytes
	// header is what a response's Header returns, cleared for the next.
	header http.Header
	// hdr holds the snapshot of the header that WriteHeader takes
	// (response.hdr): the server's own, never the handler's.
	hdr headerList
	// block is the previous request's header block, for takeHead:
	// a repeated request shares its string.
	block string
	// out is the connection's output buffer while it is idle on a loop
	// (releaseIdle), so that the responses of the next requests collect
	// in a buffer grown already.
	out []byte
}

// maxReusedHeader bounds the header maps kept for the next request: one
// grown bigger is dropped rather than cleared every time.
const maxReusedHeader = 32

// maxReusedBlock bounds the header block an idle connection keeps for
// comparing with the next.
const maxReusedBlock = 4 << 10

// reuseFree holds the reusable state of connections idle on a loop: an
// idle connection keeps none (the 1 KiB goal), and the next request takes
// one back without allocating.
var reuseFree = sync.Pool{New: func() any { return new(connReuse) }}

// reused returns the connection's reusable state, taking one from
// reuseFree if it gave its own back while idle.
func (c *conn) reused() *connReuse {
	if c.reuse == nil {
		c.reuse = reuseFree.Get().(*connReuse)
		if c.out.b == nil {
			c.out.b, c.reuse.out = c.reuse.out, nil
		}
	}
	return c.reuse
}

// releaseIdle gives the connection's reusable state back while it is idle
// on a loop, its output buffer with it: an idle connection holds neither.
func (c *conn) releaseIdle() {
	if len(c.out.b) > 0 {
		return // not idle after all: what it holds is still to be written
	}
	if c.reuse != nil {
		// The output buffer goes with the reusable state, not kept idle.
		if cap(c.out.b) <= maxOutBuffered {
			c.reuse.out = c.out.b
		}
		reuseFree.Put(c.reuse)
		c.reuse = nil
	}
	c.out.b = nil
}

// takeHeader returns the connection's handler header map, empty.
func (r *connReuse) takeHeader() http.Header {
	h := r.header
	if h == nil || len(h) > maxReusedHeader {
		h = make(http.Header)
		r.header = h
		return h
	}
	clear(h)
	return h
}

func (w *response) Header() http.Header {
	w.calledHeader = true
	return w.handlerHeader
}

// WriteHeader follows net/http: 1xx (but 101) go out at once and may
// repeat; the first other status is final and later calls are logged.
func (w *response) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic("invalid WriteHeader code " + strconv.Itoa(code))
	}
	if w.c.hijacked() {
		w.c.srv.logf("http: response.WriteHeader on hijacked connection")
		return
	}
	if w.wroteHeader {
		if !w.loggedWarning {
			w.loggedWarning = true
			w.c.srv.logf("http: superfluous response.WriteHeader call")
		}
		return
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		w.writeInformational(code)
		return
	}
	if code != http.StatusSwitchingProtocols {
		w.body.disableContinue() // a final status: no automatic 100 from here (net/http's rule)
	}
	w.wroteHeader = true
	w.status = code
	w.hdr = &w.c.reused().hdr
	if w.calledHeader {
		w.hdr.take(w.handlerHeader)
	} else {
		w.hdr.take(nil) // the map is empty: the handler never had it
	}
	if cl := w.hdr.get("Content-Length"); cl != "" {
		v, err := strconv.ParseInt(cl, 10, 64)
		if err == nil && v >= 0 {
			w.contentLength = v
		} else {
			w.c.srv.logf("http: invalid Content-Length", "value", cl)
			w.handlerHeader.Del("Content-Length")
		}
	}
}

// writeInformational sends a 1xx at once. A 100 of the handler's own
// replaces the automatic one, as in net/http (one goes out if the
// handler's comes first); another 1xx is written under the body's
// contMu, so that an automatic 100 being sent by a Read on another
// goroutine does not interleave with it.
func (w *response) writeInformational(code int) {
	if !w.req.ProtoAtLeast(1, 1) {
		return // RFC 9110 §15.2: no 1xx to an HTTP/1.0 client (net/http sends it)
	}
	if b := w.body; b != nil {
		if code == http.StatusContinue {
			b.disableContinue()
		} else {
			b.contMu.Lock()
			defer b.contMu.Unlock()
		}
	}
	c := w.c
	appendStatusLine(&c.out, true, code)
	w.handlerHeader.WriteSubset(&c.out, excludedFor1xx)
	c.out.WriteString("\r\n")
	c.flushNow()
}

// excludedFor1xx are the fields of the handler's header a 1xx leaves out.
var excludedFor1xx = map[string]bool{"Content-Length": true, "Transfer-Encoding": true}

func (w *response) Write(p []byte) (int, error) {
	return w.write(len(p), p, "")
}

// WriteString saves the handler's io.WriteString a copy of s when s fits
// the buffer.
func (w *response) WriteString(s string) (int, error) {
	return w.write(len(s), nil, s)
}

// write writes p, or s when p is nil, with net/http's checks.
func (w *response) write(n int, p []byte, s string) (int, error) {
	if w.c.hijacked() {
		if n > 0 {
			w.c.srv.logf("http: response.Write on hijacked connection")
		}
		return 0, http.ErrHijacked
	}
	// A handler that answers before reading gets no 100 Continue;
	// reading later takes the body without one, as in net/http.
	w.body.disableContinue()
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if n == 0 {
		return 0, nil
	}
	if !bodyAllowedForStatus(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(n)
	if w.contentLength != -1 && w.written > w.contentLength {
		return 0, http.ErrContentLength
	}
	if p == nil {
		if n <= bufferBeforeChunking-len(w.buf) {
			w.buf = append(w.pendingBuf(), s...)
			return n, nil
		}
		p = []byte(s)
	}
	return w.bufferedWrite(p)
}

// bufferedWrite is bufio.Writer.Write over frame with a
// bufferBeforeChunking buffer: the same calls reach frame as in net/http,
// so chunk boundaries match byte for byte.
func (w *response) bufferedWrite(p []byte) (int, error) {
	nn := 0
	for len(p) > bufferBeforeChunking-len(w.buf) && w.c.werr == nil {
		var n int
		if len(w.buf) == 0 {
			n = len(p)
			w.frame(p)
		} else {
			n = copy(w.buf[len(w.buf):bufferBeforeChunking], p)
			w.buf = w.buf[:len(w.buf)+n]
			w.flushBuf()
		}
		nn += n
		p = p[n:]
	}
	if w.c.werr != nil {
		return nn, w.c.werr
	}
	w.buf = append(w.pendingBuf(), p...)
	return nn + len(p), nil
}

// pendingBuf returns w.buf, taking the connection's reusable buffer the
// first time.
func (w *response) pendingBuf() []byte {
	if w.buf == nil {
		if w.c.reused().body == nil {
			w.c.reused().body = make([]byte, 0, bufferBeforeChunking)
		}
		w.buf = w.c.reused().body[:0]
	}
	return w.buf
}

func (w *response) flushBuf() {
	if len(w.buf) > 0 {
		w.frame(w.buf)
		w.buf = w.buf[:0]
	}
}

// frame commits the header if needed, then frames p as the next piece of
// the body: a chunk, or raw bytes. HEAD responses drop body bytes.
func (w *response) frame(p []byte) {
	if !w.committed {
		w.commit(p)
	}
	if w.req.Method == "HEAD" {
		return
	}
	c := w.c
	if w.chunking {
		c.out.b = wire.AppendChunkSize(c.out.b, len(p))
	}
	c.writeBody(p)
	if w.chunking {
		c.out.b = append(c.out.b, '\r', '\n')
	}
}

// finish completes the response once the handler returned: the buffered
// body, the last chunk and trailers.
func (w *response) finish() {
	w.handlerDone = true
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.flushBuf()
	if !w.committed {
		w.commit(nil)
	}
	if w.chunking {
		c := w.c
		c.out.b = wire.AppendLastChunk(c.out.b, w.finalTrailers())
	}
}

// reusable reports whether the connection may carry another request after
// this response (net/http's shouldReuseConnection).
func (w *response) reusable() bool {
	if w.closeAfter || w.c.werr != nil {
		return false
	}
	if w.req.Method != "HEAD" && w.contentLength != -1 && bodyAllowedForStatus(w.status) && w.contentLength != w.written {
		return false // short body: the client would lose track of framing
	}
	if w.body != nil && w.body.closed && !w.body.eof {
		return false
	}
	return true
}

func (w *response) declareTrailer(k string) {
	k = http.CanonicalHeaderKey(k)
	switch k {
	case "Authorization", "Cache-Control", "Connection", "Content-Encoding", "Content-Length",
		"Content-Range", "Content-Type", "Expect", "Host", "Keep-Alive", "Max-Forwards", "Pragma",
		"Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "Range", "Realm", "Te",
		"Trailer", "Transfer-Encoding", "Www-Authenticate":
		return
	}
	w.trailers = append(w.trailers, k)
}

func (w *response) finalTrailers() http.Header {
	var t http.Header
	for k, vv := range w.handlerHeader {
		if kk, found := strings.CutPrefix(k, http.TrailerPrefix); found {
			if t == nil {
				t = make(http.Header)
			}
			t[kk] = vv
		}
	}
	for _, k := range w.trailers {
		if t == nil {
			t = make(http.Header)
		}
		for _, v := range w.handlerHeader[k] {
			t.Add(k, v)
		}
	}
	return t
}

// Flush sends what the handler wrote so far (http.Flusher).
func (w *response) Flush() { w.FlushError() }

// FlushError is Flush reporting the write error, for
// http.ResponseController.
func (w *response) FlushError() error {
	if w.c.hijacked() {
		return http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.flushBuf()
	if !w.committed {
		w.commit(nil)
	}
	return w.c.flushNow()
}

// CloseNotify implements http.CloseNotifier, which net/http's
// ResponseWriter still does (gin's Stream asserts it): the channel
// receives true once if the client goes away while the handler runs. As
// in net/http, it may tell only once the request body was read; on a
// loop in ModeInline it tells only what the socket says when the handler
// asks (see ModeInline).
func (w *response) CloseNotify() <-chan bool {
	if w.handlerDone {
		panic("ringnet/http: CloseNotify called after ServeHTTP finished")
	}
	return w.mem.ctx.closeNotify()
}

// SetReadDeadline and SetWriteDeadline serve http.ResponseController.
func (w *response) SetReadDeadline(t time.Time) error  { return w.c.rwc.SetReadDeadline(t) }
func (w *response) SetWriteDeadline(t time.Time) error { return w.c.rwc.SetWriteDeadline(t) }

// EnableFullDuplex lets the handler write before it has read the whole
// request body: the body is then not discarded when the header is sent.
func (w *response) EnableFullDuplex() error {
	w.fullDuplex = true
	return nil
}

// Hijack hands the connection to the handler (http.Hijacker). Bytes the
// server read ahead are in the returned reader.
func (w *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.handlerDone {
		panic("ringnet/http: Hijack called after ServeHTTP finished")
	}
	w.body.disableContinue()
	if w.wroteHeader {
		w.flushBuf()
		if !w.committed {
			w.commit(nil)
		}
	}
	return w.c.hijack()
}

func bodyAllowedForStatus(status int) bool {
	switch {
	case status >= 100 && status <= 199:
		return false
	case status == 204, status == 304:
		return false
	}
	return true
}

func appendStatusLine(o *outBuf, is11 bool, code int) {
	if is11 {
		o.WriteString("HTTP/1.1 ")
	} else {
		o.WriteString("HTTP/1.0 ")
	}
	if text := http.StatusText(code); text != "" {
		o.b = strconv.AppendInt(o.b, int64(code), 10)
		o.b = append(o.b, ' ')
		o.WriteString(text)
		o.WriteString("\r\n")
		return
	}
	c := strconv.Itoa(code)
	for len(c) < 3 {
		c = "0" + c
	}
	o.WriteString(c + " status code " + strconv.Itoa(code) + "\r\n")
}
