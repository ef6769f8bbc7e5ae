package plaintext

import (
	"bytes"
	"testing"
)

func TestAppendResponses(t *testing.T) {
	r := NewResponder()
	req := "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"
	for _, tc := range []struct {
		in       string
		n        int
		consumed int
	}{
		{"", 0, 0},
		{req[:10], 0, 0},
		{req, 1, len(req)},
		{req + req + req[:5], 2, 2 * len(req)},
	} {
		out, consumed := r.AppendResponses(nil, []byte(tc.in))
		if n := bytes.Count(out, []byte("HTTP/1.1 200 OK\r\n")); n != tc.n || consumed != tc.consumed {
			t.Errorf("%q: %d responses, consumed %d; want %d, %d", tc.in, n, consumed, tc.n, tc.consumed)
		}
		if tc.n > 0 && !bytes.HasSuffix(out, []byte("\r\n\r\n"+Body)) {
			t.Errorf("%q: response %q", tc.in, out)
		}
	}
}
