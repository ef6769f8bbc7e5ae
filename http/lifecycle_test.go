package http_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/netfd"
)

// TestShutdown checks that Shutdown closes idle connections, lets the
// in-flight request finish with Connection: close, and returns after it.
func TestShutdown(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		entered, release := make(chan struct{}), make(chan struct{})
		s := &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" {
				close(entered)
				<-release
			}
			io.WriteString(w, "done")
		})}
		addr := serve(t, b, s)

		idle := dial(t, addr)
		io.WriteString(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		ibr := bufio.NewReader(idle)
		readResponse(t, ibr, "GET")

		busy := dial(t, addr)
		io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
		<-entered

		shut := make(chan error, 1)
		go func() { shut <- s.Shutdown(context.Background()) }()
		if _, err := ibr.ReadByte(); err != io.EOF {
			t.Fatalf("idle connection: %v, want EOF", err)
		}
		select {
		case err := <-shut:
			t.Fatalf("Shutdown returned %v with a request in flight", err)
		default:
		}
		close(release)
		resp, body := readResponse(t, bufio.NewReader(busy), "GET")
		if body != "done" || !resp.Close {
			t.Fatalf("in-flight response %q close=%v", body, resp.Close)
		}
		if err := <-shut; err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		if _, err := net.Dial("tcp", addr); err == nil {
			t.Fatal("listener still accepting after Shutdown")
		}
	})
}

// TestShutdownContext checks that Shutdown gives up when its context ends.
// lockedBuffer is a log destination several goroutines may write.
func TestShutdownContext(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		entered, release := make(chan struct{}), make(chan struct{})
		s := &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(entered)
			<-release
		})}
		addr := serve(t, b, s)
		c := dial(t, addr)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		<-entered
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Shutdown(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Shutdown: %v, want context.Canceled", err)
		}
		close(release)
	})
}

// TestListenAndServeShutdown checks that ListenAndServe on the server's
// Backend returns ErrServerClosed after Shutdown, without leaking the
// listener whichever comes first.
func TestListenAndServeShutdown(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		s := &ringhttp.Server{Addr: "127.0.0.1:0", Backend: b.NB}
		if b.NB == "" {
			s.Backend = netfd.Auto
		}
		errc := make(chan error, 1)
		go func() { errc <- s.ListenAndServe() }()
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := <-errc; !errors.Is(err, ringhttp.ErrServerClosed) {
			t.Fatalf("ListenAndServe: %v", err)
		}
	})
}

// TestContexts checks BaseContext and ConnContext reach the request.
func TestContexts(t *testing.T) {
	type key string
	run(t, func(t *testing.T, b backend) {
		got := make(chan [2]any, 1)
		addr := serve(t, b, &ringhttp.Server{
			BaseContext: func(net.Listener) context.Context { return context.WithValue(context.Background(), key("base"), 1) },
			ConnContext: func(ctx context.Context, c net.Conn) context.Context { return context.WithValue(ctx, key("conn"), 2) },
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got <- [2]any{r.Context().Value(key("base")), r.Context().Value(key("conn"))}
			}),
		})
		c := dial(t, addr)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if v := <-got; v[0] != 1 || v[1] != 2 {
			t.Fatalf("context values %v, want [1 2]", v)
		}
	})
}

// TestClose checks that Close ends in-flight connections at once: the
// client sees the connection close and a handler waiting on its context
// is released.
func TestClose(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		waiting, released := make(chan struct{}), make(chan struct{})
		s := &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			done := r.Context().Done()
			close(waiting)
			<-done
			close(released)
		})}
		addr := serve(t, b, s)
		c := dial(t, addr)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		<-waiting
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		<-released
		if got, err := io.ReadAll(c); err != nil && !isReset(err) || len(got) != 0 {
			t.Fatalf("after Close: %q, %v", got, err)
		}
	})
}

// TestKeepAlivesDisabledAndOnShutdown checks SetKeepAlivesEnabled(false)
// and that RegisterOnShutdown hooks run when Shutdown starts.
func TestKeepAlivesDisabledAndOnShutdown(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		s := &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})}
		hook := make(chan struct{})
		s.RegisterOnShutdown(func() { close(hook) })
		addr := serve(t, b, s)
		s.SetKeepAlivesEnabled(false)
		c := dial(t, addr)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		if resp, _ := readResponse(t, br, "GET"); !resp.Close {
			t.Error("keep-alives disabled, but the response keeps the connection")
		}
		if _, err := br.ReadByte(); err != io.EOF {
			t.Errorf("after the response: %v, want EOF", err)
		}
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		<-hook
	})
}
