package client_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ringnet/ringnet/client"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// diffHandler serves every scenario of the differential test.
func diffHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Multi", "one")
		w.Header().Add("X-Multi", "two")
		io.WriteString(w, "hello, client")
	})
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		for i := range 3 {
			fmt.Fprintf(w, "part %d;", i)
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		w.WriteHeader(code)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		w.Header().Set("X-Got-CL", strconv.FormatInt(r.ContentLength, 10))
		w.Header().Set("X-Got-TE", strings.Join(r.TransferEncoding, ","))
		w.Header().Set("X-Got-Trailer", fmt.Sprint(r.Trailer))
		w.Header().Set("X-Got-Close", strconv.FormatBool(r.Close))
		w.Header().Set("X-Got-Multi", strings.Join(r.Header["X-Multi"], "|"))
		w.Header().Set("X-Got-Host", r.Host)
		w.Header().Set("X-Got-URI", r.RequestURI)
		w.Header().Set("X-Got-Method", r.Method)
		w.Write(body)
	})
	mux.HandleFunc("/trailers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		io.WriteString(w, "body before the trailer")
		w.Header().Set("X-Sum", "42")
	})
	mux.HandleFunc("/gzip", func(w http.ResponseWriter, r *http.Request) {
		text := strings.Repeat("compressible text ", 200)
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			io.WriteString(w, text)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, text)
		zw.Close()
	})
	mux.HandleFunc("/hints", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		io.WriteString(w, "after hints")
	})
	mux.HandleFunc("/reject", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusExpectationFailed)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.Write(bytes.Repeat([]byte("0123456789abcdef"), n/16))
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/plain", http.StatusFound)
	})
	mux.HandleFunc("/hangup", func(w http.ResponseWriter, r *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			c.Close()
		}
	})
	mux.HandleFunc("/truncated", func(w http.ResponseWriter, r *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
			c.Close()
		}
	})
	mux.HandleFunc("/until-close", func(w http.ResponseWriter, r *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until close")
			c.Close()
		}
	})
	mux.HandleFunc("/wait", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	return mux
}

// An outcome is what a caller of RoundTrip can observe of one exchange.
type outcome struct {
	Status       int
	Proto        string
	Header       http.Header
	Body         string
	Trailer      http.Header
	Length       int64
	Uncompressed bool
	Close        bool
	Err          string // class, see errClass
	BodyErr      string
}

func errClass(err error) string {
	var ne net.Error
	var oe *net.OpError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, errBodyRead):
		return "body read error"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected EOF"
	case errors.Is(err, io.EOF):
		return "EOF"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &oe):
		return "net.OpError " + oe.Op
	}
	return "other"
}

func observe(c *http.Client, req *http.Request) outcome {
	resp, err := c.Do(req)
	if err != nil {
		return outcome{Err: errClass(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	h := resp.Header.Clone()
	h.Del("Date")
	return outcome{
		Status: resp.StatusCode, Proto: resp.Proto, Header: h, Body: string(body),
		Trailer: resp.Trailer, Length: resp.ContentLength, Uncompressed: resp.Uncompressed,
		Close: resp.Close, BodyErr: errClass(err),
	}
}

type diffCase struct {
	name    string
	req     func(ctx context.Context, base string) *http.Request
	timeout time.Duration // of the request's context; 0 for none
}

func newReq(ctx context.Context, method, url string, body io.Reader) *http.Request {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		panic(err)
	}
	return req
}

// opaqueBody hides its reader's type, so http.NewRequest cannot know
// the length or set GetBody: a streamed body of unknown length.
type opaqueBody struct{ r io.Reader }

func (b opaqueBody) Read(p []byte) (int, error) { return b.r.Read(p) }

var diffCases = []diffCase{
	{"get", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "GET", base+"/plain", nil)
	}, 0},
	{"get-chunked", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "GET", base+"/chunked", nil)
	}, 0},
	{"head", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "HEAD", base+"/plain", nil)
	}, 0},
	{"204", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "GET", base+"/status/204", nil)
	}, 0},
	{"304", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "GET", base+"/status/304", nil)
	}, 0},
	{"404", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "GET", base+"/nowhere", nil)
	}, 0},
	{"post-known-length", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "POST", base+"/echo", strings.NewReader("a small body"))
	}, 0},
	{"post-unknown-length", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "POST", base+"/echo", opaqueBody{strings.NewReader("streamed body")})
	}, 0},
	{"post-empty-stream", func(ctx context.Context, base string) *http.Request {
		r := newReq(ctx, "POST", base+"/echo", opaqueBody{strings.NewReader("")})
		r.ContentLength = -1
		return r
	}, 0},
	{"post-large", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "POST", base+"/echo", bytes.NewReader(bytes.Repeat([]byte("x"), 1<<20)))
	}, 0},
	{"put-no-body", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "PUT", base+"/echo", nil)
	}, 0},
	{"request-trailer", func(ctx context.Context, base string) *http.Request {
		r := newReq(ctx, "POST", base+"/echo", opaqueBody{strings.NewReader("with trailer")})
		r.Trailer = http.Header{"X-Check": {"sum"}}
		return r
	}, 0},
	{"response-trailer", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "GET", base+"/trailers", nil)
	}, 0},
	{"gzip-transparent", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "GET", base+"/gzip", nil)
	}, 0},
	{"gzip-asked-by-caller", func(ctx context.Context, base string) *http.Request {
		r := newReq(ctx, "GET", base+"/gzip", nil)
		r.Header.Set("Accept-Encoding", "gzip")
		return r
	}, 0},
	{"gzip-with-range", func(ctx context.Context, base string) *http.Request {
		r := newReq(ctx, "GET", base+"/gzip", nil)
		r.Header.Set("Range", "bytes=0-")
		return r
	}, 0},
	{"early-hints", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "GET", base+"/hints", nil)
	}, 0},
	{"expect-continue", func(ctx context.Context, base string) *http.Request {
		r := newReq(ctx, "POST", base+"/echo", strings.NewReader("after 100"))
		r.Header.Set("Expect", "100-continue")
		return r
	}, 0},
	{"expect-continue-streamed", func(ctx context.Context, base string) *http.Request {
		r := newReq(ctx, "POST", base+"/echo", opaqueBody{strings.NewReader("streamed after 100")})
		r.Header.Set("Expect", "100-continue")
		return r
	}, 0},
	{"expect-continue-rejected", func(ctx context.Context, base string) *http.Request {
		r := newReq(ctx, "POST", base+"/reject", strings.NewReader("never read"))
		r.Header.Set("Expect", "100-continue")
		return r
	}, 0},
	{"big-response", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "GET", base+"/big?n=2097152", nil)
	}, 0},
	{"redirect", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "GET", base+"/redirect", nil)
	}, 0},
	{"request-uri", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "GET", base+"/echo?x=1&y=%2F&z=a+b", nil)
	}, 0},
	{"host-and-fields", func(ctx context.Context, base string) *http.Request {
		r := newReq(ctx, "OPTIONS", base+"/echo", nil)
		r.Host = "example.test:8080"
		r.Header["X-Multi"] = []string{"a", " b "}
		return r
	}, 0},
	{"request-close", func(ctx context.Context, base string) *http.Request {
		r := newReq(ctx, "GET", base+"/echo", nil)
		r.Close = true
		return r
	}, 0},
	{"server-hangs-up", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "POST", base+"/hangup", nil)
	}, 0},
	{"truncated-body", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "GET", base+"/truncated", nil)
	}, 0},
	{"close-delimited", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "GET", base+"/until-close", nil)
	}, 0},
	{"body-shorter-than-length", func(ctx context.Context, base string) *http.Request {
		r := newReq(ctx, "POST", base+"/echo", strings.NewReader("abc"))
		r.ContentLength = 10
		return r
	}, 0},
	{"body-read-error", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "POST", base+"/echo", io.MultiReader(strings.NewReader("partial"), failingReader{}))
	}, 0},
	{"canceled-before", func(ctx context.Context, base string) *http.Request {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		return newReq(ctx, "GET", base+"/plain", nil)
	}, 0},
	{"deadline-while-waiting", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "GET", base+"/wait", nil)
	}, 50 * time.Millisecond},
	{"bad-scheme", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "GET", "ftp"+strings.TrimPrefix(base, "http")+"/", nil)
	}, 0},
	{"connection-refused", func(ctx context.Context, base string) *http.Request {
		return newReq(ctx, "GET", "http://"+closedAddr+"/", nil)
	}, 0},
}

// observe runs c on client h against base, under a context of its own.
func (c diffCase) observe(h *http.Client, base string) outcome {
	ctx, cancel := context.WithCancel(context.Background())
	if c.timeout > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), c.timeout)
	}
	defer cancel()
	return observe(h, c.req(ctx, base))
}

// failingReader fails every read with errBodyRead.
type failingReader struct{}

var errBodyRead = errors.New("the body's reader failed")

func (failingReader) Read([]byte) (int, error) { return 0, errBodyRead }

// closedAddr is an address nobody listens on: port 1 on loopback.
const closedAddr = "127.0.0.1:1"

// TestDifferential sends the same requests through net/http's Transport
// and ours, to ringnet's server and net/http's, and compares everything
// a caller can observe: status, header fields but Date, body, trailers,
// and the class of any error.
func TestDifferential(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		for _, kind := range servers {
			base := start(t, b, kind, diffHandler())
			ours := &http.Client{Transport: newTransport(t, b, client.Options{})}
			std := &http.Client{Transport: stdTransport(t, b)}
			for _, c := range diffCases {
				want := c.observe(std, base)
				got := c.observe(ours, base)
				if testing.Verbose() && b.Name == "uring" {
					t.Logf("%s %s: %+v", kind.name, c.name, got)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s %s:\n got %+v\nwant %+v", kind.name, c.name, got, want)
				}
			}
		}
	})
}
