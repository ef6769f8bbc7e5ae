package http_test

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// The tests here hold the server to net/http's concurrency contract: a
// handler may read the request body on one goroutine while another
// writes a 1xx, flushes or (full duplex) writes the response, and
// httputil.ReverseProxy does exactly that with Expect: 100-continue.
// They run in every mode; under -race they are what finds a server that
// shares state between the body's reader and the response's writer.

// pattern is size bytes of a fixed pattern, made as it is read.
type pattern struct{ off, size int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.off == p.size {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.size-p.off)]
	for i := range b {
		x := p.off + int64(i)
		b[i] = byte(x ^ x>>8 ^ x>>16)
	}
	p.off += int64(len(b))
	return len(b), nil
}

// digest is what uploadHandler answers for size bytes of pattern.
func digest(size int64) string {
	h := sha256.New()
	io.Copy(h, &pattern{size: size})
	return fmt.Sprintf("%d %x", size, h.Sum(nil))
}

// uploadHandler answers a POST with the length and SHA-256 of its body.
var uploadHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintf(w, "%d %x", n, h.Sum(nil))
})

// proxyTo is a ReverseProxy to the server at addr, on a Transport of its
// own that waits for the backend's 100 Continue (as DefaultTransport).
func proxyTo(t *testing.T, addr string) *httputil.ReverseProxy {
	tr := &http.Transport{ExpectContinueTimeout: 5 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	target := &url.URL{Scheme: "http", Host: addr}
	return &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport: tr,
		ErrorLog:  log.New(io.Discard, "", 0),
	}
}

// expectUpload sends a POST of size pattern bytes as curl does with
// Expect: 100-continue: the header, then the body only once a 100
// Continue came. It returns the interim statuses and the final response.
// If gated, only half the body goes out on the 100, and the rest once a
// 103 with the Link "</late.css>; rel=preload" was read.
func expectUpload(t *testing.T, addr string, size int64, gated bool) (interim []int, status int, body string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	fmt.Fprintf(c, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", size)
	br := bufio.NewReader(c)
	src := &pattern{size: size}
	sent := make(chan error, 1)
	sending := false
	sendRest := func() {
		sending = true
		go func() {
			_, err := io.Copy(c, src)
			sent <- err
		}()
	}
	for {
		resp, err := http.ReadResponse(br, &http.Request{Method: "POST"})
		if err != nil {
			t.Fatalf("reading a response: %v (interim %v)", err, interim)
		}
		if resp.StatusCode >= 200 {
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("reading the body: %v", err)
			}
			if sending {
				if err := <-sent; err != nil {
					t.Fatalf("sending the body: %v", err)
				}
			}
			return interim, resp.StatusCode, string(b)
		}
		interim = append(interim, resp.StatusCode)
		switch {
		case resp.StatusCode == http.StatusContinue && !sending && src.off == 0: // src is the sender's once sending
			if !gated {
				sendRest()
				break
			}
			if _, err := io.CopyN(c, src, size/2); err != nil {
				t.Fatalf("sending the first half: %v", err)
			}
		case resp.StatusCode == http.StatusEarlyHints && gated && !sending:
			if resp.Header.Get("Link") != "</late.css>; rel=preload" {
				t.Fatalf("103's Link: %q", resp.Header.Get("Link"))
			}
			sendRest()
		}
	}
}

// TestExpectContinueProxy: a ReverseProxy in front of a net/http backend
// and of a ringnet backend forwards uploads with Expect: 100-continue
// whole, from a client that waits for the 100 (curl) and from Go's
// client. The proxy's Transport forwards the backend's 100 with
// WriteHeader(100) from its reading goroutine while its writing goroutine
// reads the request body.
func TestExpectContinueProxy(t *testing.T) {
	sizes := []int64{2 << 20, 50 << 20}
	run(t, func(t *testing.T, b backend) {
		backends := []struct{ name, addr string }{
			{"net/http", backendtest.ServeNetHTTP(t, uploadHandler)},
			{"ringnet", serve(t, b, &ringhttp.Server{Handler: uploadHandler})},
		}
		for _, be := range backends {
			front := serve(t, b, &ringhttp.Server{Handler: proxyTo(t, be.addr)})
			for _, size := range sizes {
				interim, status, body := expectUpload(t, front, size, false)
				if status != 200 || body != digest(size) {
					t.Fatalf("%s backend, %d bytes, curl-style: %d %q, want 200 %q", be.name, size, status, body, digest(size))
				}
				for _, code := range interim {
					if code != http.StatusContinue {
						t.Fatalf("%s backend: interim %v, want only 100s", be.name, interim)
					}
				}
			}
			size := sizes[len(sizes)-1]
			tr := &http.Transport{ExpectContinueTimeout: 5 * time.Second}
			req, _ := http.NewRequest("POST", "http://"+front+"/upload", &pattern{size: size})
			req.ContentLength = size
			req.Header.Set("Expect", "100-continue")
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatalf("%s backend, Go client: %v", be.name, err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			tr.CloseIdleConnections()
			if err != nil || resp.StatusCode != 200 || string(got) != digest(size) {
				t.Fatalf("%s backend, Go client: %d %q %v, want 200 %q", be.name, resp.StatusCode, got, err, digest(size))
			}
		}
	})
}

// TestInformationalBesideBodyRead: one goroutine of the handler reads the
// body while another writes 1xx responses, as net/http allows:
//
//   - "first": the handler sends 103 and 100 before the reader starts:
//     exactly those go out, and no automatic 100 (net/http's rule: the
//     handler's 100 replaces it);
//   - "during": the handler sends a 103 while the reader waits for the
//     second half of the body, which the client sends only once it has
//     read that 103;
//   - "racing": the handler's 100 and the reader's first Read race: one
//     100 or two, as in net/http.
func TestInformationalBesideBodyRead(t *testing.T) {
	const size = 4 << 20
	run(t, func(t *testing.T, b backend) {
		for _, order := range []string{"first", "during", "racing"} {
			addr := serve(t, b, &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if order == "first" {
					w.Header().Set("Link", "</style.css>; rel=preload")
					w.WriteHeader(http.StatusEarlyHints)
					w.Header().Del("Link")
					w.WriteHeader(http.StatusContinue)
				}
				read, result := make(chan struct{}), make(chan string, 1)
				go func() {
					h := sha256.New()
					n, err := io.CopyN(h, r.Body, size/2)
					close(read)
					if err == nil {
						var m int64
						m, err = io.Copy(h, r.Body)
						n += m
					}
					if err != nil {
						result <- err.Error()
						return
					}
					result <- fmt.Sprintf("%d %x", n, h.Sum(nil))
				}()
				switch order {
				case "during":
					<-read
					w.Header().Set("Link", "</late.css>; rel=preload")
					w.WriteHeader(http.StatusEarlyHints)
					w.Header().Del("Link")
				case "racing":
					w.WriteHeader(http.StatusContinue)
				}
				io.WriteString(w, <-result)
			})})
			interim, status, body := expectUpload(t, addr, size, order == "during")
			if status != 200 || body != digest(size) {
				t.Fatalf("%s: %d %q, want 200 %q", order, status, body, digest(size))
			}
			want := map[string][]string{
				"first":  {"103 100"},
				"during": {"100 103"},
				"racing": {"100", "100 100"},
			}[order]
			got := strings.Trim(fmt.Sprint(interim), "[]")
			ok := false
			for _, w := range want {
				ok = ok || got == w
			}
			if !ok {
				t.Fatalf("%s: interim responses %q, want one of %q", order, got, want)
			}
		}
	})
}

// TestFullDuplexEcho: with EnableFullDuplex, one goroutine reads the body
// line by line while the handler writes and flushes each line back; the
// client sends a line only once it has the echo of the one before.
func TestFullDuplexEcho(t *testing.T) {
	const lines = 100
	run(t, func(t *testing.T, b backend) {
		addr := serve(t, b, &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rc := http.NewResponseController(w)
			if err := rc.EnableFullDuplex(); err != nil {
				t.Error(err)
			}
			w.WriteHeader(200)
			if err := rc.Flush(); err != nil {
				t.Error(err)
			}
			in := make(chan []byte)
			go func() {
				defer close(in)
				br := bufio.NewReader(r.Body)
				for {
					line, err := br.ReadBytes('\n')
					if len(line) > 0 {
						in <- line
					}
					if err != nil {
						return
					}
				}
			}()
			for line := range in {
				w.Write(line)
				if err := rc.Flush(); err != nil {
					t.Error(err)
				}
			}
		})})
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		pr, pw := io.Pipe()
		req, _ := http.NewRequest("POST", "http://"+addr+"/echo", pr)
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		br := bufio.NewReader(resp.Body)
		for i := range lines {
			want := fmt.Sprintf("line %d %s\n", i, strings.Repeat("x", i*37))
			if _, err := io.WriteString(pw, want); err != nil {
				t.Fatal(err)
			}
			got, err := br.ReadString('\n')
			if err != nil || got != want {
				t.Fatalf("echo %d: %q, %v", i, got, err)
			}
		}
		pw.Close()
		if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
			t.Fatalf("after the last line: %q, %v", rest, err)
		}
	})
}

// TestFlushSendsAtOnce: every Flush puts what was written on the wire
// while the handler still runs, in every mode (on a loop the handler
// holds the loop's pass: the flush must not wait for its end). The
// handler sends the next event only once the client has read this one.
func TestFlushSendsAtOnce(t *testing.T) {
	const events = 5
	run(t, func(t *testing.T, b backend) {
		ack := make(chan struct{})
		addr := serve(t, b, &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			for i := range events {
				fmt.Fprintf(w, "data: %d\n\n", i)
				w.(http.Flusher).Flush()
				select {
				case <-ack:
				case <-r.Context().Done():
					return
				}
			}
		})})
		c := dial(t, addr)
		c.SetDeadline(time.Now().Add(20 * time.Second))
		io.WriteString(c, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewReader(resp.Body)
		for i := range events {
			want := fmt.Sprintf("data: %d\n", i)
			line, err := sc.ReadString('\n')
			if err != nil || line != want {
				t.Fatalf("event %d: %q, %v (a Flush that waits for the handler to return never gets here)", i, line, err)
			}
			if blank, err := sc.ReadString('\n'); err != nil || blank != "\n" {
				t.Fatalf("event %d's end: %q, %v", i, blank, err)
			}
			ack <- struct{}{}
		}
		if rest, err := io.ReadAll(sc); err != nil || len(rest) != 0 {
			t.Fatalf("after the events: %q, %v", rest, err)
		}
	})
}

// TestCloseNotifierImplemented: the ResponseWriter is an
// http.CloseNotifier in every mode, as net/http's is (gin's Stream
// asserts it), and its channel stays quiet while the client is there.
func TestCloseNotifierImplemented(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		addr := serve(t, b, &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cn, ok := w.(http.CloseNotifier)
			if !ok {
				http.Error(w, "not a CloseNotifier", 500)
				return
			}
			select {
			case <-cn.CloseNotify():
				http.Error(w, "told the client went while it is here", 500)
			default:
				io.WriteString(w, "ok")
			}
		})})
		c := dial(t, addr)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		for range 2 {
			if resp, body := readResponse(t, br, "GET"); resp.StatusCode != 200 || body != "ok" {
				t.Fatalf("%d %q", resp.StatusCode, body)
			}
		}
	})
}
