package http_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
)

// shutdownLoadConns is how many connections TestShutdownUnderLoad drives
// on each backend and mode at once; fewer under the race detector, which
// runs the five servers and their clients side by side on CI's 2 cores.
func shutdownLoadConns() int {
	if raceEnabled || testing.Short() {
		return 64
	}
	return 256
}

// loadLedger is the server's side of TestShutdownUnderLoad: how many
// times a handler ran for each request id.
type loadLedger struct {
	mu  sync.Mutex
	ran map[uint64]int
}

func (l *loadLedger) record(id uint64) {
	l.mu.Lock()
	l.ran[id]++
	l.mu.Unlock()
}

// loadBody is the body of the GET of request id: its size and bytes
// follow from id, so the client can check it.
func loadBody(id uint64) []byte {
	b := []byte(fmt.Sprintf("id=%d;", id))
	return bytes.Repeat(b, 1+int(id%997)*3)
}

// loadHandler serves TestShutdownUnderLoad: every request carries its id
// in X-Id; a GET gets loadBody(id), a POST the length and CRC-32 of its
// body. A request with X-Hold waits until Shutdown has begun, so that
// some are in flight when it does.
func loadHandler(ledger *loadLedger, shutdownBegun <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseUint(r.Header.Get("X-Id"), 10, 64)
		if err != nil {
			http.Error(w, "no id", http.StatusBadRequest)
			return
		}
		ledger.record(id)
		if r.Header.Get("X-Hold") != "" {
			<-shutdownBegun
		}
		if r.Method == http.MethodPost {
			h := crc32.NewIEEE()
			n, err := io.Copy(h, r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			fmt.Fprintf(w, "%d %08x", n, h.Sum32())
			return
		}
		w.Write(loadBody(id))
	})
}

// loadOutcome is the client's side: the ids answered in full, and the
// ones whose connection closed before any byte of their response.
type loadOutcome struct {
	mu       sync.Mutex
	answered map[uint64]bool
	refused  int
	failed   []string
	// goShutdown is closed once threshold requests were answered, or on
	// the first failure.
	threshold  int
	goShutdown chan struct{}
	goOnce     sync.Once
}

func (o *loadOutcome) fail(format string, args ...any) {
	o.mu.Lock()
	o.failed = append(o.failed, fmt.Sprintf(format, args...))
	o.mu.Unlock()
	o.goOnce.Do(func() { close(o.goShutdown) })
}

// answer records the complete response of id; the threshold-th one tells
// the test to shut down.
func (o *loadOutcome) answer(id uint64) {
	o.mu.Lock()
	o.answered[id] = true
	n := len(o.answered)
	o.mu.Unlock()
	if n >= o.threshold {
		o.goOnce.Do(func() { close(o.goShutdown) })
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// driveLoad runs one client: connection after connection (until the
// server refuses to connect), keep-alive requests on each, GETs and
// POSTs (Content-Length and chunked) in a random mix. Each request gets a
// fresh id; its outcome goes to o.
func driveLoad(addr string, client uint64, o *loadOutcome) {
	rng := rand.New(rand.NewPCG(client, 13))
	seq := uint64(0)
	holdAt := -1
	if client%2 == 0 {
		holdAt = 2 + rng.IntN(8) // the request of this client that waits for Shutdown
	}
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return // the listener is closed: the server shut down
		}
		c.SetDeadline(time.Now().Add(60 * time.Second))
		cr := &countingReader{r: c}
		br := bufio.NewReader(cr)
		var req bytes.Buffer
		for {
			seq++
			id := client<<32 | seq
			req.Reset()
			method, body := "GET", []byte(nil)
			if rng.IntN(2) == 0 {
				method = "POST"
				body = make([]byte, rng.IntN(32<<10))
				for i := range body {
					body[i] = byte(rng.Uint32())
				}
			}
			fmt.Fprintf(&req, "%s /load HTTP/1.1\r\nHost: x\r\nX-Id: %d\r\n", method, id)
			if int(seq) == holdAt {
				req.WriteString("X-Hold: 1\r\n")
			}
			chunked := method == "POST" && rng.IntN(3) == 0
			switch {
			case chunked:
				fmt.Fprintf(&req, "Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(body), body)
			case method == "POST":
				fmt.Fprintf(&req, "Content-Length: %d\r\n\r\n%s", len(body), body)
			default:
				req.WriteString("\r\n")
			}
			before := cr.n
			_, werr := c.Write(req.Bytes())
			resp, err := http.ReadResponse(br, nil)
			var got []byte
			if err == nil {
				got, err = io.ReadAll(resp.Body)
			}
			if err != nil {
				if cr.n == before && br.Buffered() == 0 {
					// Closed before any byte of the response: the server
					// must not have run the handler (checked with its
					// ledger).
					o.mu.Lock()
					o.refused++
					o.mu.Unlock()
				} else {
					o.fail("request %x: %d response bytes, then %v (write: %v)", id, cr.n-before, err, werr)
				}
				break
			}
			want := loadBody(id)
			if method == "POST" {
				want = fmt.Appendf(nil, "%d %08x", len(body), crc32.ChecksumIEEE(body))
			}
			if resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
				o.fail("request %x: %s %q, want %q", id, resp.Status, trim(got), trim(want))
				break
			}
			o.answer(id)
			if resp.Close {
				break
			}
		}
		c.Close()
	}
}

func trim(b []byte) []byte { return b[:min(len(b), 64)] }

// TestShutdownUnderLoad checks graceful shutdown while connections are
// driven with keep-alive GETs and POSTs: Shutdown returns nil, and every
// request either got its whole, correct response, or saw its connection
// close before any byte of a response, in which case its handler never
// ran (the server's ledger of handler runs by request id); no handler ran
// twice; no goroutine or descriptor is left (run's leak check). Some
// requests are held in their handler until Shutdown begins, so it always
// has requests in flight as well as idle connections to close.
func TestShutdownUnderLoad(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		conns := shutdownLoadConns()
		ledger := &loadLedger{ran: make(map[uint64]int)}
		shutdownBegun := make(chan struct{})
		if b.Inline {
			// ModeInline is for handlers that never block: none is held
			// (a held one would hold its loop's other clients).
			close(shutdownBegun)
		}
		s := &ringhttp.Server{Handler: loadHandler(ledger, shutdownBegun)}
		if !b.Inline {
			s.RegisterOnShutdown(func() { close(shutdownBegun) })
		}
		addr := serve(t, b, s)
		// Shut down once the clients are well under way: every client
		// has had a few responses on average.
		o := &loadOutcome{answered: make(map[uint64]bool), threshold: 3 * conns, goShutdown: make(chan struct{})}
		var clients sync.WaitGroup
		for i := range conns {
			clients.Add(1)
			go func() {
				defer clients.Done()
				driveLoad(addr, uint64(i+1), o)
			}()
		}
		<-o.goShutdown
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		clients.Wait()
		for _, f := range o.failures() {
			t.Error(f)
		}
		ledger.mu.Lock()
		defer ledger.mu.Unlock()
		ran := 0
		for id, n := range ledger.ran {
			ran++
			if n != 1 {
				t.Errorf("request %x: handler ran %d times", id, n)
			}
			if !o.answered[id] {
				t.Errorf("request %x: handler ran, but no complete response reached the client", id)
			}
		}
		if ran != len(o.answered) {
			t.Errorf("%d requests answered, %d handler runs", len(o.answered), ran)
		}
		t.Logf("%d conns: %d requests answered, %d closed unanswered before their handler", conns, len(o.answered), o.refused)
	})
}

func (o *loadOutcome) failures() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.failed...)
}
