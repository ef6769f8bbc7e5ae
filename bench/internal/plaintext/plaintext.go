// Package plaintext holds what the benchmark servers share: the TechEmpower
// plaintext body and, for the servers built on event-loop libraries that
// have no HTTP layer (gnet, gain), the minimal request framing their own
// TechEmpower entries use.
package plaintext

import (
	"bytes"
	"net/http"
	"sync/atomic"
	"time"
)

// Path is the route every benchmark server answers.
const Path = "/plaintext"

// Body is the TechEmpower plaintext response body.
const Body = "Hello, World!"

// Responder answers raw HTTP/1.1 requests with the plaintext response.
// It is not an HTTP parser: a request is everything up to and including the
// first "\r\n\r\n", its method, target and headers are not looked at, and a
// request body is not supported. That is the framing the gnet and gain
// TechEmpower entries use, and the reason those rows measure an event loop
// rather than an HTTP server.
//
// AppendResponses may be called from any number of goroutines; the Date
// header is refreshed once a second by the goroutine Run starts.
type Responder struct {
	head atomic.Pointer[[]byte] // status line and headers, Date included
}

// NewResponder returns a Responder whose Date header is current; call Run
// to keep it current.
func NewResponder() *Responder {
	r := new(Responder)
	r.refresh(time.Now())
	return r
}

// Run refreshes the Date header every second until done is closed.
func (r *Responder) Run(done <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			r.refresh(now)
		case <-done:
			return
		}
	}
}

func (r *Responder) refresh(now time.Time) {
	head := []byte("HTTP/1.1 200 OK\r\nServer: bench\r\nDate: " + now.UTC().Format(http.TimeFormat) +
		"\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n")
	r.head.Store(&head)
}

var endOfHead = []byte("\r\n\r\n")

// AppendResponses appends one response to dst for every complete request at
// the start of in, and returns the extended dst and the number of bytes of
// in those requests took. Bytes of an incomplete request are left for the
// caller to keep until more arrive.
func (r *Responder) AppendResponses(dst, in []byte) (out []byte, consumed int) {
	head := *r.head.Load()
	for {
		i := bytes.Index(in[consumed:], endOfHead)
		if i < 0 {
			return dst, consumed
		}
		consumed += i + len(endOfHead)
		dst = append(dst, head...)
		dst = append(dst, Body...)
	}
}
