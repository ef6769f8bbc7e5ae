package wire

import (
	"bytes"
	"io"
	"net/http"
)

// A ResponseScan reads responses from the bytes of a connection as they
// arrive, for a client on an event loop, which is handed bytes rather
// than reading them: each Scan consumes what it can of the bytes given
// and says what they held; the caller keeps the bytes not consumed and
// gives them again, followed by the next ones. It never blocks and keeps
// no input of its own.
//
// It reads responses as ReadResponse does, with the same head parser,
// framing and chunked decoder, and the limits ReadResponse has on a
// bufio.Reader of the default size (4096 bytes: chunk lines of 4094
// bytes, trailer sections of 4096), so that both read any input alike.
// The zero ResponseScan is ready to read responses to GET requests.
type ResponseScan struct {
	// Method is the method of the requests the responses answer ("" is
	// GET): a response to HEAD has no body.
	Method string
	// MaxHeaderBytes bounds a response head, as in ReadResponseLimit; 0
	// means DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// FramingOnly, for a client that needs no header field (a load
	// generator), leaves out of Response().Header every field but those
	// that frame the response (Content-Length, Transfer-Encoding,
	// Connection, Trailer), of which frame leaves what ReadResponse
	// does. The others are checked alike; storing them is most of the
	// cost of a small response.
	FramingOnly bool

	resp    http.Response // the last head scanned
	te      [1]string     // backs resp.TransferEncoding
	vals    []string      // the first values of resp.Header's fields
	header  http.Header   // resp.Header, emptied for each head
	last    lastHead      // the last head parsed, if it can be reused
	state   scanState
	head    HeadScan
	left    int64 // scanLength: body bytes to go
	chunked ChunkedReader
	src     sliceSource
	buf     []byte // chunked data, copied out of the input
	err     error  // sticky
}

type scanState uint8

const (
	scanHead    scanState = iota // a response's head, or the end of the connection
	scanLength                   // a body of Content-Length bytes
	scanChunked                  // a chunked body and its trailer section
	scanEOF                      // a body that ends with the connection
)

// scanBufferSize is the buffer size of the bufio.Reader whose limits a
// ResponseScan has: bufio's default.
const scanBufferSize = 4096

// A Scanned is what one call of ResponseScan.Scan found in the bytes it
// was given.
type Scanned struct {
	N    int    // how many bytes of them it consumed
	Head bool   // they held a response's head: Response tells what it says
	Body []byte // the body bytes among them, valid until the next Scan
	Done bool   // they ended a response: the next bytes start the next one
}

// Scan consumes the next piece of in, which starts where the last call's
// consumed bytes ended: a response head, body bytes, or chunk framing. It
// returns Scanned{} when in holds too little to go on: call again with in
// and the bytes that arrive next. A response has a head and then body
// bytes over any number of calls, the last of which is Done (the head's
// own, for a response without a body); a 1xx response is Done after its
// head, as ReadResponse returns it, and the final response follows.
//
// Errors are those of ReadResponse and of its bodies, and are sticky.
func (s *ResponseScan) Scan(in []byte) (Scanned, error) {
	if s.err != nil {
		return Scanned{}, s.err
	}
	switch s.state {
	case scanLength:
		n := int(min(s.left, int64(len(in))))
		s.left -= int64(n)
		r := Scanned{N: n, Body: in[:n], Done: s.left == 0}
		if r.Done {
			s.state = scanHead
		}
		return r, nil
	case scanChunked:
		return s.scanChunked(in)
	case scanEOF:
		return Scanned{N: len(in), Body: in}, nil
	}
	return s.scanHead(in)
}

// Response returns the response whose head the last Scan with Head set
// consumed, its Body nil; it and its Header are valid until the next
// head, and must not be modified.
func (s *ResponseScan) Response() *http.Response { return &s.resp }

// A lastHead is a head parsed (as a string: the fields of resp refer to
// it) and what it said of the body, for method. A server under load
// sends the same head again and again (until its Date changes): a head
// whose bytes are those of the last one is that response again, with no
// parsing, unless its body changed resp (a trailer section: resp.Trailer
// was set by the head, or is set by the body, so such a head is not
// kept).
type lastHead struct {
	head, method string
	kind         bodyKind
	length       int64
}

func (s *ResponseScan) scanHead(in []byte) (Scanned, error) {
	if h := &s.last; h.head != "" && h.method == s.Method && len(in) >= len(h.head) && string(in[:len(h.head)]) == h.head {
		s.head = HeadScan{Scanned: s.head.Scanned} // a head that arrived in pieces was partly scanned
		s.resp.Trailer = nil
		return s.begin(len(h.head), h.kind, h.length), nil
	}
	s.last = lastHead{}
	limit := s.MaxHeaderBytes
	if limit <= 0 {
		limit = DefaultMaxHeaderBytes
	}
	start, end, err := s.head.Scan(in, HeadLimits{Bytes: limit})
	switch {
	case start > 0 || err != nil && err != ErrNeedMore:
		return s.fail(responseHeadError(err, start, in))
	case err == ErrNeedMore:
		return Scanned{}, nil
	}
	method := s.Method
	if method == "" {
		method = "GET"
	}
	s.resp = http.Response{}
	// The Header and the array of its values are reused from head to
	// head (see Response).
	if s.header == nil {
		s.header, s.vals = http.Header{}, make([]string, 16)
	}
	clear(s.header)
	head := string(in[:end])
	kind, length, err := parseHead(head, method, s.FramingOnly, &s.resp, &s.te, s.vals, s.header)
	if err != nil {
		return s.fail(err)
	}
	if s.resp.Trailer == nil {
		s.last = lastHead{head: head, method: s.Method, kind: kind, length: length}
	}
	return s.begin(end, kind, length), nil
}

// begin starts reading the response whose head, end bytes long, says
// kind and length of its body.
func (s *ResponseScan) begin(end int, kind bodyKind, length int64) Scanned {
	r := Scanned{N: end, Head: true}
	switch kind {
	case bodyNone:
		r.Done = true
	case bodyLength:
		s.state, s.left = scanLength, length
	case bodyChunked:
		s.state = scanChunked
		s.chunked = bufferedChunkedReader(&s.src, &s.resp.Trailer, scanBufferSize)
	case bodyEOF:
		s.state = scanEOF
	}
	return r
}

// scanChunked decodes the chunked body in in: the data of one chunk (as
// much of it as in holds), with the chunk lines before it, or the end of
// the body.
func (s *ResponseScan) scanChunked(in []byte) (Scanned, error) {
	if s.buf == nil {
		s.buf = make([]byte, scanBufferSize)
	}
	s.src = sliceSource{b: in}
	n, err := s.chunked.Read(s.buf)
	r := Scanned{N: s.src.off, Body: s.buf[:n]}
	s.src = sliceSource{}
	switch err {
	case nil, ErrNeedMore:
		return r, nil
	case io.EOF:
		r.Done = true
		s.state = scanHead
		return r, nil
	}
	s.err = err
	return r, err // the bytes before the error were consumed: r says what they held
}

// Reset readies s for the responses of a new connection, keeping its
// settings (Method, MaxHeaderBytes, FramingOnly) and its memory.
func (s *ResponseScan) Reset() {
	*s = ResponseScan{Method: s.Method, MaxHeaderBytes: s.MaxHeaderBytes, FramingOnly: s.FramingOnly,
		vals: s.vals, header: s.header, buf: s.buf}
}

// End tells the scan that the connection has ended (the peer's EOF),
// held being how many bytes it was given last and did not consume. It
// reports whether that completed a response (a body that runs to the end
// of the connection), and io.ErrUnexpectedEOF if it cut one short;
// nothing between responses.
func (s *ResponseScan) End(held int) (done bool, err error) {
	switch {
	case s.err != nil:
		return false, s.err
	case s.state == scanEOF:
		s.state = scanHead
		return true, nil
	case s.state == scanHead && held == 0:
		return false, nil
	}
	s.err = io.ErrUnexpectedEOF
	return false, s.err
}

func (s *ResponseScan) fail(err error) (Scanned, error) {
	s.err = err
	return Scanned{}, err
}

// sliceSource is the bytes given to one Scan, as a ChunkedReader's
// Source: ErrNeedMore where they end.
type sliceSource struct {
	b   []byte
	off int // consumed
}

func (s *sliceSource) Read(p []byte) (int, error) {
	if s.off == len(s.b) {
		return 0, ErrNeedMore
	}
	n := copy(p, s.b[s.off:])
	s.off += n
	return n, nil
}

func (s *sliceSource) Peek(n int) ([]byte, error) {
	rest := s.b[s.off:]
	if len(rest) < n {
		return rest, ErrNeedMore
	}
	return rest[:n], nil
}

func (s *sliceSource) Discard(n int) (int, error) {
	s.off += n
	return n, nil
}

func (s *sliceSource) NextLine(limit int) ([]byte, error) {
	rest := s.b[s.off:]
	i := bytes.IndexByte(rest, '\n')
	switch {
	case i > limit, i < 0 && len(rest) > limit:
		return nil, ErrLineTooLong
	case i < 0:
		return nil, ErrNeedMore
	}
	s.off += i + 1
	return rest[:i], nil
}
