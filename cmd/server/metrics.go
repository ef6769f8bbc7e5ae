package main

import (
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	ringhttp "github.com/ringnet/ringnet/http"
)

// latencyBuckets are the upper bounds, in seconds, of the request
// duration histogram: the Prometheus client libraries' defaults.
var latencyBuckets = [...]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// metrics counts what /metrics exposes, in the Prometheus text format
// written by hand (the module depends on nothing but x/sys). Its
// methods may be called concurrently.
type metrics struct {
	backend string
	loops   func() ringhttp.LoopStats // the server's event loops; nil until it exists

	byClass [5]atomic.Uint64 // requests by status class: 1xx … 5xx
	// buckets counts requests by latency bucket, not cumulated; the last
	// is +Inf.
	buckets  [len(latencyBuckets) + 1]atomic.Uint64
	sumNanos atomic.Int64

	mu    sync.Mutex                  // guards conns and idle
	conns map[net.Conn]http.ConnState // open connections
	idle  int                         // how many of conns are StateIdle
}

func newMetrics(backend string) *metrics {
	return &metrics{backend: backend, conns: make(map[net.Conn]http.ConnState)}
}

// observe counts a request: an observer.
func (m *metrics) observe(_ *http.Request, rec *recorder, _ time.Time, elapsed time.Duration) {
	if class := rec.status() / 100; class >= 1 && class <= 5 {
		m.byClass[class-1].Add(1)
	}
	m.buckets[sort.SearchFloat64s(latencyBuckets[:], elapsed.Seconds())].Add(1)
	m.sumNanos.Add(int64(elapsed))
}

// connState tracks open and idle connections: the Server's ConnState.
func (m *metrics) connState(c net.Conn, st http.ConnState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conns[c] == http.StateIdle {
		m.idle--
	}
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(m.conns, c)
		return
	case http.StateIdle:
		m.idle++
	}
	m.conns[c] = st
}

// ServeHTTP is /metrics.
func (m *metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write(m.appendText(nil))
}

// appendText appends the metrics in the Prometheus text exposition format.
func (m *metrics) appendText(b []byte) []byte {
	b = appendHeader(b, "ringnet_http_requests_total", "counter", "HTTP requests served, by status class.")
	for i := range m.byClass {
		b = fmt.Appendf(b, "ringnet_http_requests_total{code=\"%dxx\"} %d\n", i+1, m.byClass[i].Load())
	}

	const hist = "ringnet_http_request_duration_seconds"
	b = appendHeader(b, hist, "histogram", "Time from the start of a request's handler to its return.")
	var count uint64
	for i := range m.buckets {
		count += m.buckets[i].Load()
		le := "+Inf"
		if i < len(latencyBuckets) {
			le = strconv.FormatFloat(latencyBuckets[i], 'g', -1, 64)
		}
		b = fmt.Appendf(b, "%s_bucket{le=%q} %d\n", hist, le, count)
	}
	b = fmt.Appendf(b, "%s_sum %s\n", hist, strconv.FormatFloat(time.Duration(m.sumNanos.Load()).Seconds(), 'g', -1, 64))
	b = fmt.Appendf(b, "%s_count %d\n", hist, count)

	m.mu.Lock()
	open, idle := len(m.conns), m.idle
	m.mu.Unlock()
	b = appendHeader(b, "ringnet_http_open_connections", "gauge", "Connections accepted and not yet closed or hijacked.")
	b = fmt.Appendf(b, "ringnet_http_open_connections %d\n", open)
	b = appendHeader(b, "ringnet_http_idle_connections", "gauge", "Open connections waiting for their next request.")
	b = fmt.Appendf(b, "ringnet_http_idle_connections %d\n", idle)

	if m.loops != nil {
		st := m.loops()
		b = appendHeader(b, "ringnet_loop_connections", "gauge", "Connections each event loop serves now.")
		for i, n := range st.Conns {
			b = fmt.Appendf(b, "ringnet_loop_connections{loop=\"%d\"} %d\n", i, n)
		}
		b = appendHeader(b, "ringnet_loop_handoffs_total", "counter", "Times a loop was given to a new goroutine because a handler blocked on it.")
		b = fmt.Appendf(b, "ringnet_loop_handoffs_total %d\n", st.HandOffs)
		b = appendHeader(b, "ringnet_http_blocking_routes", "gauge", "Routes learned to run off the loops, their handlers having blocked several times in a row.")
		b = fmt.Appendf(b, "ringnet_http_blocking_routes %d\n", st.BlockingRoutes)
	}

	b = appendHeader(b, "ringnet_backend_info", "gauge", "The backend the server runs on: epoll, uring, or std (Go's net package).")
	b = fmt.Appendf(b, "ringnet_backend_info{backend=%q} 1\n", m.backend)
	return b
}

func appendHeader(b []byte, name, typ, help string) []byte {
	return fmt.Appendf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}
