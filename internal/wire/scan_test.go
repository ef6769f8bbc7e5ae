package wire

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"testing"
)

// scanTranscript reads raw with a ResponseScan the way a client on an
// event loop does: the bytes arrive in pieces of step bytes (all at once
// if step is 0), each Scan gets the bytes not consumed so far followed
// by the new ones, and the end of raw is the end of the connection. It
// records what it reads as transcript does.
func scanTranscript(raw []byte, method string, limit, step int, framingOnly bool) []record {
	s := ResponseScan{Method: method, FramingOnly: framingOnly}
	var (
		out  []record
		cur  *record // the response whose body is being read
		held []byte  // given, not consumed
	)
	bodyErr := func() []record {
		cur.BodyErr, cur.Trailer = true, s.Response().Trailer
		return append(out, *cur)
	}
	for len(raw) > 0 || held != nil {
		n := len(raw)
		if step > 0 {
			n = min(n, step)
		}
		held = append(held, raw[:n]...)
		raw = raw[n:]
		for {
			r, err := s.Scan(held)
			if err != nil {
				if cur != nil {
					cur.Body += string(r.Body)
					return bodyErr()
				}
				return append(out, record{Err: true})
			}
			if r.N == 0 {
				break
			}
			held = held[r.N:]
			if r.Head {
				resp := s.Response()
				cur = &record{
					Proto: resp.Proto, Status: resp.Status, Code: resp.StatusCode,
					Major: resp.ProtoMajor, Minor: resp.ProtoMinor,
					Header: resp.Header.Clone(), Length: resp.ContentLength,
					TE: slices.Clone(resp.TransferEncoding), Close: resp.Close,
				}
				for k := range resp.Trailer {
					cur.TrailerKeys = append(cur.TrailerKeys, k)
				}
				slices.Sort(cur.TrailerKeys)
			}
			cur.Body += string(r.Body)
			if r.Done {
				cur.Trailer = s.Response().Trailer
				out = append(out, *cur)
				if len(out) == limit || cur.Close || cur.Code == http.StatusSwitchingProtocols {
					return out
				}
				cur = nil
			}
		}
		if len(raw) == 0 {
			break
		}
	}
	done, err := s.End(len(held))
	switch {
	case done:
		return append(out, *cur)
	case err != nil && cur != nil:
		return bodyErr()
	case err != nil || len(out) == 0: // ReadResponse fails at once on no bytes
		return append(out, record{Err: true})
	}
	return out
}

// framingFields is rs with only the header fields that a ResponseScan
// keeps with FramingOnly.
func framingFields(rs []record) []record {
	rs = slices.Clone(rs)
	for i := range rs {
		if h := rs[i].Header; h != nil {
			rs[i].Header = http.Header{}
			for k, v := range h {
				if isFramingField(k) {
					rs[i].Header[k] = v
				}
			}
		}
	}
	return rs
}

// TestResponseScanCorpus reads every corpus case with a ResponseScan,
// whole and in pieces, and checks that it reads exactly what
// ReadResponse reads from a bufio.Reader of the default size, and with
// FramingOnly the same but the fields it leaves out.
func TestResponseScanCorpus(t *testing.T) {
	for _, c := range loadCorpus(t) {
		limit := maxTranscript
		if c.firstOnly {
			limit = 1
		}
		want := transcript(ReadResponse, []byte(c.raw), c.method, limit)
		for _, step := range []int{0, 1, 7} {
			if got := scanTranscript([]byte(c.raw), c.method, limit, step, false); !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s, %d bytes at a time:\nscan         %v\nReadResponse %v", c.file, c.id, step, got, want)
			}
			if got, want := scanTranscript([]byte(c.raw), c.method, limit, step, true), framingFields(want); !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s, FramingOnly, %d bytes at a time:\nscan         %v\nReadResponse %v", c.file, c.id, step, got, want)
			}
		}
	}
}

// A body arrives in the pieces it came in, without a copy when it has a
// Content-Length; the scan keeps no byte it was given, and after an error
// Reset readies it for a new connection.
func TestResponseScanPieces(t *testing.T) {
	var s ResponseScan
	head := []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
	if r, err := s.Scan(head[:10]); r.N != 0 || r.Head || r.Done || r.Body != nil || err != nil {
		t.Fatalf("part of a head: %+v, %v", r, err)
	}
	in := append(head, "hel"...)
	r, err := s.Scan(in)
	if err != nil || r.N != len(head) || !r.Head || r.Done || s.Response().StatusCode != 200 {
		t.Fatalf("head: %+v, %v", r, err)
	}
	r, err = s.Scan(in[r.N:])
	if err != nil || r.N != 3 || &r.Body[0] != &in[len(head)] || r.Done {
		t.Fatalf("body: %+v, %v", r, err)
	}
	r, err = s.Scan([]byte("loHTTP/1.1"))
	if err != nil || r.N != 2 || string(r.Body) != "lo" || !r.Done {
		t.Fatalf("end of body: %+v, %v", r, err)
	}
	if done, err := s.End(len("HTTP/1.1")); done || err != io.ErrUnexpectedEOF {
		t.Fatalf("End inside a head: %v, %v", done, err)
	}
	s.Reset() // a new connection
	if r, err := s.Scan([]byte("HTTP/1.1 204 No Content\r\n\r\n")); err != nil || !r.Head || !r.Done || s.Response().StatusCode != 204 {
		t.Fatalf("after Reset: %+v, %v", r, err)
	}
}

// A head the same as the last one is that response again without
// parsing: its body, its trailers and its method's framing still count.
func TestResponseScanSameHead(t *testing.T) {
	length := "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
	chunked := "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	trailer := "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n"
	raw := []byte(length + "hello" + length + "world" +
		chunked + "1\r\na\r\n0\r\nX-U: 1\r\n\r\n" + chunked + "1\r\nb\r\n0\r\n\r\n" +
		trailer + "1\r\nc\r\n0\r\nX-T: 1\r\n\r\n" + trailer + "1\r\nd\r\n0\r\nX-T: 2\r\n\r\n" + length + "again")
	want := transcript(ReadResponse, raw, "GET", maxTranscript)
	for _, step := range []int{0, 1, 3} {
		if got := scanTranscript(raw, "GET", maxTranscript, step, true); !reflect.DeepEqual(got, framingFields(want)) {
			t.Errorf("%d bytes at a time:\nscan         %v\nReadResponse %v", step, got, want)
		}
	}

	var s ResponseScan
	if r, err := s.Scan([]byte(length + "hello")); err != nil || !r.Head || r.Done {
		t.Fatalf("GET: %+v, %v", r, err)
	}
	s.Scan([]byte("hello"))
	s.Method = "HEAD"
	if r, err := s.Scan([]byte(length)); err != nil || !r.Head || !r.Done {
		t.Fatalf("the same head, for HEAD: %+v, %v; want no body", r, err)
	}
}

// TestResponseScanAllocs pins what a response costs: the head as a
// string, nothing for the Header (reused) or the body, and nothing at
// all for a head the same as the last.
func TestResponseScanAllocs(t *testing.T) {
	for _, framingOnly := range []bool{false, true} {
		s := ResponseScan{FramingOnly: framingOnly}
		for _, tc := range []struct {
			resps [][]byte
			want  float64
		}{{[][]byte{benchResponse}, 0}, {[][]byte{benchResponse, benchResponse2}, 2}} {
			n := testing.AllocsPerRun(100, func() { scanAll(t, &s, tc.resps) })
			if n > tc.want {
				t.Errorf("FramingOnly %v, %d heads in turn: scanning them allocates %v times, want at most %v",
					framingOnly, len(tc.resps), n, tc.want)
			}
		}
	}
}

// benchResponse2 is benchResponse a second later.
var benchResponse2 = bytes.Replace(benchResponse, []byte("12:28:53"), []byte("12:28:54"), 1)

// scanAll scans each of resps, whole.
func scanAll(tb testing.TB, s *ResponseScan, resps [][]byte) {
	for _, in := range resps {
		for len(in) > 0 {
			r, err := s.Scan(in)
			if err != nil || r.N == 0 {
				tb.Fatalf("%+v, %v", r, err)
			}
			in = in[r.N:]
		}
	}
}

// BenchmarkResponseScan reads the same response again and again, as from
// a server under load (same), or two that differ in turn (parsed each
// time), with every header field or only the framing ones.
func BenchmarkResponseScan(b *testing.B) {
	for _, framingOnly := range []bool{false, true} {
		for _, same := range []bool{true, false} {
			resps := [][]byte{benchResponse, benchResponse2}
			if same {
				resps[1] = benchResponse
			}
			b.Run(fmt.Sprintf("framing=%v/same=%v", framingOnly, same), func(b *testing.B) {
				s := ResponseScan{FramingOnly: framingOnly}
				b.SetBytes(int64(2 * len(benchResponse)))
				b.ReportAllocs()
				for b.Loop() {
					scanAll(b, &s, resps)
				}
			})
		}
	}
}
