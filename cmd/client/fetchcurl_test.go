package main

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringnet/ringnet/internal/backendtest"
	"github.com/ringnet/ringnet/internal/testtool"
)

// fixedServer answers with the same bytes every time, whoever asks: no
// Date field, so that two clients' outputs can be compared byte for byte.
// Its routes:
//
//	/text      200, text/plain
//	/missing   404 with a body
//	/redirect  302 to /text
//	/chain     302 to /redirect
//	/gzip, /deflate, /rawdeflate, /badgzip   a body in that Content-Encoding
//	/chunked   200 in chunks
//	/echo      the method, some request fields and the body
//	/close     closes the connection without answering
//	/short     a body 7 bytes shorter than its Content-Length, then closes
//	/stall     never answers
//
// A HEAD request gets the head alone. It returns the base URL.
func fixedServer(t *testing.T) string { return requestServer(t, answer) }

// answer writes fixedServer's response to req and reports whether the
// connection stays open.
func answer(c net.Conn, req *http.Request, body []byte) bool {
	respond := func(status, fields, body string) bool {
		head := fmt.Sprintf("HTTP/1.1 %s\r\n%sContent-Length: %d\r\n\r\n", status, fields, len(body))
		if req.Method == http.MethodHead {
			body = ""
		}
		_, err := io.WriteString(c, head+body)
		return err == nil
	}
	switch req.URL.Path {
	case "/text":
		return respond("200 OK", "Content-Type: text/plain\r\nX-Order: 2\r\nA-Order: 1\r\n", "hello, curl\n")
	case "/missing":
		return respond("404 Not Found", "Content-Type: text/plain\r\n", "not here\n")
	case "/redirect":
		return respond("302 Found", "Location: /text\r\n", "")
	case "/chain":
		return respond("301 Moved Permanently", "Location: /redirect\r\n", "moved\n")
	case "/gzip", "/deflate", "/rawdeflate", "/cutgzip", "/badgzip":
		enc := strings.TrimPrefix(req.URL.Path, "/")
		field := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(enc, "raw"), "bad"), "cut")
		return respond("200 OK", "Content-Type: text/plain\r\nContent-Encoding: "+field+"\r\n", compress(enc, "squeezed, squeezed, squeezed\n"))
	case "/chunked":
		head := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
		_, err := io.WriteString(c, head+"6\r\nchunk \r\n4\r\nby c\r\n5\r\nhunk\n\r\n0\r\n\r\n")
		return err == nil
	case "/echo":
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s\n", req.Method, req.URL.Path)
		for _, k := range []string{"User-Agent", "Authorization", "Content-Type", "X-A", "Accept-Encoding"} {
			if vs, ok := req.Header[k]; ok {
				fmt.Fprintf(&b, "%s: %q\n", k, vs)
			}
		}
		fmt.Fprintf(&b, "body %q\n", body)
		return respond("200 OK", "", b.String())
	case "/short":
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
		return false
	case "/stall":
		io.Copy(io.Discard, c) // until the client hangs up
		return false
	}
	return false // /close
}

// compress returns s in the encoding enc: gzip, deflate (zlib),
// rawdeflate, cutgzip (gzip without its last 10 bytes) or badgzip (a
// gzip header, then a block of a type that does not exist).
func compress(enc, s string) string {
	var b bytes.Buffer
	var w io.WriteCloser
	switch enc {
	case "gzip", "cutgzip":
		w = gzip.NewWriter(&b)
	case "deflate":
		w = zlib.NewWriter(&b)
	case "rawdeflate":
		w, _ = flate.NewWriter(&b, flate.DefaultCompression)
	default:
		return "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff"
	}
	io.WriteString(w, s)
	w.Close()
	if enc == "cutgzip" {
		return b.String()[:b.Len()-14]
	}
	return b.String()
}

// The same command lines given to curl and to the client print the same
// bytes on stdout and exit with the same status, on every backend.
func TestFetchLikeCurl(t *testing.T) {
	curl := testtool.Path(t, "curl", "curl")
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		base := fixedServer(t)
		refused := closedPort(t)
		dir := t.TempDir()
		file := filepath.Join(dir, "body")
		os.WriteFile(file, []byte("line one\r\nline two\n"), 0o644)
		wo := "%{http_code} %{response_code} %{size_download} [%{content_type}] %{url_effective} %{num_redirects} " +
			"%{remote_ip} %{remote_port} %{http_version} %{exitcode}\\n"
		for _, args := range [][]string{
			{base + "/text"},
			{"-i", base + "/text"},
			{"--include", base + "/chunked"},
			{"-I", base + "/text"},
			{"--head", "-w", wo, base + "/missing"},
			{base + "/missing"},
			{"-f", base + "/missing"},
			{"-sf", base + "/missing"},
			{"-sfi", base + "/missing"},
			{"--fail", "--silent", "-w", wo, base + "/missing"},
			{"-s", "-w", wo, base + "/text"},
			{"-s", "-w", wo, base + "/redirect"},
			{"-sL", "-w", wo, base + "/chain"},
			{"-sLi", base + "/chain"},
			{"--location", "--include", "-XPOST", "-d", "x", base + "/chain"},
			{"-s", "-o", os.DevNull, "-w", "%{http_code}", base + "/missing"},
			{"-s", "-w", "%%|\\t|\\x|%{http_code", base + "/text"},
			{"-s", "--compressed", "-w", wo, base + "/gzip"},
			{"-s", "--compressed", base + "/deflate"},
			{"-s", "--compressed", base + "/rawdeflate"},
			{"-s", "-w", wo, base + "/gzip"}, // not asked to decode: the bytes as sent
			{"-s", "--compressed", "-w", wo, base + "/badgzip"},
			{"-s", "--compressed", "-w", wo, base + "/cutgzip"},
			{"-s", "-A", "agent/1", "-XPOST", "-d", "a", "-d", "b", base + "/echo"},
			{"-s", "-A", "agent/1", "-X", "PUT", "--data-binary", "@" + file, base + "/echo"},
			{"-s", "-A", "agent/1", "-d", "@" + file, "--data-raw", "@raw", base + "/echo"},
			{"-s", "-H", "User-Agent: me", "-H", "X-A: 1", "-H", "X-A: 2", base + "/echo"},
			{"-s", "--user-agent", "", "-H", "X-A;", base + "/echo"},
			{"-s", "-H", "User-Agent:", base + "/echo"},
			{"-s", "-A", "a", "-u", "user:secret", base + "/echo"},
			{"-s", "-A", "a", "--user", "user:secret", "-H", "Authorization: Bearer t", base + "/echo"},
			{"-s", "-A", "a", "--compressed", "-H", "Content-Type: text/plain", "--data", "d", base + "/echo"},
			{"-s", base + "/text", base + "/missing", base + "/text"},
			{"-s", base + "/text", refused},
			{"-s", refused, base + "/text"},
			{"-s", "-w", wo, refused, base + "/text"},
			{"-sf", "-w", wo, base + "/missing", base + "/text"},
			{"-sf", "--fail-early", "-w", wo, base + "/missing", base + "/text"},
			{"-s", "-w", wo, base + "/close"},
			{"-s", "-w", wo, base + "/short"},
			{"-s", "-m", "0.2", "-w", "%{http_code} %{exitcode}", base + "/stall"},
		} {
			want, wantCode := runCurl(t, curl, args)
			// Our --compressed asks for what Go's library decodes.
			want = strings.ReplaceAll(want, `"deflate, gzip, br, zstd"`, `"deflate, gzip"`)
			code, out, _ := runClient(t, append([]string{"-backend", b.Name}, args...)...)
			if code != wantCode || out != want {
				t.Errorf("%q:\nclient: exit %d, stdout %q\ncurl:   exit %d, stdout %q", args, code, out, wantCode, want)
			}
		}
	})
}

// runCurl runs curl with args and returns its stdout and exit status.
func runCurl(t *testing.T, curl string, args []string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(curl, args...)
	cmd.Stdout = &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), ee.ExitCode()
	case err != nil:
		t.Fatalf("curl %q: %v", args, err)
	}
	return out.String(), 0
}

// closedPort returns the URL of a port on which nobody listens.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	return "http://" + ln.Addr().String() + "/"
}
