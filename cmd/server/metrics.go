package main

import (
	"encoding/json"
	"expvar"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	ringhttp "github.com/ringnet/ringnet/http"
)

// metrics is what -admin exports: through prometheus/client_golang on
// /metrics (the Go runtime's and the process's series, requests by code
// and method, their latency, the connections and the event loops), and
// the same ringnet series as JSON on /debug/vars. Its methods may be
// called concurrently.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  prometheus.Histogram
	// loops reports the server's event loops; set once the server
	// exists, before the admin listener serves.
	loops func() ringhttp.LoopStats

	mu    sync.Mutex                  // guards conns and idle
	conns map[net.Conn]http.ConnState // open connections
	idle  int                         // how many of conns are StateIdle
}

func newMetrics(backend string) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ringnet_http_requests_total",
			Help: "HTTP requests served, by status code and method.",
		}, []string{"code", "method"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ringnet_http_request_duration_seconds",
			Help:    "Time from the start of a request's handler to its return.",
			Buckets: prometheus.DefBuckets,
		}),
		conns: make(map[net.Conn]http.ConnState),
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "ringnet_backend_info",
		Help:        "The backend the server runs on: epoll, uring, or std (Go's net package).",
		ConstLabels: prometheus.Labels{"backend": backend},
	})
	info.Set(1)
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests,
		m.latency,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ringnet_http_open_connections",
			Help: "Connections accepted and not yet closed or hijacked.",
		}, func() float64 { open, _ := m.connCounts(); return float64(open) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ringnet_http_idle_connections",
			Help: "Open connections waiting for their next request.",
		}, func() float64 { _, idle := m.connCounts(); return float64(idle) }),
		info,
		newLoopCollector(func() ringhttp.LoopStats {
			if m.loops == nil {
				return ringhttp.LoopStats{}
			}
			return m.loops()
		}),
	)
	return m
}

// observe counts a request: an observer. The recorder's status is the
// final one (a 1xx before it is not counted as the request's code).
func (m *metrics) observe(r *http.Request, rec *recorder, _ time.Time, elapsed time.Duration) {
	m.requests.WithLabelValues(strconv.Itoa(rec.status()), methodLabel(r.Method)).Inc()
	m.latency.Observe(elapsed.Seconds())
}

// methodLabel is the method label of a request: the method in lower case
// if it is a standard one, else "unknown", so that clients cannot make
// series without bound (promhttp's convention).
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return strings.ToLower(method)
	}
	return "unknown"
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

func (m *metrics) connCounts() (open, idle int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.conns), m.idle
}

// handler is /metrics: the Prometheus exposition, in the format the
// scraper asks for (text by default).
func (m *metrics) handler(log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)})
}

// serveVars is /debug/vars: expvar's variables (cmdline, memstats), and
// under "ringnet" the ringnet_* series of /metrics without the prefix:
// a number, or an object of numbers keyed by label pairs
// ("code=200,method=get"); a histogram is its count and sum. (expvar's
// own registry is global to the process, where a test runs several
// servers: this server's figures go in here instead.)
func (m *metrics) serveVars(w http.ResponseWriter, _ *http.Request) {
	ours, err := m.vars()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	fmt.Fprint(w, "{\n")
	expvar.Do(func(kv expvar.KeyValue) { fmt.Fprintf(w, "%q: %s,\n", kv.Key, kv.Value) })
	fmt.Fprintf(w, "%q: %s\n}\n", "ringnet", ours)
}

// vars is the "ringnet" variable of /debug/vars, as JSON.
func (m *metrics) vars() ([]byte, error) {
	families, err := m.reg.Gather()
	if err != nil {
		return nil, err
	}
	vars := make(map[string]any)
	for _, f := range families {
		name, ok := strings.CutPrefix(f.GetName(), "ringnet_")
		if !ok {
			continue // go_* and process_*: memstats has them
		}
		series := make(map[string]any)
		for _, s := range f.GetMetric() {
			var labels []string
			for _, l := range s.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			series[strings.Join(labels, ",")] = seriesValue(s)
		}
		if v, ok := series[""]; ok && len(series) == 1 {
			vars[name] = v
		} else {
			vars[name] = series
		}
	}
	return json.Marshal(vars)
}

func seriesValue(s *dto.Metric) any {
	switch {
	case s.GetCounter() != nil:
		return s.GetCounter().GetValue()
	case s.GetGauge() != nil:
		return s.GetGauge().GetValue()
	case s.GetHistogram() != nil:
		return map[string]any{"count": s.GetHistogram().GetSampleCount(), "sum": s.GetHistogram().GetSampleSum()}
	}
	return nil
}

// A loopCollector exports ringhttp.Server.LoopStats, read once per scrape.
type loopCollector struct {
	stats                                    func() ringhttp.LoopStats
	conns, queued, handOffs, blocking, swept *prometheus.Desc
}

func newLoopCollector(stats func() ringhttp.LoopStats) *loopCollector {
	loop := []string{"loop"}
	return &loopCollector{
		stats:    stats,
		conns:    prometheus.NewDesc("ringnet_loop_connections", "Connections each event loop serves now.", loop, nil),
		queued:   prometheus.NewDesc("ringnet_loop_queued_bytes", "Response bytes written on each event loop that the kernel has not taken yet: what slow readers hold.", loop, nil),
		handOffs: prometheus.NewDesc("ringnet_loop_handoffs_total", "Times a loop was given to a new goroutine because a handler blocked on it.", nil, nil),
		blocking: prometheus.NewDesc("ringnet_http_blocking_routes", "Routes learned to run off the loops, their handlers having blocked several times in a row.", nil, nil),
		swept:    prometheus.NewDesc("ringnet_loop_sweeper_closes_total", "Loop connections closed because a deadline passed: header, idle, write (a response unread), or the linger after an error response.", nil, nil),
	}
}

func (c *loopCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.conns, c.queued, c.handOffs, c.blocking, c.swept} {
		ch <- d
	}
}

func (c *loopCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	for i, n := range st.Conns {
		ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(n), strconv.Itoa(i))
	}
	for i, n := range st.Queued {
		ch <- prometheus.MustNewConstMetric(c.queued, prometheus.GaugeValue, float64(n), strconv.Itoa(i))
	}
	ch <- prometheus.MustNewConstMetric(c.handOffs, prometheus.CounterValue, float64(st.HandOffs))
	ch <- prometheus.MustNewConstMetric(c.blocking, prometheus.GaugeValue, float64(st.BlockingRoutes))
	ch <- prometheus.MustNewConstMetric(c.swept, prometheus.CounterValue, float64(st.SweeperCloses))
}
