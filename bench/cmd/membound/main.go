// Command membound measures what hostile clients cost a server in memory
// (issue 13, "memory bounds"): for each server (ringnet on std, epoll and
// io_uring, on event loops and on goroutines, and net/http as the
// reference), in a fresh server process per case, in interleaved rounds:
//
//   - halfopen: -n connections that each send half a request line
//     ("GET /ha") and hold, or send nothing and half-close; RSS and live
//     heap with them held, after -settle;
//   - garbage: for -dur, connection after connection sending random bytes
//     until the server closes it; the bytes each connection got written,
//     and RSS and peak RSS (VmHWM) after;
//   - bigbody: a 1 GiB body POSTed to a handler that reads none of it; the
//     bytes written before the server closed, and RSS and peak RSS.
//
// The server process is this program with -serve NAME; it answers /heap
// with its live heap after a GC. Every figure is in KiB, from
// /proc/PID/status. Output: one line per run, then a Markdown table of
// medians.
//
//	go run ./cmd/membound -rounds 3 -n 10000
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ringnet/ringnet/bench/internal/procstat"
	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/netfd"
)

var allServers = "net/http,ringnet-std,ringnet-epoll,ringnet-uring,ringnet-epoll-goroutine,ringnet-uring-goroutine"

func main() {
	serve := flag.String("serve", "", "run as the server NAME (internal)")
	servers := flag.String("servers", allServers, "servers to measure, comma-separated")
	cases := flag.String("cases", "halfopen,garbage,bigbody", "cases to run, comma-separated")
	rounds := flag.Int("rounds", 3, "interleaved rounds")
	n := flag.Int("n", 10000, "half-open connections")
	settle := flag.Duration("settle", time.Second, "wait before reading RSS with the half-open connections held")
	dur := flag.Duration("dur", 3*time.Second, "how long the garbage case runs")
	flag.Parse()
	if *serve != "" {
		if err := runServer(*serve); err != nil {
			fmt.Fprintln(os.Stderr, "membound -serve:", err)
			os.Exit(1)
		}
		return
	}
	results := map[string][]result{}
	for r := 1; r <= *rounds; r++ {
		for _, cs := range strings.Split(*cases, ",") {
			for _, srv := range strings.Split(*servers, ",") {
				res, err := measure(srv, cs, *n, *settle, *dur)
				if err != nil {
					fmt.Fprintf(os.Stderr, "membound: %s %s: %v\n", srv, cs, err)
					os.Exit(1)
				}
				fmt.Printf("round=%d server=%s case=%s rss_before=%d rss_after=%d hwm=%d heap_before=%d heap_after=%d %s\n",
					r, srv, cs, res.rssBefore, res.rssAfter, res.hwm, res.heapBefore, res.heapAfter, res.note)
				results[cs+" "+srv] = append(results[cs+" "+srv], res)
			}
		}
	}
	fmt.Printf("\n| case | server | RSS before | RSS with the case (Δ) | peak RSS | live heap (Δ) | |\n|---|---|---|---|---|---|---|\n")
	for _, cs := range strings.Split(*cases, ",") {
		for _, srv := range strings.Split(*servers, ",") {
			rs := results[cs+" "+srv]
			med := func(f func(result) int) int {
				v := make([]int, len(rs))
				for i, r := range rs {
					v[i] = f(r)
				}
				slices.Sort(v)
				return v[len(v)/2]
			}
			fmt.Printf("| %s | %s | %d | %d (%+d) | %d | %d (%+d) | %s |\n", cs, srv,
				med(func(r result) int { return r.rssBefore }),
				med(func(r result) int { return r.rssAfter }), med(func(r result) int { return r.rssAfter - r.rssBefore }),
				med(func(r result) int { return r.hwm }),
				med(func(r result) int { return r.heapAfter }), med(func(r result) int { return r.heapAfter - r.heapBefore }),
				rs[len(rs)/2].note)
		}
	}
}

type result struct {
	rssBefore, rssAfter, hwm, heapBefore, heapAfter int
	note                                            string
}

// measure runs case cs against a fresh process of server srv.
func measure(srv, cs string, n int, settle, dur time.Duration) (result, error) {
	var res result
	cmd := exec.Command(os.Args[0], "-serve", srv)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	if err := cmd.Start(); err != nil {
		return res, err
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return res, fmt.Errorf("server address: %v", err)
	}
	addr = strings.TrimSpace(addr)
	pid := cmd.Process.Pid
	if res.heapBefore, err = heap(addr); err != nil {
		return res, err
	}
	if res.rssBefore, _, err = procStatus(pid); err != nil {
		return res, err
	}
	switch cs {
	case "halfopen":
		res.note, err = halfOpen(addr, n, settle, func() error {
			res.heapAfter, err = heap(addr)
			if err == nil {
				res.rssAfter, res.hwm, err = procStatus(pid)
			}
			return err
		})
	case "garbage":
		res.note, err = garbage(addr, dur)
	case "bigbody":
		res.note, err = bigBody(addr)
	default:
		err = errors.New("unknown case " + cs)
	}
	if err != nil {
		return res, err
	}
	if cs != "halfopen" {
		if res.heapAfter, err = heap(addr); err != nil {
			return res, err
		}
		res.rssAfter, res.hwm, err = procStatus(pid)
	}
	return res, err
}

// halfOpen opens n connections, half of them sending half a request line,
// half sending nothing and half-closing, and calls measure with them held.
func halfOpen(addr string, n int, settle time.Duration, measure func() error) (string, error) {
	conns := make([]net.Conn, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	next := make(chan int)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c, err := net.Dial("tcp", addr)
				if err == nil {
					if i%2 == 0 {
						_, err = io.WriteString(c, "GET /ha")
					} else {
						err = c.(*net.TCPConn).CloseWrite()
					}
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				conns[i] = c
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
			}
		}
	}()
	if firstErr != nil {
		return "", firstErr
	}
	time.Sleep(settle) // the server settles; a measurement, not a synchronization
	// How many of the silent half-closed connections the server closed.
	closed := 0
	for i := 1; i < n; i += 2 {
		conns[i].SetReadDeadline(time.Now().Add(time.Millisecond))
		if _, err := conns[i].Read(make([]byte, 1)); err == io.EOF || errors.Is(err, net.ErrClosed) || err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			closed++
		}
	}
	if err := measure(); err != nil {
		return "", err
	}
	return fmt.Sprintf("held=%d half-closed-closed-by-server=%d/%d", n/2+n%2, closed, n/2), nil
}

// garbage sends random bytes on connection after connection for dur, and
// reports how many connections the server closed and the most bytes one
// of them got written.
func garbage(addr string, dur time.Duration) (string, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 64<<10)
	end := time.Now().Add(dur)
	conns, most, total := 0, int64(0), int64(0)
	for time.Now().Before(end) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return "", err
		}
		c.SetDeadline(time.Now().Add(30 * time.Second))
		go io.Copy(io.Discard, c)
		written := int64(0)
		for {
			for i := range buf {
				buf[i] = byte(rng.Uint32())
			}
			n, err := c.Write(buf)
			written += int64(n)
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					c.Close()
					return "", fmt.Errorf("garbage connection not closed after %d bytes", written)
				}
				break
			}
		}
		c.Close()
		conns++
		total += written
		most = max(most, written)
	}
	return fmt.Sprintf("conns=%d max_bytes_per_conn=%d total_mib=%d", conns, most, total>>20), nil
}

// bigBody POSTs a 1 GiB body to /noread and reports how much of it was
// written before the server closed.
func bigBody(addr string) (string, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	go io.Copy(io.Discard, c)
	start := time.Now()
	const size = 1 << 30
	written, _ := io.WriteString(c, "POST /noread HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(size)+"\r\n\r\n")
	buf := make([]byte, 256<<10)
	total := int64(written)
	for total < size {
		n, err := c.Write(buf)
		total += int64(n)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return "", errors.New("bigbody: the server neither read nor closed")
			}
			break
		}
	}
	return fmt.Sprintf("written_kib=%d in=%v", total>>10, time.Since(start).Round(time.Millisecond)), nil
}

// heap asks the server for its live heap in KiB.
func heap(addr string) (int, error) {
	resp, err := http.Get("http://" + addr + "/heap")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// runServer serves as server name on 127.0.0.1:0, prints the address and
// serves until killed.
func runServer(name string) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/heap", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintln(w, ms.HeapAlloc>>10)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok") // /noread: not a byte of the body is read
	})
	var ln net.Listener
	var err error
	backend, mode, _ := strings.Cut(strings.TrimPrefix(name, "ringnet-"), "-")
	switch {
	case name == "net/http", backend == "std":
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	case backend == "epoll", backend == "uring":
		lc := netfd.ListenConfig{Backend: netfd.Backend(backend)}
		ln, err = lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	default:
		return errors.New("unknown server " + name)
	}
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr())
	if name == "net/http" {
		return (&http.Server{Handler: mux}).Serve(ln)
	}
	s := &ringhttp.Server{Handler: mux}
	if mode == "goroutine" {
		s.Mode = ringhttp.ModeGoroutine
	}
	return s.Serve(ln)
}

// procStatus returns VmRSS and VmHWM (peak RSS) in KiB of process pid.
func procStatus(pid int) (rss, hwm int, err error) {
	v, err := procstat.Fields(pid, "VmRSS", "VmHWM")
	if err != nil {
		return 0, 0, err
	}
	return v[0], v[1], nil
}
