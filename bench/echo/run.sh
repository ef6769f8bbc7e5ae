#!/usr/bin/env bash
# run.sh: the echo benchmark (issue 11): gnet's echo server against
# ringnet's event loops and its blocking net.Conn path, with Go's net
# package for reference (see ../README.md, "Echo servers").
#
#   bench/echo/run.sh [-r ROUNDS] [-d SECONDS] [-n IDLE_CONNS] [-s server,server,...]
#
# Environment: ROUNDS (3), DURATION (5, seconds per load run), IDLE_CONNS
# (10000), SERVERS (all), CONNS (256), SIZE (1024, bytes per message),
# PORT_BASE (18400), BREAKDOWN (1: count every syscall by name too), KEEP
# (1: keep the work dir). Quick: ROUNDS=1 DURATION=2 IDLE_CONNS=2000 bench/echo/run.sh
#
# Progress goes to stderr, the markdown table to stdout.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

ALL_SERVERS="gnet ringnet-epoll-loop ringnet-uring-loop ringnet-epoll-goroutine ringnet-uring-goroutine std"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
IDLE_CONNS=${IDLE_CONNS:-10000}
SERVERS=${SERVERS:-$ALL_SERVERS}
CONNS=${CONNS:-256}
SIZE=${SIZE:-1024}
PORT_BASE=${PORT_BASE:-18400}
BREAKDOWN=${BREAKDOWN:-1}

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts "r:d:n:s:h" opt; do
	case $opt in
	r) ROUNDS=$OPTARG ;;
	d) DURATION=$OPTARG ;;
	n) IDLE_CONNS=$OPTARG ;;
	s) SERVERS=${OPTARG//,/ } ;;
	*) usage ;;
	esac
done
for s in $SERVERS; do
	[[ " $ALL_SERVERS " == *" $s "* ]] || { echo "run.sh: unknown server $s (known: $ALL_SERVERS)" >&2; exit 2; }
done

# --- tools -----------------------------------------------------------------

need_tools "Debian/Ubuntu: apt-get update && apt-get install -y util-linux coreutils   (Go from go.dev/dl)" go taskset flock timeout
# PERF: 0 none, 1 over the whole load run, 2 over the timed window only
# (perf stat --control, driven by the load generator).
PERF=2
if ! command -v perf >/dev/null; then
	PERF=0
	log "run.sh: perf not found, syscalls/round trip will be n/a (apt-get install -y linux-perf)"
elif ! perf stat -e raw_syscalls:sys_enter -- true >/dev/null 2>&1; then
	PERF=0
	log "run.sh: perf cannot count raw_syscalls:sys_enter here (try as root, or sysctl kernel.perf_event_paranoid=-1), syscalls/round trip will be n/a"
elif [[ $(perf stat -h 2>&1 || true) != *--control* ]]; then
	PERF=1
	log "run.sh: this perf has no --control; syscalls are counted over the whole load run (connects and closes included)"
fi
if [[ $PERF != 0 && $BREAKDOWN == 1 ]] && ! perf stat -e 'syscalls:sys_enter_read' -- true >/dev/null 2>&1; then
	BREAKDOWN=0
	log "run.sh: no syscalls:sys_enter_* tracepoints; no per-syscall breakdown"
fi
[[ $PERF != 0 ]] || BREAKDOWN=0
ulimit -n 20000 2>/dev/null || log "run.sh: could not raise ulimit -n to 20000 (now $(ulimit -n)); lower IDLE_CONNS if the idle test fails"
CLK_TCK=$(getconf CLK_TCK)
bench_lock

# --- build -----------------------------------------------------------------

work_dir echo

# When echo/server does not build (netfd broken in the work tree), its
# rows (every ringnet row and std) are skipped with a note and gnet runs
# alone.
NOTES=()
skip() { # skip NOTE SERVER...: drop the servers from SERVERS
	local note=$1 s kept=() dropped=0
	shift
	for s in $SERVERS; do
		if [[ " $* " == *" $s "* ]]; then dropped=1; else kept+=("$s"); fi
	done
	if ((dropped)); then
		NOTES+=("$note")
		log "run.sh: $note"
	fi
	SERVERS=${kept[*]:-}
}
firsterr() { grep -m1 -E '\.go:[0-9]+|error|cannot' "$1" || head -n1 "$1"; }

log "building into $WORK"
(
	cd "$BENCH"
	go build -o "$WORK/load" ./echo/load
	go build -o "$WORK/gnet" ./echo/gnet
) || die "cannot build the load generator or the gnet server"
if ! (cd "$BENCH" && go build -o "$WORK/server" ./echo/server) 2>"$WORK/build-server.log"; then
	skip "ringnet-* and std: not run, echo/server does not build ($(firsterr "$WORK/build-server.log"))" \
		ringnet-epoll-loop ringnet-uring-loop ringnet-epoll-goroutine ringnet-uring-goroutine std
fi
[[ -n $SERVERS ]] || die "no server left to run"

# --- one server ------------------------------------------------------------

PORT=$PORT_BASE
SERVER_PID=

# start NAME: starts server NAME on a fresh port (GOMAXPROCS=2, unpinned)
# and waits until it accepts.
start() {
	PORT=$((PORT + 1))
	ADDR=127.0.0.1:$PORT
	local cmd
	case $1 in
	gnet) cmd=("$WORK/gnet") ;;
	std) cmd=("$WORK/server" -backend std -mode goroutine) ;;
	ringnet-*-goroutine) cmd=("$WORK/server" -backend "$(cut -d- -f2 <<<"$1")" -mode goroutine) ;;
	ringnet-*-loop) cmd=("$WORK/server" -backend "$(cut -d- -f2 <<<"$1")" -mode loop) ;;
	esac
	GOMAXPROCS=2 "${cmd[@]}" -addr "$ADDR" >>"$WORK/$1.log" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	wait_accept "$1" "$SERVER_PID" "$PORT" 0.2
}

status_field() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$SERVER_PID/status"; }

# record SERVER METRIC VALUE: one figure of this round.
record() { printf '%s\t%s\t%s\t%s\n' "$round" "$1" "$2" "$3" >>"$WORK/results.tsv"; }

# idle SERVER: on a fresh server, IDLE_CONNS connections that each made
# one echo are held; KiB per connection from VmRSS before and after.
idle() {
	local server=$1 out=$WORK/idle-$server-r$round.txt
	local before after threads held failed lpid i
	before=$(status_field VmRSS)
	: >"$out"
	timeout 300 taskset -c 1 "$WORK/load" -mode idle -addr "$ADDR" -n "$IDLE_CONNS" -size "$SIZE" >"$out" 2>"$WORK/load.log.$server.$round" &
	lpid=$!
	PIDS+=("$lpid")
	for ((i = 0; i < 1200; i++)); do
		grep -q '^ready' "$out" && break
		kill -0 "$lpid" 2>/dev/null || break
		sleep 0.1
	done
	if grep -q '^ready' "$out"; then
		sleep 1 # let the server settle, as cmd/idleconns does
		after=$(status_field VmRSS)
		threads=$(status_field Threads)
		held=$(sed -n 's/^ready held=\([0-9]*\).*/\1/p' "$out")
		failed=$(sed -n 's/^ready .*failed=\([0-9]*\).*/\1/p' "$out")
		if ((${failed:-0} > 0)); then
			NOTES+=("round $round, $server idle test: $(grep -m1 'connections failed' "$WORK/load.log.$server.$round" || echo "$failed connections failed")")
			log "  WARNING: ${NOTES[-1]}"
		fi
		record "$server" rss_before "$before"
		record "$server" rss_after "$after"
		record "$server" held "$held"
		record "$server" threads "$threads"
		((held > 0)) && record "$server" idle_kib "$(awk -v a="$after" -v b="$before" -v n="$held" 'BEGIN { print (a - b) / n }')"
		log "  $server idle: $(cat "$out"), VmRSS $before -> $after KiB, $threads threads"
	else
		NOTES+=("round $round, $server idle test failed: $(tail -n 1 "$WORK/load.log.$server.$round")")
		log "  ${NOTES[-1]}"
	fi
	kill -TERM "$lpid" 2>/dev/null || true
	wait "$lpid" 2>/dev/null || true
	cat "$WORK/load.log.$server.$round" >>"$WORK/load.log"
}

# load SERVER NAME [load args]: one timed run of the load generator with
# perf counting the server's syscalls; records round trips/s, server CPU
# µs and syscalls per round trip, and the load generator's CPU %.
load() {
	local server=$1 name=$2
	shift 2
	local out=$WORK/load-$server-$name-r$round.txt perfout=$WORK/perf-$server-$name-r$round.txt perf_pid=
	local ctl=() events=(-e raw_syscalls:sys_enter)
	[[ $BREAKDOWN == 1 ]] && events+=(-e 'syscalls:sys_enter_*')
	if [[ $PERF != 0 ]]; then
		if [[ $PERF == 2 ]]; then
			rm -f "$WORK/perf.ctl" "$WORK/perf.ack"
			mkfifo "$WORK/perf.ctl" "$WORK/perf.ack"
			perf stat -x, "${events[@]}" -D -1 --control "fifo:$WORK/perf.ctl,$WORK/perf.ack" -p "$SERVER_PID" -o "$perfout" 2>>"$WORK/perf.log" &
			ctl=(-perf-ctl "$WORK/perf.ctl" -perf-ack "$WORK/perf.ack")
		else
			perf stat -x, "${events[@]}" -p "$SERVER_PID" -o "$perfout" 2>>"$WORK/perf.log" &
		fi
		perf_pid=$!
		PIDS+=("$perf_pid")
		sleep 0.5 # let perf attach to every thread
	fi
	timeout $((DURATION + 60)) taskset -c 1 "$WORK/load" "$@" -addr "$ADDR" -size "$SIZE" -duration "${DURATION}s" \
		-pid "$SERVER_PID" "${ctl[@]}" >"$out" 2>>"$WORK/load.log" || {
		NOTES+=("round $round, $server $name: $(tail -n 1 "$WORK/load.log")")
		log "  load failed: ${NOTES[-1]}"
	}
	if [[ -n $perf_pid ]]; then
		kill -INT "$perf_pid" 2>/dev/null || true
		wait "$perf_pid" 2>/dev/null || true
	fi
	local rts rtps ticks loadcpu
	eval "$(tr ' ' '\n' <"$out" | sed -n 's/^round_trips=/rts=/p; s/^rt_per_s=/rtps=/p; s/^server_cpu_ticks=/ticks=/p; s/^load_cpu_pct=/loadcpu=/p')"
	[[ -n ${rts:-} && $rts -gt 0 ]] || { log "  $server $name: no round trips completed"; return 0; }
	record "$server" "rtps_$name" "$rtps"
	record "$server" "loadcpu_$name" "$loadcpu"
	((ticks >= 0)) && record "$server" "cpu_$name" "$(awk -v t="$ticks" -v hz="$CLK_TCK" -v n="$rts" 'BEGIN { print t * 1e6 / hz / n }')"
	local calls=n/a
	if [[ -n $perf_pid ]]; then
		calls=$(awk -F, '$3 == "raw_syscalls:sys_enter" { print $1 }' "$perfout")
		if [[ $calls =~ ^[0-9]+$ ]]; then
			record "$server" "sys_$name" "$(awk -v c="$calls" -v n="$rts" 'BEGIN { print c / n }')"
			# Per syscall: "syscalls:sys_enter_read" -> "sc_c256:read".
			awk -F, -v n="$rts" -v r="$round" -v s="$server" -v m="$name" \
				'$3 ~ /^syscalls:sys_enter_/ && $1 ~ /^[0-9]+$/ && $1 > 0 {
					sub(/^syscalls:sys_enter_/, "", $3); printf "%s\t%s\tsc_%s:%s\t%s\n", r, s, m, $3, $1 / n }' \
				"$perfout" >>"$WORK/results.tsv"
		else
			log "  $server $name: perf counted nothing ($(tail -n 1 "$perfout"))"
		fi
	fi
	log "  $server $name: $rtps round trips/s, $rts round trips, server CPU $ticks ticks, $calls syscalls, load generator CPU $loadcpu %"
}

# bench SERVER: one round for one server: the idle test on a fresh
# process, then the two timed workloads on another fresh process.
bench() {
	local server=$1
	start "$server"
	idle "$server"
	stop_proc "$SERVER_PID"
	start "$server"
	load "$server" c$CONNS -mode conns -conns "$CONNS"
	load "$server" pp -mode pingpong
	stop_proc "$SERVER_PID"
}

log "servers: $SERVERS; $ROUNDS round(s), ${DURATION}s per run, $CONNS conns and 1-conn ping-pong of $SIZE B, $IDLE_CONNS idle conns; perf: $PERF, breakdown: $BREAKDOWN"
run_rounds

# --- table -----------------------------------------------------------------

case $PERF in
0) how="n/a: perf missing or not allowed to use the tracepoint" ;;
1) how="\`perf stat -e raw_syscalls:sys_enter -p SERVER\` over the whole load run (connects and closes included) ÷ round trips in the timed window" ;;
2) how="\`perf stat -e raw_syscalls:sys_enter -p SERVER\`, enabled by the load generator for exactly the timed window (\`--control\`), ÷ round trips in it" ;;
esac
echo "Echo benchmark, $(date -u +%Y-%m-%d), $(nproc) CPUs, load average $LOAD_START at the start, $LOAD_END at the end."
echo "$ROUNDS interleaved round(s) of ${DURATION} s per run; servers unpinned with GOMAXPROCS=2, \`bench/echo/load\` pinned with \`taskset -c 1\`."
echo "c$CONNS: $CONNS connections, each in a closed loop of $SIZE-byte round trips (write, read all of it back); ping-pong: 1 connection, $SIZE-byte round trips on a blocking socket."
echo "Cells: median (min–max) over the rounds; \"vs gnet\": the ratio to gnet in the same round, median (min–max) over the rounds (for CPU, lower is better)."
echo "Server CPU: utime+stime from /proc/PID/stat over the timed window ÷ round trips. Syscalls: $how; io_uring operations are not syscalls, only their io_uring_enter is."
echo "KiB/idle conn: (VmRSS with $IDLE_CONNS connections held, 1 s after the last of them made one $SIZE-byte echo − VmRSS of the fresh server) ÷ connections held."
echo
awk -F'\t' -v servers="$SERVERS" -v conns="c$CONNS" -v breakdown="$BREAKDOWN" "$TABLE_AWK"'
function ratio(s, m) { return round_ratio(s, m, "gnet", m) }
{ val[$1, $2, $3] = $4 + 0; if ($1 > maxround) maxround = $1 }
$3 ~ /^sc_/ { split($3, p, ":"); w = substr(p[1], 4); sc[$2, w, p[2]] = 1; scnames[w, p[2]] = 1 }
END {
	n = split(servers, list, " ")
	print "| server | round trips/s " conns " | vs gnet | server CPU µs/rt " conns " | vs gnet | syscalls/rt " conns " | round trips/s ping-pong | vs gnet | server CPU µs/rt ping-pong | syscalls/rt ping-pong | KiB/idle conn |"
	print "|---|---|---|---|---|---|---|---|---|---|---|"
	for (i = 1; i <= n; i++) {
		s = list[i]
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s,
			cell(s, "rtps_" conns, 0), ratio(s, "rtps_" conns), cell(s, "cpu_" conns, 2), ratio(s, "cpu_" conns), cell(s, "sys_" conns, 2),
			cell(s, "rtps_pp", 0), ratio(s, "rtps_pp"), cell(s, "cpu_pp", 1), cell(s, "sys_pp", 2), cell(s, "idle_kib", 2)
	}
	print ""
	print "Secondary: the load generator'"'"'s CPU % of its core over the window (near 100: it, not the server, set the pace), and the idle test."
	print ""
	print "| server | load gen CPU % " conns " | load gen CPU % ping-pong | RSS before (KiB) | RSS with idle conns (KiB) | conns held | server threads |"
	print "|---|---|---|---|---|---|---|"
	for (i = 1; i <= n; i++) {
		s = list[i]
		printf "| %s | %s | %s | %s | %s | %s | %s |\n", s, cell(s, "loadcpu_" conns, 0), cell(s, "loadcpu_pp", 0),
			cell(s, "rss_before", 0), cell(s, "rss_after", 0), cell(s, "held", 0), cell(s, "threads", 0)
	}
	if (breakdown != 1) exit
	print ""
	print "Syscalls per round trip by name (`perf stat -e '"'"'syscalls:sys_enter_*'"'"'`, same window), medians over the rounds, those ≥ 0.01:"
	print ""
	print "| server | " conns " | ping-pong |"
	print "|---|---|---|"
	for (i = 1; i <= n; i++) {
		s = list[i]
		printf "| %s | %s | %s |\n", s, bynames(s, conns), bynames(s, "pp")
	}
}
# bynames(s, w): "read 1.00, write 1.00, ..." sorted by count.
function bynames(s, w,   k, parts, name, md, cnt, i, j, t, nm, vs, r, a, m, out) {
	cnt = 0
	for (k in scnames) {
		split(k, parts, SUBSEP)
		if (parts[1] != w || !((s, w, parts[2]) in sc)) continue
		name = parts[2]; m = 0
		for (r = 1; r <= maxround; r++) if ((r, s, "sys_" w) in val) a[++m] = ((r, s, "sc_" w ":" name) in val) ? val[r, s, "sc_" w ":" name] : 0
		if (!m) continue
		md = stats(a, m)
		if (md < 0.01) continue
		nm[++cnt] = name; vs[cnt] = md
	}
	for (i = 2; i <= cnt; i++) for (j = i; j > 1 && vs[j - 1] < vs[j]; j--) {
		t = vs[j]; vs[j] = vs[j - 1]; vs[j - 1] = t; t = nm[j]; nm[j] = nm[j - 1]; nm[j - 1] = t
	}
	out = ""
	for (i = 1; i <= cnt; i++) out = out (i > 1 ? ", " : "") nm[i] " " sprintf("%.2f", vs[i])
	return cnt ? out : "n/a"
}' "$WORK/results.tsv"
if ((${#NOTES[@]})); then
	echo
	for note in "${NOTES[@]}"; do echo "Note: $note"; done
fi
