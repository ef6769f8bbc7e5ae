//go:build linux

package netfd_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The Ext benchmarks measure a server on the backend against a load
// generator in another process (this test binary, re-executed), pinned to
// CPU 1 with taskset when it is installed, as bench/run.sh pins wrk
// (bench/README.md): the server shares the machine with the client the way
// a real one does.

const extClientEnv = "RINGNET_EXT_ECHO_CLIENT" // addr,conns,size,roundtrips

func init() {
	if spec := os.Getenv(extClientEnv); spec != "" {
		os.Exit(extClient(spec))
	}
}

// extClient runs in the child: it connects, says "ready", waits for a line
// on stdin, runs the round trips with std net and says "done".
func extClient(spec string) int {
	f := strings.Split(spec, ",")
	conns, _ := strconv.Atoi(f[1])
	size, _ := strconv.Atoi(f[2])
	total, _ := strconv.Atoi(f[3])
	cs := make([]net.Conn, conns)
	for i := range cs {
		c, err := net.Dial("tcp", f[0])
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		cs[i] = c
	}
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n')
	var wg sync.WaitGroup
	for i, c := range cs {
		n := total / conns
		if i < total%conns {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, size)
			for range n {
				if _, err := c.Write(buf); err != nil {
					return
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	fmt.Println("done")
	for _, c := range cs {
		c.Close()
	}
	return 0
}

func benchExt(b *testing.B, be backend, conns, size int) {
	ln, err := be.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := echoServer(ln, size)
	defer srv.Wait()
	defer ln.Close()
	args := []string{os.Args[0], "-test.run=^$"}
	if ts, err := exec.LookPath("taskset"); err == nil {
		args = append([]string{ts, "-c", "1"}, args...)
	}
	// For counting the client's own syscalls, e.g. "perf stat -o client.txt
	// -e raw_syscalls:sys_enter" (docs/benchmarks.md).
	if prefix := os.Getenv("RINGNET_EXT_CLIENT_PREFIX"); prefix != "" {
		args = append(strings.Fields(prefix), args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%d,%d,%d", extClientEnv, ln.Addr(), conns, size, b.N))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	out := bufio.NewReader(stdout)
	if line, _ := out.ReadString('\n'); line != "ready\n" {
		b.Fatalf("client: %q", line)
	}
	b.SetBytes(int64(size))
	cpu0 := cpuTime()
	b.ResetTimer()
	io.WriteString(stdin, "go\n")
	if line, _ := out.ReadString('\n'); line != "done\n" {
		b.Fatalf("client: %q", line)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rt/s")
	// This process is only the server: its CPU time per round trip is the
	// figure that does not depend on whether the client was the bottleneck.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "server-cpu-µs/rt")
}

// BenchmarkExtPingPong: one connection, 64 B round trips, external client.
func BenchmarkExtPingPong(b *testing.B) {
	forBenchBackends(b, func(b *testing.B, be backend) { benchExt(b, be, 1, 64) })
}

// BenchmarkExtEcho256: 256 connections echoing 1 KiB, external client.
func BenchmarkExtEcho256(b *testing.B) {
	forBenchBackends(b, func(b *testing.B, be backend) { benchExt(b, be, 256, 1024) })
}

// cpuTime is the user + system CPU time of this process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
