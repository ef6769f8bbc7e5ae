package http_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
)

// The faults a handler of faultHandler commits, by the last element of
// its path. Each ends in a panic: with a value (logged once, with its
// stack) or http.ErrAbortHandler (not logged).
var handlerFaults = []string{
	"panic",             // before anything is written
	"abort",             // the same with ErrAbortHandler
	"header-panic",      // after WriteHeader: nothing has left yet
	"small-panic",       // after a body write still buffered
	"flush-panic",       // after a Flush: the head and a chunk have left
	"flush-abort",       // the same with ErrAbortHandler
	"big-panic",         // after a body write too big for the buffer
	"cl-partial-panic",  // a Content-Length body cut short
	"body-half-panic",   // a POST whose body is half read
	"pipelined-2-panic", // the second of two pipelined requests
}

// faultHandler answers /ok with "ok" and commits the fault its path
// names. Under /block/ it first tells entered and waits for release, so
// that on an event loop the fault happens after the loop was handed
// off; entered and release are nil for net/http's server, which has no
// loop to hand off.
func faultHandler(entered chan<- struct{}, release <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if rest, ok := strings.CutPrefix(path, "/block"); ok {
			path = rest
			if entered != nil {
				entered <- struct{}{}
				<-release
			}
		}
		fault := strings.TrimPrefix(path, "/")
		value := any("fault-" + r.URL.Path)
		if strings.HasSuffix(fault, "abort") {
			value = http.ErrAbortHandler
		}
		switch fault {
		case "ok", "pipelined-1":
			io.WriteString(w, "ok")
			return
		case "header-panic":
			w.Header().Set("X-Fault", "1")
			w.WriteHeader(http.StatusAccepted)
		case "small-panic":
			io.WriteString(w, "partial")
		case "flush-panic", "flush-abort":
			io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
		case "big-panic":
			w.Write(make([]byte, 10000))
		case "cl-partial-panic":
			w.Header().Set("Content-Length", "100000")
			w.Write(make([]byte, 30000))
		case "body-half-panic":
			io.ReadFull(r.Body, make([]byte, 5))
		}
		panic(value)
	})
}

// faultRequest is what the client sends for a fault; block puts it under
// /block/.
func faultRequest(fault string, block bool) string {
	prefix := "/"
	if block {
		prefix = "/block/"
	}
	switch fault {
	case "body-half-panic":
		return "POST " + prefix + fault + " HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"
	case "pipelined-2-panic":
		return "GET /pipelined-1 HTTP/1.1\r\nHost: x\r\n\r\nGET " + prefix + fault + " HTTP/1.1\r\nHost: x\r\n\r\n"
	}
	return "GET " + prefix + fault + " HTTP/1.1\r\nHost: x\r\n\r\n"
}

// TestHandlerPanic checks that a panicking handler, run inline on an
// event loop or after its loop was handed off, leaves the server and its
// loop serving: the client gets the same bytes as from net/http's server
// (what was flushed, then the close), another connection on the same loop
// is served meanwhile and after, and each panic is logged once with its
// stack, except http.ErrAbortHandler.
func TestHandlerPanic(t *testing.T) {
	oracle, stop := serveOracle(t, &http.Server{Handler: faultHandler(nil, nil), ErrorLog: log.New(io.Discard, "", 0)})
	defer stop()
	want := make(map[string]string)
	for _, f := range handlerFaults {
		want[f] = normalize(exchange(t, oracle, faultRequest(f, false), false))
	}
	if want["panic"] != "" || !strings.HasPrefix(want["flush-panic"], "HTTP/1.1 200 OK\r\n") {
		t.Fatalf("net/http's answers are not what this test assumes: %q", want)
	}

	t.Run("backends", func(t *testing.T) {
		run(t, func(t *testing.T, b backend) {
			var logs lockedBuffer
			entered, release := make(chan struct{}), make(chan struct{})
			s := &ringhttp.Server{
				Handler:  faultHandler(entered, release),
				ErrorLog: slog.New(slog.NewTextHandler(&logs, nil)),
			}
			ringhttp.SetLoopCount(s, 1) // the bystander shares the faulty handler's loop
			addr := serve(t, b, s)
			bystander := dial(t, addr)
			bbr := bufio.NewReader(bystander)
			getOK := func(when string) {
				t.Helper()
				io.WriteString(bystander, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
				resp, err := http.ReadResponse(bbr, nil)
				if err != nil {
					t.Fatalf("bystander %s: %v", when, err)
				}
				body, err := io.ReadAll(resp.Body)
				if err != nil || string(body) != "ok" {
					t.Fatalf("bystander %s: %q, %v", when, body, err)
				}
			}
			getOK("before")
			for _, f := range handlerFaults {
				for _, block := range []bool{false, true} {
					if block && b.Inline {
						continue // ModeInline never hands a loop off: a blocked handler holds its bystanders by design
					}
					name := f
					if block {
						name = "block/" + f
					}
					c := dial(t, addr)
					io.WriteString(c, faultRequest(f, block))
					if block {
						<-entered
						getOK("while " + name + " blocks") // the loop was handed off
						release <- struct{}{}
					}
					got, err := io.ReadAll(c)
					c.Close()
					if err != nil && !isReset(err) {
						t.Errorf("%s: reading: %v", name, err)
					}
					if normalize(string(got)) != want[f] {
						t.Errorf("%s:\nours   %q\noracle %q", name, normalize(string(got)), want[f])
					}
					getOK("after " + name)
				}
			}
			// The log of a connection is written before it closes.
			l := logs.String()
			if strings.Contains(l, "abort") {
				t.Errorf("ErrAbortHandler logged:\n%s", l)
			}
			panics := 0
			for _, f := range handlerFaults {
				if strings.HasSuffix(f, "abort") {
					continue
				}
				prefixes := []string{"/", "/block/"}
				if b.Inline {
					prefixes = prefixes[:1]
				}
				panics += len(prefixes)
				for _, prefix := range prefixes {
					if n := strings.Count(l, "fault-"+prefix+f+" "); n != 1 {
						t.Errorf("%s: panic logged %d times, want once:\n%s", prefix+f, n, l)
					}
				}
			}
			if n := strings.Count(l, "http: panic serving"); n != panics {
				t.Errorf("%d panics logged, want %d:\n%s", n, panics, l)
			}
			if n := strings.Count(l, "handlerfault_test.go"); n < panics {
				t.Errorf("%d stacks in the log name the handler's file, want %d or more:\n%s", n, panics, l)
			}
		})
	})
}

// TestHandlerNeverReturns checks that a handler that never returns does
// not hold Shutdown past its context's deadline, that Close then closes
// its connection (and Shutdown had closed the idle one), and that the
// goroutine serving it is released once the handler returns (the leak
// check of run).
func TestHandlerNeverReturns(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		if b.Inline {
			return // ModeInline: the stuck handler holds its loop, and Shutdown's close of the idle connection waits for it, by design
		}
		entered, release := make(chan struct{}), make(chan struct{})
		returned := make(chan struct{})
		s := &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/stuck" {
				defer close(returned)
				io.WriteString(w, "head")
				w.(http.Flusher).Flush()
				close(entered)
				<-release
				return
			}
			io.WriteString(w, "ok")
		})}
		ringhttp.SetLoopCount(s, 1)
		addr := serve(t, b, s)
		idle := dial(t, addr)
		ibr := bufio.NewReader(idle)
		io.WriteString(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		readResponse(t, ibr, "GET")

		stuck := dial(t, addr)
		io.WriteString(stuck, "GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n")
		<-entered
		sbr := bufio.NewReader(stuck)
		resp, err := http.ReadResponse(sbr, nil)
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, 4)
		if _, err := io.ReadFull(resp.Body, head); err != nil || string(head) != "head" {
			t.Fatalf("flushed part: %q, %v", head, err)
		}

		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown: %v, want context.DeadlineExceeded", err)
		}
		if _, err := ibr.ReadByte(); err != io.EOF {
			t.Fatalf("idle connection after Shutdown: %v, want EOF", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		// The stuck handler's connection is closed under it: its chunked
		// body ends without its last chunk.
		if rest, err := io.ReadAll(resp.Body); err != io.ErrUnexpectedEOF && !isReset(err) {
			t.Fatalf("stuck connection after Close: %q, %v; want it cut", rest, err)
		}
		close(release)
		<-returned
	})
}

// TestHijackLeak checks that a handler may hijack a connection, inline on
// an event loop (it leaves the loop) or after blocking, and keep it past
// the server: Shutdown does not wait for it, neither Shutdown nor Close
// closes it, and it still carries bytes both ways afterwards. The test
// closes the hijacked connections itself at the end.
func TestHijackLeak(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		var mu sync.Mutex
		var kept []net.Conn
		t.Cleanup(func() {
			mu.Lock()
			defer mu.Unlock()
			for _, c := range kept {
				c.Close()
			}
		})
		entered, release := make(chan struct{}), make(chan struct{})
		s := &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/ok":
				io.WriteString(w, "ok")
				return
			case "/block":
				entered <- struct{}{}
				<-release
			}
			c, rw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			rw.WriteString("hijacked " + r.URL.Path + "\n")
			rw.Flush()
			mu.Lock()
			kept = append(kept, c)
			mu.Unlock()
		})}
		ringhttp.SetLoopCount(s, 1)
		addr := serve(t, b, s)
		other := dial(t, addr)
		obr := bufio.NewReader(other)
		getOK := func() {
			t.Helper()
			io.WriteString(other, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
			if _, body := readResponse(t, obr, "GET"); body != "ok" {
				t.Fatalf("other connection: %q", body)
			}
		}
		var clients []*bufio.Reader
		var conns []net.Conn
		paths := []string{"/inline", "/block"}
		if b.Inline {
			paths = paths[:1] // ModeInline never hands off: a blocked handler holds the other connection
		}
		for _, path := range paths {
			c := dial(t, addr)
			io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
			if path == "/block" {
				<-entered
				getOK() // the loop was handed off
				close(release)
			}
			br := bufio.NewReader(c)
			line, err := br.ReadString('\n')
			if err != nil || line != "hijacked "+path+"\n" {
				t.Fatalf("%s: %q, %v", path, line, err)
			}
			clients, conns = append(clients, br), append(conns, c)
		}
		getOK() // the server goes on serving beside its hijacked connections
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		mu.Lock()
		server := append([]net.Conn(nil), kept...)
		mu.Unlock()
		if len(server) != len(paths) {
			t.Fatalf("%d hijacked connections, want %d", len(server), len(paths))
		}
		for i, sc := range server {
			// Either client may own either connection: match them by address.
			var br *bufio.Reader
			var cc net.Conn
			for j, c := range conns {
				if c.LocalAddr().String() == sc.RemoteAddr().String() {
					br, cc = clients[j], c
				}
			}
			if br == nil {
				t.Fatalf("hijacked connection %d: no client at %v", i, sc.RemoteAddr())
			}
			if _, err := io.WriteString(sc, "still here\n"); err != nil {
				t.Fatalf("server side write after Close: %v", err)
			}
			if line, err := br.ReadString('\n'); err != nil || line != "still here\n" {
				t.Fatalf("client read after Close: %q, %v", line, err)
			}
			io.WriteString(cc, "and here\n")
			sc.SetReadDeadline(time.Now().Add(10 * time.Second))
			got, err := bufio.NewReader(sc).ReadString('\n')
			if err != nil || got != "and here\n" {
				t.Fatalf("server side read after Close: %q, %v", got, err)
			}
		}
	})
}
