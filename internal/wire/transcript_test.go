package wire

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// A readFunc reads one response: ReadResponse or http.ReadResponse.
type readFunc func(*bufio.Reader, *http.Request) (*http.Response, error)

// A record is what one response read from the wire gave a caller.
type record struct {
	Err         bool // ReadResponse failed; nothing else is set
	Proto       string
	Status      string
	Code        int
	Major       int
	Minor       int
	Header      http.Header
	Length      int64
	TE          []string
	Close       bool
	TrailerKeys []string // announced, before the body is read
	Body        string
	BodyErr     bool
	Trailer     http.Header // after the body
}

func (r record) String() string {
	if r.Err {
		return "error"
	}
	return fmt.Sprintf("%s %q code=%d v=%d.%d header=%v length=%d te=%q close=%v trailer-keys=%q body=%q body-err=%v trailer=%v",
		r.Proto, r.Status, r.Code, r.Major, r.Minor, r.Header, r.Length, r.TE, r.Close, r.TrailerKeys, r.Body, r.BodyErr, r.Trailer)
}

// maxTranscript bounds the responses read from one input.
const maxTranscript = 16

// transcript reads up to limit responses from raw the way a client does:
// each body to its end, then the next response, stopping at the first
// error, after a response that closes the connection or switches
// protocols (101), or when raw is used up.
func transcript(read readFunc, raw []byte, method string, limit int) []record {
	return transcriptFrom(read, bufio.NewReader(bytes.NewReader(raw)), method, limit)
}

func transcriptFrom(read readFunc, br *bufio.Reader, method string, limit int) []record {
	return transcriptWith(read, br, method, limit, readAll)
}

// readAll reads a body to its end and closes it.
func readAll(body io.ReadCloser) (string, error) {
	b, err := io.ReadAll(body)
	body.Close()
	return string(b), err
}

// transcriptWith is transcriptFrom with consume reading (and closing) each
// body: it returns what it read and whether reading or closing failed.
func transcriptWith(read readFunc, br *bufio.Reader, method string, limit int, consume func(io.ReadCloser) (string, error)) []record {
	var req *http.Request
	if method != "" {
		req = &http.Request{Method: method}
	}
	var out []record
	for len(out) < limit {
		if _, err := br.Peek(1); err != nil && len(out) > 0 {
			break
		}
		resp, err := read(br, req)
		if err != nil {
			out = append(out, record{Err: true})
			break
		}
		r := record{
			Proto: resp.Proto, Status: resp.Status, Code: resp.StatusCode,
			Major: resp.ProtoMajor, Minor: resp.ProtoMinor,
			Header: resp.Header, Length: resp.ContentLength,
			TE: resp.TransferEncoding, Close: resp.Close,
		}
		for k := range resp.Trailer {
			r.TrailerKeys = append(r.TrailerKeys, k)
		}
		slices.Sort(r.TrailerKeys)
		body, err := consume(resp.Body)
		r.Body, r.BodyErr, r.Trailer = body, err != nil, resp.Trailer
		out = append(out, r)
		if r.BodyErr || r.Close || r.Code == http.StatusSwitchingProtocols {
			break
		}
	}
	return out
}

// The deliberate differences from net/http (docs/conformance.md, "client
// response parsing"), by the name corpus cases use for them. A stricter
// one lets us fail where net/http reads on; a closing one lets us set
// Close where net/http keeps the connection.
var differences = map[string]diffKind{
	"bare-lf":            stricter, // RFC 9112 §2.2
	"status-line-ctl":    stricter, // RFC 9112 §4
	"status-code-digits": stricter, // RFC 9112 §4
	"http-version":       stricter, // RFC 9112 §2.3
	"space-before-colon": stricter, // RFC 9112 §5.1
	"http10-te":          stricter, // RFC 9112 §6.1
	"chunk-line":         stricter, // RFC 9112 §7.1
	"cl-te-close":        closing,  // RFC 9112 §6.1
}

type diffKind int

const (
	stricter diffKind = iota + 1
	closing
)

// allowed reports whether ours may differ from std as kind allows. For
// stricter: ours fails (reading a response, or a body sooner) where std
// does not, and agrees with std on everything before. For closing: ours sets
// Close on a response where std does not, agrees on everything else, and
// std may read further responses.
func allowed(kind diffKind, ours, std []record) bool {
	for i, o := range ours {
		if i >= len(std) {
			return false
		}
		s := std[i]
		switch {
		case reflect.DeepEqual(o, s):
			continue
		case kind == stricter && o.Err:
			return true
		case kind == stricter && o.BodyErr && i == len(ours)-1:
			s.Body, s.BodyErr, s.Trailer = o.Body, true, o.Trailer
			return strings.HasPrefix(std[i].Body, o.Body) && reflect.DeepEqual(o, s)
		case kind == closing && o.Close && !s.Close && len(o.TE) > 0 && i == len(ours)-1:
			s.Close = true
			return reflect.DeepEqual(o, s)
		}
		return false
	}
	return false // no difference at all
}

// acceptedAlike is the fuzz property: whatever we read without error,
// net/http reads identically; where we fail, net/http read the same up
// to there. The one other difference allowed is Close on a response
// with both Content-Length and Transfer-Encoding.
func acceptedAlike(ours, std []record) bool {
	if reflect.DeepEqual(ours, std) {
		return true
	}
	return allowed(stricter, ours, std) || allowed(closing, ours, std)
}
