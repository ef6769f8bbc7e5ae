package http_test

import (
	"bufio"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// slowHeaderLine is the header the slow client sends: one 1 MiB field
// line (within the default MaxHeaderBytes of both servers).
var slowHeaderLine = "X-Big: " + strings.Repeat("b", 1<<20-len("X-Big: ")) + "\r\n"

// BenchmarkSlowHeader sends a request whose 1 MiB header line arrives in
// 128-byte writes, to this server (on each backend and mode), to
// net/http, and to a server that only reads and discards the bytes (the
// cost of receiving them at all), one after the other in each iteration.
// It reports the process CPU (user+sys, client included) per header byte
// for each, and ratio: this server's over net/http's (the client's
// writes, about the discarding server's figure, are in both). Run with -benchtime=5x or so: one iteration
// is three requests of 8,192 writes.
func BenchmarkSlowHeader(b *testing.B) {
	quiet := log.New(io.Discard, "", 0)
	std := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), ErrorLog: quiet}
	stdAddr := listenBench(b, std.Serve)
	defer std.Close()
	discard := func(ln net.Listener) error {
		for {
			c, err := ln.Accept()
			if err != nil {
				return err
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadSlice('\n')
					if err != nil && err != bufio.ErrBufferFull {
						return
					}
					if string(line) == "\r\n" {
						io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
					}
				}
			}()
		}
	}
	dln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer dln.Close()
	go discard(dln)
	for _, be := range backendtest.Servers {
		b.Run(be.Name, func(b *testing.B) {
			s := &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), ErrorLog: nil}
			setMode(be, s)
			serveQuiet(s)
			ln := be.ListenTCP(b)
			go s.Serve(ln)
			defer s.Close()
			var ours, nethttp, base time.Duration
			for range b.N {
				ours += slowHeaderCPU(b, ln.Addr().String())
				nethttp += slowHeaderCPU(b, stdAddr)
				base += slowHeaderCPU(b, dln.Addr().String())
			}
			perByte := func(d time.Duration) float64 { return float64(d) / float64(b.N) / float64(len(slowHeaderLine)) }
			b.ReportMetric(perByte(ours), "ours-cpu-ns/B")
			b.ReportMetric(perByte(nethttp), "nethttp-cpu-ns/B")
			b.ReportMetric(perByte(base), "discard-cpu-ns/B")
			b.ReportMetric(float64(ours)/float64(nethttp), "ratio")
		})
	}
}

func listenBench(b *testing.B, serve func(net.Listener) error) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go serve(ln)
	return ln.Addr().String()
}

// slowHeaderCPU sends one request with slowHeaderLine in 128-byte writes
// to addr, reads the response, and returns the process CPU time it took.
func slowHeaderCPU(b *testing.B, addr string) time.Duration {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	start := cpuTime()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n")
	for i := 0; i < len(slowHeaderLine); i += 128 {
		if _, err := io.WriteString(c, slowHeaderLine[i:min(i+128, len(slowHeaderLine))]); err != nil {
			b.Fatal(err)
		}
	}
	io.WriteString(c, "\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("%s: %v %v", addr, resp, err)
	}
	return cpuTime() - start
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
