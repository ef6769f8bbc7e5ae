// Command client is a curl-like HTTP/1.1 client and a load generator that
// compares ringnet's backends with Go's own net package.
//
//	go run ./cmd/client [-backend B] [-X METHOD] [-H 'K: V']... [-d BODY] [-i|-I] [-v] [-fsS] [-k] [-o FILE] URL
//	go run ./cmd/client -load -c 256 -d 10s [-n N] [-warmup D] [-pipeline N] [-rate R] [-json] [-html FILE] [-hgrm FILE] URL
//	go run ./cmd/client -compare -c 256 -d 10s [-rounds N] [-json] [-html FILE] URL
//
// Fetch mode prints the response body, like curl; -i and -v show the
// heads as they went over the wire (headtap.go). Load mode runs -c
// connections for -d or -n requests and reports requests/s, bytes/s,
// errors by class and latency percentiles, overall and second by second.
// Compare mode runs the same load on epoll, uring and std in interleaved
// rounds and prints a markdown table of the medians. On epoll and uring a
// load over http runs on netfd's event loops (loopload.go); std, and https
// on any backend, run ringnet's client Transport, std dialling with
// net.Dialer. Run it with -help for every flag.
//
// Where things are: flags.go, usage.go (the command line); fetch.go,
// fetchclient.go, headtap.go, tls.go (fetch); load.go, loopload.go,
// schedule.go, worker.go, pipeline.go, result.go, series.go, histogram.go
// (load);
// compare.go; report.go, json.go, html.go, htmlseries.go, hgrm.go,
// meta.go (reports); errclass.go (error classes).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses. Fetch mode fails with curl's numbers (see curlExit), so
// that scripts written for curl read ours the same way.
const (
	exitOK          = 0
	exitFailed      = 1   // the request failed; under load, a request failed, a status was not expected or none completed
	exitUsage       = 2   // bad flags or a bad URL
	exitInterrupted = 130 // cancelled (Ctrl-C), as a shell reports a SIGINT death

	exitResolve     = 6  // the host name did not resolve
	exitConnect     = 7  // no connection: refused, unreachable
	exitPartial     = 18 // the body ended before its length
	exitHTTPError   = 22 // -f: the status was 400 or more
	exitWrite       = 23 // the output could not be written
	exitTimeout     = 28 // -timeout (-m) expired
	exitTLS         = 35 // the TLS handshake failed
	exitRedirects   = 47 // -L: more than 50 redirects
	exitEmptyReply  = 52 // the server closed the connection without answering
	exitReceive     = 56 // the connection failed while the response arrived
	exitCertificate = 60 // the server's certificate is not trusted
	exitBadEncoding = 61 // --compressed: the body did not decode
)

// run is the whole command, with its arguments and output streams passed
// in so that tests can run it in-process. It returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseArgs(args, stdout)
	if err == errDone {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "client: %v\n", err) // even with -s: curl too reports bad usage
		return exitUsage
	}
	if isTerminal(stderr) {
		cfg.progress = stderr
	}
	switch cfg.mode {
	case modeLoad:
		return load(ctx, cfg, stdout, stderr)
	case modeCompare:
		return compare(ctx, cfg, stdout, stderr)
	}
	return fetch(ctx, cfg, stdout, stderr)
}

// isTerminal reports whether w is a terminal. The progress line goes to
// stderr only when stderr is one; stdout may be redirected to a file (say,
// for -json) while a person still watches stderr.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
