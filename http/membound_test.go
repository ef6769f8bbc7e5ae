package http_test

import (
	"bufio"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
	"github.com/ringnet/ringnet/netfd"
)

// The memory bounds of a connection that sends more than it should: a
// huge body its handler does not read, or garbage. The server must read a
// bounded number of bytes and close, whatever the client sends: counted
// here as the bytes the client managed to write before the connection
// failed, with the kernel's buffers between the two pinned small
// (SO_RCVBUF on the listener, inherited by accepted sockets; SO_SNDBUF on
// the client), so the count cannot depend on the machine's load. The RSS
// figures of the same cases are measured by bench/cmd/membound
// (docs/robustness.md).
const (
	boundRcvBuf = 64 << 10 // the server socket's receive buffer (the kernel doubles it)
	boundSndBuf = 32 << 10 // the client's send buffer (doubled too)
	// boundSlack is what the kernel buffers and one read of the server
	// may hold beyond what the server chose to read: 2×64 KiB + 2×32 KiB
	// in the kernel, and a loop's or reader's buffer of up to 64 KiB,
	// rounded up.
	boundSlack = 512 << 10
	// drainLimit is net/http's maxPostHandlerReadBytes: how much of what a
	// client still sends the server reads before it closes.
	drainLimit = 256 << 10
	// uringRing is what an io_uring loop's multishot receive may take from
	// a socket before the loop sees it: the loop's provided-buffer ring
	// (512 × 4 KiB, allocated once per loop, so it adds nothing per
	// connection to the memory).
	uringRing = 512 * 4 << 10
)

// slack is boundSlack, plus uringRing on an io_uring loop.
func slack(b backend) int64 {
	if b.NB == netfd.Uring && !b.Goroutine {
		return boundSlack + uringRing
	}
	return boundSlack
}

// serveBounded serves s on b with the listener's receive buffer pinned to
// boundRcvBuf, and returns the address.
func serveBounded(t *testing.T, b backend, s *ringhttp.Server) string {
	t.Helper()
	setMode(b, s)
	serveQuiet(s)
	ln := b.ListenTCP(t)
	setSockopt(t, ln.(syscall.Conn), syscall.SO_RCVBUF, boundRcvBuf)
	backendtest.Serve(t, ln, s, ringhttp.ErrServerClosed)
	return ln.Addr().String()
}

func setSockopt(t *testing.T, c syscall.Conn, opt, v int) {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, opt, v) }); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
}

// flood connects to addr with a small send buffer, writes head and then
// what next produces until a write fails or limit bytes are written, and
// returns how many bytes were written in all and what the server sent.
func flood(t *testing.T, addr string, head []byte, next func([]byte), limit int64) (int64, string) {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, boundSndBuf) })
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	got := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(bufio.NewReader(c)) // until the server closes (or resets)
		got <- string(b)
	}()
	written := int64(0)
	n, err := c.Write(head)
	written += int64(n)
	buf := make([]byte, 64<<10)
	for err == nil && written < limit {
		next(buf)
		n, err = c.Write(buf)
		written += int64(n)
	}
	if err == nil {
		t.Fatalf("the server took %d bytes without closing", written)
	}
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("write failed with %v, want a reset or a broken pipe", err)
	}
	c.Close()
	return written, <-got
}

// TestMemoryBoundBigBody: a 1 GiB body POSTed to a handler that reads
// none of it. The handler is answered, and the server reads at most
// drainLimit of the rest before it closes (net/http's
// maxPostHandlerReadBytes): the client cannot write more than that plus
// the kernel's buffers.
func TestMemoryBoundBigBody(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		ran := make(chan struct{}, 1)
		addr := serveBounded(t, b, &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ran <- struct{}{}
			io.WriteString(w, "not read")
		})})
		head := []byte("POST /noread HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n")
		written, _ := flood(t, addr, head, func([]byte) {}, 1<<30)
		<-ran
		if max := int64(len(head)+drainLimit) + slack(b); written > max {
			t.Errorf("the client wrote %d bytes of a 1 GiB body before the server closed, want at most %d", written, max)
		}
		t.Logf("%d bytes written before the close", written)
	})
}

// garbageAnswer is how the server may refuse garbage.
var garbageAnswer = regexp.MustCompile(`^HTTP/1\.1 (400|414|431|501) `)

// TestMemoryBoundGarbage: a connection that sends random bytes forever,
// with line breaks (a bad request line) or without (a request line over
// its bound), is answered with an error (400, or 414 or 501 for a line
// too long, depending on where the bound is met) and closed after at most
// the header limit plus drainLimit bytes.
func TestMemoryBoundGarbage(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		addr := serveBounded(t, b, &ringhttp.Server{MaxHeaderBytes: 16 << 10, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t.Errorf("handler ran for garbage: %q", r.RequestURI)
		})})
		headerLimit := int64(16<<10 + 4096)
		rng := rand.New(rand.NewPCG(1, 2))
		for _, c := range []struct {
			name string
			noLF bool
		}{
			{"lines", false},
			{"one-line", true},
		} {
			garbage := func(p []byte) {
				for i := range p {
					p[i] = byte(rng.Uint32())
					if c.noLF && p[i] == '\n' {
						p[i] = 'x'
					}
				}
			}
			head := make([]byte, 64)
			garbage(head)
			head[0] = 0xff // not a method: a request line with an LF is bad at once
			written, got := flood(t, addr, head, garbage, 1<<30)
			if max := headerLimit + drainLimit + slack(b); written > max {
				t.Errorf("%s: the client wrote %d bytes of garbage before the server closed, want at most %d", c.name, written, max)
			}
			// The answer may be lost to the reset that closing with
			// unread input sends; when it arrived it is the right one.
			if got != "" && !garbageAnswer.MatchString(got) {
				t.Errorf("%s: answered %.80q, want 400, 414, 431 or 501", c.name, got)
			}
			t.Logf("%s: %d bytes written before the close; answer %.40q", c.name, written, got)
		}
	})
}

// TestMemoryBoundHalfOpen: what bench/cmd/membound holds 10,000 of, a few
// hundred at a time. A connection that sends nothing and half-closes is
// closed at once without a byte; one that sends half a request line and
// half-closes gets 400; one that sends half a request line and holds is
// closed, without a byte, once ReadHeaderTimeout passed: none is held for
// ever, whatever it costs meanwhile.
func TestMemoryBoundHalfOpen(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		n := 100
		if raceEnabled || testing.Short() {
			n = 20
		}
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t.Errorf("handler ran for %q", r.RequestURI)
		})
		// The held connections go to a server with a short header
		// timeout; the others to one whose timeout a busy machine cannot
		// reach before the server reads what they sent.
		addr := serve(t, b, &ringhttp.Server{Handler: h})
		quick := serve(t, b, &ringhttp.Server{ReadHeaderTimeout: 200 * time.Millisecond, Handler: h})
		kinds := []struct {
			name, addr, send string
			closeWrite       bool
			want             string
		}{
			{"silent-half-closed", addr, "", true, ""},
			{"half-line-half-closed", addr, "GET /ha", true, "HTTP/1.1 400 Bad Request\r\n"},
			{"half-line-held", quick, "GET /ha", false, ""},
		}
		conns := make([]net.Conn, 0, n*len(kinds))
		for i := range n * len(kinds) {
			k := kinds[i%len(kinds)]
			c := dial(t, k.addr)
			if k.send != "" {
				io.WriteString(c, k.send)
			}
			if k.closeWrite {
				c.(*net.TCPConn).CloseWrite()
			}
			conns = append(conns, c)
		}
		for i, c := range conns {
			k := kinds[i%len(kinds)]
			got, err := io.ReadAll(c)
			if err != nil && !isReset(err) {
				t.Fatalf("%s: %q, %v; want the server to close", k.name, got, err)
			}
			if !strings.HasPrefix(string(got), k.want) || k.want == "" && len(got) > 0 {
				t.Fatalf("%s: got %q, want %q", k.name, got, k.want)
			}
		}
	})
}
