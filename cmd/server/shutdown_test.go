package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ringnet/ringnet/internal/backendtest"
)

// echoBody is what the drain tests post: large enough that the echo
// streams back over many writes.
var echoBody = bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB

// inFlight is a POST /echo whose handler runs and waits for the body:
// the header went with "Expect: 100-continue" and the 100 came back,
// which the server sends when the handler first reads the body.
type inFlight struct {
	conn net.Conn
	br   *bufio.Reader
}

func startEcho(t *testing.T, addr string) *inFlight {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(conn, "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", len(echoBody))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusContinue {
		t.Fatalf("got %s, want 100 Continue", resp.Status)
	}
	return &inFlight{conn, br}
}

// finish sends the body and returns the response, its body read. The
// body goes from another goroutine: the echo comes back while it is sent.
func (f *inFlight) finish(t *testing.T) (*http.Response, []byte) {
	t.Helper()
	sent := make(chan error, 1)
	go func() {
		_, err := f.conn.Write(echoBody)
		sent <- err
	}()
	resp, err := http.ReadResponse(f.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the echo: %v (%d bytes)", err, len(body))
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// SIGTERM stops accepting, and a request in flight still completes: its
// body is sent after the signal, and the whole of it comes back.
func TestShutdownDrains(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		ts := startServer(t, testConfig(b))
		req := startEcho(t, ts.ln.Addr().String())
		ts.sigs <- syscall.SIGTERM
		ts.waitDraining(t)
		select {
		case <-ts.done:
			t.Fatalf("serve returned with a request in flight: %v", ts.err)
		default:
		}

		resp, body := req.finish(t)
		if resp.StatusCode != 200 || !bytes.Equal(body, echoBody) {
			t.Errorf("echo during shutdown: %s, %d bytes, want 200 and %d bytes", resp.Status, len(body), len(echoBody))
		}
		if !resp.Close {
			t.Error("a response during shutdown left its connection open")
		}
		if err := ts.wait(t); err != nil {
			t.Fatalf("serve: %v", err)
		}
		ts.log.waitFor(t, `msg="shutting down" signal=terminated timeout=10s`)
		ts.log.waitFor(t, `msg="shutdown complete"`)
		if conn, err := net.Dial("tcp", ts.ln.Addr().String()); err == nil {
			conn.Close()
			t.Error("the listener still accepts after shutdown")
		}
	})
}

// A second signal ends the shutdown at once, cutting what is in flight.
func TestShutdownSecondSignal(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		cfg := testConfig(b)
		cfg.shutdownTimeout = time.Hour // only the second signal can end it
		ts := startServer(t, cfg)
		req := startEcho(t, ts.ln.Addr().String())
		ts.sigs <- syscall.SIGTERM
		ts.waitDraining(t)
		ts.sigs <- syscall.SIGINT

		if err := ts.wait(t); !errors.Is(err, errForced) {
			t.Fatalf("serve: %v, want %v", err, errForced)
		}
		ts.log.waitFor(t, `msg="second signal: closing every connection" signal=interrupt`)
		if resp, err := http.ReadResponse(req.br, nil); err == nil {
			t.Errorf("the cut request got a response: %s", resp.Status)
		}
	})
}

// A request still running at -shutdown-timeout is cut, and serve fails.
func TestShutdownTimeout(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		cfg := testConfig(b)
		cfg.shutdownTimeout = 50 * time.Millisecond
		ts := startServer(t, cfg)
		req := startEcho(t, ts.ln.Addr().String())
		ts.sigs <- syscall.SIGTERM

		if err := ts.wait(t); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("serve: %v, want %v", err, context.DeadlineExceeded)
		}
		if resp, err := http.ReadResponse(req.br, nil); err == nil {
			t.Errorf("the cut request got a response: %s", resp.Status)
		}
	})
}

// child runs the command as a child process (the test binary, which
// runs main when childEnv is set) and waits for its "listening" line.
type child struct {
	cmd    *exec.Cmd
	stdout *lineSink // the access log, with -access-log
	stderr *lineSink
	addr   string
}

func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], args...), stdout: &lineSink{}, stderr: &lineSink{}}
	// A race-enabled binary waits 1 s at exit unless told not to.
	c.cmd.Env = append(os.Environ(), childEnv+"=1", "GORACE=atexit_sleep_ms=0")
	c.cmd.Stdout, c.cmd.Stderr = c.stdout, c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.cmd.Process.Kill()
			c.cmd.Wait()
		}
	})
	line := c.stderr.waitFor(t, "listening")
	if m := regexp.MustCompile(`msg=listening addr=(\S+)|"msg":"listening","addr":"([^"]+)"`).FindStringSubmatch(line); m != nil {
		c.addr = m[1] + m[2]
	} else {
		t.Fatalf("no address in %q", line)
	}
	return c
}

// exit waits for the child and returns its exit status.
func (c *child) exit(t *testing.T) int {
	t.Helper()
	err := c.cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return c.cmd.ProcessState.ExitCode()
}

// The binary drains on a real SIGTERM and exits 0, logging in slog's text
// format; with -log-json every line is JSON, and a second signal exits 1.
func TestBinarySignals(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		t.Run("drain", func(t *testing.T) {
			c := startChild(t, "-addr", "127.0.0.1:0", "-backend", b.Name)
			c.stderr.waitFor(t, "level=INFO msg=listening addr="+c.addr+" backend="+b.Name)
			req := startEcho(t, c.addr)
			c.cmd.Process.Signal(syscall.SIGTERM)
			c.stderr.waitFor(t, `msg="shutting down"`)
			if resp, body := req.finish(t); resp.StatusCode != 200 || !bytes.Equal(body, echoBody) {
				t.Errorf("echo during shutdown: %s, %d bytes", resp.Status, len(body))
			}
			if code := c.exit(t); code != 0 {
				t.Errorf("exit status %d, want 0; stderr:\n%s", code, c.stderr)
			}
			c.stderr.waitFor(t, `msg="shutdown complete"`)
		})
		t.Run("second signal", func(t *testing.T) {
			c := startChild(t, "-addr", "127.0.0.1:0", "-backend", b.Name, "-log-json")
			startEcho(t, c.addr)
			c.cmd.Process.Signal(syscall.SIGTERM)
			c.stderr.waitFor(t, `"msg":"shutting down"`)
			c.cmd.Process.Signal(syscall.SIGINT)
			if code := c.exit(t); code != 1 {
				t.Errorf("exit status %d, want 1; stderr:\n%s", code, c.stderr)
			}
			for line := range strings.Lines(c.stderr.String()) {
				var rec struct{ Level, Msg string }
				if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Level == "" || rec.Msg == "" {
					t.Errorf("not a slog JSON line: %q", line)
				}
			}
		})
	})
}
