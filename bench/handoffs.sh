#!/usr/bin/env bash
# handoffs.sh: how often cmd/server's loops are handed to a new goroutine
# under a /plaintext load that saturates both cores, where no handler
# blocks (issue 19: a hand-off there is a goroutine and a stack for
# nothing). wrk -c256 for DURATION seconds, then 16-deep pipelining for as
# long, on each backend; the counts come from the server's /metrics
# (ringnet_loop_handoffs_total, ringnet_http_blocking_routes).
#
#   bench/handoffs.sh [-d SECONDS] [-s ringnet-uring,ringnet-epoll]
#
# Environment: DURATION (15, seconds per wrk run), PORT_BASE (18800),
# KEEP (1: keep the work dir). The table goes to stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-15}
SERVERS=${SERVERS:-ringnet-uring ringnet-epoll}
PORT_BASE=${PORT_BASE:-18800}
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts "d:s:h" opt; do
	case $opt in
	d) DURATION=$OPTARG ;;
	s) SERVERS=${OPTARG//,/ } ;;
	*) usage ;;
	esac
done
for s in $SERVERS; do
	is_ringnet "$s" || die "unknown server $s (ringnet-BACKEND[-MODE])"
done
need_tools "Debian/Ubuntu: apt-get update && apt-get install -y wrk curl util-linux" go wrk curl timeout flock
bench_lock
work_dir handoffs
go -C "$ROOT" build -o "$WORK/ringnet" ./cmd/server
pipeline_lua "$WORK/pipeline.lua"

metric() { curl -fsS "http://127.0.0.1:$2/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

printf '| server | load | requests | hand-offs | blocking routes |\n|---|---|---|---|---|\n'
port=$PORT_BASE
for s in $SERVERS; do
	server_cmd "$s"
	admin=$((port + 1))
	"${CMD[@]}" -addr "127.0.0.1:$port" -admin "127.0.0.1:$admin" >"$WORK/$s.log" 2>&1 &
	pid=$!
	wait_accept "$s" "$pid" "$port"
	for load in c256 pipelined16; do
		args=(-t2 -c256 "-d${DURATION}s")
		[[ $load == pipelined16 ]] && args+=(-s "$WORK/pipeline.lua")
		before=$(metric ringnet_loop_handoffs_total "$admin")
		timeout $((DURATION + 30)) wrk "${args[@]}" -H 'Host: localhost' \
			-H 'Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7' \
			-H 'Connection: keep-alive' "http://127.0.0.1:$port/plaintext" >"$WORK/$s-$load.wrk"
		reqs=$(awk '/requests in/ { print $1 }' "$WORK/$s-$load.wrk")
		after=$(metric ringnet_loop_handoffs_total "$admin")
		printf '| %s | %s | %s | %s | %s |\n' "$s" "$load" "$reqs" "$((${after%.*} - ${before%.*}))" "$(metric ringnet_http_blocking_routes "$admin")"
	done
	stop_proc "$pid"
	port=$((port + 2))
done
