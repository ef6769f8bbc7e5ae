package http_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
)

// TestTimeouts checks that a slow header and an idle connection are
// closed by the server.
func TestTimeouts(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		addr := serve(t, b, &ringhttp.Server{
			ReadHeaderTimeout: 100 * time.Millisecond,
			IdleTimeout:       100 * time.Millisecond,
			Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}),
		})
		slow := dial(t, addr)
		io.WriteString(slow, "GET / HTTP/1.1\r\nHost:")
		start := time.Now()
		if got, err := io.ReadAll(slow); err != nil || len(got) != 0 {
			t.Fatalf("slow header: got %q, %v; want a silent close", got, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("slow header closed after %v", d)
		}

		idle := dial(t, addr)
		br := bufio.NewReader(idle)
		io.WriteString(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		readResponse(t, br, "GET")
		if _, err := br.ReadByte(); err != io.EOF {
			t.Fatalf("idle connection: %v, want EOF", err)
		}
	})
}

// TestContextCanceled checks that the request context ends when the
// handler returns.
func TestContextCanceled(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		ctxs := make(chan context.Context, 1)
		addr := serve(t, b, &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Context().Err() != nil {
				t.Error("context done while the handler runs")
			}
			if _, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); !ok {
				t.Error("no LocalAddrContextKey")
			}
			ctxs <- r.Context()
		})})
		c := dial(t, addr)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		readResponse(t, bufio.NewReader(c), "GET")
		<-(<-ctxs).Done()
	})
}

// TestClientGone checks that the request context is canceled, and
// CloseNotify's channel told, when the client closes the connection:
// after the handler started and before it asks (every mode), or while it
// waits (not in ModeInline, whose handler holds the loop that would see
// it: docs/conformance.md).
func TestClientGone(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		for _, whileWaiting := range []bool{false, true} {
			if whileWaiting && b.Inline {
				continue
			}
			waiting, closed, canceled := make(chan struct{}), make(chan struct{}), make(chan error, 1)
			addr := serve(t, b, &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.ReadAll(r.Body)
				if !whileWaiting {
					close(waiting)
					<-closed
				}
				notify := w.(http.CloseNotifier).CloseNotify()
				done := r.Context().Done()
				if whileWaiting {
					close(waiting)
				}
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					canceled <- errors.New("context not canceled 10 s after the client left")
					return
				}
				select {
				case v := <-notify:
					if !v {
						canceled <- errors.New("CloseNotify sent false")
						return
					}
				case <-time.After(10 * time.Second):
					canceled <- errors.New("CloseNotify not told 10 s after the client left")
					return
				}
				canceled <- r.Context().Err()
			})})
			c := dial(t, addr)
			io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
			<-waiting
			c.Close()
			if !whileWaiting {
				close(closed)
			}
			if err := <-canceled; !errors.Is(err, context.Canceled) {
				t.Fatalf("client gone (while waiting: %v): %v", whileWaiting, err)
			}
		}
	})
}

// TestClientGoneWatchKeepsNextRequest checks that the byte the watch
// reads while the handler runs is the next request's, not lost.
func TestClientGoneWatchKeepsNextRequest(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		watching, release := make(chan struct{}), make(chan struct{})
		ln := &countingListener{Listener: b.ListenTCP(t)}
		serveOn(t, &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/watch" {
				_ = r.Context().Done()
				close(watching)
				<-release
				if err := r.Context().Err(); err != nil {
					t.Errorf("context ended while the client is there: %v", err)
				}
			}
			io.WriteString(w, r.Method+" "+r.URL.Path)
		})}, ln)
		c := dial(t, ln.Addr().String())
		br := bufio.NewReader(c)
		io.WriteString(c, "GET /watch HTTP/1.1\r\nHost: x\r\n\r\n")
		<-watching
		io.WriteString(c, "GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
		// Let the watch take the first byte of /next (or not: either way
		// the second response must be right).
		close(release)
		for _, want := range []string{"GET /watch", "GET /next"} {
			if _, body := readResponse(t, br, "GET"); body != want {
				t.Fatalf("body %q, want %q", body, want)
			}
		}
	})
}

// TestWriteTimeout checks that a handler writing to a client that does
// not read gets an error once WriteTimeout passes.
func TestWriteTimeout(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		errc := make(chan error, 1)
		addr := serve(t, b, &ringhttp.Server{
			WriteTimeout: 200 * time.Millisecond,
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				chunk := make([]byte, 1<<20)
				for i := 0; i < 1024; i++ {
					if _, err := w.Write(chunk); err != nil {
						errc <- err
						return
					}
				}
				errc <- errors.New("1 GiB written to a client that reads nothing")
			}),
		})
		c := dial(t, addr)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Write: %v, want a deadline error", err)
		}
	})
}

// TestReadTimeout checks that a body arriving too slowly fails the
// handler's read once ReadTimeout passes.
func TestReadTimeout(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		errc := make(chan error, 1)
		addr := serve(t, b, &ringhttp.Server{
			ReadTimeout: 200 * time.Millisecond,
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, err := io.ReadAll(r.Body)
				errc <- err
			}),
		})
		c := dial(t, addr)
		io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
		if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("body read: %v, want a deadline error", err)
		}
	})
}
