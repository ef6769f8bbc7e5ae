package client

import (
	"bufio"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ringnet/ringnet/internal/wire"
)

// DefaultUserAgent is sent when a request has no User-Agent header; an
// empty User-Agent header sends none. It names this client rather than
// copying net/http's "Go-http-client/1.1", so that servers can tell the
// two apart in their logs and bug reports.
const DefaultUserAgent = "ringnet-client/1.1"

// framing is how a request's body goes on the wire (RFC 9112 §6).
type framing struct {
	body    bool  // there is a body to send
	chunked bool  // Transfer-Encoding: chunked
	cl      int64 // Content-Length to send, -1 for none
	expect  bool  // Expect: 100-continue: wait for the server before the body
	sync    bool  // small and in memory: written with the header, by the caller
}

func framingOf(req *http.Request) framing {
	if !hasBody(req) {
		f := framing{cl: -1}
		// As net/http: many servers want a length for these even when 0.
		switch req.Method {
		case "POST", "PUT", "PATCH":
			f.cl = 0
		}
		return f
	}
	f := framing{body: true, cl: -1}
	switch {
	case len(req.TransferEncoding) > 0 && req.TransferEncoding[0] == "chunked",
		len(req.Trailer) > 0,
		req.ContentLength <= 0: // unknown length
		f.chunked = true
	default:
		f.cl = req.ContentLength
	}
	f.expect = req.ProtoAtLeast(1, 1) && wire.HasListToken(req.Header["Expect"], "100-continue")
	// GetBody is set by http.NewRequest for bytes.Buffer, bytes.Reader and
	// strings.Reader bodies (and by callers who can replay theirs): reading
	// such a body cannot block waiting for the response.
	f.sync = !f.chunked && f.cl <= syncBodyMax && req.GetBody != nil
	return f
}

// writeHeader buffers the request line and header fields of req in
// pc.bw; errors surface when the buffer is flushed. The fields RoundTrip
// checked are written as they are, in sorted order so that the bytes on
// the wire do not depend on map order.
func (pc *persistConn) writeHeader(req *http.Request, f framing, addGzip, close bool) {
	w := pc.bw
	method := req.Method
	if method == "" {
		method = "GET"
	}
	host := hostHeader(req)
	w.WriteString(method)
	w.WriteByte(' ')
	pc.writeTarget(req, host)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(host)
	w.WriteString("\r\n")

	if ua, ok := req.Header["User-Agent"]; !ok {
		w.WriteString("User-Agent: " + DefaultUserAgent + "\r\n")
	} else if len(ua) > 0 && ua[0] != "" {
		writeField(w, "User-Agent", ua[0])
	}
	if f.cl >= 0 {
		var num [20]byte
		w.WriteString("Content-Length: ")
		w.Write(strconv.AppendInt(num[:0], f.cl, 10))
		w.WriteString("\r\n")
	}
	if f.chunked {
		w.WriteString("Transfer-Encoding: chunked\r\n")
	}
	if len(req.Trailer) > 0 {
		keys := make([]string, 0, len(req.Trailer))
		for k := range req.Trailer {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		writeField(w, "Trailer", strings.Join(keys, ","))
	}
	if close && !wire.HasListToken(req.Header["Connection"], "close") {
		w.WriteString("Connection: close\r\n")
	}
	if addGzip {
		w.WriteString("Accept-Encoding: gzip\r\n")
	}
	if pc.proxyAuth != "" && req.Header["Proxy-Authorization"] == nil {
		writeField(w, "Proxy-Authorization", pc.proxyAuth)
	}
	writeFields(w, req.Header)
	w.WriteString("\r\n")
}

// writeFields writes the fields of h but those writeHeader writes itself,
// sorted by name (up to 32 names without allocating).
func writeFields(w *bufio.Writer, h http.Header) {
	var buf [32]string
	keys := buf[:0]
	for k := range h {
		switch k {
		case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			writeField(w, k, v)
		}
	}
}

func writeField(w *bufio.Writer, k, v string) {
	w.WriteString(k)
	w.WriteString(": ")
	w.WriteString(wire.TrimOWS(v))
	w.WriteString("\r\n")
}

// writeTarget writes the request-target (RFC 9112 §3.2): origin form, or
// absolute form to a proxy, or authority form for CONNECT. RoundTrip has
// checked that no part holds a control byte.
func (pc *persistConn) writeTarget(req *http.Request, host string) {
	w, u := pc.bw, req.URL
	if req.Method == "CONNECT" && u.Path == "" {
		if u.Opaque != "" {
			w.WriteString(u.Opaque)
		} else {
			w.WriteString(host)
		}
		return
	}
	if pc.proxyAbsolute && u.Scheme != "" && u.Opaque == "" {
		w.WriteString(u.Scheme)
		w.WriteString("://")
		w.WriteString(host)
	}
	if u.Opaque != "" {
		if strings.HasPrefix(u.Opaque, "//") {
			w.WriteString(u.Scheme)
			w.WriteByte(':')
		}
		w.WriteString(u.Opaque)
	} else if p := u.EscapedPath(); p != "" {
		w.WriteString(p)
	} else {
		w.WriteByte('/')
	}
	if u.ForceQuery || u.RawQuery != "" {
		w.WriteByte('?')
		w.WriteString(u.RawQuery)
	}
}

// hostHeader is the Host field of req: Request.Host, else the URL's,
// without an IPv6 zone (RFC 6874 says a client must remove it).
func hostHeader(req *http.Request) string {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if i := strings.IndexByte(host, '%'); i >= 0 && strings.HasPrefix(host, "[") {
		if j := strings.IndexByte(host[i:], ']'); j >= 0 {
			host = host[:i] + host[i+j:]
		}
	}
	return host
}

func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return true
		}
	}
	return false
}

// writeBody writes the body of req after its header, then flushes, and
// closes the body. An error reading the body is recorded in pc.bodyErr:
// it is the error RoundTrip reports, ahead of what it does to the
// connection.
func (pc *persistConn) writeBody(req *http.Request, f framing) (err error) {
	body := req.Body
	defer func() {
		if cerr := body.Close(); err == nil && cerr != nil {
			err = pc.setBodyErr(cerr)
		}
	}()
	if f.chunked {
		cw := wire.NewChunkedWriter(pc.bw)
		bufp := pc.t.copyBuf()
		defer pc.t.putCopyBuf(bufp)
		buf := *bufp
		for {
			n, rerr := body.Read(buf)
			if n > 0 {
				if _, err := cw.Write(buf[:n]); err != nil {
					return err
				}
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				return pc.setBodyErr(rerr)
			}
		}
		if err := cw.Close(req.Trailer); err != nil {
			return err
		}
		return pc.bw.Flush()
	}
	pc.lr = io.LimitedReader{R: body, N: f.cl}
	n, err := pc.bw.ReadFrom(&pc.bodyRd)
	pc.lr.R = nil
	if err != nil {
		return err
	}
	if n < f.cl {
		return pc.setBodyErr(bodyLengthError(f.cl, n))
	}
	var extra [1]byte
	if m, _ := body.Read(extra[:]); m > 0 {
		return pc.setBodyErr(bodyLengthError(f.cl, n+int64(m)))
	}
	return pc.bw.Flush()
}

// bodyReader reads the request body through pc.lr and keeps read errors
// apart from write errors, which bufio.Writer.ReadFrom mixes.
type bodyReader struct{ pc *persistConn }

func (r *bodyReader) Read(p []byte) (int, error) {
	n, err := r.pc.lr.Read(p)
	if err != nil && err != io.EOF {
		r.pc.setBodyErr(err)
	}
	return n, err
}

func (pc *persistConn) setBodyErr(err error) error {
	pc.mu.Lock()
	if pc.bodyErr == nil {
		pc.bodyErr = err
	}
	pc.mu.Unlock()
	return err
}
