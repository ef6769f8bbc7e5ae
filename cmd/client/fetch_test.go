package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ringnet/ringnet/internal/backendtest"
)

// connServer serves each connection with serve, on a goroutine, and
// closes it when serve returns; it returns the base URL.
func connServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				serve(c)
			})
		}
	})
	return "http://" + ln.Addr().String()
}

// requestServer reads the requests of each connection and has answer
// write the response to each, with its body read, until answer returns
// false; it returns the base URL.
func requestServer(t *testing.T, answer func(c net.Conn, req *http.Request, body []byte) bool) string {
	return connServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			body, _ := io.ReadAll(req.Body)
			if !answer(c, req, body) {
				return
			}
		}
	})
}

// cannedServer answers every request, on every connection, with the bytes
// of response, and returns its base URL.
func cannedServer(t *testing.T, response string) string {
	return requestServer(t, func(c net.Conn, _ *http.Request, _ []byte) bool {
		_, err := io.WriteString(c, response)
		return err == nil
	})
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
		{[]string{"-s", "http://127.0.0.1:1/"}, exitConnect, "", isEmpty},
		{[]string{"-sS", "http://127.0.0.1:1/"}, exitConnect, "", oneLine("connection refused")},
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
			{[]string{url}, exitCertificate, "", "certificate"},
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
		{"-fsX URL", "-f -s -X URL"},             // X takes the next argument
		{"-XPOST URL", "-X POST URL"},
		{"-sXPOST URL", "-s -X POST URL"},
		{"-HX-A:1 URL", "-H X-A:1 URL"},
		{"--request POST URL", "--request POST URL"},
		{"--data=-fs URL", "--data=-fs URL"},
		{"-nope URL", "-nope URL"}, // -n takes no joined value: a typo stays one
		{"-c8 URL", "-c8 URL"},
		{"-- -fs", "-- -fs"},
		{"-ik=1 URL", "-ik=1 URL"},
	} {
		if got := strings.Join(expandSwitches(fs, strings.Fields(tc.in)), " "); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in, got, tc.want)
		}
	}
}

// Several URLs are fetched in order on one connection, each body into
// its -o file in order and the rest to stdout; -w follows each, with
// times that add up: connect, first byte, total.
func TestFetchSeveral(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		base := fixedServer(t)
		dir := t.TempDir()
		f1, f2 := filepath.Join(dir, "1"), filepath.Join(dir, "2")
		code, out, errOut := runClient(t, "-backend", b.Name, "-o", f1, "--output", f2,
			"-w", "%{time_connect} %{time_starttransfer} %{time_total} %{remote_port}\\n",
			base+"/text", base+"/missing", base+"/chunked")
		lines := strings.Split(out, "\n")
		got1, _ := os.ReadFile(f1)
		got2, _ := os.ReadFile(f2)
		if code != exitOK || errOut != "" || string(got1) != "hello, curl\n" || string(got2) != "not here\n" ||
			len(lines) != 5 || lines[2] != "chunk by chunk" || lines[4] != "" {
			t.Fatalf("exit %d, stderr %q, files %q %q, stdout %q", code, errOut, got1, got2, out)
		}
		port := base[strings.LastIndexByte(base, ':')+1:]
		for i, l := range []string{lines[0], lines[1], lines[3]} {
			var connect, first, total float64
			var p string
			if _, err := fmt.Sscanf(l, "%f %f %f %s", &connect, &first, &total, &p); err != nil || p != port ||
				first <= connect || total < first || total > 5 || i == 0 && connect <= 0 || i > 0 && connect != 0 {
				t.Errorf("-w of URL %d: %q (%v); want a new connection only for the first", i, l, err)
			}
		}
	})
}

// An unknown -w variable prints nothing, with a warning even with -s, as
// curl's does.
func TestFetchWriteOutUnknown(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		code, out, errOut := runClient(t, "-backend", b.Name, "-s", "-o", os.DevNull, "-w", "[%{nope}]", fixedServer(t)+"/text")
		if code != exitOK || out != "[]" || errOut != "client: unknown -w variable: 'nope'\n" {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
}

// -version and -V print the module path, version and Go version.
func TestVersion(t *testing.T) {
	for _, flag := range []string{"-version", "--version", "-V"} {
		code, out, errOut := runClient(t, flag)
		if code != exitOK || !strings.HasPrefix(out, "github.com/ringnet/ringnet/cmd/client") ||
			!strings.HasSuffix(out, "\n") || !strings.Contains(out, " "+runtime.Version()) || errOut != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", flag, code, out, errOut)
		}
	}
}
