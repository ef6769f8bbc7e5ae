# lib.sh: the shell pieces the bench scripts share, sourced by each
# (bench/*.sh, bench/echo/run.sh, bench/client/run.sh) after
# `set -euo pipefail`.
# shellcheck shell=bash

# BENCH is this directory, ROOT the repository; SCRIPT names the script in
# its messages.
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
SCRIPT=${0##*/}

# log MSG: progress, to stderr (stdout is the script's table).
log() { printf '%s\n' "$*" >&2; }

# die MSG: the script's name and MSG to stderr, exit status 1.
die() { log "$SCRIPT: $*"; exit 1; }

# need_tools HINT TOOL...: exits 1 naming every TOOL not on PATH, with
# HINT (how to install them) on the next line.
need_tools() {
	local hint=$1 tool missing=()
	shift
	for tool; do
		command -v "$tool" >/dev/null || missing+=("$tool")
	done
	((${#missing[@]} == 0)) && return 0
	log "$SCRIPT: missing: ${missing[*]}"
	log "  $hint"
	exit 1
}

# bench_lock [wait]: takes the lock every bench script takes (fd 9), as
# two benchmarks at once would share the cores and measure each other.
# Fails at once if another holds it, or with "wait" waits up to 30 min.
bench_lock() {
	local lock=${TMPDIR:-/tmp}/ringnet-bench.lock
	exec 9>"$lock"
	flock -n 9 && return 0
	[[ ${1:-} == wait ]] || die "another benchmark holds $lock"
	log "waiting for $lock (another bench script runs)"
	flock -w 1800 9 || die "another benchmark holds $lock"
}

# work_dir NAME: makes WORK, /tmp/ringnet-NAME.XXXXXX, removed at exit
# (unless KEEP=1) after every pid in PIDS is killed.
work_dir() {
	WORK=$(mktemp -d "/tmp/ringnet-$1.XXXXXX")
	PIDS=()
	trap cleanup EXIT
	trap 'exit 130' INT TERM
}
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	if [[ ${KEEP:-0} == 1 ]]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}

# server_cmd NAME: CMD, the command line of server NAME without its
# address: ringnet-BACKEND[-MODE] is $WORK/ringnet -backend BACKEND
# [-mode MODE], anything else $WORK/NAME.
server_cmd() {
	local rest=${1#ringnet-}
	case $1 in
	ringnet-*-*) CMD=("$WORK/ringnet" -backend "${rest%%-*}" -mode "${rest#*-}") ;;
	ringnet-*) CMD=("$WORK/ringnet" -backend "$rest") ;;
	*) CMD=("$WORK/$1") ;;
	esac
}

# is_ringnet NAME: whether NAME is ringnet-BACKEND[-MODE], a server
# server_cmd knows.
is_ringnet() { [[ $1 =~ ^ringnet-(epoll|uring|std)(-(auto|inline|goroutine))?$ ]]; }

# wait_accept NAME PID PORT [SETTLE]: waits up to 10 s until server NAME,
# process PID logging to $WORK/NAME.log, accepts on 127.0.0.1:PORT; dies
# if it exits first. With SETTLE, waits SETTLE seconds more and checks it
# still runs (a server that lost the port to another process exits then).
wait_accept() {
	local name=$1 pid=$2 port=$3 settle=${4:-} i
	for ((i = 0; i < 100; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			[[ -z $settle ]] && return 0
			sleep "$settle"
			kill -0 "$pid" 2>/dev/null || die "$name exited at start (port $port taken?); see $WORK/$name.log"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || die "$name exited at start: $(tail -n 1 "$WORK/$name.log"); see $WORK/$name.log (KEEP=1 keeps it)"
		sleep 0.1
	done
	die "$name did not accept on 127.0.0.1:$port within 10 s"
}

# stop_proc PID [TENTHS]: SIGTERM, up to TENTHS (20) × 0.1 s to exit,
# then SIGKILL; reaps it.
stop_proc() {
	local i
	kill -TERM "$1" 2>/dev/null || true
	for ((i = 0; i < ${2:-20}; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# pipeline_lua FILE: writes wrk's script for 16 requests in one write,
# as TechEmpower's pipeline.lua sends them.
pipeline_lua() {
	cat >"$1" <<'EOF'
-- 16 requests sent as one write, as TechEmpower's pipeline.lua does.
init = function(args)
	local r = {}
	for i = 1, 16 do
		r[i] = wrk.format()
	end
	req = table.concat(r)
end

request = function()
	return req
end
EOF
}

# cpu_ticks PID: user + system CPU time of PID so far, in clock ticks.
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# http_status PORT PATH: the status code the server on 127.0.0.1:PORT
# answers GET PATH with.
http_status() {
	local line
	exec 3<>"/dev/tcp/127.0.0.1/$1"
	printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$2" >&3
	read -r -t 5 line <&3 || true
	exec 3<&-
	line=${line#* }
	printf '%s\n' "${line%% *}"
}

# run_rounds: ROUNDS interleaved rounds over SERVERS, with results.tsv
# emptied first: in each round (round is its number, from 1) the script's
# bench SERVER runs for every server in turn. LOAD_START and LOAD_END are
# the load averages before and after.
run_rounds() {
	LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
	: >"$WORK/results.tsv"
	for ((round = 1; round <= ROUNDS; round++)); do
		log "round $round/$ROUNDS"
		for server in $SERVERS; do
			bench "$server"
		done
	done
	LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
}

# TABLE_AWK: the awk functions of the scripts' markdown tables, put before
# a script's own program so that every table formats its figures alike:
#
#	awk -F'\t' -v ... "$TABLE_AWK"'PROGRAM' "$WORK/results.tsv"
#
# median and cell read val[ROUND, SERVER, METRIC] for rounds 1 to maxround,
# which PROGRAM fills from the results.tsv rows (ROUND SERVER METRIC VALUE).
TABLE_AWK='
# fmt(x, d): x with d decimals; with d = 0 rounded, and its thousands
# separated by commas.
function fmt(x, d,   s, out) {
	if (d == 0) {
		s = sprintf("%.0f", x); out = ""
		while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
		return s out
	}
	return sprintf("%." d "f", x)
}
# stats(a, n): median of a[1..n]; sets LO and HI.
function stats(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	LO = a[1]; HI = a[n]
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
# show(md, n, d, suffix): the median md of n figures that stats just
# sorted, "md (LO–HI)" with d decimals and suffix; md alone if n is 1.
function show(md, n, d, suffix) {
	if (n == 1) return fmt(md, d) suffix
	return fmt(md, d) suffix " (" fmt(LO, d) "–" fmt(HI, d) ")"
}
# median(s, m): the median of server s metric m over the rounds; sets N
# (how many rounds have it; 0: the median is "") and LO and HI.
function median(s, m,   r, a) {
	N = 0
	for (r = 1; r <= maxround; r++) if ((r, s, m) in val) a[++N] = val[r, s, m]
	return N ? stats(a, N) : ""
}
# cell(s, m, d): server s metric m as show gives it, "n/a" if no round has it.
function cell(s, m, d,   md) {
	md = median(s, m)
	return N ? show(md, N, d, "") : "n/a"
}
# round_ratio(s, m, t, u): server s metric m ÷ server t metric u, taken in
# each round that has both, as show gives their median ("n/a" if none);
# sets MD to that median ("" if none).
function round_ratio(s, m, t, u,   n, r, a) {
	n = 0; MD = ""
	for (r = 1; r <= maxround; r++) if ((r, s, m) in val && (r, t, u) in val && val[r, t, u] > 0) a[++n] = val[r, s, m] / val[r, t, u]
	if (!n) return "n/a"
	MD = stats(a, n)
	return show(MD, n, 2, "×")
}
'
