package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ringnet/ringnet/internal/backendtest"
)

// cannedServer answers every request, on every connection, with the bytes
// of response, and returns its base URL.
func cannedServer(t *testing.T, response string) string {
	url, _ := rawServer(t, func(_ int, c net.Conn) bool {
		_, err := io.WriteString(c, response)
		return err == nil
	})
	return strings.TrimSuffix(url, "/")
}

// unsorted is a response whose fields are out of alphabetical order, after
// an informational response.
const unsorted = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" +
	"HTTP/1.1 200 OK\r\nZ-Last: 1\r\nA-First: 2\r\nM-Middle: 3\r\nA-First: 4\r\nContent-Length: 3\r\n\r\nok\n"

// -i prints the heads exactly as received, 1xx included, fields in wire
// order; -o puts them with the body in a file; -v shows both directions
// on stderr.
func TestFetchWireOrder(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		url := cannedServer(t, unsorted) + "/x"
		code, out, errOut := runClient(t, "-backend", b.Name, "-i", url)
		if code != exitOK || out != unsorted || errOut != "" {
			t.Errorf("-i: exit %d, stdout %q, stderr %q; want stdout %q", code, out, errOut, unsorted)
		}

		file := filepath.Join(t.TempDir(), "out")
		code, out, errOut = runClient(t, "-backend", b.Name, "-i", "-o", file, url)
		got, err := os.ReadFile(file)
		if code != exitOK || out != "" || errOut != "" || err != nil || string(got) != unsorted {
			t.Errorf("-i -o: exit %d, stdout %q, stderr %q, file %q (%v)", code, out, errOut, got, err)
		}

		code, out, errOut = runClient(t, "-backend", b.Name, "-v", url)
		host := strings.TrimPrefix(url, "http://")
		host = host[:strings.IndexByte(host, '/')]
		for _, want := range []string{
			"* Connected to " + host + " on " + b.Name + "\n",
			"> GET /x HTTP/1.1\n> Host: " + host + "\n",
			"> User-Agent: ringnet-client\n",
			"< HTTP/1.1 103 Early Hints\n< Link: </a.css>; rel=preload\n< \n",
			"< HTTP/1.1 200 OK\n< Z-Last: 1\n< A-First: 2\n< M-Middle: 3\n< A-First: 4\n< Content-Length: 3\n< \n",
		} {
			if !strings.Contains(errOut, want) {
				t.Errorf("-v: stderr lacks %q:\n%s", want, errOut)
			}
		}
		if code != exitOK || out != "ok\n" || strings.Index(errOut, "> GET") > strings.Index(errOut, "< HTTP/1.1 103") {
			t.Errorf("-v: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
		}
	})
}

// -I sends HEAD and prints the head alone.
func TestFetchHead(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		code, out, errOut := runClient(t, "-backend", b.Name, "-I", server(t)+"/echo")
		if code != exitOK || !strings.HasPrefix(out, "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(out, "\r\n\r\n") ||
			strings.Count(out, "\r\n\r\n") != 1 || errOut != "" {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
}

// -f fails on a status of 400 or more with exit 22 and no body; -s
// silences the message, -S brings it back; switches combine.
func TestFetchFail(t *testing.T) {
	base := server(t)
	missing := base + "/missing"
	dir := t.TempDir()
	for _, tc := range []struct {
		args     []string
		code     int
		out      string
		stderrOK func(string) bool
	}{
		{[]string{missing}, exitOK, "404 page not found\n", isEmpty},
		{[]string{"-f", missing}, exitHTTPError, "", oneLine("the server answered 404 Not Found (-f)")},
		{[]string{"-f", "-s", missing}, exitHTTPError, "", isEmpty},
		{[]string{"-fsS", missing}, exitHTTPError, "", oneLine("404 Not Found")},
		{[]string{"-fsSL", "-i", base + "/text"}, exitOK, "", isEmpty},
		{[]string{"-f", "-o", filepath.Join(dir, "f"), missing}, exitHTTPError, "", oneLine("404")},
		{[]string{"-s", "http://127.0.0.1:1/"}, exitFailed, "", isEmpty},
		{[]string{"-sS", "http://127.0.0.1:1/"}, exitFailed, "", oneLine("connection refused")},
	} {
		code, out, errOut := runClient(t, tc.args...)
		if code != tc.code || (tc.out != "" || code != exitOK) && out != tc.out || !tc.stderrOK(errOut) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d, stdout %q", tc.args, code, out, errOut, tc.code, tc.out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "f")); !os.IsNotExist(err) {
		t.Errorf("-f -o: a 404 created the file (%v)", err)
	}
}

// A fetch whose context is cancelled (Ctrl-C) exits 130 without a message.
func TestFetchInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{server(t) + "/text"}, &out, &errOut); code != exitInterrupted || out.Len() != 0 || errOut.Len() != 0 {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}

func isEmpty(s string) bool { return s == "" }

func oneLine(want string) func(string) bool {
	return func(s string) bool { return strings.Count(s, "\n") == 1 && strings.Contains(s, want) }
}

// tlsServer starts net/http's TLS test server and writes its certificate
// to a PEM file for -cacert.
func tlsServer(t *testing.T) (url, caFile string) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Z-Last", "1")
		io.WriteString(w, "secret\n")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes the client refuses
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	return srv.URL, caFile
}

// https: an unknown certificate fails (class tls under load); -k and
// -cacert make it pass, in fetch and in load mode; -i shows the head,
// read above TLS.
func TestFetchTLS(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		url, ca := tlsServer(t)
		for _, tc := range []struct {
			args    []string
			code    int
			out     string // a prefix
			errWant string
		}{
			{[]string{url}, exitFailed, "", "certificate"},
			{[]string{"-k", url}, exitOK, "secret\n", ""},
			{[]string{"--cacert", ca, url}, exitOK, "secret\n", ""},
			{[]string{"-k", "-i", url}, exitOK, "HTTP/1.1 200 OK\r\n", ""},
		} {
			code, out, errOut := runClient(t, append([]string{"-backend", b.Name}, tc.args...)...)
			if code != tc.code || !strings.HasPrefix(out, tc.out) || !strings.Contains(errOut, tc.errWant) || tc.errWant == "" && errOut != "" {
				t.Errorf("%q: exit %d, stdout %q, stderr %q", tc.args, code, out, errOut)
			}
		}
		code, r, _ := loadJSON(t, "-load", "-backend", b.Name, "-c", "2", "-n", "6", "-cacert", ca, url)
		if code != exitOK || r.Requests != 6 {
			t.Errorf("-load -cacert: exit %d, %+v", code, r)
		}
		code, r, _ = loadJSON(t, "-load", "-backend", b.Name, "-c", "1", "-n", "2", url)
		if code != exitFailed || r.Errors["tls"] != 2 || !strings.Contains(r.ErrorSamples["tls"], "certificate") {
			t.Errorf("-load, untrusted: exit %d, errors %v, samples %v", code, r.Errors, r.ErrorSamples)
		}
	})
}

// A headTap finds the heads however the bytes are cut up: a request head
// in pieces with its body, a 100 Continue and the final head in one read
// or across reads, bare LF line ends, and a second exchange after a body.
func TestHeadTap(t *testing.T) {
	req := "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n"
	resp := "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\nB: 1\nA: 2\n\n"
	body := "abc"
	for cut := 1; cut < len(resp); cut++ {
		var l headLog
		c := &headTap{log: &l}
		c.wrote([]byte(req[:10]))
		c.wrote([]byte(req[10:] + body))
		c.read([]byte(resp[:cut]))
		c.read([]byte(resp[cut:] + body))
		c.wrote([]byte("GET /b HTTP/1.1\r\n\r\n"))
		c.read([]byte("HTTP/1.1 204 No Content\r\n\r\n"))
		want := [][]byte{[]byte("HTTP/1.1 100 Continue\r\n\r\n"), []byte("HTTP/1.1 200 OK\nB: 1\nA: 2\n\n"), []byte("HTTP/1.1 204 No Content\r\n\r\n")}
		if got := l.responseHeads(); !slices.EqualFunc(got, want, bytes.Equal) {
			t.Fatalf("cut at %d: heads %q, want %q", cut, got, want)
		}
	}
	var out bytes.Buffer
	l := headLog{verbose: &out}
	c := &headTap{log: &l}
	c.wrote([]byte(req + body))
	if want := "> POST /a HTTP/1.1\n> Host: h\n> Content-Length: 3\n> \n"; out.String() != want {
		t.Errorf("-v of the request: %q, want %q", out.String(), want)
	}
}

// Combined switches split into their letters only when every letter is
// a boolean flag and the argument is no flag's name or value.
func TestExpandSwitches(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	defineFlags(fs, &config{}, &rawFlags{})
	for _, tc := range []struct{ in, want string }{
		{"-fsSL URL", "-f -s -S -L URL"},
		{"-load -c 8 URL", "-load -c 8 URL"},
		{"-d -fs URL", "-d -fs URL"},             // the value of -d
		{"--cacert -ks URL", "--cacert -ks URL"}, // the value of --cacert
		{"-fsX URL", "-fsX URL"},                 // X takes a value: not a switch
		{"-- -fs", "-- -fs"},
		{"-ik=1 URL", "-ik=1 URL"},
	} {
		if got := strings.Join(expandSwitches(fs, strings.Fields(tc.in)), " "); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in, got, tc.want)
		}
	}
}
