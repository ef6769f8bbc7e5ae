#!/usr/bin/env bash
# blocking.sh: ringnet's HTTP server with handlers that block, on event
# loops against a goroutine per connection, by the method of run.sh (see
# README.md, "Blocking handlers").
#
#   bench/blocking.sh [-r ROUNDS] [-d SECONDS] [-s server,server,...]
#
# Environment: ROUNDS (3), DURATION (5, seconds per wrk run), SERVERS
# (all), PORT_BASE (18700), KEEP (1: keep the work dir). Quick look:
# ROUNDS=1 DURATION=2 bench/blocking.sh -s ringnet-epoll,ringnet-epoll-goroutine
# ringnet-BACKEND[-MODE] is cmd/server -backend BACKEND [-mode MODE].
#
# Progress goes to stderr, the markdown tables to stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ALL_SERVERS="ringnet-epoll ringnet-uring ringnet-epoll-goroutine ringnet-uring-goroutine nethttp"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
SERVERS=${SERVERS:-$ALL_SERVERS}
PORT_BASE=${PORT_BASE:-18700}

# The two rows: (a) SLEEP_CONNS connections on GET /sleep/SLEEP_MS;
# (b) PLAIN_CONNS on GET /plaintext, alone and then with MIXED_CONNS on
# GET /sleep/MIXED_MS alongside.
SLEEP_MS=1 SLEEP_CONNS=256
PLAIN_CONNS=64 MIXED_MS=50 MIXED_CONNS=16
# The goal of row (a): a loop server's req/s at least GOAL × its
# goroutine counterpart's in the same round.
GOAL=0.95

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
	[[ $s == nethttp ]] || is_ringnet "$s" ||
		{ echo "blocking.sh: unknown server $s (known: nethttp, ringnet-BACKEND[-MODE]: $ALL_SERVERS)" >&2; exit 2; }
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $DURATION =~ ^[1-9][0-9]*$ ]] || { echo "blocking.sh: ROUNDS and DURATION must be positive integers" >&2; exit 2; }

# --- tools -----------------------------------------------------------------

need_tools "Debian/Ubuntu: apt-get update && apt-get install -y wrk util-linux coreutils   (Go from go.dev/dl)" go wrk taskset flock timeout
CLK_TCK=$(getconf CLK_TCK)
bench_lock

# --- build -----------------------------------------------------------------

work_dir blocking

log "building into $WORK"
go -C "$ROOT" build -o "$WORK/ringnet" ./cmd/server
if [[ " $SERVERS " == *" nethttp "* ]]; then
	go -C "$BENCH" build -o "$WORK/nethttp" ./servers/nethttp
fi

# TechEmpower's wrk headers, as in run.sh.
HEADERS=(-H 'Host: localhost'
	-H 'Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7'
	-H 'Connection: keep-alive')

# --- one server ------------------------------------------------------------

PORT=$PORT_BASE
SERVER_PID=

# start NAME: starts server NAME on a fresh port and waits until it accepts.
start() {
	PORT=$((PORT + 1))
	ADDR=127.0.0.1:$PORT
	server_cmd "$1"
	"${CMD[@]}" -addr "$ADDR" >>"$WORK/$1.log" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	wait_accept "$1" "$SERVER_PID" "$PORT" 0.2
}

# record SERVER METRIC VALUE, for this round.
record() { printf '%s\t%s\t%s\t%s\n' "$round" "$1" "$2" "$3" >>"$WORK/results.tsv"; }

# wrk_start OUT CONNS PATH: one bounded wrk run in the background, pinned
# to CPU 1; its pid in WRK_PID.
wrk_start() {
	local out=$1 conns=$2 path=$3
	timeout $((DURATION + 30)) taskset -c 1 wrk -t1 -c"$conns" -d"${DURATION}s" --timeout 8s --latency \
		"${HEADERS[@]}" "http://$ADDR$path" >"$out" 2>&1 &
	WRK_PID=$!
	PIDS+=("$WRK_PID")
}

# wrk_wait SERVER NAME OUT: waits for the wrk run of OUT, records its
# rps_NAME and p99_NAME (ms); returns 1 if it completed no request.
wrk_wait() {
	local server=$1 name=$2 out=$3
	wait "$WRK_PID" || log "  wrk failed for $server $name: $(tail -n 2 "$out")"
	local reqs rps p99 bad
	reqs=$(awk '/requests in/ { print $1 }' "$out")
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	p99=$(awk '$1 == "99%" { v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u);
		print (u == "us" ? v / 1000 : u == "s" ? v * 1000 : u == "m" ? v * 60000 : v) }' "$out")
	bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
	[[ -z $bad ]] || log "  WARNING: $server $name: $bad non-2xx responses"
	[[ -n $reqs && $reqs -gt 0 ]] || { log "  $server $name: no requests completed"; return 1; }
	record "$server" "rps_$name" "$rps"
	record "$server" "p99_$name" "$p99"
	REQS=$reqs
	log "  $server $name: $rps rps, p99 ${p99:-?} ms, $reqs requests"
}

# check PATH...: fails unless the running server answers each with 200.
check() {
	local path code
	for path; do
		code=$(http_status "$PORT" "$path")
		[[ $code == 200 ]] || die "$server answers GET $path with ${code:-nothing}"
	done
}

# bench SERVER: one round for one server: row (a) on a fresh process,
# row (b) on another.
bench() {
	local server=$1 out t0 t1
	start "$server"
	check "/sleep/$SLEEP_MS"
	out=$WORK/wrk-$server-sleep-r$round.txt
	t0=$(cpu_ticks "$SERVER_PID")
	wrk_start "$out" "$SLEEP_CONNS" "/sleep/$SLEEP_MS"
	if wrk_wait "$server" sleep "$out"; then
		t1=$(cpu_ticks "$SERVER_PID")
		record "$server" cpu_sleep "$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$REQS" 'BEGIN { print t * 1e6 / hz / n }')"
	fi
	stop_proc "$SERVER_PID"

	start "$server"
	check /plaintext "/sleep/$MIXED_MS"
	out=$WORK/wrk-$server-alone-r$round.txt
	wrk_start "$out" "$PLAIN_CONNS" /plaintext
	wrk_wait "$server" alone "$out" || true
	# The sleepers start first, so that they run over all of the
	# plaintext run's window.
	local plain=$WORK/wrk-$server-mixed-r$round.txt slow=$WORK/wrk-$server-slow-r$round.txt slow_pid
	wrk_start "$slow" "$MIXED_CONNS" "/sleep/$MIXED_MS"
	slow_pid=$WRK_PID
	wrk_start "$plain" "$PLAIN_CONNS" /plaintext
	wrk_wait "$server" mixed "$plain" || true
	WRK_PID=$slow_pid
	wrk_wait "$server" slow "$slow" || true
	stop_proc "$SERVER_PID"
}

log "servers: $SERVERS; $ROUNDS round(s), ${DURATION}s per wrk run"
run_rounds

# --- tables ----------------------------------------------------------------

echo "Blocking handlers, $(date -u +%Y-%m-%d), $(nproc) CPUs, load average $LOAD_START at the start, $LOAD_END at the end."
echo "$ROUNDS interleaved round(s) of ${DURATION} s per wrk run; servers unpinned with the default GOMAXPROCS, every wrk \`taskset -c 1 wrk -t1\` with TechEmpower's headers."
echo "Cells: median (min–max) over the rounds. Ratios are taken in each round, then their median (min–max) over the rounds."
echo
awk -F'\t' -v servers="$SERVERS" -v goal="$GOAL" -v sleepms="$SLEEP_MS" -v sleepconns="$SLEEP_CONNS" \
	-v plainconns="$PLAIN_CONNS" -v mixedms="$MIXED_MS" -v mixedconns="$MIXED_CONNS" "$TABLE_AWK"'
# counterpart(s): the goroutine server of loop server s, "" if none runs.
function counterpart(s,   c) {
	if (s !~ /^ringnet-(epoll|uring)(-auto|-inline)?$/) return ""
	c = s; sub(/-(auto|inline)$/, "", c); c = c "-goroutine"
	return (c in ran) ? c : ""
}
{ val[$1, $2, $3] = $4 + 0; ran[$2] = 1; if ($1 > maxround) maxround = $1 }
END {
	name["nethttp"] = "net/http"
	n = split(servers, list, " ")
	print "(a) " sleepms " ms blocking handler: `wrk -c" sleepconns "` on `GET /sleep/" sleepms "`. The goal: a loop server at least " goal "× its goroutine counterpart."
	print ""
	print "| server | req/s | p99 (ms) | server CPU µs/req | req/s vs its goroutine counterpart | ≥ " goal "× | p99 vs counterpart | req/s vs net/http |"
	print "|---|---|---|---|---|---|---|---|"
	for (i = 1; i <= n; i++) {
		s = list[i]; c = counterpart(s)
		vs = "—"; ok = "—"; p99vs = "—"
		if (c != "") {
			vs = round_ratio(s, "rps_sleep", c, "rps_sleep") " (" c ")"
			ok = MD == "" ? "n/a" : MD >= goal + 0 ? "yes" : "**no**"
			p99vs = round_ratio(s, "p99_sleep", c, "p99_sleep")
		}
		nh = (s == "nethttp" || !("nethttp" in ran)) ? "—" : round_ratio(s, "rps_sleep", "nethttp", "rps_sleep")
		printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", (s in name ? name[s] : s),
			cell(s, "rps_sleep", 0), cell(s, "p99_sleep", 2), cell(s, "cpu_sleep", 1), vs, ok, p99vs, nh
	}
	print ""
	print "(b) mixed blocking load: `wrk -c" plainconns "` on `GET /plaintext` alone, then the same at once with `wrk -c" mixedconns "` on `GET /sleep/" mixedms "` (both wrk on CPU 1). p99 ratio: plaintext p99 with the sleepers ÷ alone, same round (1.00× = the blocking handlers cost the fast ones nothing)."
	print ""
	print "| server | plaintext alone: req/s | p99 (ms) | with /sleep/" mixedms " alongside: plaintext req/s | plaintext p99 (ms) | /sleep/" mixedms " req/s | /sleep/" mixedms " p99 (ms) | plaintext p99 with ÷ alone | plaintext req/s with ÷ alone |"
	print "|---|---|---|---|---|---|---|---|---|"
	for (i = 1; i <= n; i++) {
		s = list[i]
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", (s in name ? name[s] : s),
			cell(s, "rps_alone", 0), cell(s, "p99_alone", 2), cell(s, "rps_mixed", 0), cell(s, "p99_mixed", 2),
			cell(s, "rps_slow", 0), cell(s, "p99_slow", 1), round_ratio(s, "p99_mixed", s, "p99_alone"), round_ratio(s, "rps_mixed", s, "rps_alone")
	}
}' "$WORK/results.tsv"
