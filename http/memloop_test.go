package http_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/ringnet/ringnet/internal/memloop"
)

// TestMemoryLoop checks the in-memory benchmark's server (bench/inmem):
// 3 deliveries of 16 pipelined requests through a loop whose kernel is
// memory get 48 responses, byte for byte but the Date, and the
// connection closes at end of file.
func TestMemoryLoop(t *testing.T) {
	mc := memloop.NewConn(bytes.Repeat([]byte(plaintextRequest), 16), 3, 64<<10)
	if err := memloop.ServeHTTP(plaintext, mc); err != nil {
		t.Fatal(err)
	}
	sent, out := mc.Output()
	if int(sent) != len(out) {
		t.Fatalf("sent %d bytes, kept %d", sent, len(out))
	}
	got := regexp.MustCompile(`Date: [^\r]*\r\n`).ReplaceAllString(string(out), "Date: D\r\n")
	want := strings.Repeat("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: D\r\nContent-Length: 13\r\n\r\nHello, World!", 48)
	if got != want {
		t.Fatalf("got %q\nwant 48 × %q", got, want[:len(want)/48])
	}
}
