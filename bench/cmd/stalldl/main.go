// Command stalldl measures what a client that stops reading a big static
// file costs the server: for each server it starts a child process that
// serves one file with http.ServeContent, opens -n connections that each
// ask for the file, read the header and the first -read bytes and then
// stop reading, waits until every handler is blocked writing, and prints
// the server's heap in use (after a GC) and VmRSS per stalled connection,
// as deltas from before the connections:
//
//	server=ringnet-epoll how=readfrom n=200 heap_per_conn=1234 rss_per_conn=5678 goroutines=201
//
// Servers: nethttp (Go's net/http.Server), ringnet-std, ringnet-epoll,
// ringnet-uring (event loops), ringnet-epoll-goroutine,
// ringnet-uring-goroutine. -how readfrom serves the ResponseWriter as it
// is (an io.ReaderFrom: sendfile); -how write hides its ReadFrom, so the
// file goes through Write, as ringnet did before it had one; -how chunked
// is io.Copy(w, f) with no Content-Length, which ReadFrom cannot hand to
// sendfile (the body is chunked). Servers run
// one at a time, in -rounds interleaved rounds.
//
//	go run ./cmd/stalldl -n 200 -rounds 2
package main

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ringnet/ringnet/bench/internal/procstat"
	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/netfd"
)

func main() {
	child := flag.String("child", "", "internal: serve as this server")
	how := flag.String("how", "readfrom,write", "ways to send the file: readfrom, write, chunked")
	file := flag.String("file", "", "file to serve (default: a new random file of -size)")
	size := flag.Int("size", 50<<20, "size of the file made when -file is empty")
	n := flag.Int("n", 200, "stalled connections")
	read := flag.Int("read", 16<<10, "body bytes each client reads before it stops")
	rcvbuf := flag.Int("rcvbuf", 64<<10, "clients' SO_RCVBUF (0: the kernel's autotuning)")
	servers := flag.String("servers", "nethttp,ringnet-std,ringnet-epoll,ringnet-epoll-goroutine,ringnet-uring,ringnet-uring-goroutine", "servers to measure")
	rounds := flag.Int("rounds", 1, "interleaved rounds")
	settle := flag.Duration("settle", time.Second, "wait after the last handler blocked before measuring")
	flag.Parse()
	if *child != "" {
		if err := serveChild(*child, *how, *file); err != nil {
			fmt.Fprintln(os.Stderr, "stalldl child:", err)
			os.Exit(1)
		}
		return
	}
	if *file == "" {
		dir, err := os.MkdirTemp("", "stalldl")
		if err != nil {
			fatal(err)
		}
		defer os.RemoveAll(dir)
		*file = filepath.Join(dir, "file.bin")
		data := make([]byte, *size)
		rand.Read(data)
		if err := os.WriteFile(*file, data, 0o600); err != nil {
			fatal(err)
		}
	}
	for r := 0; r < *rounds; r++ {
		for _, h := range strings.Split(*how, ",") {
			for _, s := range strings.Split(*servers, ",") {
				if err := measure(s, h, *file, *n, *read, *rcvbuf, *settle); err != nil {
					fmt.Fprintf(os.Stderr, "stalldl: %s %s: %v\n", s, h, err)
				}
			}
		}
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "stalldl:", err)
	os.Exit(1)
}

// stats is what the child reports.
type stats struct {
	HeapInuse  uint64
	RSSKiB     int
	Goroutines int
	Blocked    int64 // handlers inside ServeContent
}

func measure(server, how, file string, n, read, rcvbuf int, settle time.Duration) error {
	cmd := exec.Command(os.Args[0], "-child", server, "-how", how, "-file", file)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	var addr, ctl string
	if _, err := fmt.Fscan(bufio.NewReader(out), &addr, &ctl); err != nil {
		return fmt.Errorf("reading the child's addresses: %v", err)
	}
	before, err := getStats(ctl)
	if err != nil {
		return err
	}
	conns := make([]net.Conn, n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 32)
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := stall(addr, read, rcvbuf)
			conns[i] = c
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	var after stats
	for deadline := time.Now().Add(30 * time.Second); ; {
		if after, err = getStats(ctl); err != nil {
			return err
		}
		if after.Blocked == int64(n) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d handlers are serving", after.Blocked, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(settle) // the socket buffers fill, the handlers block
	if after, err = getStats(ctl); err != nil {
		return err
	}
	fmt.Printf("server=%s how=%s n=%d heap_per_conn=%d rss_per_conn=%d heap_before=%d rss_before_kib=%d goroutines=%d date=%s\n",
		server, how, n,
		(int64(after.HeapInuse)-int64(before.HeapInuse))/int64(n),
		(after.RSSKiB-before.RSSKiB)*1024/n,
		before.HeapInuse, before.RSSKiB, after.Goroutines, time.Now().UTC().Format(time.RFC3339))
	return nil
}

// stall asks for the file, reads the header and read body bytes, and
// leaves the connection unread.
func stall(addr string, read, rcvbuf int) (net.Conn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	if rcvbuf > 0 {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) {
				syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
			})
		}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, "GET /file HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		c.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(c, 4096)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	if resp.StatusCode != 200 {
		c.Close()
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	if _, err := io.CopyN(io.Discard, resp.Body, int64(read)); err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

func getStats(ctl string) (stats, error) {
	var s stats
	resp, err := http.Get("http://" + ctl + "/stats")
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&s)
	return s, err
}

// serveChild serves file on 127.0.0.1:0 as server, and its stats on a
// second listener (Go's net/http, so that it weighs the same for every
// server), and prints both addresses.
func serveChild(server, how, file string) error {
	var blocked atomic.Int64
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(file)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer f.Close()
		fi, _ := f.Stat()
		blocked.Add(1)
		defer blocked.Add(-1)
		switch how {
		case "write":
			w = struct{ http.ResponseWriter }{w} // no ReadFrom: every byte through Write
		case "chunked":
			io.Copy(w, f) // no Content-Length: ReadFrom copies into chunks
			return
		}
		http.ServeContent(w, r, "file.bin", fi.ModTime(), f)
	})
	ctl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(ctl, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		json.NewEncoder(w).Encode(stats{HeapInuse: ms.HeapInuse, RSSKiB: rssKiB(), Goroutines: runtime.NumGoroutine(), Blocked: blocked.Load()})
	}))
	var ln net.Listener
	backend, mode, _ := strings.Cut(strings.TrimPrefix(server, "ringnet-"), "-")
	switch {
	case server == "nethttp", backend == "std":
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	case strings.HasPrefix(server, "ringnet-"):
		lc := netfd.ListenConfig{Backend: netfd.Backend(backend)}
		ln, err = lc.Listen(nil, "tcp", "127.0.0.1:0")
	default:
		return fmt.Errorf("unknown server %q", server)
	}
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String(), ctl.Addr().String())
	if server == "nethttp" {
		return http.Serve(ln, h)
	}
	s := &ringhttp.Server{Handler: h}
	if mode == "goroutine" {
		s.Mode = ringhttp.ModeGoroutine
	}
	return s.Serve(ln)
}

// rssKiB is this process's VmRSS, or -1.
func rssKiB() int {
	v, err := procstat.Fields(0, "VmRSS")
	if err != nil {
		return -1
	}
	return v[0]
}
