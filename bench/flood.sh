#!/usr/bin/env bash
# flood.sh: a connect-and-reset flood against cmd/server on each backend and
# mode: bench/cmd/flood opens RATE connections a second for DURATION
# seconds and resets each once established (SO_LINGER 0), and reports the
# listen-queue overflows (TcpExt ListenOverflows, ListenDrops) the flood
# caused, and whether the server still answers afterwards.
#
#   bench/flood.sh [-r ROUNDS] [-d SECONDS] [-s server,server,...]
#
# Environment: ROUNDS (3), DURATION (5), RATE (10000), SERVERS (all),
# KEEP (1: keep the work dir). ringnet-BACKEND[-MODE] is cmd/server
# -backend BACKEND [-mode MODE]; nethttp is net/http (bench/servers/nethttp).
# Each run is in a network namespace of its own (unshare -n, as root), so
# that the counters count this flood only, and somaxconn is that
# namespace's (4096).
#
# Progress goes to stderr, the markdown table to stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ALL_SERVERS="ringnet-epoll ringnet-uring ringnet-epoll-goroutine ringnet-uring-goroutine ringnet-std nethttp"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
RATE=${RATE:-10000}
SERVERS=${SERVERS:-$ALL_SERVERS}
PORT=18900

# --inner SERVER WORK: one run, inside the namespace.
if [[ ${1:-} == --inner ]]; then
	server=$2 WORK=$3
	ip link set lo up
	addr=127.0.0.1:$PORT
	server_cmd "$server"
	"${CMD[@]}" -addr "$addr" >>"$WORK/$server.log" 2>&1 &
	pid=$!
	trap 'kill -KILL $pid 2>/dev/null || true' EXIT
	wait_accept "$server" "$pid" "$PORT"
	t0=$(cpu_ticks "$pid")
	out=$(timeout $((DURATION + 60)) nice -n "${FLOOD_NICE:-10}" "$WORK/flood" -addr "$addr" -rate "$RATE" -d "${DURATION}s")
	echo "$out cpu_s=$(awk -v a="$t0" -v b="$(cpu_ticks "$pid")" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }')"
	kill -TERM "$pid"
	wait "$pid" || true
	exit 0
fi

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
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
		die "unknown server $s (known: $ALL_SERVERS)"
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $DURATION =~ ^[1-9][0-9]*$ && $RATE =~ ^[1-9][0-9]*$ ]] ||
	die "ROUNDS, DURATION and RATE must be positive integers"
need_tools "Debian: apt-get install -y iproute2 util-linux coreutils" go unshare ip timeout flock
[[ $(id -u) == 0 ]] || die "needs root, for a network namespace of its own (unshare -n)"

bench_lock
work_dir flood
log "building into $WORK"
go -C "$ROOT" build -o "$WORK/ringnet" ./cmd/server
go -C "$BENCH" build -o "$WORK/flood" ./cmd/flood
go -C "$BENCH" build -o "$WORK/nethttp" ./servers/nethttp

echo "| round | server | attempted | connected | failed | conn/s | ListenOverflows | ListenDrops | server CPU s | serves after |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for ((round = 1; round <= ROUNDS; round++)); do
	for s in $SERVERS; do # interleaved: every server once per round
		line=$(unshare -n "$0" --inner "$s" "$WORK" | tail -n 1)
		log "round $round $s: $line"
		declare -A f=()
		for kv in $line; do f[${kv%%=*}]=${kv#*=}; done
		echo "| $round | $s | ${f[attempted]} | ${f[connected]} | ${f[failed]} | ${f[rate]} | ${f[overflows]} | ${f[drops]} | ${f[cpu_s]} | $([[ ${f[ok]} == 1 ]] && echo yes || echo NO) |"
		unset f
	done
done
