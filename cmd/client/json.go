package main

import (
	"encoding/json"
	"io"
	"math"
	"strconv"
	"time"
)

// A jsonResult is the -json form of a result; the field names are the
// schema scripts rely on. Latencies are in microseconds; latency_us is
// null when no response arrived.
type jsonResult struct {
	URL               string            `json:"url"`
	Method            string            `json:"method"`
	Backend           string            `json:"backend"`
	Unavailable       string            `json:"unavailable,omitempty"`
	Interrupted       bool              `json:"interrupted"`
	Meta              runMeta           `json:"meta"`
	Connections       int               `json:"connections"`
	Pipeline          int               `json:"pipeline"`
	Rate              float64           `json:"rate"` // the target, -rate; 0 for the closed model
	DurationSeconds   float64           `json:"duration_s"`
	MaxRequests       int64             `json:"max_requests"` // -n; 0 for no limit
	WarmupSeconds     float64           `json:"warmup_s"`
	ElapsedSeconds    float64           `json:"elapsed_s"`
	Requests          uint64            `json:"requests"`
	RequestsPerSecond float64           `json:"requests_per_s"` // the achieved throughput
	Sent              uint64            `json:"sent"`
	SentPerSecond     float64           `json:"sent_per_s,omitempty"` // open model: the achieved rate
	Late              uint64            `json:"late"`
	Dropped           uint64            `json:"dropped"`
	BelowRate         bool              `json:"below_rate,omitempty"`
	BytesRead         int64             `json:"bytes_read"`
	BytesReadPerSec   float64           `json:"bytes_read_per_s"`
	BytesWritten      int64             `json:"bytes_written"`
	Connects          int64             `json:"connects"`
	ConnectFailures   int64             `json:"connect_failures"`
	Errors            map[string]uint64 `json:"errors"`
	ErrorSamples      map[string]string `json:"error_samples,omitempty"`
	Status            map[string]uint64 `json:"status"`            // responses by status code
	ExpectStatus      string            `json:"expect_status"`     // -expect-status
	UnexpectedStatus  map[string]uint64 `json:"unexpected_status"` // the codes of Status outside it
	LatencyMicros     *jsonLatency      `json:"latency_us"`
	Series            []jsonSecond      `json:"series"`
	RPSvsStd          *float64          `json:"rps_vs_std,omitempty"`
	P99vsStd          *float64          `json:"p99_vs_std,omitempty"`
}

type jsonLatency struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}

// A jsonSecond is one second of the run: T is its start in seconds from
// the end of the warm-up, and the rates are over its length. The last one
// may be shorter, Partial, and hold mostly the requests in flight at the
// end. P50 and P99 are null without responses.
type jsonSecond struct {
	T          int      `json:"t_s"`
	Responses  uint64   `json:"responses"`
	Errors     uint64   `json:"errors"`
	Unexpected uint64   `json:"unexpected"` // responses with a status outside -expect-status
	Partial    bool     `json:"partial,omitempty"`
	RPS        float64  `json:"requests_per_s"`
	P50        *float64 `json:"p50_us"`
	P99        *float64 `json:"p99_us"`
}

func us(d time.Duration) float64 { return math.Round(float64(d)/100) / 10 }

// toJSON converts r.
func toJSON(cfg *config, meta runMeta, r *result) jsonResult {
	j := jsonResult{
		URL: cfg.url.String(), Method: cfg.method, Backend: r.backend.String(), Interrupted: r.interrupted, Meta: meta,
		Connections: cfg.conns, Pipeline: cfg.pipeline, Rate: cfg.rate, DurationSeconds: cfg.duration.Seconds(),
		MaxRequests: cfg.requests, WarmupSeconds: cfg.warmup.Seconds(), ElapsedSeconds: r.elapsed.Seconds(),
		Requests: r.requests, RequestsPerSecond: r.rps(), Sent: r.sent, Late: r.late, Dropped: r.dropped,
		BytesRead: r.conns.read, BytesReadPerSec: float64(perSecond(r.conns.read, r.elapsed)), BytesWritten: r.conns.written,
		Connects: r.conns.dials + r.conns.dialFailures, ConnectFailures: r.conns.dialFailures,
		Errors: map[string]uint64{"total": r.failed()}, Status: codeKeys(r.status),
		ExpectStatus: cfg.expect.String(), UnexpectedStatus: codeKeys(cfg.expect.outside(r.status)),
		LatencyMicros: latencyJSON(&r.latency), Series: seriesJSON(r),
	}
	if r.err != nil {
		j.Unavailable = r.err.Error()
	}
	if cfg.rate > 0 {
		j.SentPerSecond = r.sentShare() * cfg.rate
		j.BelowRate = r.rateWarning(cfg) != ""
	}
	for i, n := range r.errors {
		j.Errors[errClassNames[i]] = n
		if n > 0 {
			if j.ErrorSamples == nil {
				j.ErrorSamples = map[string]string{}
			}
			j.ErrorSamples[errClassNames[i]] = r.samples[i]
		}
	}
	return j
}

// codeKeys is status with the codes as JSON keys, never nil.
func codeKeys(status map[int]uint64) map[string]uint64 {
	m := map[string]uint64{}
	for code, n := range status {
		m[strconv.Itoa(code)] = n
	}
	return m
}

func latencyJSON(h *Histogram) *jsonLatency {
	if h.Count() == 0 {
		return nil
	}
	return &jsonLatency{
		Min: us(h.Min()), Mean: us(h.Mean()), P50: us(h.Percentile(0.5)), P90: us(h.Percentile(0.9)),
		P99: us(h.Percentile(0.99)), P999: us(h.Percentile(0.999)), Max: us(h.Max()),
	}
}

func seriesJSON(r *result) []jsonSecond {
	out := make([]jsonSecond, len(r.series))
	for i := range r.series {
		s := &r.series[i]
		span := secondLength(r, i)
		out[i] = jsonSecond{T: i, Responses: s.responses, Errors: s.failures, Unexpected: s.unexpected,
			RPS: float64(s.responses) / span.Seconds(), Partial: span < time.Second}
		if s.latency.count > 0 {
			p50, p99 := us(s.latency.Percentile(0.5)), us(s.latency.Percentile(0.99))
			out[i].P50, out[i].P99 = &p50, &p99
		}
	}
	return out
}

// secondLength is how much of second i the run lasted: a second, but for
// the last one, which may be cut short.
func secondLength(r *result, i int) time.Duration {
	return max(min(time.Second, r.elapsed-time.Duration(i)*time.Second), time.Millisecond)
}

// A jsonBackend is a backend's entry in -compare -json: its median round
// (by requests/s) in full, with the ratios of the median rounds to std's,
// and every round in brief.
type jsonBackend struct {
	jsonResult
	Rounds    []jsonRound `json:"rounds"`
	RPSRounds *jsonSpread `json:"requests_per_s_rounds,omitempty"`
	P99Rounds *jsonSpread `json:"p99_us_rounds,omitempty"`
}

type jsonRound struct {
	RequestsPerSecond float64  `json:"requests_per_s"`
	P99               *float64 `json:"p99_us"`
	Errors            uint64   `json:"errors"`
	ElapsedSeconds    float64  `json:"elapsed_s"`
	Interrupted       bool     `json:"interrupted"`
}

// A jsonSpread is a number over the rounds: Median is its value in the
// median round (by requests/s), the one the rest of the entry describes.
type jsonSpread struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

func compareJSON(cfg *config, meta runMeta, bs []*backendRuns, interrupted bool) []jsonBackend {
	std := stdRuns(bs)
	out := make([]jsonBackend, len(bs))
	for i, br := range bs {
		out[i] = backendJSON(cfg, meta, br, std, interrupted)
	}
	return out
}

func backendJSON(cfg *config, meta runMeta, br, std *backendRuns, interrupted bool) jsonBackend {
	m := br.median()
	if m == nil { // unavailable, or not run
		m = &result{backend: br.backend, err: br.err, interrupted: interrupted, status: map[int]uint64{}}
	}
	j := jsonBackend{jsonResult: toJSON(cfg, meta, m), Rounds: []jsonRound{}}
	j.Interrupted = interrupted
	for _, r := range br.runs {
		jr := jsonRound{RequestsPerSecond: r.rps(), Errors: r.failed(), ElapsedSeconds: r.elapsed.Seconds(), Interrupted: r.interrupted}
		if r.requests > 0 {
			p99 := us(r.latency.Percentile(0.99))
			jr.P99 = &p99
		}
		j.Rounds = append(j.Rounds, jr)
	}
	if len(br.runs) > 0 {
		rps, p99 := br.spreadOf(rpsOf), br.spreadOf(p99Of)
		j.RPSRounds = &jsonSpread{rps.median, rps.min, rps.max}
		if br.responded() {
			j.P99Rounds = &jsonSpread{us(durOf(p99.median)), us(durOf(p99.min)), us(durOf(p99.max))}
		}
	}
	rpsRatio, p99Ratio := ratios(br, std)
	if !math.IsNaN(rpsRatio) {
		j.RPSvsStd = &rpsRatio
	}
	if !math.IsNaN(p99Ratio) {
		j.P99vsStd = &p99Ratio
	}
	return j
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
