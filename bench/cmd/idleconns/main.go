// Command idleconns measures a server's memory per idle keep-alive
// connection: it reads the server's VmRSS, opens -n connections that each
// make one request and read the whole response, waits for the server to
// settle, reads VmRSS again, and prints one line:
//
//	rss_before_kib=7396 rss_after_kib=203816 held=10000 threads=6
//
// The connections are closed with SO_LINGER 0 on exit, so a series of runs
// leaves no TIME_WAIT sockets behind.
//
//	idleconns -addr 127.0.0.1:8080 -path /plaintext -n 10000 -pid 1234
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/ringnet/ringnet/bench/internal/procstat"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "server address")
	path := flag.String("path", "/plaintext", "request path")
	n := flag.Int("n", 10000, "connections to open and hold")
	pid := flag.Int("pid", 0, "server process id (required)")
	parallel := flag.Int("parallel", 64, "connections being set up at once")
	settle := flag.Duration("settle", time.Second, "wait after the last response before reading RSS")
	timeout := flag.Duration("timeout", 60*time.Second, "give up after this long")
	flag.Parse()
	if *pid <= 0 {
		fmt.Fprintln(os.Stderr, "idleconns: -pid is required")
		os.Exit(2)
	}
	if err := run(*addr, *path, *n, *pid, *parallel, *settle, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "idleconns:", err)
		os.Exit(1)
	}
}

func run(addr, path string, n, pid, parallel int, settle, timeout time.Duration) error {
	before, _, err := procStatus(pid)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	conns := make([]net.Conn, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				conns[i], errs[i] = open(addr, path, deadline)
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
	held := 0
	var firstErr error
	for i, c := range conns {
		if c != nil {
			held++
		} else if firstErr == nil {
			firstErr = errs[i]
		}
	}
	time.Sleep(settle)
	after, threads, err := procStatus(pid)
	if err != nil {
		return err
	}
	fmt.Printf("rss_before_kib=%d rss_after_kib=%d held=%d threads=%d\n", before, after, held, threads)
	if firstErr != nil {
		fmt.Fprintf(os.Stderr, "idleconns: %d of %d connections failed, first: %v\n", n-held, n, firstErr)
	}
	return nil
}

// open dials addr, makes one keep-alive request and reads the whole
// response, leaving the connection idle.
func open(addr, path string, deadline time.Time) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, time.Until(deadline))
	if err != nil {
		return nil, err
	}
	c.SetDeadline(deadline)
	req := "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReaderSize(c, 512), nil)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %s", resp.Status)
		}
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// procStatus returns VmRSS in KiB and the thread count of process pid.
func procStatus(pid int) (rssKiB, threads int, err error) {
	v, err := procstat.Fields(pid, "VmRSS", "Threads")
	if err != nil {
		return 0, 0, err
	}
	return v[0], v[1], nil
}
