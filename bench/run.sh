#!/usr/bin/env bash
# run.sh: the HTTP server benchmark of ringnet against its peers; README.md
# describes the method.
#
#   bench/run.sh [-r ROUNDS] [-d SECONDS] [-n IDLE_CONNS] [-s server,server,...]
#
# Environment: ROUNDS (3), DURATION (5, seconds per wrk run), IDLE_CONNS
# (10000), SERVERS (all), PORT_BASE (18100), KEEP (1: keep the work dir).
# Quick mode: ROUNDS=1 DURATION=2 IDLE_CONNS=2000 bench/run.sh
# ringnet-BACKEND[-MODE] is cmd/server -backend BACKEND [-mode MODE].
#
# Progress goes to stderr, the markdown table to stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ALL_SERVERS="ringnet-uring ringnet-epoll ringnet-uring-goroutine ringnet-epoll-goroutine ringnet-std nethttp fasthttp gnet nbio gain"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
IDLE_CONNS=${IDLE_CONNS:-10000}
SERVERS=${SERVERS:-$ALL_SERVERS}
PORT_BASE=${PORT_BASE:-18100}

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts "r:d:n:s:h" opt; do
	case $opt in
	r) ROUNDS=$OPTARG ;;
	d) DURATION=$OPTARG ;;
	n) IDLE_CONNS=$OPTARG ;;
	s) SERVERS=${OPTARG//,/ } ;;
	*) usage ;;
	esac
done

# --- tools -----------------------------------------------------------------

need_tools "Debian/Ubuntu: apt-get update && apt-get install -y wrk util-linux   (taskset is in util-linux; Go from go.dev/dl)" go wrk taskset flock
PERF=1
if ! command -v perf >/dev/null; then
	PERF=0
	log "run.sh: perf not found, syscalls/req will be n/a (apt-get install -y linux-perf)"
elif ! perf stat -e raw_syscalls:sys_enter -- true >/dev/null 2>&1; then
	PERF=0
	log "run.sh: perf cannot count raw_syscalls:sys_enter here (try as root, or sysctl kernel.perf_event_paranoid=-1), syscalls/req will be n/a"
fi
ulimit -n 20000 2>/dev/null || log "run.sh: could not raise ulimit -n to 20000 (now $(ulimit -n)); lower IDLE_CONNS if the idle test fails"
CLK_TCK=$(getconf CLK_TCK)
bench_lock

# --- build -----------------------------------------------------------------

work_dir bench

log "building into $WORK"
go -C "$ROOT" build -o "$WORK/ringnet" ./cmd/server
(
	cd "$BENCH"
	for s in nethttp fasthttp gnet nbio; do
		go build -o "$WORK/$s" "./servers/$s"
	done
	go build -tags gain -ldflags=-checklinkname=0 -o "$WORK/gain" ./servers/gain
	go build -o "$WORK/idleconns" ./cmd/idleconns
)

# TechEmpower's wrk headers.
HEADERS=(-H 'Host: localhost'
	-H 'Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7'
	-H 'Connection: keep-alive')
pipeline_lua "$WORK/pipeline.lua"

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

# load SERVER NAME CONNS [wrk args]: one bounded wrk run; records rps, p99,
# CPU µs/req and, for NAME=c256, syscalls/req.
load() {
	local server=$1 name=$2 conns=$3
	shift 3
	local out=$WORK/wrk-$server-$name-r$round.txt perfout=$WORK/perf-$server-$name-r$round.txt perf_pid=
	if [[ $PERF == 1 && $name == c256 ]]; then
		perf stat -x, -e raw_syscalls:sys_enter -p "$SERVER_PID" -o "$perfout" &
		perf_pid=$!
		PIDS+=("$perf_pid")
		sleep 0.2 # let perf attach before the load starts
	fi
	local t0 t1
	t0=$(cpu_ticks "$SERVER_PID")
	timeout $((DURATION + 30)) taskset -c 1 wrk -t1 -c"$conns" -d"${DURATION}s" --timeout 8s --latency \
		"${HEADERS[@]}" "$@" "http://$ADDR$URLPATH" >"$out" 2>&1 || log "  wrk failed for $server $name: $(tail -n 2 "$out")"
	t1=$(cpu_ticks "$SERVER_PID")
	if [[ -n $perf_pid ]]; then
		kill -INT "$perf_pid" 2>/dev/null || true
		wait "$perf_pid" 2>/dev/null || true
	fi
	local reqs rps p99 bad
	reqs=$(awk '/requests in/ { print $1 }' "$out")
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	p99=$(awk '$1 == "99%" { v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u);
		print (u == "us" ? v / 1000 : u == "s" ? v * 1000 : u == "m" ? v * 60000 : v) }' "$out")
	bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
	[[ -z $bad ]] || log "  WARNING: $server $name: $bad non-2xx responses"
	[[ -n $reqs && $reqs -gt 0 ]] || { log "  $server $name: no requests completed"; return 0; }
	record "$server" "rps_$name" "$rps"
	[[ $name == p16 ]] || record "$server" "p99_$name" "$p99"
	record "$server" "cpu_$name" "$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN { print t * 1e6 / hz / n }')"
	if [[ -n $perf_pid ]]; then
		local calls
		calls=$(awk -F, '/raw_syscalls:sys_enter/ { print $1 }' "$perfout")
		[[ $calls =~ ^[0-9]+$ ]] && record "$server" "sys_$name" "$(awk -v c="$calls" -v n="$reqs" 'BEGIN { print c / n }')"
	fi
	log "  $server $name: $rps rps, p99 ${p99:-?} ms, $reqs requests"
}

# bench SERVER: one round for one server: the idle-memory test on a fresh
# process, then the three load runs on another fresh process.
bench() {
	local server=$1
	start "$server"
	URLPATH=/plaintext
	local code
	code=$(http_status "$PORT" /plaintext)
	if [[ $code != 200 ]]; then
		[[ $server == ringnet-* ]] || die "$server answers GET /plaintext with $code"
		URLPATH=/
		code=$(http_status "$PORT" /)
		[[ $code == 200 ]] || die "$server answers GET / with $code"
	fi
	record "$server" path "$URLPATH"
	local idle
	if idle=$("$WORK/idleconns" -addr "$ADDR" -path "$URLPATH" -n "$IDLE_CONNS" -pid "$SERVER_PID" 2>>"$WORK/idleconns.log"); then
		local before after held threads
		eval "$(tr ' ' '\n' <<<"$idle" | sed -n 's/^rss_before_kib=/before=/p; s/^rss_after_kib=/after=/p; s/^held=/held=/p; s/^threads=/threads=/p')"
		record "$server" idle_kib "$(awk -v a="$after" -v b="$before" -v n="$held" 'BEGIN { print n ? (a - b) / n : "nan" }')"
		record "$server" rss_before "$before"
		record "$server" rss_after "$after"
		record "$server" held "$held"
		record "$server" threads "$threads"
		log "  $server idle: $idle"
	else
		log "  $server idle test failed: $(tail -n 1 "$WORK/idleconns.log")"
	fi
	stop_proc "$SERVER_PID"
	start "$server"
	load "$server" c64 64
	load "$server" c256 256
	load "$server" p16 256 -s "$WORK/pipeline.lua"
	stop_proc "$SERVER_PID"
}

log "servers: $SERVERS; $ROUNDS round(s), ${DURATION}s per wrk run, $IDLE_CONNS idle conns; perf: $([[ $PERF == 1 ]] && echo yes || echo no)"
run_rounds

# --- table -----------------------------------------------------------------

# The table: per server and metric the median (min–max) over the rounds,
# and the c256 rps ratio against net/http and gnet (medians).
awk -F'\t' -v servers="$SERVERS" -v rounds="$ROUNDS" "$TABLE_AWK"'
function ratio(s, base,   a, b) {
	a = median(s, "rps_c256")
	if (!N) return "n/a"
	b = median(base, "rps_c256")
	if (!N) return "n/a"
	return b ? sprintf("%.2f×", a / b) : "n/a"
}
$3 == "path" { path[$2] = $4; next }
{ val[$1, $2, $3] = $4 + 0; if ($1 > maxround) maxround = $1 }
END {
	name["nethttp"] = "net/http"
	print "| server | path | rps c64 | rps c256 | p99 c256 (ms) | rps pipelined16 (c256) | KiB/idle conn | syscalls/req c256 | server CPU µs/req c256 | c256 vs net/http | c256 vs gnet |"
	print "|---|---|---|---|---|---|---|---|---|---|---|"
	n = split(servers, list, " ")
	for (i = 1; i <= n; i++) {
		s = list[i]
		printf "| %s | `%s` | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", (s in name ? name[s] : s), path[s],
			cell(s, "rps_c64", 0), cell(s, "rps_c256", 0), cell(s, "p99_c256", 2), cell(s, "rps_p16", 0),
			cell(s, "idle_kib", 1), cell(s, "sys_c256", 2), cell(s, "cpu_c256", 1), ratio(s, "nethttp"), ratio(s, "gnet")
	}
	print ""
	print "Secondary: p99 c64 (ms), server CPU µs/req c64 and pipelined16, RSS before/after the idle test (KiB), idle conns held, server threads while holding them."
	print ""
	print "| server | p99 c64 | CPU µs/req c64 | CPU µs/req p16 | RSS before | RSS after idle conns | conns held | threads |"
	print "|---|---|---|---|---|---|---|---|"
	for (i = 1; i <= n; i++) {
		s = list[i]
		printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", (s in name ? name[s] : s),
			cell(s, "p99_c64", 2), cell(s, "cpu_c64", 1), cell(s, "cpu_p16", 2), cell(s, "rss_before", 0),
			cell(s, "rss_after", 0), cell(s, "held", 0), cell(s, "threads", 0)
	}
}' "$WORK/results.tsv"
