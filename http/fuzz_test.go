package http

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ringnet/ringnet/internal/wire"
)

// fakeConn is a net.Conn reading from a fixed byte string.
type fakeConn struct {
	net.Conn
	r io.Reader
}

func (c *fakeConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// readOne reads and parses one request from raw as the server does.
func readOne(raw []byte) (*http.Request, int64, error) {
	r := connReader{buf: raw, w: len(raw)}
	block, err := r.takeHead(DefaultMaxHeaderBytes+4096, "")
	if err != nil {
		return nil, 0, err
	}
	m := new(reqMem)
	n, err := parseRequest(block, m)
	return &m.req, n, err
}

// FuzzParseRequest checks that the parser never panics, and that what it
// accepts net/http accepts too and reads the same way: we are only ever
// stricter, but for the empty lines we skip before a request line, which
// net/http refuses (RFC 9112 §2.2 asks a server to ignore them): those
// are taken off before net/http reads the request.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, n, err := readOne(raw)
		if err != nil {
			return
		}
		for bytes.HasPrefix(raw, []byte("\r\n")) {
			raw = raw[2:]
		}
		std, serr := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if serr != nil {
			t.Fatalf("we accept, net/http refuses (%v): %q", serr, raw)
		}
		if n == chunkedLength {
			delete(std.Header, "Content-Length")
		}
		got := []any{req.Method, req.RequestURI, req.URL.String(), req.Proto, req.ProtoMajor, req.ProtoMinor, req.Header, req.Host, req.ContentLength, req.TransferEncoding, req.Close, req.Trailer}
		want := []any{std.Method, std.RequestURI, std.URL.String(), std.Proto, std.ProtoMajor, std.ProtoMinor, std.Header, std.Host, std.ContentLength, std.TransferEncoding, std.Close, std.Trailer}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\nours %#v\nstd  %#v", raw, got, want)
		}
	})
}

// FuzzChunked checks that the chunked decoder never panics and that what
// it decodes net/http's decoder decodes to the same bytes. net/http
// refuses the BWS before a chunk extension's ';' that RFC 9112 §7.1.1
// allows and we accept: it reads the input without it.
func FuzzChunked(f *testing.F) {
	f.Add([]byte("5\r\nhello\r\n0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var trailer http.Header
		cr := wire.NewChunkedReader(&connReader{conn: &fakeConn{r: bytes.NewReader(raw)}}, &trailer)
		got, err := io.ReadAll(cr)
		if err != nil {
			return
		}
		want, serr := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(withoutExtBWS(raw))))
		if serr != nil && !strings.Contains(serr.Error(), "EOF") {
			t.Fatalf("we decode, net/http refuses (%v): %q", serr, raw)
		}
		if serr == nil && !bytes.Equal(got, want) {
			t.Fatalf("%q: ours %q, std %q", raw, got, want)
		}
	})
}

// withoutExtBWS returns raw, a chunked body our decoder accepted, with
// the whitespace between each chunk size and its ';' taken out.
func withoutExtBWS(raw []byte) []byte {
	var out []byte
	for {
		line, rest, ok := bytes.Cut(raw, []byte("\r\n"))
		if !ok {
			return append(out, raw...)
		}
		i := 0
		for i < len(line) && wire.IsHexDigit(line[i]) {
			i++
		}
		size, _ := strconv.ParseUint(string(line[:i]), 16, 64)
		out = append(out, line[:i]...)
		out = append(out, bytes.TrimLeft(line[i:], " \t")...)
		out = append(out, "\r\n"...)
		if size == 0 || size > uint64(len(rest)) {
			return append(out, rest...)
		}
		out = append(out, rest[:size]...)
		raw = rest[size:]
		if len(raw) < 2 {
			return append(out, raw...)
		}
		out = append(out, raw[:2]...)
		raw = raw[2:]
	}
}
