package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
)

func TestMain(m *testing.M) {
	if os.Getenv("CLIENT_TEST_MAIN") == "1" { // the command itself, as TestLoadSIGINT runs it
		main()
	}
	backendtest.Main(m)
}

// runClient runs the command in-process and returns its exit status and
// what it wrote to stdout and stderr.
func runClient(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// server starts ringnet's HTTP server on Go's own listener (the backend
// under test is the client's) with routes that show what reached them, and
// returns its base URL.
func server(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/text", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Test", "yes")
		io.WriteString(w, "hello, client\n")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s host=%s\n", r.Method, r.URL.Path, r.Host)
		for _, k := range []string{"X-A", "X-B", "Content-Type"} {
			fmt.Fprintf(w, "%s: %s\n", k, strings.Join(r.Header.Values(k), ","))
		}
		fmt.Fprintf(w, "body=%s\n", body)
	})
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	srv := &ringhttp.Server{Handler: mux}
	backendtest.Serve(t, ln, srv, ringhttp.ErrServerClosed)
	t.Cleanup(func() { close(release) }) // runs first: no handler holds Close up
	return "http://" + ln.Addr().String()
}

// Fetch prints exactly the body, and with -i the status line and header
// fields before it.
func TestFetch(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		url := server(t) + "/text"
		code, out, errOut := runClient(t, "-backend", b.Name, url)
		if code != 0 || out != "hello, client\n" || errOut != "" {
			t.Errorf("fetch: exit %d, stdout %q, stderr %q", code, out, errOut)
		}

		code, out, _ = runClient(t, "-backend", b.Name, "-i", url)
		head, body, _ := strings.Cut(out, "\r\n\r\n")
		lines := strings.Split(head, "\r\n")
		if code != 0 || lines[0] != "HTTP/1.1 200 OK" || body != "hello, client\n" {
			t.Fatalf("fetch -i: exit %d, stdout %q", code, out)
		}
		for _, want := range []string{"X-Test: yes", "Content-Length: 14", "Content-Type: text/plain; charset=utf-8"} {
			if !strings.Contains(head+"\r\n", "\r\n"+want+"\r\n") {
				t.Errorf("fetch -i: no %q in the head %q", want, head)
			}
		}
	})
}

// -X, -H and -d reach the server, flags may follow the URL, and -data
// @FILE sends a file.
func TestFetchRequest(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		base := server(t)
		url := base + "/echo"
		code, out, errOut := runClient(t, "-backend", b.Name, "-X", "PUT", "-H", "X-A: 1", url,
			"-H", "X-A:  2 ", "-H", "X-B: two words", "-H", "Host: example.test", "-d", "pay load")
		want := "PUT /echo host=example.test\nX-A: 1,2\nX-B: two words\n" +
			"Content-Type: application/x-www-form-urlencoded\nbody=pay load\n"
		if code != 0 || out != want {
			t.Errorf("exit %d, stdout %q, stderr %q; want stdout %q", code, out, errOut, want)
		}

		file := filepath.Join(t.TempDir(), "body")
		os.WriteFile(file, []byte("from\r\na file\n"), 0o644)
		host := strings.TrimPrefix(base, "http://")
		for _, tc := range []struct {
			args []string
			body string
		}{
			{[]string{"--data-binary", "@" + file}, "from\r\na file\n"},
			{[]string{"-d", "@" + file}, "froma file"}, // curl's -d drops CR and LF
			{[]string{"--data", "@" + file, "--data-raw", "@x", "-d", "y"}, "froma file&@x&y"},
		} {
			code, out, errOut = runClient(t, append([]string{"-backend", b.Name, "-H", "Content-Type: text/plain", url}, tc.args...)...)
			want = "POST /echo host=" + host + "\nX-A: \nX-B: \nContent-Type: text/plain\nbody=" + tc.body + "\n"
			if code != 0 || out != want {
				t.Errorf("%q: exit %d, stdout %q, stderr %q; want stdout %q", tc.args, code, out, errOut, want)
			}
		}
	})
}

// A failed fetch exits 1 with one line on stderr that names the backend
// and the cause; a bad URL exits 2.
func TestFetchErrors(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		refused := "http://" + ln.Addr().String() + "/"
		ln.Close()
		stall := server(t) + "/stall"
		for _, tc := range []struct {
			args []string
			code int
			want string // a regexp for the one line on stderr
		}{
			{[]string{refused}, exitConnect, `^client: GET ` + regexp.QuoteMeta(refused) + ` on ` + b.Name + `: .*connection refused\n$`},
			{[]string{"-timeout", "200ms", stall}, exitTimeout, `^client: GET \S+/stall on ` + b.Name + `: timeout after 200ms \(-timeout\): .*\n$`},
			{[]string{"http://bad host/"}, exitUsage, `^client: bad URL "http://bad host/": .*\n$`},
			{[]string{"ftp://example.test/"}, exitUsage, `^client: bad URL "ftp://example.test/": scheme "ftp" is not http or https\n$`},
			{[]string{"http:///path"}, exitUsage, `^client: bad URL "http:///path": no host\n$`},
		} {
			code, out, errOut := runClient(t, append([]string{"-backend", b.Name}, tc.args...)...)
			if code != tc.code || out != "" || !regexp.MustCompile(tc.want).MatchString(errOut) {
				t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d, stderr matching %s",
					tc.args, code, out, errOut, tc.code, tc.want)
			}
		}
	})
}

// Bad flags are one line on stderr and exit 2; -help prints the usage.
func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "want a URL, got none"},
		{[]string{"-load", "a", "b"}, "-load takes one URL, got 2 arguments"},
		{[]string{"-compare", "a", "b"}, "-compare takes one URL, got 2 arguments"},
		{[]string{"-o", "f", "-o", "g", "x"}, "2 -o files for 1 URLs"},
		{[]string{"-nope", "x"}, "flag provided but not defined: -nope"},
		{[]string{"-load", "-d", "body", "x"}, `-d "body": in -load and -compare mode -d is the duration`},
		{[]string{"-load", "-i", "x"}, "-i does not apply in -load mode"},
		{[]string{"-compare", "-backend", "epoll", "x"}, "-backend does not apply in -compare mode"},
		{[]string{"-pipeline", "4", "x"}, "-pipeline does not apply in fetch mode"},
		{[]string{"-load", "-c", "0", "x"}, "-c must be at least 1"},
		{[]string{"-H", "no colon", "x"}, `want 'Key: value', 'Key:' or 'Key;', got "no colon"`},
		{[]string{"-u", "nopassword", "x"}, `-u "nopassword": want user:password`},
		{[]string{"-m", "0", "x"}, "-m 0: want a positive number of seconds"},
		{[]string{"-m", "1", "-timeout", "1s", "x"}, "-m and -timeout are the same limit"},
		{[]string{"-load", "-w", "%{http_code}", "x"}, "-w does not apply in -load mode"},
		{[]string{"-load", "--include", "x"}, "-i does not apply in -load mode"},
		{[]string{"-expect-status", "2xx", "x"}, "-expect-status does not apply in fetch mode"},
		{[]string{"-load", "-expect-status", "6xx", "x"}, `-expect-status "6xx": "6xx": a class is 1xx to 5xx`},
		{[]string{"-load", "-expect-status", "200-199", "x"}, `"200-199": an empty range`},
		{[]string{"-load", "-expect-status", "2OO", "x"}, `"2OO": want a status code`},
		{[]string{"-backend", "kqueue", "x"}, `unknown backend "kqueue"`},
		{[]string{"-load", "-backend", "foo", "x"}, `unknown backend "foo"`},
		{[]string{"-compare", "-rounds", "0", "x"}, "-rounds must be at least 1"},
		{[]string{"-load", "-n", "-1", "x"}, "-n must not be negative"},
		{[]string{"-load", "-warmup", "-1s", "x"}, "-warmup must not be negative"},
		{[]string{"-load", "-o", "f", "x"}, "-o does not apply in -load mode"},
		{[]string{"-load", "-rounds", "2", "x"}, "-rounds does not apply in -load mode"},
		{[]string{"-hgrm", "f", "x"}, "-hgrm does not apply in fetch mode"},
		{[]string{"-I", "-d", "body", "x"}, "-I sends a HEAD request"},
		{[]string{"-I", "-X", "GET", "x"}, "-I sends a HEAD request"},
		{[]string{"--cacert", "/nonexistent/ca.pem", "x"}, "-cacert: open /nonexistent/ca.pem"},
		{[]string{"-cacert", "/dev/null", "x"}, "no PEM certificate"},
		{[]string{"-fsX", "x"}, "want a URL, got none"},                        // -X took x, as with curl
		{[]string{"-s", "-nope", "x"}, "flag provided but not defined: -nope"}, // -s does not hide bad usage
	} {
		code, out, errOut := runClient(t, tc.args...)
		if code != exitUsage || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d and one line with %q", tc.args, code, out, errOut, exitUsage, tc.want)
		}
	}
	code, out, errOut := runClient(t, "-help")
	if code != 0 || !strings.HasPrefix(out, "Usage:") || !strings.Contains(out, "coordinated omission") || !strings.Contains(out, "-pipeline") ||
		!strings.Contains(out, "\nEnvironment:\n  RINGNET_BACKEND=epoll|uring") || errOut != "" {
		t.Errorf("-help: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
