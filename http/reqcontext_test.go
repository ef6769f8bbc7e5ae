package http_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
)

// waitDone fails t unless ctx is done within 10 s with want.
func waitDone(t *testing.T, what string, ctx context.Context, want error) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: not done 10 s after the handler returned", what)
	}
	if err := ctx.Err(); !errors.Is(err, want) {
		t.Fatalf("%s: Err %v, want %v", what, err, want)
	}
}

// TestRequestContextDoneOnReturn checks that a request's context is done
// (canceled) when ServeHTTP returns, before the next request on the
// connection is served (pipelined, so on a loop both are in one read),
// and so are the contexts derived from it and the functions registered
// with context.AfterFunc; a registration stopped in time does not run.
// The context is the server's own (it lives in the response), so this
// is the context package's contract on it.
func TestRequestContextDoneOnReturn(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		type seen struct {
			req, cancel, timeout context.Context
			stops                [2]context.CancelFunc // called once the test saw them done
			after                chan struct{}
		}
		got := make(chan seen, 2)
		var prev context.Context
		addr := serve(t, b, &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			if prev != nil && !errors.Is(prev.Err(), context.Canceled) {
				t.Errorf("the previous request's context is not done while the next is served: %v", prev.Err())
			}
			prev = ctx
			if err := ctx.Err(); err != nil {
				t.Errorf("context done while the handler runs: %v", err)
			}
			if ctx.Value(http.ServerContextKey) == nil || ctx.Value(http.LocalAddrContextKey) == nil {
				t.Error("ServerContextKey or LocalAddrContextKey missing")
			}
			if _, ok := ctx.Deadline(); ok {
				t.Error("a deadline on a request context without one")
			}
			cctx, stop1 := context.WithCancel(ctx) // left to the request's end
			tctx, stop2 := context.WithTimeout(ctx, time.Hour)
			after := make(chan struct{})
			context.AfterFunc(ctx, func() { close(after) })
			stop := context.AfterFunc(ctx, func() { t.Error("a stopped AfterFunc ran") })
			if !stop() {
				t.Error("AfterFunc's stop: false before the context is done")
			}
			if cctx.Err() != nil || tctx.Err() != nil {
				t.Error("derived context done while the handler runs")
			}
			got <- seen{ctx, cctx, tctx, [2]context.CancelFunc{stop1, stop2}, after}
			io.WriteString(w, "ok")
		})})
		c := dial(t, addr)
		br := bufio.NewReader(c)
		io.WriteString(c, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
		for range 2 {
			readResponse(t, br, "GET")
			s := <-got
			waitDone(t, "request context", s.req, context.Canceled)
			waitDone(t, "WithCancel of it", s.cancel, context.Canceled)
			waitDone(t, "WithTimeout of it", s.timeout, context.Canceled)
			s.stops[0]()
			s.stops[1]()
			if err := context.Cause(s.req); !errors.Is(err, context.Canceled) {
				t.Fatalf("Cause: %v, want context.Canceled", err)
			}
			select {
			case <-s.after:
			case <-time.After(10 * time.Second):
				t.Fatal("AfterFunc not called 10 s after the handler returned")
			}
			// Derived after the end: done at once.
			late, cancel := context.WithCancel(s.req)
			if !errors.Is(late.Err(), context.Canceled) {
				t.Fatalf("context derived after the end: %v", late.Err())
			}
			cancel()
		}
	})
}

// TestRequestContextFromBase checks that a request's context ends with a
// BaseContext that can end: canceled, or past its deadline (which the
// request's context reports).
func TestRequestContextFromBase(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		for _, tc := range []struct {
			name     string
			deadline bool
			want     error
		}{
			{"canceled", false, context.Canceled},
			{"deadline", true, context.DeadlineExceeded},
		} {
			base, cancel := context.WithCancel(context.Background())
			if tc.deadline {
				base, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
			}
			waiting, errc := make(chan struct{}), make(chan error, 1)
			addr := serve(t, b, &ringhttp.Server{
				BaseContext: func(net.Listener) context.Context { return base },
				Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					d1, ok1 := r.Context().Deadline()
					d2, ok2 := base.Deadline()
					if d1 != d2 || ok1 != ok2 {
						t.Errorf("%s: Deadline %v %v, want the base's %v %v", tc.name, d1, ok1, d2, ok2)
					}
					derived, stop := context.WithCancel(r.Context())
					defer stop()
					close(waiting)
					select {
					case <-derived.Done():
						if !errors.Is(derived.Err(), tc.want) {
							t.Errorf("%s: derived context: %v, want %v", tc.name, derived.Err(), tc.want)
						}
						errc <- r.Context().Err()
					case <-time.After(10 * time.Second):
						errc <- errors.New("not done 10 s after the base context")
					}
				}),
			})
			c := dial(t, addr)
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			<-waiting
			if !tc.deadline {
				cancel()
			}
			if err := <-errc; !errors.Is(err, tc.want) {
				t.Fatalf("%s: request context: %v, want %v", tc.name, err, tc.want)
			}
			cancel()
		}
	})
}

// TestServerContextKey: as in net/http, http.ServerContextKey holds an
// *http.Server, here one that describes the serving Server (its timeouts
// as they take effect, its handler and address); ringhttp.ServerContextKey
// holds the *ringhttp.Server itself.
func TestServerContextKey(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		type seen struct {
			std  *http.Server
			ours *ringhttp.Server
		}
		got := make(chan seen, 1)
		s := &ringhttp.Server{ReadTimeout: 7 * time.Second, WriteTimeout: 9 * time.Second, IdleTimeout: -1}
		s.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			std, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
			ours, _ := r.Context().Value(ringhttp.ServerContextKey).(*ringhttp.Server)
			got <- seen{std, ours}
		})
		addr := serve(t, b, s)
		c := dial(t, addr)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		readResponse(t, bufio.NewReader(c), "GET")
		v := <-got
		if v.ours != s {
			t.Errorf("ringhttp.ServerContextKey: %p, want the serving Server %p", v.ours, s)
		}
		if v.std == nil {
			t.Fatal("http.ServerContextKey holds no *http.Server")
		}
		// ReadHeaderTimeout 0 falls back to ReadTimeout, as in net/http; a
		// negative IdleTimeout is none (0 in net/http's terms).
		if v.std.ReadTimeout != 7*time.Second || v.std.ReadHeaderTimeout != 7*time.Second ||
			v.std.WriteTimeout != 9*time.Second || v.std.IdleTimeout != 0 ||
			v.std.MaxHeaderBytes != http.DefaultMaxHeaderBytes || v.std.Handler == nil {
			t.Errorf("http.ServerContextKey's server: %+v", v.std)
		}
	})
}
