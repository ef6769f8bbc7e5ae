package wire

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzReadResponse checks that ReadResponse never panics and that
// whatever it reads, net/http reads identically, response after
// response, body and trailers included; where we fail, net/http read the
// same up to there (we are only ever stricter). The one other difference
// allowed is Close on a chunked response that also had Content-Length.
//
// The other arguments vary how the bytes arrive and how a client reads:
// head makes the request a HEAD; size, if not 0, picks a bufio buffer of
// 16 to 4096 bytes, which sets net/http's chunk-line and trailer limits
// and makes header blocks outgrow the buffer; trickle hands the bytes over
// one per read; step is the size of each body Read (0: io.ReadAll); keep,
// if not negative, is how many body bytes the client reads before it
// closes the body, which must then leave the reader at the next response.
// With the default buffer (size 0), a ResponseScan given the bytes whole
// (or one at a time, with trickle) must read exactly what ReadResponse
// reads.
func FuzzReadResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), false, uint16(0), false, uint8(0), int16(-1))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: A\r\n\r\n5\r\nhello\r\n0\r\nA: b\r\n\r\n"), false, uint16(0), false, uint8(0), int16(-1))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), true, uint16(0), false, uint8(0), int16(-1))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b\r\nabc\r\n2\r\nde\r\n0\r\nX-Long: 0123456789abcdef\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"), false, uint16(20), true, uint8(1), int16(2))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n"), false, uint16(1), false, uint8(3), int16(0))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX: 1\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\n"), false, uint16(0), true, uint8(0), int16(-1))
	f.Fuzz(func(t *testing.T, raw []byte, head bool, size uint16, trickle bool, step uint8, keep int16) {
		method := "GET"
		if head {
			method = "HEAD"
		}
		bufSize := 4096
		if size != 0 {
			bufSize = 16 + int(size)%4081
		}
		compareReading(t, raw, method, bufSize, trickle, int(step), int(keep))
		if size == 0 { // a ResponseScan has the limits of the default buffer
			piece := 0
			if trickle {
				piece = 1
			}
			got, want := scanTranscript(raw, method, maxTranscript, piece, false), transcript(ReadResponse, raw, method, maxTranscript)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %q, ResponseScan %d bytes at a time:\nscan         %v\nReadResponse %v", method, raw, piece, got, want)
			}
			got, want = scanTranscript(raw, method, maxTranscript, piece, true), framingFields(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %q, ResponseScan FramingOnly %d bytes at a time:\nscan         %v\nReadResponse %v", method, raw, piece, got, want)
			}
		}
	})
}

// compareReading reads raw with ReadResponse and with net/http's, each
// from a bufio.Reader of bufSize (over a one-byte reader if trickle),
// consuming bodies with readPart(step, keep), and fails if we read
// anything otherwise than net/http does. Inputs with BWS before a chunk
// extension's ';' (RFC 9112 §7.1.1), which net/http refuses and we read,
// have no oracle.
func compareReading(t *testing.T, raw []byte, method string, bufSize int, trickle bool, step, keep int) {
	t.Helper()
	if extBWS.Match(raw) {
		return
	}
	newReader := func() *bufio.Reader {
		var r io.Reader = bytes.NewReader(raw)
		if trickle {
			r = iotest.OneByteReader(r)
		}
		return bufio.NewReaderSize(r, bufSize)
	}
	consume := readAll
	if step != 0 || keep >= 0 {
		consume = readPart(step, keep)
	}
	ours := transcriptWith(ReadResponse, newReader(), method, maxTranscript, consume)
	std := transcriptWith(http.ReadResponse, newReader(), method, maxTranscript, consume)
	if !acceptedAlike(ours, std) {
		t.Errorf("%s %q (buffer %d, trickle %v, step %d, keep %d):\nours %v\nstd  %v", method, raw, bufSize, trickle, step, keep, ours, std)
		return
	}
	if why := stricterWithoutReason(raw, method, bufSize, ours, std); why != "" {
		t.Errorf("%s %q (buffer %d, trickle %v, step %d, keep %d): %s\nours %v\nstd  %v", method, raw, bufSize, trickle, step, keep, why, ours, std)
	}
}

// stricterWithoutReason checks that where we fail and net/http does not,
// the response shows one of the documented stricter differences
// (docs/conformance.md): a header section we refuse has a trait that
// stricterTrait recognizes, a body we fail to read is chunked (the
// chunk-line difference). It returns what is wrong, or "".
func stricterWithoutReason(raw []byte, method string, bufSize int, ours, std []record) string {
	for i, o := range ours {
		if i >= len(std) || reflect.DeepEqual(o, std[i]) {
			continue
		}
		switch {
		case o.Err:
			block := stdHeaderBlock(raw, method, i, bufSize)
			if stricterTrait(std[i], block) == "" {
				return fmt.Sprintf("response %d refused for no documented reason (header section %q)", i, block)
			}
		case o.BodyErr && !std[i].BodyErr && !slices.Equal(std[i].TE, []string{"chunked"}):
			return fmt.Sprintf("body of response %d failed, and it is not chunked", i)
		}
		return ""
	}
	return ""
}

// stdHeaderBlock returns the bytes of the status line and header section
// of response i as net/http reads raw, each body read to its end.
func stdHeaderBlock(raw []byte, method string, i, bufSize int) []byte {
	rd := bytes.NewReader(raw)
	br := bufio.NewReaderSize(rd, bufSize)
	offset := func() int { return len(raw) - rd.Len() - br.Buffered() }
	for n := 0; ; n++ {
		start := offset()
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			return nil
		}
		if n == i {
			return raw[start:offset()]
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// stricterTrait returns the name of the stricter difference (a key of
// differences) that a response net/http read shows, given its record and
// its header section; "" if it shows none. It looks at the bytes
// independently of the parser under test.
func stricterTrait(s record, block []byte) string {
	lines := bytes.Split(block, []byte("\n"))
	lines = lines[:len(lines)-1] // what follows the last '\n'
	for _, l := range lines {
		if !bytes.HasSuffix(l, []byte("\r")) {
			return "bare-lf"
		}
	}
	for _, c := range bytes.TrimSuffix(lines[0], []byte("\r")) {
		if c < ' ' && c != '\t' || c == 0x7f {
			return "status-line-ctl"
		}
	}
	if s.Major != 1 {
		return "http-version"
	}
	if code, _, _ := strings.Cut(s.Status, " "); len(code) != 3 || strings.Trim(code, "0123456789") != "" {
		return "status-code-digits"
	}
	for _, l := range lines[1:] {
		name, _, ok := bytes.Cut(l, []byte(":"))
		if !ok || len(name) == 0 || name[0] == ' ' || name[0] == '\t' {
			continue
		}
		if bytes.ContainsAny(name, " \t") {
			return "space-before-colon"
		}
		if s.Minor == 0 && textproto.CanonicalMIMEHeaderKey(string(name)) == "Transfer-Encoding" {
			return "http10-te"
		}
	}
	return ""
}

// TestStricterTraits checks stricterTrait against the corpus: every case
// declared to differ because we refuse its header section shows the
// trait of its declared difference.
func TestStricterTraits(t *testing.T) {
	n := 0
	for _, c := range loadCorpus(t) {
		if differences[c.differs] != stricter {
			continue
		}
		ours := transcript(ReadResponse, []byte(c.raw), c.method, maxTranscript)
		std := transcript(http.ReadResponse, []byte(c.raw), c.method, maxTranscript)
		for i, o := range ours {
			if o.Err && i < len(std) && !std[i].Err {
				n++
				block := stdHeaderBlock([]byte(c.raw), c.method, i, 4096)
				if got := stricterTrait(std[i], block); got != c.differs {
					t.Errorf("%s %s: trait %q, declared %q (header section %q)", c.file, c.id, got, c.differs, block)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no corpus case refused where net/http reads")
	}
	t.Logf("%d refusals checked", n)
}

// TestResponseCorpusReadPatterns reads every corpus case with the knobs
// of FuzzReadResponse set to a grid of values: buffers around the
// chunk-line and trailer limits, one byte per read or all at once, body
// reads of 1, 7 and 512 bytes, and bodies closed after 0, 1 and 5 bytes
// or read to the end.
func TestResponseCorpusReadPatterns(t *testing.T) {
	for _, c := range loadCorpus(t) {
		for _, size := range []int{16, 17, 20, 64, 4096} {
			for _, trickle := range []bool{false, true} {
				for _, step := range []int{0, 1, 7} {
					for _, keep := range []int{-1, 0, 1, 5} {
						compareReading(t, []byte(c.raw), c.method, size, trickle, step, keep)
					}
				}
			}
		}
	}
}

// readPart returns a body consumer that reads step bytes at a time (512 if
// step is 0), stops after keep bytes unless keep is negative, and closes
// the body; it reports a failed Read or Close.
func readPart(step, keep int) func(io.ReadCloser) (string, error) {
	if step == 0 {
		step = 512
	}
	return func(body io.ReadCloser) (string, error) {
		var got []byte
		var err error
		p := make([]byte, step)
		for keep < 0 || len(got) < keep {
			q := p
			if keep >= 0 && keep-len(got) < len(q) {
				q = q[:keep-len(got)]
			}
			n, rerr := body.Read(q)
			got = append(got, q[:n]...)
			if rerr != nil {
				if rerr != io.EOF {
					err = rerr
				}
				break
			}
		}
		if cerr := body.Close(); err == nil {
			err = cerr
		}
		return string(got), err
	}
}

var extBWS = regexp.MustCompile(`\n[0-9a-fA-F]+[ \t]+;`)
