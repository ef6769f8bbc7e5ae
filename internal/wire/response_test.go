package wire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// TestResponseCorpusByteByByte reads every corpus case from a reader
// that yields one byte at a time, so that headers and bodies span many
// reads: the result must not change. Read into a 16-byte buffer, headers
// exceed the buffer; chunk lines and trailers then meet the limits
// net/http derives from the buffer size, so there the comparison is with
// net/http reading the same way.
func TestResponseCorpusByteByByte(t *testing.T) {
	oneByte := func(raw string, size int) *bufio.Reader {
		return bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(raw)), size)
	}
	for _, c := range loadCorpus(t) {
		limit := maxTranscript
		if c.firstOnly {
			limit = 1
		}
		want := transcript(ReadResponse, []byte(c.raw), c.method, limit)
		if got := transcriptFrom(ReadResponse, oneByte(c.raw, 4096), c.method, limit); !reflect.DeepEqual(got, want) {
			t.Errorf("%s %s:\none byte at a time %v\nat once            %v", c.file, c.id, got, want)
		}
		ours := transcriptFrom(ReadResponse, oneByte(c.raw, 16), c.method, limit)
		std := transcriptFrom(http.ReadResponse, oneByte(c.raw, 16), c.method, limit)
		if !acceptedAlike(ours, std) {
			t.Errorf("%s %s, 16-byte buffer:\nours %v\nstd  %v", c.file, c.id, ours, std)
		}
	}
}

func TestReadResponseHeaderLimit(t *testing.T) {
	head := "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", 100) + "\r\n\r\n"
	for _, size := range []int{16, 4096} {
		br := bufio.NewReaderSize(strings.NewReader(head), size)
		if _, err := ReadResponseLimit(br, nil, len(head)-1); err != ErrHeaderTooLarge {
			t.Errorf("buffer %d, limit %d: %v, want ErrHeaderTooLarge", size, len(head)-1, err)
		}
		br = bufio.NewReaderSize(strings.NewReader(head), size)
		if _, err := ReadResponseLimit(br, nil, len(head)); err != nil {
			t.Errorf("buffer %d, limit %d: %v", size, len(head), err)
		}
	}
}

func TestReadResponseErrors(t *testing.T) {
	for _, tt := range []struct {
		raw  string
		want error
	}{
		{"", io.ErrUnexpectedEOF},
		{"HTTP/1.1 200 OK\r\nA: b\r\n", io.ErrUnexpectedEOF},
		{"HTTP/1.1 200 OK\nA: b\n\n", ErrMalformedResponse},
		{"HTTP/1.1 2x0 OK\r\n\r\n", ErrMalformedResponse},
		{"HTTP/1.1 200 OK\r\nA : b\r\n\r\n", ErrMalformedResponse},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", ErrMalformedResponse},
		{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", ErrMalformedResponse},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: Content-Length\r\n\r\n", ErrMalformedResponse},
	} {
		_, err := ReadResponse(bufio.NewReader(strings.NewReader(tt.raw)), nil)
		if !errors.Is(err, tt.want) {
			t.Errorf("%q: %v, want %v", tt.raw, err, tt.want)
		}
	}
}

// TestResponseBody checks what a caller of the body sees: io.EOF with
// the last bytes, Close reading the rest so that the next response
// follows, and reads after Close failing.
func TestResponseBody(t *testing.T) {
	raw := "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" +
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX: y\r\n\r\n" +
		"HTTP/1.1 204 No Content\r\n\r\n"
	br := bufio.NewReader(strings.NewReader(raw))
	resp, err := ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 10)
	if n, err := resp.Body.Read(p); n != 5 || err != io.EOF {
		t.Errorf("Read = %d, %v; want 5, io.EOF", n, err)
	}
	resp.Body.Close()
	if _, err := resp.Body.Read(p); err != http.ErrBodyReadAfterClose {
		t.Errorf("Read after Close: %v", err)
	}

	resp, err = ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Read(p[:1])
	if err := resp.Body.Close(); err != nil {
		t.Fatal(err)
	}
	if resp.Trailer.Get("X") != "y" {
		t.Errorf("Close did not read the trailer: %v", resp.Trailer)
	}
	resp, err = ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 204 || resp.Body != http.NoBody {
		t.Fatalf("after Close: %v, %v", resp, err)
	}
}

// TestResponseBodyCloseClosing checks that Close does not read a body
// whose connection closes after it: there is nothing to keep in step.
func TestResponseBodyCloseClosing(t *testing.T) {
	raw := "HTTP/1.1 200 OK\r\n\r\n" + strings.Repeat("x", 1<<16)
	rd := strings.NewReader(raw)
	resp, err := ReadResponse(bufio.NewReader(rd), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Close || resp.ContentLength != -1 {
		t.Fatalf("Close %v, ContentLength %d", resp.Close, resp.ContentLength)
	}
	resp.Body.Close()
	if rd.Len() == 0 {
		t.Error("Close read a close-delimited body")
	}
}

func TestEqualFoldASCII(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"chunked", "CHUNKED", true},
		{"chunked", "chunKed", true},
		{"chun\u212aed", "chunked", false}, // KELVIN SIGN folds to k in Unicode
		{"clo\u017fe", "close", false},     // LONG S folds to s
		{"close", "closer", false},
	} {
		if got := EqualFoldASCII(tt.a, tt.b); got != tt.want {
			t.Errorf("EqualFoldASCII(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
	if HasListToken([]string{"keep-alive, clo\u017fe"}, "close") {
		t.Error("HasListToken matched close by Unicode folding")
	}
}

var benchResponse = []byte("HTTP/1.1 200 OK\r\n" +
	"Date: Mon, 27 Jul 2009 12:28:53 GMT\r\n" +
	"Server: ringnet\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Cache-Control: no-cache\r\n" +
	"Content-Length: 13\r\n" +
	"\r\n" +
	"Hello, World!")

// readOneResponse reads benchResponse with read, body included.
func readOneResponse(read readFunc, rd *bytes.Reader, br *bufio.Reader, req *http.Request, p []byte) error {
	rd.Reset(benchResponse)
	br.Reset(rd)
	resp, err := read(br, req)
	if err != nil {
		return err
	}
	for err == nil {
		_, err = resp.Body.Read(p)
	}
	if err != io.EOF {
		return err
	}
	return resp.Body.Close()
}

// TestReadResponseAllocs pins the allocations of reading a typical
// response: the header block string, the message (Response and body in
// one), the Header map and its value array.
func TestReadResponseAllocs(t *testing.T) {
	rd, br := bytes.NewReader(nil), bufio.NewReader(nil)
	req, p := &http.Request{Method: "GET"}, make([]byte, 64)
	n := testing.AllocsPerRun(100, func() {
		if err := readOneResponse(ReadResponse, rd, br, req, p); err != nil {
			t.Fatal(err)
		}
	})
	if n > 5 {
		t.Errorf("reading a response allocates %v times, want at most 5", n)
	}
}

func benchmarkReadResponse(b *testing.B, read readFunc) {
	rd, br := bytes.NewReader(nil), bufio.NewReader(nil)
	req, p := &http.Request{Method: "GET"}, make([]byte, 64)
	b.SetBytes(int64(len(benchResponse)))
	b.ReportAllocs()
	for b.Loop() {
		if err := readOneResponse(read, rd, br, req, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadResponse(b *testing.B) { benchmarkReadResponse(b, ReadResponse) }

// BenchmarkReadResponseStd is net/http's parser on the same response.
func BenchmarkReadResponseStd(b *testing.B) { benchmarkReadResponse(b, http.ReadResponse) }
