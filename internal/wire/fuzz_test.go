package wire

import (
	"net/http"
	"regexp"
	"testing"
)

// FuzzReadResponse checks that ReadResponse never panics and that
// whatever it reads, net/http reads identically, response after
// response, body and trailers included; where we fail, net/http read the
// same up to there (we are only ever stricter). The one other difference
// allowed is Close on a chunked response that also had Content-Length.
// head makes the request a HEAD. Inputs with BWS before a chunk
// extension's ';' (RFC 9112 §7.1.1), which net/http refuses and we read,
// have no oracle.
func FuzzReadResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), false)
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: A\r\n\r\n5\r\nhello\r\n0\r\nA: b\r\n\r\n"), false)
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), true)
	f.Fuzz(func(t *testing.T, raw []byte, head bool) {
		method := "GET"
		if head {
			method = "HEAD"
		}
		ours := transcript(ReadResponse, raw, method, maxTranscript)
		std := transcript(http.ReadResponse, raw, method, maxTranscript)
		if !acceptedAlike(ours, std) && !extBWS.Match(raw) {
			t.Fatalf("%s %q:\nours %v\nstd  %v", method, raw, ours, std)
		}
	})
}

var extBWS = regexp.MustCompile(`\n[0-9a-fA-F]+[ \t]+;`)
