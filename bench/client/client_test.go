// Package clientbench compares ringnet's HTTP client (package client, on
// Go's dialer, netfd epoll and netfd io_uring) with net/http's Client and
// fasthttp v1.74.0's Client and HostClient (issue 6). It lives in the bench
// module so that the main module does not depend on fasthttp.
//
// Every client does the same work against the same server: GET /plaintext
// from exactly 64 goroutines, each with its own keep-alive connection (the
// clients are capped at 64 connections per host, and the conns metric
// checks how many the server accepted), the 13-byte body read to the end
// and the status checked. Each goroutine reuses its request value, which
// is how both APIs are meant to be used in a loop.
//
// The server is fasthttp's (the cheapest real HTTP server of bench/run.sh:
// 12-16 CPU µs a request against ringnet's 20-28 and net/http's 26-30) and
// runs in a child process (this test binary re-executed with
// CLIENTBENCH_SERVE=1), so allocs/op and B/op count the client alone, and
// the client's CPU (cpu-µs/req, from getrusage) is not mixed with the
// server's. CLIENTBENCH_SERVER_CPUS pins the server with taskset; run.sh
// pins it to CPU 0 and this process to CPU 1. srv-cpu-% is how busy the
// server was: near 100 % means the server, not the client, set the pace.
//
// go test -count N runs each sub-benchmark N times in a row; for rounds in
// which every client runs once, run.sh runs the binary once per round,
// and CLIENTBENCH_ROUND rotates the order of the clients in each.
package clientbench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ringnet/ringnet/bench/internal/plaintext"
	"github.com/ringnet/ringnet/client"
	"github.com/ringnet/ringnet/netfd"
	"github.com/valyala/fasthttp"
)

// conns is the number of goroutines, and of connections, of every client.
const conns = 64

const statsPath = "/stats"

func TestMain(m *testing.M) {
	if os.Getenv("CLIENTBENCH_SERVE") == "1" {
		serve()
		return
	}
	code := m.Run()
	stopServer()
	os.Exit(code)
}

// serve is the child process: fasthttp's server on 127.0.0.1:0, its
// address on stdout; it exits when stdin closes (the parent has gone).
func serve() {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var accepted atomic.Int64
	srv := &fasthttp.Server{
		Name: "bench",
		ConnState: func(_ net.Conn, st fasthttp.ConnState) {
			if st == fasthttp.StateNew {
				accepted.Add(1)
			}
		},
		Handler: func(ctx *fasthttp.RequestCtx) {
			switch string(ctx.Path()) {
			case plaintext.Path:
				ctx.SetContentType("text/plain")
				ctx.WriteString(plaintext.Body)
			case statsPath:
				ctx.WriteString(strconv.FormatInt(accepted.Load(), 10))
			default:
				ctx.NotFound()
			}
		},
	}
	fmt.Println(ln.Addr().String())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	srv.Serve(ln)
}

// server is the child process, seen from the benchmark.
type server struct {
	cmd   *exec.Cmd
	stdin io.Closer
	addr  string
}

var (
	srvOnce sync.Once
	srv     *server
	srvErr  error
)

func startServer(b *testing.B) *server {
	srvOnce.Do(func() {
		exe, err := os.Executable()
		if err != nil {
			srvErr = err
			return
		}
		var cmd *exec.Cmd
		if cpus := os.Getenv("CLIENTBENCH_SERVER_CPUS"); cpus != "" {
			cmd = exec.Command("taskset", "-c", cpus, exe)
		} else {
			cmd = exec.Command(exe)
		}
		cmd.Env = append(os.Environ(), "CLIENTBENCH_SERVE=1")
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			srvErr = err
			return
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			srvErr = err
			return
		}
		if err := cmd.Start(); err != nil {
			srvErr = err
			return
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			srvErr = fmt.Errorf("server did not start: %v", err)
			return
		}
		srv = &server{cmd: cmd, stdin: stdin, addr: strings.TrimSpace(line)}
	})
	if srvErr != nil {
		b.Fatal(srvErr)
	}
	return srv
}

func stopServer() {
	if srv != nil {
		srv.stdin.Close()
		srv.cmd.Process.Kill()
		srv.cmd.Wait()
	}
}

// accepted is how many connections the server has accepted so far, the
// one this question comes on included.
func (s *server) accepted() (int64, error) {
	c, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET "+statsPath+" HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"); err != nil {
		return 0, err
	}
	resp, err := io.ReadAll(c)
	if err != nil {
		return 0, err
	}
	_, body, ok := bytes.Cut(resp, []byte("\r\n\r\n"))
	if !ok {
		return 0, fmt.Errorf("bad stats response %q", resp)
	}
	return strconv.ParseInt(string(body), 10, 64)
}

// cpu is the CPU time the server process has used (user + system).
func (s *server) cpu() (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which may hold spaces): state is
	// field 3, utime 14, stime 15, in clock ticks (100 a second).
	_, rest, _ := bytes.Cut(data, []byte(") "))
	f := strings.Fields(string(rest))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat %q", data)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100), nil
}

// selfCPU is the CPU time this process has used (user + system).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// A benchClient is one client under test. worker returns the function one
// goroutine calls for each request; it must read the whole body and
// check the status.
type benchClient struct {
	name string
	make func(addr string) (worker func() func() error, closeIdle func())
}

var errBody = errors.New("unexpected body")

// stdClient is net/http's or ringnet's client, both *http.Client.
func stdClient(c *http.Client, addr string) (func() func() error, func()) {
	url := "http://" + addr + plaintext.Path
	worker := func() func() error {
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			panic(err)
		}
		buf := make([]byte, 512)
		return func() error {
			resp, err := c.Do(req)
			if err != nil {
				return err
			}
			n := 0
			for {
				m, err := resp.Body.Read(buf[n:])
				n += m
				if err == io.EOF {
					break
				}
				if err != nil {
					resp.Body.Close()
					return err
				}
				if n == len(buf) {
					resp.Body.Close()
					return errBody
				}
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			if n != len(plaintext.Body) {
				return errBody
			}
			return nil
		}
	}
	return worker, c.CloseIdleConnections
}

// fastClient is fasthttp's Client or HostClient.
func fastClient(do func(*fasthttp.Request, *fasthttp.Response) error, addr string) func() func() error {
	url := "http://" + addr + plaintext.Path
	return func() func() error {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		req.SetRequestURI(url)
		req.Header.SetMethod(fasthttp.MethodGet)
		return func() error {
			if err := do(req, resp); err != nil {
				return err
			}
			if sc := resp.StatusCode(); sc != fasthttp.StatusOK {
				return fmt.Errorf("status %d", sc)
			}
			if len(resp.Body()) != len(plaintext.Body) {
				return errBody
			}
			return nil
		}
	}
}

func ringnet(be netfd.Backend) func(string) (func() func() error, func()) {
	return func(addr string) (func() func() error, func()) {
		o := client.Options{Backend: be, MaxConnsPerHost: conns}
		if be == "" {
			o.DialContext = (&net.Dialer{}).DialContext
		}
		return stdClient(client.New(o), addr)
	}
}

var clients = []benchClient{
	{"net-http", func(addr string) (func() func() error, func()) {
		return stdClient(&http.Client{Transport: &http.Transport{
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
		}}, addr)
	}},
	{"fasthttp-Client", func(addr string) (func() func() error, func()) {
		c := &fasthttp.Client{MaxConnsPerHost: conns, MaxConnWaitTimeout: 10 * time.Second}
		return fastClient(c.Do, addr), c.CloseIdleConnections
	}},
	{"fasthttp-HostClient", func(addr string) (func() func() error, func()) {
		c := &fasthttp.HostClient{Addr: addr, MaxConns: conns, MaxConnWaitTimeout: 10 * time.Second}
		return fastClient(c.Do, addr), c.CloseIdleConnections
	}},
	{"ringnet-std", ringnet("")},
	{"ringnet-epoll", ringnet(netfd.Epoll)},
	{"ringnet-uring", ringnet(netfd.Uring)},
}

// BenchmarkClient runs every client against the child server; see the
// package comment and README.md (bench/client/run.sh for rounds).
//
//	go test -run '^$' -bench Client -benchtime 2s -benchmem ./client/
func BenchmarkClient(b *testing.B) {
	s := startServer(b)
	order := clients
	if r, err := strconv.Atoi(os.Getenv("CLIENTBENCH_ROUND")); err == nil {
		k := r % len(clients)
		order = append(append([]benchClient(nil), clients[k:]...), clients[:k]...)
	}
	for _, c := range order {
		b.Run(c.name, func(b *testing.B) { run(b, s, c) })
	}
}

func run(b *testing.B, s *server, c benchClient) {
	worker, closeIdle := c.make(s.addr)
	defer closeIdle()
	workers := make([]func() error, conns)
	for i := range workers {
		workers[i] = worker()
	}
	before, err := s.accepted()
	if err != nil {
		b.Fatal(err)
	}
	// Open the connections: every goroutine does a few requests at once.
	if err := drive(workers, 0, 4); err != nil {
		b.Fatal(err)
	}
	srv0, err := s.cpu()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := selfCPU()
	err = drive(workers, int64(b.N), 0)
	cpu := selfCPU() - cpu0
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	elapsed := b.Elapsed()
	srv1, err := s.cpu()
	if err != nil {
		b.Fatal(err)
	}
	after, err := s.accepted()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/req")
	b.ReportMetric(100*(srv1-srv0).Seconds()/elapsed.Seconds(), "srv-cpu-%")
	b.ReportMetric(float64(after-before-1), "conns")
}

// drive makes n requests in all, shared by one goroutine per worker; with
// n == 0, each goroutine makes each requests instead. It returns the
// first error.
func drive(workers []func() error, n int64, each int) error {
	var done atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	var stop atomic.Bool
	for _, do := range workers {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				if n > 0 && done.Add(1) > n || n == 0 && i >= each {
					return
				}
				if err := do(); err != nil {
					once.Do(func() { first = err; stop.Store(true) })
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}
