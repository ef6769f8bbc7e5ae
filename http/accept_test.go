package http_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// emfileChild names the backend TestEMFILEChild serves on, in the
// subprocess TestAcceptEMFILE starts.
const emfileChild = "RINGNET_EMFILE_CHILD"

// TestAcceptEMFILE runs a server out of descriptors: in a subprocess
// whose RLIMIT_NOFILE leaves room for a few connections, the client opens
// connections until the server logs that accept failed. The connections
// it has are still served, the error is logged at most once a second
// with a count of those held back, and once a connection closes the one
// left in the listen queue is served, and so is a new one.
func TestAcceptEMFILE(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEMFILEChild$")
		cmd.Env = append(os.Environ(), emfileChild+"="+b.Name)
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		logged := make(chan string, 100)
		stderrDone := make(chan struct{})
		defer func() {
			stdin.Close() // the child shuts down and exits
			io.Copy(io.Discard, stdout)
			<-stderrDone
			if err := cmd.Wait(); err != nil {
				t.Errorf("child: %v", err)
			}
		}()
		go func() {
			defer close(stderrDone)
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "accept error") {
					logged <- sc.Text()
				} else if !strings.HasPrefix(sc.Text(), "PASS") {
					t.Logf("child: %s", sc.Text())
				}
			}
			close(logged)
		}()
		var addr string
		if _, err := fmt.Fscanln(stdout, &addr); err != nil {
			t.Fatalf("child's address: %v", err)
		}

		// Connect until the server runs out of descriptors: that
		// connection waits in the listen queue, and the log says why,
		// then again a second later, counting the errors held back in
		// between (the retries at 5, 15, 35, ... ms). Accept fails as
		// soon as the last descriptor is taken, with or without a
		// connection waiting; something else in the process (Go's
		// runtime) may hold a descriptor for a moment.
		begin := time.Now()
		suppressed := regexp.MustCompile(`suppressed=(\d+)`)
		var served []*client
		var stuck *client
		var lines int
		var counted string // a line since stuck was dialed that counts held-back errors
		for counted == "" {
			if stuck == nil {
				if len(served) > 200 {
					t.Fatalf("%d connections served and no accept error", len(served))
				}
				stuck = dialClient(t, addr)
				stuck.send()
			}
			select {
			case err := <-stuck.resp:
				if err != nil {
					t.Fatalf("connection %d: %v", len(served), err)
				}
				served, stuck = append(served, stuck), nil
			case l := <-logged:
				lines++
				m := suppressed.FindStringSubmatch(l)
				if m == nil {
					t.Fatalf("accept error line without a count: %s", l)
				}
				if n, _ := strconv.Atoi(m[1]); n > 0 {
					counted = l
				}
			}
		}
		if len(served) == 0 {
			t.Fatal("no connection was served before accept failed")
		}
		t.Logf("%d connections served, then: %s", len(served), counted)
		for i, c := range served { // the connections it has go on
			c.send()
			if err := <-c.resp; err != nil {
				t.Fatalf("connection %d while out of descriptors: %v", i, err)
			}
		}

		served[0].conn.Close() // a descriptor frees up
		if err := <-stuck.resp; err != nil {
			t.Fatalf("queued connection after a descriptor freed: %v", err)
		}
		if len(served) > 1 {
			served[1].conn.Close()
			c := dialClient(t, addr)
			c.send()
			if err := <-c.resp; err != nil {
				t.Fatalf("new connection after recovery: %v", err)
			}
		}
		// At most one line per second, all told.
		n := lines
		for len(logged) > 0 {
			<-logged
			n++
		}
		if elapsed := time.Since(begin); n > 1+int(elapsed/time.Second) {
			t.Errorf("%d accept error lines in %v", n, elapsed)
		}
	})
}

// TestEMFILEChild is the server of TestAcceptEMFILE, in its own process.
// It lowers RLIMIT_NOFILE before serving (io_uring's accept reads the
// limit when it is armed), serves one request, so that everything the
// server opens once (its loops) is open, then opens /dev/null until the
// limit is reached and closes four: room for four connections. It prints
// its address and serves until its stdin closes.
func TestEMFILEChild(t *testing.T) {
	name := os.Getenv(emfileChild)
	if name == "" {
		return // only as TestAcceptEMFILE's subprocess
	}
	var b backend
	for _, sb := range backendtest.Servers {
		if sb.Name == name {
			b = sb
		}
	}
	closed := make(chan struct{}, 1)
	s := &ringhttp.Server{
		Handler:  http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
		ErrorLog: slog.New(slog.NewTextHandler(os.Stderr, nil)),
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateClosed {
				select { // never blocks: ConnState runs on the loop (inline mode has no hand-off)
				case closed <- struct{}{}:
				default:
				}
			}
		},
	}
	setMode(b, s)
	ln, err := b.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	lim.Cur = 256
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	tr := &http.Transport{DisableKeepAlives: true}
	resp, err := (&http.Client{Transport: tr}).Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	tr.CloseIdleConnections()
	<-closed // the server's side too
	var fill []*os.File
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			break
		}
		fill = append(fill, f)
	}
	if len(fill) < 4 {
		t.Fatalf("only %d descriptors left under the limit", len(fill))
	}
	for _, f := range fill[len(fill)-4:] {
		f.Close()
	}
	fmt.Println(ln.Addr().String())
	io.Copy(io.Discard, os.Stdin)
	s.Close()
	if err := <-done; err != ringhttp.ErrServerClosed {
		t.Fatalf("Serve: %v", err)
	}
	for _, f := range fill {
		f.Close()
	}
}

// A client is one keep-alive connection that sends GET / and reads each
// response in the background: resp gets nil per 200 "ok", or the error.
type client struct {
	conn net.Conn
	resp chan error
	br   *bufio.Reader
}

func dialClient(t *testing.T, addr string) *client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(60 * time.Second)) // a failing server fails the test, not the run
	return &client{conn: conn, resp: make(chan error, 1), br: bufio.NewReader(conn)}
}

// send writes a request and reads its response into c.resp.
func (c *client) send() {
	if _, err := io.WriteString(c.conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		c.resp <- err
		return
	}
	go func() {
		resp, err := http.ReadResponse(c.br, nil)
		if err != nil {
			c.resp <- err
			return
		}
		body, err := io.ReadAll(resp.Body)
		if err == nil && (resp.StatusCode != 200 || string(body) != "ok") {
			err = fmt.Errorf("got %d %q", resp.StatusCode, body)
		}
		c.resp <- err
	}()
}

// TestMaxConns: with MaxConns = n, n idle keep-alive connections are
// served, the next is not accepted while they stay open, and it is served
// once one of them closes.
func TestMaxConns(t *testing.T) {
	const n = 3
	run(t, func(t *testing.T, b backend) {
		var opened atomic.Int32
		s := &ringhttp.Server{
			Handler:  http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
			MaxConns: n,
			ConnState: func(_ net.Conn, st http.ConnState) {
				if st == http.StateNew {
					opened.Add(1)
				}
			},
		}
		addr := serve(t, b, s)
		var cs []*client
		for i := range n {
			c := dialClient(t, addr)
			c.send()
			if err := <-c.resp; err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
			cs = append(cs, c)
		}
		extra := dialClient(t, addr) // the kernel completes the handshake
		extra.send()
		for i, c := range cs { // a round trip on each: time for a wrong accept
			c.send()
			if err := <-c.resp; err != nil {
				t.Fatalf("connection %d again: %v", i, err)
			}
		}
		select {
		case err := <-extra.resp:
			t.Fatalf("connection %d answered (%v) with %d open", n+1, err, n)
		default:
		}
		if got := opened.Load(); got != n {
			t.Fatalf("%d connections accepted, MaxConns %d", got, n)
		}
		cs[0].conn.Close()
		if err := <-extra.resp; err != nil {
			t.Fatalf("connection %d after one closed: %v", n+1, err)
		}
		if got := opened.Load(); got != n+1 {
			t.Fatalf("%d connections accepted, want %d", got, n+1)
		}
	})
}
