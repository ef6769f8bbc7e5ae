package http

import (
	"bufio"
	"bytes"
	"net/http"
	"testing"
)

const benchRequest = "GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\nAccept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\nConnection: keep-alive\r\nUser-Agent: wrk\r\n\r\n"

// parseOne is the server's request-header path without the connection.
func parseOne(r *connReader, raw []byte) error {
	r.buf, r.r, r.w = r.buf[:cap(r.buf)], 0, copy(r.buf[:cap(r.buf)], raw)
	block, err := r.readHeaderBlock(DefaultMaxHeaderBytes + 4096)
	if err != nil {
		return err
	}
	var req http.Request
	_, err = parseRequest(block, &req)
	return err
}

// TestParseAllocs pins the allocations of parsing a typical request: the
// header block string, the URL, the Header map and its value slice.
func TestParseAllocs(t *testing.T) {
	r := &connReader{buf: make([]byte, 4096)}
	raw := []byte(benchRequest)
	n := testing.AllocsPerRun(100, func() {
		if err := parseOne(r, raw); err != nil {
			t.Fatal(err)
		}
	})
	if n > 5 {
		t.Errorf("parsing a request allocates %v times, want at most 5", n)
	}
}

func BenchmarkParse(b *testing.B) {
	r := &connReader{buf: make([]byte, 4096)}
	raw := []byte(benchRequest)
	b.ReportAllocs()
	for b.Loop() {
		if err := parseOne(r, raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseStd is net/http's parser on the same request, for scale.
func BenchmarkParseStd(b *testing.B) {
	raw := []byte(benchRequest)
	rd := bytes.NewReader(raw)
	br := bufio.NewReader(rd)
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(raw)
		br.Reset(rd)
		if _, err := http.ReadRequest(br); err != nil {
			b.Fatal(err)
		}
	}
}
