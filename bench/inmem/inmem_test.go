// Package inmem is the in-memory benchmark of issue 19: pipelined
// plaintext requests, wrk's header set, served with no kernel on the way,
// so that what is measured is each server's own per-request work. The
// same bytes go to ringnet's loop-mode serve path (a loop whose kernel is
// memory, internal/memloop), ringnet's goroutine engine, fasthttp's
// Server.ServeConn and net/http's Server on an in-memory net.Conn.
//
//	go test -run '^$' -bench . -benchmem -count 5 ./inmem/
//
// Besides ns/op, B/op and allocs/op (per request), cpu-ns/op is the CPU
// time of the whole process per request, the collector's included: the
// figure to compare on a machine that is busy with something else.
package inmem

import (
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/memloop"
	"github.com/valyala/fasthttp"
)

// request is what wrk sends with TechEmpower's headers, plus a browser's
// User-Agent.
const request = "GET /plaintext HTTP/1.1\r\n" +
	"Host: localhost\r\n" +
	"Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\n" +
	"Connection: keep-alive\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n" +
	"\r\n"

// depth is the pipeline depth: requests per delivery, as wrk's pipeline.lua.
const depth = 16

var batch = bytes.Repeat([]byte(request), depth)

// plaintext is the TechEmpower handler, for net/http's API.
var plaintext = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "Hello, World!")
})

// servers serve rounds deliveries of batch on one connection and report
// what they sent.
var servers = []struct {
	name  string
	serve func(tb testing.TB, rounds int) (sent int64, head []byte)
}{
	{"ringnet-loop", func(tb testing.TB, rounds int) (int64, []byte) {
		mc := memloop.NewConn(batch, rounds, 4096)
		if err := memloop.ServeHTTP(plaintext, mc); err != nil {
			tb.Fatal(err)
		}
		return mc.Output()
	}},
	{"ringnet-goroutine", func(tb testing.TB, rounds int) (int64, []byte) {
		c := newConn(rounds)
		s := &ringhttp.Server{Handler: plaintext}
		go s.Serve(&oneListener{c: c})
		<-c.Closed()
		s.Close()
		return c.Output()
	}},
	{"fasthttp", func(tb testing.TB, rounds int) (int64, []byte) {
		c := newConn(rounds)
		s := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
			ctx.SetContentType("text/plain")
			ctx.WriteString("Hello, World!")
		}}
		if err := s.ServeConn(c); err != nil && err != io.EOF {
			tb.Fatal(err)
		}
		c.Close()
		return c.Output()
	}},
	{"net-http", func(tb testing.TB, rounds int) (int64, []byte) {
		c := newConn(rounds)
		s := &http.Server{Handler: plaintext, ErrorLog: log.New(io.Discard, "", 0)}
		go s.Serve(&oneListener{c: c})
		<-c.Closed()
		s.Close()
		return c.Output()
	}},
}

// BenchmarkInMemory reports each server's cost per request: ns/op,
// B/op and allocs/op are per request (b.N requests in all).
func BenchmarkInMemory(b *testing.B) {
	for _, s := range servers {
		b.Run(s.name, func(b *testing.B) {
			rounds := (b.N + depth - 1) / depth
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			sent, head := s.serve(b, rounds)
			cpu = cpuTime() - cpu
			b.StopTimer()
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			checkResponses(b, sent, head, rounds*depth)
		})
	}
}

// cpuTime is the CPU time the process used so far, user and system: on a
// busy machine it says what a request costs where ns/op says how long
// the benchmark waited for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestInMemory checks that every server answers every request, so that
// the benchmark compares servers doing the same work.
func TestInMemory(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			sent, head := s.serve(t, 3)
			checkResponses(t, sent, head, 3*depth)
		})
	}
}

// checkResponses checks that sent bytes hold n responses of the size of
// the first, each a 200 with the plaintext body.
func checkResponses(tb testing.TB, sent int64, head []byte, n int) {
	tb.Helper()
	end := bytes.Index(head, []byte("Hello, World!"))
	if !bytes.HasPrefix(head, []byte("HTTP/1.1 200 OK\r\n")) || end < 0 {
		tb.Fatalf("first response: %q", head)
	}
	size := int64(end + len("Hello, World!"))
	if sent != size*int64(n) {
		tb.Fatalf("sent %d bytes, want %d responses of %d bytes (%q)", sent, n, size, head[:size])
	}
}

// conn is an in-memory net.Conn over a memloop.Conn, which counts what
// the server sends: Read returns batch, rounds times, then EOF.
type conn struct {
	*memloop.Conn
	left []byte // of the current round
}

func newConn(rounds int) *conn { return &conn{Conn: memloop.NewConn(batch, rounds, 4096)} }

func (c *conn) Read(p []byte) (int, error) {
	if len(c.left) == 0 {
		if c.Rounds == 0 {
			return 0, io.EOF
		}
		c.Rounds--
		c.left = c.In
	}
	n := copy(p, c.left)
	c.left = c.left[n:]
	return n, nil
}

func (c *conn) Write(p []byte) (int, error) {
	c.Sent(p)
	return len(p), nil
}

func (c *conn) Close() error {
	c.Conn.Close()
	return nil
}

func (c *conn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }
func (c *conn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000} }
func (c *conn) SetDeadline(time.Time) error      { return nil }
func (c *conn) SetReadDeadline(time.Time) error  { return nil }
func (c *conn) SetWriteDeadline(time.Time) error { return nil }

// oneListener accepts c once, then blocks until closed.
type oneListener struct {
	c    *conn
	once sync.Once
}

func (l *oneListener) Accept() (net.Conn, error) {
	first := false
	l.once.Do(func() { first = true })
	if first {
		return l.c, nil
	}
	<-l.c.Closed()
	return nil, net.ErrClosed
}

func (l *oneListener) Close() error   { return nil }
func (l *oneListener) Addr() net.Addr { return l.c.LocalAddr() }
