package wire

import (
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The response corpus (testdata/responses/*.txt) holds cases converted
// from public test suites, each file naming its source and licence in its
// header. A case is a block:
//
//	case <id>               where it comes from in the source suite
//	name <text>             the source's title for it
//	llhttp-mode <mode>      optional: the suite ran it with a lenient flag
//	verdict <text>          optional: the source suite's outcome, when it
//	                        is not what is expected here
//	method <method>         optional: the request's method (GET if absent;
//	                        "nil" for a nil request)
//	first-only              optional: read only the first response (the
//	                        source suite reads one; the rest of raw is
//	                        whatever follows it)
//	raw <bytes>             the input; repeated raw lines are concatenated
//	note <text>             optional, repeatable: why the expectation
//	                        differs from the source suite's
//	differs <name>          optional: the case meets the deliberate
//	                        difference <name> (docs/conformance.md):
//	                        net/http reads it otherwise, as the name allows
//	response <bytes>        a response: "<proto> <status>", as
//	                        Response.Proto and Response.Status
//	header <bytes>          a field of its Header, "Name: value"
//	length <n>              optional: its ContentLength
//	chunked                 optional: TransferEncoding is ["chunked"]
//	close                   optional: Close is set
//	keep                    optional: Close is not set
//	trailer-key <name>      a key its Trailer announces before the body
//	body <bytes>            its body; repeated body lines are concatenated
//	body-error              reading the body fails after those bytes
//	trailer <bytes>         a trailer field read after the body
//	error                   reading the next response fails
//	ok                      reading the first response succeeds (the
//	                        source checks no more; net/http's reading of
//	                        it is still compared)
//	end
//
// <bytes> is one or more Go-quoted strings, concatenated. Lines starting
// with # are comments. The responses listed are all that can be read
// from raw: after them comes the end of raw, an error, or a response
// that closes the connection or switches protocols.

type corpusCase struct {
	file, id, method string
	raw              string
	differs          string
	firstOnly        bool
	want             []wantResponse
	wantErr, wantOK  bool
}

type wantResponse struct {
	proto, status   string
	header, trailer http.Header
	trailerKeys     []string
	length          *int64
	chunked         bool
	close           *bool
	body            string
	bodyErr         bool
}

func loadCorpus(t *testing.T) []corpusCase {
	t.Helper()
	files, err := filepath.Glob("testdata/responses/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no response corpus: %v", err)
	}
	var cases []corpusCase
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var c *corpusCase
		var w *wantResponse
		for n, line := range strings.Split(string(data), "\n") {
			if line == "" || line[0] == '#' {
				continue
			}
			fail := func(msg string) { t.Fatalf("%s:%d: %s: %q", file, n+1, msg, line) }
			key, arg, _ := strings.Cut(line, " ")
			if c == nil {
				if key != "case" {
					fail("want case")
				}
				c = &corpusCase{file: filepath.Base(file), id: arg, method: "GET"}
				continue
			}
			bytesArg := func() string {
				s, err := unquoteAll(arg)
				if err != nil {
					fail(err.Error())
				}
				return s
			}
			needResponse := func() {
				if w == nil {
					fail("no response line before")
				}
			}
			switch key {
			case "name", "llhttp-mode", "verdict", "note":
			case "method":
				c.method = arg
				if arg == "nil" {
					c.method = ""
				}
			case "raw":
				c.raw += bytesArg()
			case "differs":
				if differences[arg] == 0 {
					fail("unknown difference")
				}
				c.differs = arg
			case "response":
				proto, status, _ := strings.Cut(bytesArg(), " ")
				c.want = append(c.want, wantResponse{proto: proto, status: status, header: http.Header{}})
				w = &c.want[len(c.want)-1]
			case "header", "trailer":
				needResponse()
				name, value, ok := strings.Cut(bytesArg(), ": ")
				if !ok {
					fail("want Name: value")
				}
				h := &w.header
				if key == "trailer" {
					h = &w.trailer
				}
				if *h == nil {
					*h = http.Header{}
				}
				(*h)[name] = append((*h)[name], value)
			case "length":
				needResponse()
				n, err := strconv.ParseInt(arg, 10, 64)
				if err != nil {
					fail(err.Error())
				}
				w.length = &n
			case "chunked":
				needResponse()
				w.chunked = true
			case "close", "keep":
				needResponse()
				b := key == "close"
				w.close = &b
			case "trailer-key":
				needResponse()
				w.trailerKeys = append(w.trailerKeys, arg)
			case "body":
				needResponse()
				w.body += bytesArg()
			case "body-error":
				needResponse()
				w.bodyErr = true
			case "error":
				c.wantErr = true
			case "ok":
				c.wantOK = true
			case "first-only":
				c.firstOnly = true
			case "end":
				cases = append(cases, *c)
				c, w = nil, nil
			default:
				fail("unknown line")
			}
		}
		if c != nil {
			t.Fatalf("%s: case %s has no end", file, c.id)
		}
	}
	return cases
}

// unquoteAll decodes one or more Go-quoted strings separated by spaces.
func unquoteAll(s string) (string, error) {
	var out strings.Builder
	for s != "" {
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			return "", err
		}
		u, _ := strconv.Unquote(q)
		out.WriteString(u)
		s = strings.TrimLeft(s[len(q):], " ")
	}
	return out.String(), nil
}

// check reports how got differs from what the case expects, or "".
func (c *corpusCase) check(got []record) string {
	if c.wantOK {
		if len(got) == 0 || got[0].Err {
			return "want the first response read without error"
		}
		return ""
	}
	n := len(c.want)
	if c.wantErr {
		n++
	}
	if len(got) != n {
		return "got " + strconv.Itoa(len(got)) + " records, want " + strconv.Itoa(n)
	}
	if c.wantErr && !got[n-1].Err {
		return "want an error reading the last response"
	}
	for i, w := range c.want {
		r := got[i]
		if r.Err {
			return "response " + strconv.Itoa(i) + ": unexpected error"
		}
		var bad []string
		if r.Proto != w.proto || r.Status != w.status {
			bad = append(bad, "status line "+r.Proto+" "+r.Status)
		}
		if code, _ := strconv.Atoi(w.status[:min(3, len(w.status))]); r.Code != code {
			bad = append(bad, "code")
		}
		if !reflect.DeepEqual(r.Header, w.header) {
			bad = append(bad, "header")
		}
		if w.length != nil && r.Length != *w.length {
			bad = append(bad, "length "+strconv.FormatInt(r.Length, 10))
		}
		if w.chunked != (len(r.TE) > 0) {
			bad = append(bad, "transfer-encoding")
		}
		if w.close != nil && r.Close != *w.close {
			bad = append(bad, "close")
		}
		keys := slices.Clone(w.trailerKeys)
		slices.Sort(keys)
		if !slices.Equal(keys, r.TrailerKeys) {
			bad = append(bad, "trailer keys")
		}
		if r.Body != w.body || r.BodyErr != w.bodyErr {
			bad = append(bad, "body")
		}
		wt := w.trailer
		if wt == nil && len(w.trailerKeys) > 0 {
			wt = http.Header{}
		}
		for _, k := range w.trailerKeys {
			if _, ok := wt[k]; !ok {
				wt[k] = nil
			}
		}
		if len(r.Trailer) != 0 || len(wt) != 0 {
			if !reflect.DeepEqual(r.Trailer, wt) {
				bad = append(bad, "trailer")
			}
		}
		if bad != nil {
			return "response " + strconv.Itoa(i) + ": " + strings.Join(bad, ", ") + ": got " + r.String()
		}
	}
	return ""
}

// TestResponseCorpus reads every corpus case with ReadResponse, checks
// the case's expectations, and checks that net/http reads it the same,
// except as the case's declared difference allows (and then that it does
// differ, so that no stale declaration hides a change).
func TestResponseCorpus(t *testing.T) {
	cases := loadCorpus(t)
	counts := map[string]int{}
	for _, c := range cases {
		counts[c.file]++
		raw := []byte(c.raw)
		limit := maxTranscript
		if c.firstOnly {
			limit = 1
		}
		ours := transcript(ReadResponse, raw, c.method, limit)
		std := transcript(http.ReadResponse, raw, c.method, limit)
		if msg := c.check(ours); msg != "" {
			t.Errorf("%s %s: %s\n  raw %q", c.file, c.id, msg, c.raw)
		}
		same := reflect.DeepEqual(ours, std)
		switch {
		case c.differs == "" && !same:
			t.Errorf("%s %s: net/http reads it otherwise\n  raw  %q\n  ours %v\n  std  %v", c.file, c.id, c.raw, ours, std)
		case c.differs != "" && same:
			t.Errorf("%s %s: declared difference %s, but net/http reads it the same", c.file, c.id, c.differs)
		case c.differs != "" && !allowed(differences[c.differs], ours, std):
			t.Errorf("%s %s: differs from net/http beyond %s\n  raw  %q\n  ours %v\n  std  %v", c.file, c.id, c.differs, c.raw, ours, std)
		}
	}
	t.Logf("%d cases: %v", len(cases), counts)
}
