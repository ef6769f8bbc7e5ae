#!/usr/bin/env bash
# load.sh (bench/client/run.sh load): cmd/client's load generator on
# netfd's event loops, epoll and io_uring, against wrk in the same run
# (issue 21). Each round runs every scenario on every server with every
# tool, the tools' order rotated from round to round; the server is pinned
# to SERVER_CPU and the tool to CLIENT_CPU, so that the tool, one core of
# its own, sets the pace.
#
#   bench/client/run.sh load
#
# Servers: gnet (bench/servers/gnet) and cmd/server (ringnet-uring), on
# GET /plaintext. Scenarios, DURATION seconds each:
#   c64, c256  closed model, 64 and 256 connections
#   p16        256 connections, 16 requests per write (wrk: the pipeline
#              script of bench/run.sh; cmd/client: -pipeline 16)
#   rate       64 connections at a fixed rate: wrk first, each connection
#              pausing so that all send about RATE/s (wrk's delay(), in
#              whole ms; wrk2 is not packaged), then cmd/client with
#              -rate at the rate wrk reached in that round, after a
#              -warmup of 0.5 s: wrk's latency leaves out its connects and
#              start, cmd/client's open model counts a first request from
#              when it was due, its connection's dial included; latency
#              from wrk --latency and from cmd/client's histogram.
# Client CPU per request is the tool's user+system time (GNU time) over
# the requests it completed.
#
# Environment: ROUNDS (3), DURATION (3), RATE (16000), SERVERS ("gnet
# ringnet-uring"), SCENARIOS ("c64 c256 p16 rate"), SERVER_CPU (0),
# CLIENT_CPU (1), PORT_BASE (18300), KEEP (1: keep the work directory with
# every tool's output).
#
# Progress and load averages go to stderr, the markdown tables of medians
# (and min–max) to stdout.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-3}
RATE=${RATE:-16000}
SERVERS=${SERVERS:-gnet ringnet-uring}
SCENARIOS=${SCENARIOS:-c64 c256 p16 rate}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT_BASE:-18300}
TOOLS=(wrk epoll uring)

need_tools "Debian/Ubuntu: apt-get install -y wrk util-linux time jq   (Go from go.dev/dl)" go wrk taskset flock jq /usr/bin/time
bench_lock
work_dir clientload

log "building into $WORK"
go -C "$ROOT" build -o "$WORK/client" ./cmd/client
go -C "$ROOT" build -o "$WORK/ringnet" ./cmd/server
go -C "$BENCH" build -o "$WORK/gnet" ./servers/gnet

pipeline_lua "$WORK/pipeline.lua"
cat >"$WORK/delay.lua" <<'EOF'
-- Each connection waits args[1] ms before each request.
init = function(args)
	pause = tonumber(args[1])
end

delay = function()
	return pause
end
EOF

load() { cut -d' ' -f1-3 /proc/loadavg; }

# record SERVER SCENARIO TOOL METRIC VALUE, for this round.
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$1" "$2" "$3" "$4" "$5" >>"$WORK/results.tsv"; }

# ms VALUE: a wrk latency (850.00us, 1.20ms, 2.00s) in ms.
ms() { awk -v v="$1" 'BEGIN { u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u);
	print (u == "us" ? v / 1000 : u == "s" ? v * 1000 : u == "m" ? v * 60000 : v) }'; }

# cpu_per_req TIMEFILE REQUESTS: the user+system µs per request.
cpu_per_req() { awk -v n="$2" '{ print ($1 + $2) * 1e6 / n }' "$1"; }

# run_wrk SERVER SCENARIO: one wrk run; prints the requests/s it reached.
run_wrk() {
	local server=$1 sc=$2 conns=64 args=()
	case $sc in
	c256) conns=256 ;;
	p16) conns=256 args=(-s "$WORK/pipeline.lua") ;;
	rate) args=(-s "$WORK/delay.lua") ;;
	esac
	local out=$WORK/$server-$sc-wrk-r$round
	local url=http://$ADDR/plaintext
	[[ $sc == rate ]] && url="$url -- $(awk -v c="$conns" -v r="$RATE" 'BEGIN { printf "%d", c * 1000 / r + 0.5 }')"
	# shellcheck disable=SC2086 # url carries wrk's script arguments
	timeout $((DURATION + 30)) /usr/bin/time -f '%U %S' -o "$out.time" taskset -c "$CLIENT_CPU" \
		wrk -t1 -c"$conns" -d"${DURATION}s" --timeout 8s --latency "${args[@]}" $url >"$out.txt" 2>&1 ||
		{ log "  wrk failed: $(tail -n 2 "$out.txt")"; return 0; }
	local reqs rps bad
	reqs=$(awk '/requests in/ { print $1 }' "$out.txt")
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out.txt")
	bad=$(awk '/Non-2xx|Socket errors/ { print }' "$out.txt")
	[[ -z $bad ]] || log "  WARNING: wrk $server $sc: $bad"
	[[ -n $reqs && $reqs -gt 0 ]] || { log "  wrk $server $sc: no requests"; return 0; }
	record "$server" "$sc" wrk rps "$rps"
	record "$server" "$sc" wrk cpu "$(cpu_per_req "$out.time" "$reqs")"
	record "$server" "$sc" wrk p50 "$(ms "$(awk '$1 == "50%" { print $2 }' "$out.txt")")"
	record "$server" "$sc" wrk p99 "$(ms "$(awk '$1 == "99%" { print $2 }' "$out.txt")")"
	record "$server" "$sc" wrk max "$(ms "$(awk '$1 == "Latency" { print $4 }' "$out.txt")")"
	log "  wrk $server $sc: $rps req/s"
	WRK_RPS=$rps
}

# run_client SERVER SCENARIO BACKEND: one cmd/client -load run.
run_client() {
	local server=$1 sc=$2 b=$3 args=(-c 64)
	case $sc in
	c256) args=(-c 256) ;;
	p16) args=(-c 256 -pipeline 16) ;;
	rate) args=(-c 64 -warmup 500ms -rate "$(printf '%.0f' "${WRK_RPS:-$RATE}")") ;;
	esac
	local out=$WORK/$server-$sc-$b-r$round
	timeout $((DURATION + 30)) /usr/bin/time -f '%U %S' -o "$out.time" taskset -c "$CLIENT_CPU" \
		"$WORK/client" -load -json -backend "$b" -d "${DURATION}s" -timeout 8s "${args[@]}" \
		"http://$ADDR/plaintext" >"$out.json" 2>"$out.err" ||
		{ log "  $b failed: $(tail -n 2 "$out.err") $(jq -c .errors "$out.json" 2>/dev/null)"; return 0; }
	local reqs
	reqs=$(jq .requests "$out.json")
	[[ $reqs -gt 0 ]] || { log "  $b $server $sc: no requests"; return 0; }
	record "$server" "$sc" "$b" rps "$(jq .requests_per_s "$out.json")"
	[[ $sc == rate ]] && reqs=$(awk -v n="$reqs" -v d="$DURATION" 'BEGIN { printf "%d", n * (d + 0.5) / d }') # the warm-up's too
	record "$server" "$sc" "$b" cpu "$(cpu_per_req "$out.time" "$reqs")"
	record "$server" "$sc" "$b" p50 "$(jq '.latency_us.p50 / 1000' "$out.json")"
	record "$server" "$sc" "$b" p99 "$(jq '.latency_us.p99 / 1000' "$out.json")"
	record "$server" "$sc" "$b" max "$(jq '.latency_us.max / 1000' "$out.json")"
	log "  $b $server $sc: $(jq .requests_per_s "$out.json") req/s"
}

log "servers: $SERVERS; scenarios: $SCENARIOS; $ROUNDS round(s) of ${DURATION}s runs; server on CPU $SERVER_CPU, tools on CPU $CLIENT_CPU"
: >"$WORK/results.tsv"
for ((round = 1; round <= ROUNDS; round++)); do
	log "round $round/$ROUNDS, load average $(load)"
	for server in $SERVERS; do
		PORT=$((PORT + 1))
		ADDR=127.0.0.1:$PORT
		server_cmd "$server"
		taskset -c "$SERVER_CPU" "${CMD[@]}" -addr "$ADDR" >>"$WORK/$server.log" 2>&1 &
		pid=$!
		PIDS+=("$pid")
		wait_accept "$server" "$pid" "$PORT" 0.2
		for sc in $SCENARIOS; do
			order=("${TOOLS[@]:round%3}" "${TOOLS[@]:0:round%3}")
			[[ $sc == rate ]] && order=("${TOOLS[@]}") # cmd/client at wrk's rate
			WRK_RPS=
			for tool in "${order[@]}"; do
				case $tool in
				wrk) run_wrk "$server" "$sc" ;;
				*) run_client "$server" "$sc" "$tool" ;;
				esac
			done
		done
		stop_proc "$pid"
	done
done
log "load average after the last round $(load)"

# The tables: per server and scenario, each tool's median (min–max) over
# the rounds, and the medians of the per-round ratios.
awk -F'\t' -v servers="$SERVERS" -v scenarios="$SCENARIOS" "$TABLE_AWK"'
{ v[$1, $2, $3, $4, $5] = $6 + 0; if ($1 > maxround) maxround = $1 }
# m(s, sc, t, k, d): tool t metric k as "median (min–max)", d decimals.
function m(s, sc, t, k, d,   r, a, n) {
	n = 0
	for (r = 1; r <= maxround; r++) if ((r, s, sc, t, k) in v) a[++n] = v[r, s, sc, t, k]
	if (!n) return "n/a"
	return show(stats(a, n), n, d, "")
}
# q(s, sc, t, u, k, inv): the median over the rounds of t/u for metric k
# (u/t with inv).
function q(s, sc, t, u, k, inv,   r, a, n, x, y) {
	n = 0
	for (r = 1; r <= maxround; r++) if ((r, s, sc, t, k) in v && (r, s, sc, u, k) in v) {
		x = v[r, s, sc, t, k]; y = v[r, s, sc, u, k]
		if (x > 0 && y > 0) a[++n] = inv ? y / x : x / y
	}
	return n ? sprintf("%.2f×", stats(a, n)) : "n/a"
}
END {
	ns = split(servers, S, " "); nc = split(scenarios, C, " ")
	print "| server | scenario | wrk req/s | epoll req/s | uring req/s | epoll/wrk | uring/wrk | uring/epoll | CPU µs/req wrk | epoll | uring | CPU/req wrk/epoll | wrk/uring |"
	print "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for (i = 1; i <= ns; i++) for (j = 1; j <= nc; j++) {
		s = S[i]; sc = C[j]
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s, sc,
			m(s, sc, "wrk", "rps", 0), m(s, sc, "epoll", "rps", 0), m(s, sc, "uring", "rps", 0),
			q(s, sc, "epoll", "wrk", "rps", 0), q(s, sc, "uring", "wrk", "rps", 0), q(s, sc, "uring", "epoll", "rps", 0),
			m(s, sc, "wrk", "cpu", 2), m(s, sc, "epoll", "cpu", 2), m(s, sc, "uring", "cpu", 2),
			q(s, sc, "epoll", "wrk", "cpu", 1), q(s, sc, "uring", "wrk", "cpu", 1)
	}
	print ""
	print "Latency (ms), median over the rounds; ratios are ours over wrk (above 1: higher than wrk)."
	print ""
	print "| server | scenario | wrk p50 | epoll p50 | uring p50 | wrk p99 | epoll p99 | uring p99 | p50 epoll/wrk | uring/wrk | p99 epoll/wrk | uring/wrk | max wrk | epoll | uring |"
	print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for (i = 1; i <= ns; i++) for (j = 1; j <= nc; j++) {
		s = S[i]; sc = C[j]
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s, sc,
			m(s, sc, "wrk", "p50", 3), m(s, sc, "epoll", "p50", 3), m(s, sc, "uring", "p50", 3),
			m(s, sc, "wrk", "p99", 3), m(s, sc, "epoll", "p99", 3), m(s, sc, "uring", "p99", 3),
			q(s, sc, "epoll", "wrk", "p50", 0), q(s, sc, "uring", "wrk", "p50", 0),
			q(s, sc, "epoll", "wrk", "p99", 0), q(s, sc, "uring", "wrk", "p99", 0),
			m(s, sc, "wrk", "max", 1), m(s, sc, "epoll", "max", 1), m(s, sc, "uring", "max", 1)
	}
}' "$WORK/results.tsv"
