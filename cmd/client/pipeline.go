package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"time"

	"github.com/ringnet/ringnet/internal/wire"
)

// A pipeliner sends requests pipelined -pipeline deep on raw connections
// of a backend: it writes a batch of N requests in one write, then reads
// the N responses with wire.ReadResponse. http.Client cannot pipeline,
// hence a connection per worker here, dialled directly.
type pipeliner struct {
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	addr    string
	tls     *tls.Config // for https; nil for http
	req     *http.Request
	batch   []byte // N copies of the serialized request
	reqLen  int    // the length of one
	depth   int
	timeout time.Duration
	check   func(*http.Response, []byte)
}

func newPipeliner(cfg *config, b backend, n *connStats) *pipeliner {
	req := cfg.newRequest(context.Background())
	var one bytes.Buffer
	req.Write(&one) // into a bytes.Buffer: cannot fail
	p := &pipeliner{
		dial:    b.dialer(n),
		addr:    hostPort(cfg.url.Scheme, cfg.url.Host),
		req:     req,
		batch:   bytes.Repeat(one.Bytes(), cfg.pipeline),
		reqLen:  one.Len(),
		depth:   cfg.pipeline,
		timeout: cfg.timeout,
		check:   cfg.check,
	}
	if cfg.url.Scheme == "https" {
		p.tls = clientTLS(cfg.tls, cfg.url.Hostname())
	}
	return p
}

// run sends batches on one connection, redialling whenever the server
// closes it, until s says the run is over. Every request of a batch that
// gets no response counts as one failure: a refused dial fails the whole
// batch, and a server that closes after k responses fails the other N-k.
// After a failure to connect (dial or TLS handshake) it backs off.
func (p *pipeliner) run(ctx context.Context, w *worker, s *schedule) {
	var (
		conn net.Conn
		br   *bufio.Reader
		wait timer
		bo   backoff
	)
	defer wait.stop()
	hangUp := func() {
		conn.Close()
		conn = nil
	}
	for {
		sl, ok := s.next(ctx, p.depth, &wait)
		if !ok {
			break
		}
		w.sending(sl)
		if conn == nil {
			var err error
			if conn, err = p.connect(ctx); err != nil {
				if ctx.Err() == nil {
					w.fail(sl, err, sl.n)
					s.pause(ctx, &wait, bo.failed())
				}
				continue
			}
			bo.reset()
			br = bufio.NewReaderSize(conn, 16<<10)
		}
		got, err := p.exchange(conn, br, w, sl)
		switch {
		case ctx.Err() != nil:
			hangUp()
			return // interrupted: what is unanswered is neither a response nor a failure
		case got < sl.n:
			w.fail(sl, err, sl.n-got)
			hangUp()
		case err != nil: // every response arrived, the last one closing the connection
			hangUp()
		}
	}
	if conn != nil {
		hangUp()
	}
}

// connect dials the server and makes the TLS handshake within -timeout,
// closing the connection if ctx is cancelled while it is in use.
func (p *pipeliner) connect(ctx context.Context) (net.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	c, err := p.dial(dctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	if p.tls != nil {
		tc := tls.Client(c, p.tls)
		if err := tc.HandshakeContext(dctx); err != nil {
			c.Close()
			return nil, err
		}
		c = tc
	}
	return &interruptible{Conn: c, stop: context.AfterFunc(ctx, func() { c.Close() })}, nil
}

// exchange writes the sl.n requests of one batch and reads their
// responses, recording each. It returns how many arrived, and why no more
// did (errUnanswered when a response closed the connection), or nil.
func (p *pipeliner) exchange(conn net.Conn, br *bufio.Reader, w *worker, sl slot) (int, error) {
	conn.SetDeadline(time.Now().Add(p.timeout))
	if _, err := conn.Write(p.batch[:sl.n*p.reqLen]); err != nil {
		return 0, err
	}
	for got := 0; got < sl.n; {
		resp, err := wire.ReadResponse(br, p.req)
		if err != nil {
			return got, err
		}
		if resp.StatusCode < 200 {
			continue // 1xx: the final response follows
		}
		if err := drain(resp, p.check); err != nil {
			return got, err
		}
		got++
		w.response(sl, resp.StatusCode)
		if resp.Close {
			return got, errUnanswered
		}
	}
	return sl.n, nil
}

// An interruptible is a connection that closes itself when its run is
// cancelled, so that Ctrl-C need not wait for -timeout.
type interruptible struct {
	net.Conn
	stop func() bool
}

func (c *interruptible) Close() error {
	c.stop()
	return c.Conn.Close()
}

// hostPort returns host with the scheme's default port if it has none.
func hostPort(scheme, host string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	port := "80"
	if scheme == "https" {
		port = "443"
	}
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	return net.JoinHostPort(host, port)
}
