package client

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/ringnet/ringnet/netfd"
)

// Options configures a Transport. The zero value is a good default: the
// Auto backend, keep-alive connections pooled generously per host,
// transparent gzip, and the timeouts net/http's DefaultTransport uses.
// A negative duration disables the limit it names.
type Options struct {
	// Backend the connections run on; "" means netfd.Auto. Ignored when
	// DialContext is set.
	Backend netfd.Backend
	// DialContext, if set, makes every connection (to the server or to
	// the proxy): for example (&net.Dialer{}).DialContext to run on Go's
	// own net package. The context carries DialTimeout. A connection
	// that does not implement syscall.Conn (a wrapper, say) cannot be
	// checked before reuse: the Transport then relies on its retry rule
	// when the server has closed it.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// DialTimeout bounds connecting, TCP only; zero means 30 s.
	DialTimeout time.Duration
	// TLSClientConfig configures https connections; nil means the
	// defaults of crypto/tls. ServerName defaults to the request's host.
	TLSClientConfig *tls.Config
	// TLSHandshakeTimeout bounds the TLS handshake; zero means 10 s.
	TLSHandshakeTimeout time.Duration
	// Proxy returns the proxy for a request, or nil for none; nil Proxy
	// means no proxy (http.ProxyFromEnvironment honours HTTP_PROXY and
	// friends). Schemes "http" and "https" are supported: an http request
	// goes to the proxy in absolute form, an https one through a CONNECT
	// tunnel.
	Proxy func(*http.Request) (*url.URL, error)
	// ProxyConnectHeader is sent with every CONNECT request.
	ProxyConnectHeader http.Header

	// MaxIdleConns bounds the idle connections over all hosts; zero
	// means 1024. The least recently used one is closed first.
	MaxIdleConns int
	// MaxIdleConnsPerHost bounds the idle connections kept per host;
	// zero means 256 (net/http's 2 makes a busy server talking to one
	// backend open and close connections all the time, golang/go#13801).
	MaxIdleConnsPerHost int
	// MaxConnsPerHost bounds the connections per host, dialing, active
	// and idle; zero means no limit. Requests beyond it wait in FIFO
	// order for a connection.
	MaxConnsPerHost int
	// IdleConnTimeout is how long a connection may stay idle in the pool;
	// zero means 90 s.
	IdleConnTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for the response header
	// once the request is written; zero means no limit.
	ResponseHeaderTimeout time.Duration
	// ExpectContinueTimeout is how long a request with "Expect:
	// 100-continue" waits for the server's go-ahead before sending the
	// body anyway; zero means 1 s, negative sends the body at once.
	ExpectContinueTimeout time.Duration

	// DisableKeepAlives sends "Connection: close" and uses each
	// connection for one request.
	DisableKeepAlives bool
	// DisableCompression stops the Transport from asking for gzip. When
	// it asks (the request has no Accept-Encoding or Range, and is not
	// HEAD), it decompresses a gzip response transparently and sets
	// Response.Uncompressed.
	DisableCompression bool
}

const (
	defaultDialTimeout           = 30 * time.Second
	defaultTLSHandshakeTimeout   = 10 * time.Second
	defaultMaxIdleConns          = 1024
	defaultMaxIdleConnsPerHost   = 256
	defaultIdleConnTimeout       = 90 * time.Second
	defaultExpectContinueTimeout = 1 * time.Second

	// maxDrain and drainTimeout bound what closing an unfinished response
	// body reads to keep its connection: past either, it closes instead.
	maxDrain     = 256 << 10
	drainTimeout = 50 * time.Millisecond
	// max1xx is how many informational responses one request may get.
	max1xx = 5
	// A connection whose response has ended waits for its request body
	// to be all written: writeWaitInline in the response's reader, as
	// net/http does, then up to writeWaitOnReuse in the background, before
	// it is given up.
	writeWaitInline  = 50 * time.Millisecond
	writeWaitOnReuse = 1 * time.Second
	// syncBodyMax is the largest in-memory body written by the requesting
	// goroutine itself, in the same write as the header.
	syncBodyMax = 16 << 10
)

// orDefault returns d for zero, 0 (no limit) for negative, else v.
func orDefault[T int | time.Duration](v, d T) T {
	switch {
	case v == 0:
		return d
	case v < 0:
		return 0
	}
	return v
}

func (o *Options) dialTimeout() time.Duration {
	return orDefault(o.DialTimeout, defaultDialTimeout)
}
func (o *Options) tlsHandshakeTimeout() time.Duration {
	return orDefault(o.TLSHandshakeTimeout, defaultTLSHandshakeTimeout)
}
func (o *Options) maxIdleConns() int { return orDefault(o.MaxIdleConns, defaultMaxIdleConns) }
func (o *Options) maxIdleConnsPerHost() int {
	return orDefault(o.MaxIdleConnsPerHost, defaultMaxIdleConnsPerHost)
}
func (o *Options) maxConnsPerHost() int { return max(o.MaxConnsPerHost, 0) }
func (o *Options) idleConnTimeout() time.Duration {
	return orDefault(o.IdleConnTimeout, defaultIdleConnTimeout)
}
func (o *Options) expectContinueTimeout() time.Duration {
	if o.ExpectContinueTimeout < 0 {
		return -1
	}
	return orDefault(o.ExpectContinueTimeout, defaultExpectContinueTimeout)
}
