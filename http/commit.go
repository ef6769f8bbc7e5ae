package http

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/ringnet/ringnet/internal/wire"
)

// commit decides how the response is framed and appends its status line
// and header to the connection's output. p is the first piece of the
// body, or all of it when the handler is done: it is sniffed for a
// Content-Type and, when final, gives the Content-Length. The decisions
// are net/http's (chunkWriter.writeHeader), in the same order, so the
// bytes on the wire are the same.
func (w *response) commit(p []byte) {
	w.committed = true
	c := w.c
	keepAlives := c.srv.keepAlives()
	isHEAD := w.req.Method == "HEAD"

	header := w.hdr
	del := header.del
	var extra struct {
		contentLength                             int64 // -1: none
		contentType, connection, transferEncoding string
	}
	extra.contentLength = -1

	trailers := false
	for i := range header.fields {
		if f := &header.fields[i]; strings.HasPrefix(f.key, http.TrailerPrefix) {
			f.dropped = true
			trailers = true
		}
	}
	var declared []string
	if f := header.field("Trailer"); f != nil {
		declared = f.vals
	}
	for _, v := range declared {
		trailers = true
		for _, k := range strings.Split(v, ",") {
			if k = wire.TrimOWS(k); k != "" {
				w.declareTrailer(k)
			}
		}
	}

	te := header.get("Transfer-Encoding")
	hasTE := te != ""

	if w.handlerDone && !trailers && !hasTE && bodyAllowedForStatus(w.status) && !header.has("Content-Length") && (!isHEAD || len(p) > 0) {
		w.contentLength = int64(len(p))
		extra.contentLength = int64(len(p))
	}

	if w.wants10KeepAlive && keepAlives {
		if header.get("Content-Length") != "" && header.get("Connection") == "keep-alive" {
			w.closeAfter = false
		}
	}
	hasCL := w.contentLength != -1
	if w.wants10KeepAlive && (isHEAD || hasCL || !bodyAllowedForStatus(w.status)) {
		if !header.has("Connection") {
			extra.connection = "keep-alive"
		}
	} else if !w.req.ProtoAtLeast(1, 1) || w.wantsClose {
		w.closeAfter = true
	}
	if header.get("Connection") == "close" || !keepAlives {
		w.closeAfter = true
	}

	if tooBig := w.settleBody(); tooBig {
		del("Connection")
		extra.connection = "close"
	}

	code := w.status
	if bodyAllowedForStatus(code) {
		if header.get("Content-Encoding") == "" && !header.has("Content-Type") && !hasTE && len(p) > 0 {
			extra.contentType = http.DetectContentType(p)
		}
	} else {
		for _, k := range suppressedHeaders(code) {
			del(k)
		}
	}
	hasDate := header.has("Date")

	if hasCL && hasTE && te != "identity" {
		c.srv.logf("http: WriteHeader called with both Transfer-Encoding and a Content-Length", "te", te, "length", w.contentLength)
		del("Content-Length")
		hasCL = false
	}

	switch {
	case w.req.Method == "CONNECT" && code/100 == 2 && w.req.RequestURI[0] != '/':
		// RFC 9110 §9.3.6: a 2xx to CONNECT has neither Content-Length
		// nor Transfer-Encoding: the connection is a tunnel after it.
		// A handler that did not hijack offers no tunnel, so what it
		// writes goes out as is and the connection closes (net/http
		// frames it and keeps the connection). An origin-form CONNECT
		// (net/rpc's) is no tunnel request and is framed as net/http
		// frames it.
		del("Content-Length")
		del("Transfer-Encoding")
		extra.contentLength, w.contentLength = -1, -1
		extra.connection = ""
		w.closeAfter = true
	case isHEAD || !bodyAllowedForStatus(code) || code == http.StatusNoContent:
		del("Transfer-Encoding")
	case hasCL:
		del("Transfer-Encoding")
	case w.req.ProtoAtLeast(1, 1):
		if hasTE && te == "identity" {
			w.closeAfter = true
			del("Transfer-Encoding")
		} else {
			w.chunking = true
			extra.transferEncoding = "chunked"
			if hasTE && te == "chunked" {
				del("Transfer-Encoding")
			}
		}
	default: // HTTP/1.0 without a length: the end of the body is the close
		w.closeAfter = true
		del("Transfer-Encoding")
	}
	if w.chunking {
		del("Content-Length")
	}

	if w.closeAfter && (!keepAlives || !wire.ContainsToken(header.get("Connection"), "close")) && !isProtocolSwitch(code, header) {
		del("Connection")
		if w.req.ProtoAtLeast(1, 1) {
			extra.connection = "close"
		}
	}

	out := &c.out
	appendStatusLine(out, w.req.ProtoAtLeast(1, 1), code)
	header.write(out)
	if !hasDate {
		out.WriteString("Date: ")
		out.Write(c.srv.date.get(c.now()))
		out.WriteString("\r\n")
	}
	if extra.contentLength >= 0 {
		out.WriteString("Content-Length: ")
		out.b = strconv.AppendInt(out.b, extra.contentLength, 10)
		out.WriteString("\r\n")
	}
	for _, kv := range [...][2]string{{"Content-Type: ", extra.contentType}, {"Connection: ", extra.connection}, {"Transfer-Encoding: ", extra.transferEncoding}} {
		if kv[1] != "" {
			out.WriteString(kv[0])
			out.WriteString(kv[1])
			out.WriteString("\r\n")
		}
	}
	out.WriteString("\r\n")
}

// settleBody is what net/http does with an unread request body when the
// response header goes out: discard a small rest so the connection can
// be reused, else mark the connection to close. It reports whether the
// rest was too big, which adds "Connection: close".
func (w *response) settleBody() (tooBig bool) {
	b := w.body
	if b == nil || w.closeAfter || w.fullDuplex {
		return false
	}
	b.mu.Lock() // a Read on another goroutine finishes first, as in net/http
	defer b.mu.Unlock()
	if b.expectContinue && !b.eof {
		w.closeAfter = true // the client may still be waiting for a 100
		return false
	}
	if b.closed {
		if !b.eof {
			w.closeAfter = true
		}
		return false
	}
	if b.discard() {
		return false
	}
	w.closeAfter = true
	return b.err == nil
}

func suppressedHeaders(status int) []string {
	switch {
	case status == 304:
		return []string{"Content-Type", "Content-Length", "Transfer-Encoding"}
	case !bodyAllowedForStatus(status):
		return []string{"Content-Length", "Transfer-Encoding"}
	}
	return nil
}

func isProtocolSwitch(code int, h *headerList) bool {
	if code != http.StatusSwitchingProtocols || h.get("Upgrade") == "" {
		return false
	}
	f := h.field("Connection")
	return f != nil && wire.HasListToken(f.vals, "Upgrade")
}
