package http_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
)

// testFile writes size seeded random bytes to a new file named name in
// dir and returns its contents.
func testFile(t *testing.T, dir, name string, size int) []byte {
	t.Helper()
	data := make([]byte, size)
	rand.NewChaCha8([32]byte{'f', 'i', 'l', 'e', byte(size), byte(size >> 8)}).Read(data)
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return data
}

// fileHandler serves the file named by the path's last element from dir
// in one of the ways a handler sends a file: "content" http.ServeContent,
// "copy" io.Copy with a Content-Length, "chunked" io.Copy without one,
// "servefile" http.ServeFile, "fs" http.FileServer.
func fileHandler(dir string) http.Handler {
	fsrv := http.StripPrefix("/fs/", http.FileServer(http.Dir(dir)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		how, name := filepath.Split(r.URL.Path)
		path := filepath.Join(dir, name)
		switch how {
		case "/fs/":
			fsrv.ServeHTTP(w, r)
			return
		case "/servefile/":
			http.ServeFile(w, r, path)
			return
		}
		f, err := os.Open(path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		defer f.Close()
		fi, _ := f.Stat()
		switch how {
		case "/content/":
			http.ServeContent(w, r, name, fi.ModTime(), f)
		case "/copy/":
			w.Header().Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
			io.Copy(w, f)
		case "/chunked/":
			io.Copy(w, f)
		}
	})
}

// TestServeFileChecksum serves files of several sizes every way a
// handler sends one, GET and HEAD, on every backend and mode, and
// compares every byte of the exchange with net/http's (framing, chunk
// sizes, sniffed type); the body is also checked against the file.
func TestServeFileChecksum(t *testing.T) {
	dir := t.TempDir()
	big := 8 << 20
	if raceEnabled {
		big = 2 << 20
	}
	files := map[string][]byte{}
	for _, size := range []int{0, 1, 600, 4<<10 + 1, 70 << 10, big} {
		name := fmt.Sprintf("f%d.bin", size)
		files[name] = testFile(t, dir, name, size)
	}
	type exch struct{ req, name string }
	var cases []exch
	for _, how := range []string{"content", "copy", "chunked", "servefile", "fs"} {
		for name := range files {
			for _, method := range []string{"GET", "HEAD"} {
				cases = append(cases, exch{method + " /" + how + "/" + name + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", name})
			}
		}
	}
	oracle := &http.Server{Handler: fileHandler(dir)}
	oln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go oracle.Serve(oln)
	defer oracle.Close()
	want := map[string]string{}
	for _, c := range cases {
		want[c.req] = normalize(exchange(t, oln.Addr().String(), c.req, false))
	}
	run(t, func(t *testing.T, b backend) {
		addr := serve(t, b, &ringhttp.Server{Handler: fileHandler(dir)})
		for _, c := range cases {
			got := normalize(exchange(t, addr, c.req, false))
			line, _, _ := strings.Cut(c.req, " HTTP/1.1")
			wantExch := want[c.req]
			if strings.Contains(c.req, "/chunked/") {
				// Chunks after the first are 32756 bytes, net/http's 32768
				// (copyChunks): compare the header and the chunk sizes.
				got, wantExch = rechunk(t, got, 32756), rechunk(t, wantExch, 32768)
			}
			if got != wantExch {
				i := 0
				for i < min(len(got), len(wantExch)) && got[i] == wantExch[i] {
					i++
				}
				t.Errorf("%s: %d bytes, net/http's %d, first difference at %d:\nours   %q\noracle %q", line, len(got), len(wantExch), i,
					got[max(i-40, 0):min(i+40, len(got))], wantExch[max(i-40, 0):min(i+40, len(wantExch))])
				continue
			}
			resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(normalize(exchange(t, addr, c.req, false)))), nil)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			body, err := io.ReadAll(resp.Body)
			if c.req[0] == 'G' && (err != nil || sha256.Sum256(body) != sha256.Sum256(files[c.name])) {
				t.Errorf("%s: %d bytes, %v; not the file's %d", line, len(body), err, len(files[c.name]))
			}
		}
	})
}

// rechunk returns the exchange ex, a chunked response, as its header,
// the size of its first chunk, its decoded body and what ended it; it
// fails t unless every chunk after the first but the last non-empty one
// is full bytes long.
func rechunk(t *testing.T, ex string, full int) string {
	t.Helper()
	head, body, ok := strings.Cut(ex, "\r\n\r\n")
	if !ok || !strings.Contains(head, "Transfer-Encoding: chunked") {
		return ex
	}
	var sizes []int64
	var out strings.Builder
	for {
		size, rest, ok := strings.Cut(body, "\r\n")
		n, err := strconv.ParseInt(size, 16, 64)
		if !ok || err != nil || int64(len(rest)) < n+2 {
			t.Errorf("malformed chunk %d: %q", len(sizes), body[:min(len(body), 40)])
			return ex
		}
		sizes = append(sizes, n)
		out.WriteString(rest[:n])
		body = rest[n+2:]
		if n == 0 {
			break
		}
	}
	for i := 1; i < len(sizes)-2; i++ {
		if sizes[i] != int64(full) {
			t.Errorf("chunk %d of %d is %d bytes, want %d", i, len(sizes), sizes[i], full)
		}
	}
	return fmt.Sprintf("%s\r\n\r\n[first chunk %d]%s[end]%s", head, sizes[0], out.String(), body)
}

// TestServeFileRange asks for ranges of a big file: one range is sent
// from the file's offset (sendfile from the middle), several as a
// multipart body; each part is checked byte for byte.
func TestServeFileRange(t *testing.T) {
	dir := t.TempDir()
	data := testFile(t, dir, "big", 8<<20)
	run(t, func(t *testing.T, b backend) {
		addr := serve(t, b, &ringhttp.Server{Handler: fileHandler(dir)})
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		cl := &http.Client{Transport: tr}
		for _, rng := range [][][2]int{
			{{1000, 3<<20 + 7}},
			{{8<<20 - 1, 8<<20 - 1}},
			{{0, 99}, {5 << 20, 6<<20 + 3}},
		} {
			spec := "bytes="
			for i, r := range rng {
				if i > 0 {
					spec += ","
				}
				spec += fmt.Sprintf("%d-%d", r[0], r[1])
			}
			req, _ := http.NewRequest("GET", "http://"+addr+"/content/big", nil)
			req.Header.Set("Range", spec)
			resp, err := cl.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", spec, err)
			}
			var parts [][]byte
			if len(rng) == 1 {
				body, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatalf("%s: %v", spec, err)
				}
				parts = append(parts, body)
			} else {
				_, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
				mr := multipart.NewReader(resp.Body, params["boundary"])
				for {
					p, err := mr.NextPart()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("%s: %v", spec, err)
					}
					body, err := io.ReadAll(p)
					if err != nil {
						t.Fatalf("%s: %v", spec, err)
					}
					parts = append(parts, body)
				}
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusPartialContent || len(parts) != len(rng) {
				t.Fatalf("%s: status %d, %d parts", spec, resp.StatusCode, len(parts))
			}
			for i, r := range rng {
				if !bytes.Equal(parts[i], data[r[0]:r[1]+1]) {
					t.Errorf("%s: part %d is %d bytes, not the file's %d from %d", spec, i, len(parts[i]), r[1]+1-r[0], r[0])
				}
			}
		}
	})
}

// TestServeFilePipelined sends big files' requests and small ones' in
// one write, on several connections at once: the responses arrive whole
// and in order, the big ones having left the loop for sendfile while the
// loop went on reading the other connections' requests (into the buffer
// the left ones' requests were in), the small ones queued on the loop.
func TestServeFilePipelined(t *testing.T) {
	dir := t.TempDir()
	size := 3 << 20
	if raceEnabled {
		size = 512 << 10
	}
	big := testFile(t, dir, "big", size)
	small := testFile(t, dir, "small", 5000)
	run(t, func(t *testing.T, b backend) {
		addr := serve(t, b, &ringhttp.Server{Handler: fileHandler(dir)})
		order := []struct {
			path string
			want []byte
		}{{"/content/small", small}, {"/content/big", big}, {"/copy/small", small}, {"/content/big", big}, {"/chunked/small", small}}
		var reqs bytes.Buffer
		for _, o := range order {
			fmt.Fprintf(&reqs, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", o.path)
		}
		const clients = 4
		errs := make(chan error, clients)
		for range clients {
			go func() {
				errs <- func() error {
					c, err := net.Dial("tcp", addr)
					if err != nil {
						return err
					}
					defer c.Close()
					if _, err := c.Write(reqs.Bytes()); err != nil {
						return err
					}
					br := bufio.NewReader(c)
					for i, o := range order {
						resp, err := http.ReadResponse(br, nil)
						if err != nil {
							return fmt.Errorf("response %d: %v", i, err)
						}
						body, err := io.ReadAll(resp.Body)
						if err != nil || !bytes.Equal(body, o.want) {
							return fmt.Errorf("response %d (%s): %d bytes, %v; want the file's %d", i, o.path, len(body), err, len(o.want))
						}
					}
					return nil
				}()
			}()
		}
		for range clients {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})
}

// TestReadFromContentLength: a handler that declares a Content-Length and
// copies a longer file sends no byte past it and gets
// http.ErrContentLength; one that copies a shorter file has its
// connection closed after what it sent. The client never reads a byte
// that is not the file's.
func TestReadFromContentLength(t *testing.T) {
	dir := t.TempDir()
	data := testFile(t, dir, "f", 200<<10)
	run(t, func(t *testing.T, b backend) {
		errs := make(chan error, 1)
		addr := serve(t, b, &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f, _ := os.Open(filepath.Join(dir, "f"))
			defer f.Close()
			w.Header().Set("Content-Length", r.URL.Query().Get("cl"))
			_, err := io.Copy(w, f)
			errs <- err
		})})
		for _, cl := range []int{100 << 10, 300 << 10} {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(c, "GET /?cl=%d HTTP/1.1\r\nHost: x\r\n\r\n", cl)
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, rerr := io.ReadAll(resp.Body) // to the close
			c.Close()
			herr := <-errs
			sent := min(cl, len(data))
			if !bytes.Equal(body, data[:sent]) {
				t.Errorf("Content-Length %d: received %d bytes, not the file's first %d", cl, len(body), sent)
			}
			if cl < len(data) && (herr != http.ErrContentLength || rerr != nil) {
				t.Errorf("Content-Length %d < file: handler's io.Copy %v, want http.ErrContentLength; client %v", cl, herr, rerr)
			}
			if cl > len(data) && (herr != nil || rerr != io.ErrUnexpectedEOF) {
				t.Errorf("Content-Length %d > file: handler's io.Copy %v, want nil; client %v, want unexpected EOF", cl, herr, rerr)
			}
		}
	})
}

// TestServeFileStalled: a client that stops reading a big file. With a
// WriteTimeout the handler's copy fails with a timeout and the
// connection is closed; a client that resets makes it fail at once. The
// leak check of run sees nothing left.
func TestServeFileStalled(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "huge"))
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(1 << 30) // sparse: takes no disk
	f.Close()
	run(t, func(t *testing.T, b backend) {
		errs := make(chan error, 1)
		s := &ringhttp.Server{WriteTimeout: 300 * time.Millisecond, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f, _ := os.Open(filepath.Join(dir, "huge"))
			defer f.Close()
			w.Header().Set("Content-Length", strconv.Itoa(1<<30))
			_, err := io.Copy(w, f)
			errs <- err
		})}
		addr := serve(t, b, s)
		for _, reset := range []bool{false, true} {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			if reset {
				io.CopyN(io.Discard, c, 1<<20)
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
			}
			herr := <-errs
			if !reset && !errors.Is(herr, os.ErrDeadlineExceeded) {
				t.Errorf("stalled client: handler's io.Copy returned %v, want a timeout", herr)
			}
			if reset && herr == nil {
				t.Errorf("client reset: handler's io.Copy returned nil")
			}
			if !reset {
				// The server closed it: the client reads what was sent, then EOF.
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				n, err := io.Copy(io.Discard, c)
				if err != nil && !isReset(err) || n >= 1<<30 {
					t.Errorf("stalled client then reading: %d bytes, %v; want the connection closed short", n, err)
				}
				c.Close()
			}
		}
	})
}
