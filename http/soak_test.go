package http_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
)

// TestSoak runs mixed traffic against every backend and mode for
// RINGNET_SOAK (a Go duration; 1 s by default, so that go test ./... stays
// quick; CI runs 30 s, docs/robustness.md has a 5-minute run): keep-alive
// GETs, pipelined GETs, chunked uploads, requests the client abandons
// half-sent or half-read (closing or resetting), and slow readers. Every
// completed response is checked by its SHA-256; any error other than the
// aborts the test makes itself fails it.
//
// What is flat at the end: each server's own open connections go back to
// zero once the clients are gone; the process's descriptors and goroutines
// go back to where they were before the soak (run's leak check); its RSS,
// sampled while each backend runs, grows by no more than soakRSSGrowth
// from a quarter of the run to its end (checked for runs of 20 s or more,
// where the warm-up is over by the first sample), and after the soak, once
// the garbage is collected, it is within soakRSSAfter of where it started.
// The subtests run in parallel (run), so the process-wide samples of one
// backend include the others running at the same time (go test -parallel,
// GOMAXPROCS by default, runs that many at once): they are reported per
// backend as "the process while it ran", and the leak and RSS bounds are
// checked on the process as a whole.
func TestSoak(t *testing.T) {
	d := time.Second
	if v := os.Getenv("RINGNET_SOAK"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil || d <= 0 {
			t.Fatalf("RINGNET_SOAK=%q: want a positive duration such as 30s", v)
		}
	}
	runtime.GC()
	debug.FreeOSMemory()
	before := processSample()
	var mu sync.Mutex
	var reports []string
	run(t, func(t *testing.T, b backend) {
		r := soak(t, b, d)
		mu.Lock()
		reports = append(reports, r)
		mu.Unlock()
	})
	t.Cleanup(func() { // before run's leak check, after every subtest
		runtime.GC()
		debug.FreeOSMemory()
		after := processSample()
		sort.Strings(reports)
		t.Logf("soak of %v per backend and mode; process before %v, after %v\n%s\n%s",
			d, before, after, soakTableHead, strings.Join(reports, "\n"))
		if after.rss > before.rss+soakRSSAfter {
			t.Errorf("RSS after the soak %d KiB, before %d KiB: more than %d KiB left", after.rss>>10, before.rss>>10, soakRSSAfter>>10)
		}
	})
}

// The RSS bounds of TestSoak.
const (
	soakRSSGrowth = 32 << 20 // from a quarter of a backend's run to its end
	soakRSSAfter  = 64 << 20 // after the soak, over before it
)

const soakTableHead = "| server | requests completed and checked | exchanges aborted by the client | errors | open conns ¼ / ½ / end / after | process RSS MiB ¼ / ½ / end | goroutines ¼ / ½ / end | fds ¼ / ½ / end |\n|---|---|---|---|---|---|---|---|"

// soak runs the mixed traffic against a fresh server on b for d and returns
// its row of the report.
func soak(t *testing.T, b backend, d time.Duration) string {
	// open counts the server's connections; drained is closed once it is
	// back to zero after the clients are done.
	var open atomic.Int64
	var draining atomic.Bool
	var once sync.Once
	drained := make(chan struct{})
	checkDrained := func() {
		if draining.Load() && open.Load() == 0 {
			once.Do(func() { close(drained) })
		}
	}
	s := &ringhttp.Server{
		Handler:           http.HandlerFunc(soakHandler),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       10 * time.Second,
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				open.Add(1)
			case http.StateClosed, http.StateHijacked:
				open.Add(-1)
				checkDrained()
			}
		},
	}
	addr := serve(t, b, s)
	var st soakStats
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i, w := range soakWorkers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), uint64(d)))
			for time.Now().Before(deadline) {
				kind, n, err := w(addr, rng)
				st.record(kind, n, err)
			}
		})
	}
	// Samples at a quarter, half and the end of the run, under load.
	var samples [3]sample
	var opens [4]int64
	for i, at := range []time.Duration{d / 4, d / 2, d} {
		time.Sleep(time.Until(deadline.Add(at - d))) // pacing the samples, not synchronizing
		samples[i], opens[i] = processSample(), open.Load()
	}
	wg.Wait()
	// Every client connection is closed now: the server's follow.
	draining.Store(true)
	checkDrained()
	select {
	case <-drained:
	case <-time.After(attackGuard):
		t.Fatalf("%d server connections still open %v after the clients closed theirs", open.Load(), attackGuard)
	}
	opens[3] = open.Load()
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.errs) > 0 {
		t.Errorf("errors: %v (first: %v)", st.errs, st.first)
	}
	if st.ok["keep-alive"] == 0 || st.ok["pipelined"] == 0 || st.ok["chunked upload"] == 0 || st.ok["slow reader"] == 0 || st.aborted == 0 {
		t.Errorf("a kind of traffic never completed: %v, %d aborted", st.ok, st.aborted)
	}
	if d >= 20*time.Second && samples[2].rss > samples[0].rss+soakRSSGrowth {
		t.Errorf("RSS grew from %d to %d KiB during the run", samples[0].rss>>10, samples[2].rss>>10)
	}
	total := 0
	for _, n := range st.ok {
		total += n
	}
	return fmt.Sprintf("| %s | %d (%s) | %d | %d | %d / %d / %d / %d | %.0f / %.0f / %.0f | %d / %d / %d | %d / %d / %d |",
		b.Name, total, fmtCounts(st.ok), st.aborted, len(st.errs), opens[0], opens[1], opens[2], opens[3],
		mib(samples[0].rss), mib(samples[1].rss), mib(samples[2].rss),
		samples[0].goroutines, samples[1].goroutines, samples[2].goroutines, samples[0].fds, samples[1].fds, samples[2].fds)
}

// soakStats counts what the workers did.
type soakStats struct {
	mu      sync.Mutex
	ok      map[string]int
	aborted int
	errs    map[string]int
	first   error
}

func (s *soakStats) record(kind string, n int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err == nil && kind == "aborted":
		s.aborted++ // exchanges, not requests
	case err == nil:
		if s.ok == nil {
			s.ok = map[string]int{}
		}
		s.ok[kind] += n
	default:
		if s.errs == nil {
			s.errs = map[string]int{}
		}
		s.errs[kind]++
		if s.first == nil {
			s.first = fmt.Errorf("%s: %w", kind, err)
		}
	}
}

func fmtCounts(m map[string]int) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+" "+strconv.Itoa(v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// A soakWorker makes one exchange (a few requests) on a new connection
// and says what kind it was and how many requests completed; aborts
// report "aborted" and no error.
type soakWorker func(addr string, rng *rand.Rand) (kind string, requests int, err error)

// soakWorkers run side by side, each in a loop, against each server.
var soakWorkers = []soakWorker{
	soakKeepAlive, soakKeepAlive, soakPipelined, soakChunked, soakAbort, soakAbort, soakSlowReader,
}

// soakHandler serves /data/{n} (n bytes of soakData) and /sum (the length
// and SHA-256 of the request body).
func soakHandler(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/data/"):
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/data/"))
		if err != nil || n < 0 || n > len(soakData()) {
			http.Error(w, "bad size", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.Write(soakData()[:n])
	case r.URL.Path == "/sum":
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			return // the client went away mid-body
		}
		fmt.Fprintf(w, "%d %x", n, h.Sum(nil))
	default:
		http.NotFound(w, r)
	}
}

// soakData is what /data/{n} sends the first n bytes of.
var soakData = sync.OnceValue(func() []byte {
	b := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{}).Read(b)
	return b
})

// soakSize is a response or upload size: mostly small, sometimes large.
func soakSize(rng *rand.Rand) int {
	if rng.IntN(8) == 0 {
		return rng.IntN(1 << 20)
	}
	return rng.IntN(4 << 10)
}

func soakDial(addr string) (net.Conn, *bufio.Reader, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	c.SetDeadline(time.Now().Add(attackGuard))
	return c, bufio.NewReader(c), nil
}

// readData reads a response to GET /data/n and checks it by checksum.
func readData(br *bufio.Reader, n int) error {
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err
	}
	h := sha256.New()
	got, err := io.Copy(h, resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 || got != int64(n) || !bytes.Equal(h.Sum(nil), sumOf(soakData()[:n])) {
		return fmt.Errorf("GET /data/%d: %s, %d bytes, checksum mismatch or wrong length", n, resp.Status, got)
	}
	return nil
}

func sumOf(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// soakKeepAlive: a few GETs on one keep-alive connection.
func soakKeepAlive(addr string, rng *rand.Rand) (string, int, error) {
	c, br, err := soakDial(addr)
	if err != nil {
		return "dial", 0, err
	}
	defer c.Close()
	reqs := 1 + rng.IntN(20)
	for range reqs {
		n := soakSize(rng)
		if _, err := fmt.Fprintf(c, "GET /data/%d HTTP/1.1\r\nHost: x\r\n\r\n", n); err != nil {
			return "keep-alive", 0, err
		}
		if err := readData(br, n); err != nil {
			return "keep-alive", 0, err
		}
	}
	return "keep-alive", reqs, nil
}

// soakPipelined: up to 16 GETs in one write, then their responses.
func soakPipelined(addr string, rng *rand.Rand) (string, int, error) {
	c, br, err := soakDial(addr)
	if err != nil {
		return "dial", 0, err
	}
	defer c.Close()
	sizes := make([]int, 1+rng.IntN(16))
	var reqs bytes.Buffer
	for i := range sizes {
		sizes[i] = rng.IntN(4 << 10)
		fmt.Fprintf(&reqs, "GET /data/%d HTTP/1.1\r\nHost: x\r\n\r\n", sizes[i])
	}
	if _, err := c.Write(reqs.Bytes()); err != nil {
		return "pipelined", 0, err
	}
	for _, n := range sizes {
		if err := readData(br, n); err != nil {
			return "pipelined", 0, err
		}
	}
	return "pipelined", len(sizes), nil
}

// soakChunked: a chunked upload in chunks of random sizes, checked by the
// server's checksum of what it received.
func soakChunked(addr string, rng *rand.Rand) (string, int, error) {
	c, br, err := soakDial(addr)
	if err != nil {
		return "dial", 0, err
	}
	defer c.Close()
	body := soakData()[:soakSize(rng)]
	w := bufio.NewWriter(c)
	io.WriteString(w, "POST /sum HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
	for rest := body; len(rest) > 0; {
		k := min(len(rest), 1+rng.IntN(64<<10))
		fmt.Fprintf(w, "%x\r\n", k)
		w.Write(rest[:k])
		io.WriteString(w, "\r\n")
		rest = rest[k:]
	}
	io.WriteString(w, "0\r\n\r\n")
	if err := w.Flush(); err != nil {
		return "chunked upload", 0, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return "chunked upload", 0, err
	}
	got, err := io.ReadAll(resp.Body)
	want := fmt.Sprintf("%d %s", len(body), hex.EncodeToString(sumOf(body)))
	if err != nil || string(got) != want {
		return "chunked upload", 0, fmt.Errorf("%s %q, want %q (%v)", resp.Status, got, want, err)
	}
	return "chunked upload", 1, nil
}

// soakAbort leaves a request half-sent (a body cut short) or a response
// half-read (of a 1 MiB one), then closes or resets the connection.
func soakAbort(addr string, rng *rand.Rand) (string, int, error) {
	c, br, err := soakDial(addr)
	if err != nil {
		return "dial", 0, err
	}
	defer c.Close()
	rst, post := rng.IntN(2) == 0, rng.IntN(2) == 0
	if rst {
		c.(*net.TCPConn).SetLinger(0) // Close resets
	}
	if post {
		n := 1 + rng.IntN(64<<10)
		fmt.Fprintf(c, "POST /sum HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", n)
		c.Write(soakData()[:rng.IntN(n)])
		return "aborted", 0, nil
	}
	io.WriteString(c, "GET /data/1048576 HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, err := br.Discard(rng.IntN(256 << 10)); err != nil {
		return "aborted mid-response", 0, err // the server must not close first
	}
	return "aborted", 0, nil
}

// soakSlowReader reads a large response a few KiB at a time, pausing
// between reads, and checks it.
func soakSlowReader(addr string, rng *rand.Rand) (string, int, error) {
	c, br, err := soakDial(addr)
	if err != nil {
		return "dial", 0, err
	}
	defer c.Close()
	n := 256<<10 + rng.IntN(256<<10)
	fmt.Fprintf(c, "GET /data/%d HTTP/1.1\r\nHost: x\r\n\r\n", n)
	if err := readData(bufio.NewReaderSize(&slowReader{r: br}, 4<<10), n); err != nil {
		return "slow reader", 0, err
	}
	return "slow reader", 1, nil
}

// slowReader reads at most 4 KiB at a time, a millisecond apart: a client
// on a slow link (the pause paces the load; it synchronizes nothing).
type slowReader struct{ r io.Reader }

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(time.Millisecond)
	return s.r.Read(p[:min(len(p), 4<<10)])
}

// A sample is the process's RSS, goroutines and descriptors at a moment.
type sample struct {
	rss             int64
	goroutines, fds int
}

func (s sample) String() string {
	return fmt.Sprintf("RSS %.0f MiB, %d goroutines, %d fds", mib(s.rss), s.goroutines, s.fds)
}

func processSample() sample {
	s := sample{goroutines: runtime.NumGoroutine()}
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		s.fds = len(ents)
	}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				s.rss = kb << 10
			}
		}
	}
	return s
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
