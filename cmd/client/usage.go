package main

const usageText = `Usage:
  client [flags] URL...                           fetch each URL and print the body, like curl
  client -load [-c N] [-d DURATION] [-n N] [flags] URL
                                                  load: throughput, errors, statuses, latency
  client -compare [-rounds N] [flags] URL         the same load on epoll, uring and std

Fetch mode speaks curl. It prints the response body on stdout, or into
-o FILE. With -i the response head comes first, its fields in the order
the server sent them; -I sends HEAD and prints the head alone; -v shows
the request and response heads on stderr, prefixed "> " and "< ". -d
BODY sends a body (POST unless -X says otherwise; -d @FILE reads a file
without its CR and LF, --data-binary @FILE reads it as it is,
--data-raw takes @ literally; several are joined by &). -H fields
replace the defaults of the same name (User-Agent: ringnet-client, or
-A; Authorization from -u user:password; Content-Type of a body: a
form); 'Name:' removes one, 'Name;' sends it empty. -f makes a status
of 400 or more a failure (no body, exit 22). -L follows redirects.
--compressed asks for gzip or deflate and decodes the body. -k skips TLS
verification; --cacert FILE trusts the certificates in FILE. -m SECONDS
(or -timeout DURATION) bounds each request. An error is one line on
stderr naming the backend; -s silences it (-sS does not). Several URLs
are fetched in turn, their output one after the other, each into the
next -o or else stdout; the exit status is the last URL's, or with
--fail-early the first failure's. Every flag has curl's long name too
(--include, --header, --request, ...), and short ones combine as with
curl: -fsSL, -XPOST.

-w FORMAT prints FORMAT on stdout after each transfer, with \n, \r and
\t escapes, %% for %, and these variables as curl prints them:
%{http_code} (also %{response_code}; 000 without a response),
%{size_download} (body bytes as received), %{time_total},
%{time_connect} and %{time_starttransfer} (seconds from the start: to
the TCP connection, 0 for a reused one, and to the response's first
byte), %{content_type}, %{url_effective} (after redirects),
%{num_redirects}, %{remote_ip}, %{remote_port}, %{http_version} and
%{exitcode}.

Load mode runs -c connections for -d (or for -n requests; with both,
whichever ends first), after an uncounted -warmup, and reports
requests/s, bytes/s, connects, errors by class with a sample message
each, responses by status code, and latency percentiles (from a log-linear histogram, within 1% of
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
raw connections with -pipeline. A connection whose dial or TLS handshake fails
waits before the next (10 ms, doubling to 1 s), so a refused port or a
failing handshake is not hammered. A progress line ticks on stderr
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

In -load and -compare mode -d is the duration; the request body is --data.

Error classes: connect_refused; unreachable (no route); local_address (no
local port left); dns; tls (handshake or certificate); reset (reset, or
closed by the server before answering); timeout (-timeout expired);
other. A response is no error, whatever its status: the statuses are
counted by code, and -expect-status (default 2xx; 200, 200-299, or a
list: 200,204,3xx) says which ones a run expects. Any other fails the
run: the report marks them and stderr names them with their counts.

Exit status, fetch mode: 0 on success; curl's numbers on failure: 6 the
host did not resolve, 7 no connection, 18 the body ended early, 22 -f
and a status of 400 or more, 23 the output could not be written, 28 a
timeout, 35 the TLS handshake failed, 47 over 50 redirects, 52 the
server closed without answering, 56 the connection failed mid-response,
60 the server's certificate was not trusted, 61 --compressed and a body
that does not decode, 1 anything else. Load and compare mode: 0 on
success; 1 when any request failed (an error), a status was outside
-expect-status, or none completed. Both: 2 for bad
flags or a bad URL, 130 when interrupted (Ctrl-C), after the report of
what ran.
`
