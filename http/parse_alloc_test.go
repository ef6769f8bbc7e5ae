package http

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
	"testing"
)

const benchRequest = "GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\nAccept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\nConnection: keep-alive\r\nUser-Agent: wrk\r\n\r\n"

// parseOne is the server's request-header path without the connection:
// prev is the connection's previous block, m the request's memory.
func parseOne(r *connReader, raw []byte, prev string, m *reqMem) (string, error) {
	r.buf, r.r, r.w = r.buf[:cap(r.buf)], 0, copy(r.buf[:cap(r.buf)], raw)
	block, err := r.takeHead(DefaultMaxHeaderBytes+4096, prev)
	if err != nil {
		return "", err
	}
	_, err = parseRequest(block, m)
	return block, err
}

// TestParseAllocs pins the allocations of parsing a typical request into
// the memory the response holds for it (reqMem): the Header map (its
// table and its group of slots), and the block's string unless it is
// the previous request's. The URL and the header values take none.
func TestParseAllocs(t *testing.T) {
	r := &connReader{buf: make([]byte, 4096)}
	raw := []byte(benchRequest)
	m := new(reqMem)
	for _, tc := range []struct {
		name string
		prev string
		want float64
	}{
		{"new block", "", 3},
		{"repeated block", benchRequest, 2},
	} {
		n := testing.AllocsPerRun(100, func() {
			*m = reqMem{}
			if _, err := parseOne(r, raw, tc.prev, m); err != nil {
				t.Fatal(err)
			}
		})
		if n > tc.want {
			t.Errorf("%s: parsing a request allocates %v times, want at most %v", tc.name, n, tc.want)
		}
	}
	block, err := parseOne(r, raw, benchRequest, m)
	if err != nil {
		t.Fatal(err)
	}
	if block != benchRequest {
		t.Fatalf("block %q", block)
	}
}

// TestParseTargetFast checks that an origin-form target read without
// url.ParseRequestURI (parseOriginForm) gives exactly what it gives, for
// every byte in the path and in the query and the '?' corner cases.
func TestParseTargetFast(t *testing.T) {
	targets := []string{"/", "//", "//x/y", "/a?", "/a??", "/a?b?", "/a?b", "/?", "/a/b;c=d,e&f+g$h:i@j~k.l_m-n",
		"/a%20b", "/a%2", "/a?b%zz", "/a#b", "/a?b#c", "/a!b", "/a*b", "/a'b", "/a(b)", "/ä", "/a?ä", "a", "*", "", "/a b", "/a?b\x7f"}
	for c := 0; c < 256; c++ {
		targets = append(targets, "/p"+string([]byte{byte(c)})+"q", "/p?q"+string([]byte{byte(c)}))
	}
	for _, target := range targets {
		checkOriginForm(t, target)
	}
	// What must take the fast path does.
	for _, target := range []string{"/", "/plaintext", "/json?x=1&y=2", "/a/b/c.html", "/a?"} {
		if !parseOriginForm(target, new(url.URL)) {
			t.Errorf("%q: not read fast", target)
		}
	}
}

// checkOriginForm fails t when parseOriginForm reads target otherwise
// than url.ParseRequestURI.
func checkOriginForm(t *testing.T, target string) {
	t.Helper()
	var u url.URL
	if !parseOriginForm(target, &u) {
		return // parseTarget asks ParseRequestURI
	}
	std, err := url.ParseRequestURI(target)
	if err != nil {
		t.Errorf("%q: read fast, ParseRequestURI refuses it: %v", target, err)
		return
	}
	if u != *std {
		t.Errorf("%q: fast %#v, ParseRequestURI %#v", target, u, *std)
	}
}

func FuzzParseTargetFast(f *testing.F) {
	for _, s := range []string{"/", "/a?b", "/a?", "/a%20b?c=d#e", "/a;b=c/d@e"} {
		f.Add(s)
	}
	f.Fuzz(checkOriginForm)
}

func BenchmarkParse(b *testing.B) {
	r := &connReader{buf: make([]byte, 4096)}
	raw := []byte(benchRequest)
	m := new(reqMem)
	b.ReportAllocs()
	for b.Loop() {
		*m = reqMem{}
		if _, err := parseOne(r, raw, "", m); err != nil {
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
