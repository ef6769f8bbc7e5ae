package main

const usageText = `Usage:
  client [flags] URL                              fetch URL and print the body, like curl
  client -load [-c N] [-d DURATION] [-n N] [flags] URL
                                                  load: throughput, errors, latency
  client -compare [-rounds N] [flags] URL         the same load on epoll, uring and std

Fetch mode prints the response body on stdout, or into -o FILE. With -i
the response head comes first, its fields in the order the server sent
them, as with curl -i; -I sends HEAD and prints the head alone; -v shows
the request and response heads on stderr, prefixed "> " and "< ". -d
BODY sends a body (POST unless -X says otherwise). -f makes a status of
400 or more a failure (no body, exit 22). -k skips TLS verification;
-cacert FILE trusts the certificates in FILE. An error is one line on
stderr naming the backend; -s silences it (-sS does not). Switches
combine as with curl: -fsSL.

Load mode runs -c connections for -d (or for -n requests; with both,
whichever ends first), after an uncounted -warmup, and reports
requests/s, bytes/s, connects, errors by class with a sample message
each, and latency percentiles (from a log-linear histogram, within 1% of
the true value). Closed model by default: each connection sends its next
request when the previous response has arrived, and latency runs from
the send to the last byte of the body. -rate R switches to an open
model: requests are due at a fixed total rate of R/s spread over the
connections, and a request sent late because every connection was still
waiting for the server counts its latency from when it was due, not when
it was sent, so a server that stalls shows as latency instead of as
fewer samples (no coordinated omission). The report counts the requests
sent late and those due but never sent (dropped), and warns when fewer
than 95% of the requests due were sent. -pipeline N writes N requests
back to back on each connection and then reads the N responses. On epoll
and uring, a load over http runs on netfd's event loops (no goroutine per
connection, the request serialized once, the responses read on the
loop); std, and https on any backend, run ringnet's client Transport, or
raw connections with -pipeline. A connection whose dial fails waits
before the next (10 ms, doubling to 1 s), so a refused port is not
hammered. A progress line ticks on stderr
each second when stderr is a terminal. -json adds a per-second series;
-html FILE writes a page with charts; -hgrm FILE writes the latency
distribution in HdrHistogram's percentile format (milliseconds). Every
report records the date, ringnet and Go versions, kernel and CPU.

Compare mode runs the same load on epoll, uring and std, -rounds times
interleaved (epoll, uring, std, epoll, ...), and prints a markdown table
of each backend's median (and range) with ratios to std. epoll and uring
run as -load does (on the loops, over http), std runs ringnet's client
Transport on Go's net.Dialer. A backend that cannot run here is a row
saying why.

In -load and -compare mode -d is the duration; the request body is -data.

Error classes: connect_refused; unreachable (no route); local_address (no
local port left); dns; tls (handshake or certificate); reset (reset, or
closed by the server before answering); timeout (-timeout expired);
bad_status (a response that is not 2xx; these count as requests too);
other.

Exit status: 0 on success; 1 when the request failed, or, under load,
when any request failed (bad_status included) or none completed; 2 for
bad flags or a bad URL; 22 for -f and a status of 400 or more; 130 when
interrupted (Ctrl-C), after the report of what ran.

Flags:
`
