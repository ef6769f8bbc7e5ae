package http_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
)

// The conformance corpus (testdata/conformance/*.txt) holds request cases
// converted from public test suites, each file naming its source and
// licence in its header. A case is a block:
//
//	case <id>                 where it comes from in the source suite
//	name <text>               the source's title for it
//	llhttp-mode <mode>        optional: the suite ran it with a lenient flag
//	verdict <text>            optional: the outcome the source suite expects
//	raw <bytes>               what is sent, in one write; repeated raw
//	                          lines are concatenated
//	note <text>               optional, repeatable: why the expectation
//	                          differs from the source suite's
//	request <method> <target> <proto>
//	method <bytes>            optional: replaces the request line's method
//	target <bytes>            optional: replaces its target (both for
//	                          values too long to write on one line)
//	header <bytes>            "Name: value", as the suite's parser saw it
//	header-repeat <n> <bytes> n header fields, %d numbering them from 0
//	body <bytes>              the whole body
//	body-cut <bytes>          the body ends early (the client half-closes
//	                          mid-body): the handler's read must fail
//	trailer <bytes>           "Name: value"
//	incomplete                the input ends inside a further request head:
//	                          no further response
//	reject <status>           after the requests above, this status and
//	                          the connection closed
//	end
//
// <bytes> is one or more Go-quoted strings, concatenated; a string
// followed by *n is repeated n times, each %d in it replaced by the
// copy's number from 0 ("k%d=v%d; "*3 is "k0=v0; k1=v1; k2=v2; ").
//
// Lines starting with # are comments. Every request block must be
// answered 200 by the echo handler with exactly the request the handler
// saw (a HEAD response and the server's own answer to OPTIONS * carry no
// body), with a Date (as must every 2xx-4xx, RFC 9110 §6.6.1), and with no 1xx to an HTTP/1.0 request; after the
// last one the connection must close (the client has
// half-closed) with no further response, unless reject says which error
// status comes first.

type confRequest struct {
	method, target, proto string
	headers, trailers     []string // "Name: value"
	body                  string
	cut                   bool
}

type confCase struct {
	id, name, raw string
	hasRaw        bool
	requests      []*confRequest
	incomplete    bool
	reject        int
}

func loadConformance(t *testing.T) map[string][]confCase {
	t.Helper()
	files, err := filepath.Glob("testdata/conformance/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no conformance corpus: %v", err)
	}
	suites := map[string][]confCase{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		suite := strings.TrimSuffix(filepath.Base(f), ".txt")
		var c *confCase
		for n, line := range strings.Split(string(data), "\n") {
			bad := func(err error) {
				t.Fatalf("%s:%d: %v: %.200q", f, n+1, err, line)
			}
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			key, val, _ := strings.Cut(line, " ")
			if key != "case" && c == nil {
				bad(errors.New("outside a case"))
			}
			var cur *confRequest
			if c != nil && len(c.requests) > 0 {
				cur = c.requests[len(c.requests)-1]
			}
			needReq := func() {
				if cur == nil {
					bad(errors.New("no request"))
				}
			}
			bytes := func() string {
				s, err := confBytes(val)
				if err != nil {
					bad(err)
				}
				return s
			}
			switch key {
			case "case":
				if c != nil {
					bad(errors.New("case without end"))
				}
				c = &confCase{id: val}
			case "name":
				c.name = val
			case "llhttp-mode", "note", "verdict":
			case "raw":
				c.raw += bytes()
				c.hasRaw = true
			case "request":
				f := strings.Split(val, " ")
				if len(f) != 3 {
					bad(errors.New("want method target proto"))
				}
				c.requests = append(c.requests, &confRequest{method: f[0], target: f[1], proto: f[2]})
			case "method":
				needReq()
				cur.method = bytes()
			case "target":
				needReq()
				cur.target = bytes()
			case "header":
				needReq()
				cur.headers = append(cur.headers, bytes())
			case "header-repeat":
				needReq()
				count, rest, _ := strings.Cut(val, " ")
				k, err := strconv.Atoi(count)
				val = rest
				h := bytes()
				if err != nil || k < 0 {
					bad(errors.New("bad count"))
				}
				for i := range k {
					cur.headers = append(cur.headers, strings.ReplaceAll(h, "%d", strconv.Itoa(i)))
				}
			case "trailer":
				needReq()
				cur.trailers = append(cur.trailers, bytes())
			case "body":
				needReq()
				cur.body = bytes()
			case "body-cut":
				needReq()
				cur.body, cur.cut = bytes(), true
			case "incomplete":
				c.incomplete = true
			case "reject":
				c.reject, err = strconv.Atoi(val)
				if err != nil || c.reject < 400 || c.reject > 599 {
					bad(errors.New("bad status"))
				}
			case "end":
				if !c.hasRaw {
					bad(errors.New("case without raw"))
				}
				suites[suite] = append(suites[suite], *c)
				c = nil
			default:
				bad(errors.New("unknown key"))
			}
		}
		if c != nil {
			t.Fatalf("%s: case %s without end", f, c.id)
		}
	}
	return suites
}

// confBytes decodes a <bytes> value: Go-quoted strings, each optionally
// followed by *n, concatenated.
func confBytes(val string) (string, error) {
	var b strings.Builder
	terms := 0
	for val = strings.TrimLeft(val, " "); val != ""; val = strings.TrimLeft(val, " ") {
		q, err := strconv.QuotedPrefix(val)
		if err != nil {
			return "", err
		}
		s, _ := strconv.Unquote(q)
		val = val[len(q):]
		terms++
		if !strings.HasPrefix(val, "*") {
			b.WriteString(s)
			continue
		}
		count, rest, _ := strings.Cut(val[1:], " ")
		n, err := strconv.Atoi(count)
		if err != nil || n < 0 {
			return "", fmt.Errorf("bad repeat count %q", count)
		}
		for i := range n {
			b.WriteString(strings.ReplaceAll(s, "%d", strconv.Itoa(i)))
		}
		val = rest
	}
	if terms == 0 {
		return "", errors.New("no quoted string")
	}
	return b.String(), nil
}

// confEcho answers 200 with the request as the handler sees it, in the
// format confRequest.want produces.
func confEcho(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	fmt.Fprintf(&b, "method %s\ntarget %s\nproto %s\nhost %s\n", r.Method, r.RequestURI, r.Proto, r.Host)
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range r.Header {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range r.Header[k] {
			fmt.Fprintf(&b, "header %s: %s\n", k, v)
		}
	}
	for _, te := range r.TransferEncoding {
		fmt.Fprintf(&b, "te %s\n", te)
	}
	body, err := io.ReadAll(r.Body)
	fmt.Fprintf(&b, "body %q\n", body)
	if err != nil {
		b.WriteString("body-error\n")
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range r.Trailer {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range r.Trailer[k] {
			fmt.Fprintf(&b, "trailer %s: %s\n", k, v)
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, b.String())
}

// want is what confEcho prints for r, mapping the fields as the suite's
// parser reports them to what net/http's Request carries: names in
// canonical form, Host in r.Host, a chunked Transfer-Encoding in
// r.TransferEncoding, identical Content-Length values as one (differing
// ones are rejected), declared or not trailers in r.Trailer.
func (r *confRequest) want() string {
	var b strings.Builder
	fmt.Fprintf(&b, "method %s\ntarget %s\nproto %s\n", r.method, r.target, r.proto)
	host := ""
	header := map[string][]string{}
	var te []string
	for _, h := range r.headers {
		k, v, _ := strings.Cut(h, ":")
		k = textproto.CanonicalMIMEHeaderKey(k)
		v = strings.Trim(v, " \t")
		switch k {
		case "Host":
			if host == "" {
				host = v
			}
		case "Transfer-Encoding":
			te = []string{"chunked"}
		case "Content-Length":
			if len(header[k]) == 0 { // identical duplicates become one
				header[k] = []string{v}
			}
		default:
			header[k] = append(header[k], v)
		}
	}
	if !strings.HasPrefix(r.target, "/") && r.target != "*" {
		// authority-form (CONNECT) or absolute-form: net/http takes
		// r.Host from the target.
		a := r.target
		if _, rest, ok := strings.Cut(a, "://"); ok {
			a = rest
		}
		a, _, _ = strings.Cut(a, "/")
		a, _, _ = strings.Cut(a, "?")
		host = a
	}
	fmt.Fprintf(&b, "host %s\n", host)
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range header {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range header[k] {
			fmt.Fprintf(&b, "header %s: %s\n", k, v)
		}
	}
	for _, v := range te {
		fmt.Fprintf(&b, "te %s\n", v)
	}
	fmt.Fprintf(&b, "body %q\n", r.body)
	if r.cut {
		b.WriteString("body-error\n")
	}
	var trailers []string
	for _, h := range r.trailers {
		k, v, _ := strings.Cut(h, ":")
		trailers = append(trailers, fmt.Sprintf("trailer %s: %s\n", textproto.CanonicalMIMEHeaderKey(k), strings.Trim(v, " \t")))
	}
	slices.Sort(trailers)
	b.WriteString(strings.Join(trailers, ""))
	return b.String()
}

// wantBody is the response body expected for r: what confEcho prints,
// except for HEAD (no body) and OPTIONS * (answered by the server
// itself, as net/http does, with an empty body).
func (r *confRequest) wantBody() string {
	if r.method == "HEAD" || r.method == "OPTIONS" && r.target == "*" {
		return ""
	}
	return r.want()
}

// TestConformanceCorpus runs every case of testdata/conformance on every
// backend.
func TestConformanceCorpus(t *testing.T) {
	suites := loadConformance(t)
	run(t, func(t *testing.T, b backend) {
		addr := serve(t, b, &ringhttp.Server{Handler: http.HandlerFunc(confEcho)})
		for suite, cases := range suites {
			for _, c := range cases {
				t.Run(suite+"/"+c.id, func(t *testing.T) {
					confCheck(t, addr, c)
				})
			}
		}
	})
}

func confCheck(t *testing.T, addr string, c confCase) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, c.raw); err != nil {
		t.Fatal(err)
	}
	// Many source cases end without the blank line that would end a
	// head: half-closing lets the server see the end of the input.
	conn.(*net.TCPConn).CloseWrite()
	br := bufio.NewReader(conn)
	var fails []string
	fail := func(format string, args ...any) {
		fails = append(fails, fmt.Sprintf(format, args...))
	}
	n := 0
	for {
		if _, err := br.Peek(1); err != nil {
			if !errors.Is(err, io.EOF) && !isReset(err) {
				fail("waiting for response %d: %v", n+1, err)
			}
			break
		}
		var sent *http.Request // for HEAD, whose response has no body
		if n < len(c.requests) {
			sent = &http.Request{Method: c.requests[n].method}
		}
		resp, err := http.ReadResponse(br, sent)
		if err != nil {
			if !errors.Is(err, io.EOF) && !isReset(err) {
				fail("reading response %d: %v", n+1, err)
			}
			break
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			fail("reading response %d body: %v", n+1, err)
			break
		}
		if resp.StatusCode < 200 {
			if n < len(c.requests) && c.requests[n].proto == "HTTP/1.0" {
				fail("response %d: %d to an HTTP/1.0 request (RFC 9110 section 15.2)", n+1, resp.StatusCode)
			}
			continue // 100 Continue
		}
		n++
		if _, err := time.Parse(http.TimeFormat, resp.Header.Get("Date")); resp.StatusCode < 500 && err != nil {
			fail("response %d: Date %q (RFC 9110 section 6.6.1)", n, resp.Header.Get("Date"))
		}
		switch {
		case n <= len(c.requests):
			if resp.StatusCode != 200 {
				fail("response %d: status %d, want 200 (body %q)", n, resp.StatusCode, body)
			} else if want := c.requests[n-1].wantBody(); string(body) != want {
				fail("response %d: handler saw\n%.2000s\nwant\n%.2000s", n, body, want)
			}
		case n == len(c.requests)+1 && c.reject != 0:
			if resp.StatusCode != c.reject {
				fail("response %d: status %d, want %d (body %q)", n, resp.StatusCode, c.reject, body)
			}
		default:
			fail("unexpected response %d: %d %.300q", n, resp.StatusCode, body)
		}
	}
	want := len(c.requests)
	if c.reject != 0 {
		want++
	}
	if n < want {
		fail("got %d responses, want %d", n, want)
	}
	if fails != nil {
		t.Errorf("%s (%s)\nraw %.500q\n%s", c.id, c.name, c.raw, strings.Join(fails, "\n"))
	}
}
