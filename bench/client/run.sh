#!/usr/bin/env bash
# run.sh: the HTTP clients in interleaved rounds, the server pinned to one
# CPU and the clients to the other.
#
#   bench/client/run.sh        BenchmarkClient (client_test.go): the client
#                              library against net/http's and fasthttp's
#   bench/client/run.sh load   cmd/client -load on epoll and io_uring
#                              against wrk (load.sh)
#
# BenchmarkClient: the test binary runs once per round, every client once
# in each, the order rotated from round to round; the server is a child
# process.
#
# Environment: ROUNDS (5), BENCHTIME (2s), SERVER_CPU (0), CLIENT_CPU (1),
# PIN (1; 0 runs both unpinned), KEEP (1: keep the work directory with the
# raw `go test` output of every round, benchstat-ready in all.txt).
#
# Progress, load averages and the raw lines go to stderr, the markdown
# table of medians to stdout.
set -euo pipefail
if [[ ${1:-} == load ]]; then
	shift
	exec "$(dirname "$0")/load.sh" "$@"
fi
. "$(dirname "$0")/../lib.sh"

ROUNDS=${ROUNDS:-5}
BENCHTIME=${BENCHTIME:-2s}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PIN=${PIN:-1}

load() { cut -d' ' -f1-3 /proc/loadavg; }

DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v go >/dev/null || die "go is missing"
if [ "$PIN" = 1 ]; then
	command -v taskset >/dev/null || die "taskset (util-linux) is missing; PIN=0 runs unpinned"
	pin=(taskset -c "$CLIENT_CPU")
	export CLIENTBENCH_SERVER_CPUS=$SERVER_CPU
else
	pin=()
	unset CLIENTBENCH_SERVER_CPUS
fi

work=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then
	log "work directory: $work"
else
	trap 'rm -rf "$work"' EXIT
fi

(cd "$DIR" && go test -c -o "$work/client.test" .)

: >"$work/all.txt"
for r in $(seq 1 "$ROUNDS"); do
	log "round $r/$ROUNDS, load average $(load)"
	CLIENTBENCH_ROUND=$r "${pin[@]}" "$work/client.test" -test.run '^$' \
		-test.bench '^BenchmarkClient$' -test.benchtime "$BENCHTIME" \
		-test.benchmem -test.count 1 >"$work/round$r.txt" ||
		{ cat "$work/round$r.txt" >&2; die "round $r failed"; }
	grep '^Benchmark' "$work/round$r.txt" | tee -a "$work/all.txt" >&2
	grep '^Benchmark' "$work/round$r.txt" | sed "s/^/$r /" >>"$work/rounds.txt"
done
log "load average after the last round $(load)"

# One row per client: medians over the rounds (req/s also min-max); the
# ratios are medians of the per-round ratios (CPU/req: theirs over ours,
# so above 1 is better for the row too), so that a round slowed by
# other load counts against every client alike.
awk -v order="net-http fasthttp-Client fasthttp-HostClient ringnet-std ringnet-epoll ringnet-uring" \
	-v fasts="fasthttp-Client fasthttp-HostClient" "$TABLE_AWK"'
# stat(name, unit): median over the rounds; lo/hi set to min and max.
function stat(name, unit,    r, n, a, md) {
	n = 0; lo = ""; hi = ""
	for (r = 1; r <= nr; r++) if ((name, unit, r) in v) a[++n] = v[name, unit, r] + 0
	if (!n) return ""
	md = stats(a, n); lo = LO; hi = HI
	return md
}
# ratio(num, den, unit, inv): median over the rounds of num/den (den/num
# if inv) for unit.
function ratio(num, den, unit, inv,    r, n, a) {
	n = 0
	for (r = 1; r <= nr; r++) if ((num, unit, r) in v && (den, unit, r) in v && v[num, unit, r] > 0 && v[den, unit, r] > 0)
		a[++n] = inv ? v[den, unit, r] / v[num, unit, r] : v[num, unit, r] / v[den, unit, r]
	return n ? sprintf("%.2f×", stats(a, n)) : "n/a"
}
{
	r = $1; name = $2
	sub(/^BenchmarkClient\//, "", name); sub(/-[0-9]+$/, "", name)
	if (r > nr) nr = r
	for (i = 4; i < NF; i += 2) v[name, $(i + 1), r] = $i
	seen[name] = 1
}
END {
	# The fasthttp reference is whichever of its two clients had the
	# higher median req/s.
	nf = split(fasts, fl, " "); fast = ""; best = -1
	for (i = 1; i <= nf; i++) if (fl[i] in seen && stat(fl[i], "req/s") > best) { best = stat(fl[i], "req/s"); fast = fl[i] }
	print "| client | req/s median (min–max) | allocs/op | B/op | client CPU µs/req | server CPU % | conns | req/s vs net/http | req/s vs " fast " | CPU/req vs net/http | CPU/req vs " fast " |"
	print "|---|---|---|---|---|---|---|---|---|---|---|"
	n = split(order, names, " ")
	for (k in seen) { found = 0; for (i = 1; i <= n; i++) if (names[i] == k) found = 1; if (!found) names[++n] = k }
	for (i = 1; i <= n; i++) {
		c = names[i]
		if (!(c in seen)) continue
		rps = stat(c, "req/s"); rlo = lo; rhi = hi
		printf "| %s | %s (%s–%s) | %s | %s | %.2f | %.0f | %s | %s | %s | %s | %s |\n", c,
			fmt(rps, 0), fmt(rlo, 0), fmt(rhi, 0),
			stat(c, "allocs/op"), stat(c, "B/op"), stat(c, "cpu-µs/req"),
			stat(c, "srv-cpu-%"), stat(c, "conns"),
			ratio(c, "net-http", "req/s", 0), ratio(c, fast, "req/s", 0),
			ratio(c, "net-http", "cpu-µs/req", 1), ratio(c, fast, "cpu-µs/req", 1)
	}
}' "$work/rounds.txt"
