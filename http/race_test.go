//go:build race

package http_test

// raceEnabled: the race detector slows every goroutine several times over,
// which latency tests cannot allow for.
const raceEnabled = true
