#!/usr/bin/env bash
# h2.sh: HTTP/2 over TLS, ringnet's server (cmd/server -tls-cert: HTTP/2
# served by net/http's HTTP/2 implementation over a netfd connection)
# against net/http's own (servers/nethttp -tls-cert), h2load against each
# in interleaved rounds (see README.md, "HTTP/2").
#
#   bench/h2.sh [-r ROUNDS] [-d SECONDS] [-s server,server,...]
#
# Environment: ROUNDS (3), DURATION (5, seconds per h2load run), SERVERS
# (all), PORT_BASE (19000), KEEP (1: keep the work dir). Quick look:
# ROUNDS=1 DURATION=2 bench/h2.sh
# ringnet-BACKEND is cmd/server -backend BACKEND -tls-cert …
#
# Progress goes to stderr, the markdown table to stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ALL_SERVERS="ringnet-uring ringnet-epoll ringnet-std nethttp"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
SERVERS=${SERVERS:-$ALL_SERVERS}
PORT_BASE=${PORT_BASE:-19000}

# The loads, NAME:CLIENTS:STREAMS: h2load -cCLIENTS -mSTREAMS, that is
# CLIENTS connections with up to STREAMS requests in flight on each.
LOADS="c16m10:16:10 c64m1:64:1"

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts "r:d:s:h" opt; do
	case $opt in
	r) ROUNDS=$OPTARG ;;
	d) DURATION=$OPTARG ;;
	s) SERVERS=${OPTARG//,/ } ;;
	*) usage ;;
	esac
done
for s in $SERVERS; do
	[[ $s == nethttp || $s =~ ^ringnet-(epoll|uring|std)$ ]] ||
		{ echo "h2.sh: unknown server $s (known: $ALL_SERVERS)" >&2; exit 2; }
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $DURATION =~ ^[1-9][0-9]*$ ]] || { echo "h2.sh: ROUNDS and DURATION must be positive integers" >&2; exit 2; }

# --- tools -----------------------------------------------------------------

need_tools "Debian/Ubuntu: apt-get update && apt-get install -y nghttp2-client util-linux coreutils   (Go from go.dev/dl)" go h2load taskset flock timeout
CLK_TCK=$(getconf CLK_TCK)
bench_lock

# --- build -----------------------------------------------------------------

work_dir h2

log "building into $WORK"
go -C "$ROOT" build -o "$WORK/ringnet" ./cmd/server
go -C "$BENCH" build -o "$WORK/nethttp" ./servers/nethttp
# A self-signed ECDSA certificate for 127.0.0.1, made by Go's own tool.
(cd "$WORK" && go run "$(go env GOROOT)/src/crypto/tls/generate_cert.go" -host 127.0.0.1 -ecdsa-curve P256 2>/dev/null)
TLS=(-tls-cert "$WORK/cert.pem" -tls-key "$WORK/key.pem")

# --- one server ------------------------------------------------------------

PORT=$PORT_BASE
SERVER_PID=

# start NAME: starts server NAME over TLS on a fresh port (one nothing
# listens on) and waits until it accepts.
start() {
	PORT=$((PORT + 1))
	while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do PORT=$((PORT + 1)); done
	server_cmd "$1"
	"${CMD[@]}" "${TLS[@]}" -addr "127.0.0.1:$PORT" >>"$WORK/$1.log" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	wait_accept "$1" "$SERVER_PID" "$PORT" 0.2
}

# record SERVER METRIC VALUE, for this round.
record() { printf '%s\t%s\t%s\t%s\n' "$round" "$1" "$2" "$3" >>"$WORK/results.tsv"; }

# load SERVER NAME CLIENTS STREAMS: one bounded h2load run on GET
# /plaintext, after a second of warm-up; records req/s and server CPU
# µs/req. Every request must succeed with 2xx, and over HTTP/2.
load() {
	local server=$1 name=$2 clients=$3 streams=$4
	local out=$WORK/h2load-$server-$name-r$round.txt t0 t1
	t0=$(cpu_ticks "$SERVER_PID")
	timeout $((DURATION + 30)) taskset -c 1 h2load -t1 -c"$clients" -m"$streams" --warm-up-time=1 -D"$DURATION" \
		"https://127.0.0.1:$PORT/plaintext" >"$out" 2>&1 || log "  h2load failed for $server $name: $(tail -n 2 "$out")"
	t1=$(cpu_ticks "$SERVER_PID")
	local done ok rps
	# requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout
	# status codes: N 2xx, N 3xx, N 4xx, N 5xx
	done=$(awk '/^requests:/ { print $8 }' "$out")
	ok=$(awk '/^requests:/ { r = $8 == $2 && $10 == 0 && $12 == 0 && $14 == 0 }
		/^status codes:/ { s = $3 > 0 && $5 + $7 + $9 == 0 } END { print r && s }' "$out")
	grep -q '^Application protocol: h2$' "$out" || die "$server $name: not served over h2: $(grep -m1 'protocol' "$out")"
	[[ $ok == 1 && ${done:-0} -gt 0 ]] || die "$server $name: requests failed: $(grep -E '^(requests|status codes):' "$out" | tr '\n' ' ')"
	rps=$(awk '/^finished in/ { print $4 }' "$out")
	record "$server" "rps_$name" "$rps"
	record "$server" "cpu_$name" "$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$done" 'BEGIN { print t * 1e6 / hz / n }')"
	log "  $server $name: $rps req/s, $done requests"
}

# bench SERVER: one round for one server: every load, on one process.
bench() {
	local server=$1 l
	start "$server"
	for l in $LOADS; do
		IFS=: read -r name clients streams <<<"$l"
		load "$server" "$name" "$clients" "$streams"
	done
	stop_proc "$SERVER_PID"
}

log "servers: $SERVERS; $ROUNDS round(s), ${DURATION}s per h2load run"
run_rounds

# --- table -----------------------------------------------------------------

echo "HTTP/2 over TLS, $(date -u +%Y-%m-%d), $(nproc) CPUs, load average $LOAD_START at the start, $LOAD_END at the end."
echo "$ROUNDS interleaved round(s) of ${DURATION} s per h2load run (after 1 s of warm-up) on \`GET /plaintext\`; servers unpinned with the default GOMAXPROCS, every h2load \`taskset -c 1 h2load -t1\`."
echo "Cells: median (min–max) over the rounds. Ratios are taken in each round, then their median (min–max) over the rounds."
echo
awk -F'\t' -v servers="$SERVERS" -v loads="$LOADS" "$TABLE_AWK"'
{ val[$1, $2, $3] = $4 + 0; ran[$2] = 1; if ($1 > maxround) maxround = $1 }
END {
	name["nethttp"] = "net/http"
	n = split(servers, list, " ")
	nl = split(loads, ls, " ")
	for (j = 1; j <= nl; j++) {
		split(ls[j], f, ":"); l = f[1]
		print "`h2load -c" f[2] " -m" f[3] "` (" f[2] " connections, up to " f[3] " stream" (f[3] > 1 ? "s" : "") " in flight on each):"
		print ""
		print "| server | req/s | server CPU µs/req | req/s vs net/http | CPU/req vs net/http |"
		print "|---|---|---|---|---|"
		for (i = 1; i <= n; i++) {
			s = list[i]
			vs = "—"; cvs = "—"
			if (s != "nethttp" && ("nethttp" in ran)) { vs = round_ratio(s, "rps_" l, "nethttp", "rps_" l); cvs = round_ratio(s, "cpu_" l, "nethttp", "cpu_" l) }
			printf "| %s | %s | %s | %s | %s |\n", (s in name ? name[s] : s),
				cell(s, "rps_" l, 0), cell(s, "cpu_" l, 1), vs, cvs
		}
		print ""
	}
}' "$WORK/results.tsv"
