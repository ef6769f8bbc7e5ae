#!/usr/bin/env bash
# slow.sh: a normal client's requests/s while slow and hostile clients hold
# connections, as a ratio of its requests/s without them (issue 13).
#
#   bench/slow.sh [-r ROUNDS] [-d SECONDS] [-s server,...] [-a attack,...]
#
# Attacks (cmd/slowattack): loris (N_LORIS=2000 connections sending a request
# header a byte a second, never finished), post (N_POST=200 sending a 1 MiB
# body a byte a second to /echo), stall (N_STALL=100 GETs of an 8 MiB file,
# never read). Servers: ringnet-BACKEND[-MODE] (cmd/server) and nethttp.
# Environment: ROUNDS (3), DURATION (3), SERVERS, ATTACKS, PORT_BASE (18400).
#
# Progress goes to stderr, the markdown table to stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-3}
SERVERS=${SERVERS:-ringnet-uring ringnet-epoll ringnet-uring-goroutine ringnet-epoll-goroutine ringnet-std nethttp}
ATTACKS=${ATTACKS:-loris post stall}
N_LORIS=${N_LORIS:-2000}
N_POST=${N_POST:-200}
N_STALL=${N_STALL:-100}
PORT_BASE=${PORT_BASE:-18400}

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts "r:d:s:a:h" opt; do
	case $opt in
	r) ROUNDS=$OPTARG ;;
	d) DURATION=$OPTARG ;;
	s) SERVERS=${OPTARG//,/ } ;;
	a) ATTACKS=${OPTARG//,/ } ;;
	*) usage ;;
	esac
done

need_tools "Debian/Ubuntu: apt-get install -y wrk util-linux" go wrk taskset flock
ulimit -n 20000 2>/dev/null || true
bench_lock wait
work_dir slow

log "building into $WORK"
go -C "$ROOT" build -o "$WORK/ringnet" ./cmd/server
go -C "$BENCH" build -o "$WORK/nethttp" ./servers/nethttp
go -C "$BENCH" build -o "$WORK/slowattack" ./cmd/slowattack
mkdir "$WORK/static"
head -c $((8 << 20)) /dev/urandom >"$WORK/static/big.bin"

PORT=$PORT_BASE
SERVER_PID=

# start NAME: a fresh server NAME on a new port, once it accepts.
start() {
	PORT=$((PORT + 1))
	ADDR=127.0.0.1:$PORT
	server_cmd "$1"
	"${CMD[@]}" -addr "$ADDR" -dir "$WORK/static" >>"$WORK/$1.log" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	wait_accept "$1" "$SERVER_PID" "$PORT"
}

# wrkrun OUT: the normal client, bounded; prints requests/s and errors.
wrkrun() {
	timeout $((DURATION + 30)) taskset -c 1 wrk -t1 -c4 -d"${DURATION}s" --timeout 5s \
		-H 'Host: localhost' "http://$ADDR/plaintext" >"$1" 2>&1 || true
	awk '/^Requests\/sec:/ { rps = $2 }
		/Socket errors:/ { gsub(/,/, ""); e += $4 + $6 + $8 + $10 }
		/Non-2xx/ { e += $NF }
		END { printf "%s %d\n", (rps == "" ? 0 : rps), e }' "$1"
}

RESULTS=$WORK/results.tsv
for ((round = 1; round <= ROUNDS; round++)); do
	for attack in $ATTACKS; do
		case $attack in
		loris) args=(-attack loris -n "$N_LORIS" -path /plaintext) ;;
		post) args=(-attack post -n "$N_POST" -path /echo) ;;
		stall) args=(-attack stall -n "$N_STALL" -path /static/big.bin) ;;
		*) die "unknown attack $attack" ;;
		esac
		for server in $SERVERS; do
			start "$server"
			read -r base base_err < <(wrkrun "$WORK/wrk-$server-$attack-$round-base.txt")
			out=$WORK/attack-$server-$attack-$round.txt
			"$WORK/slowattack" -addr "$ADDR" "${args[@]}" >"$out" 2>&1 &
			apid=$!
			PIDS+=("$apid")
			for ((i = 0; i < 300; i++)); do
				grep -qs '^ready' "$out" && break
				sleep 0.1
			done
			grep -qs '^ready' "$out" || log "  $server $attack: attackers not all connected after 30 s"
			sleep 1 # every attacker has sent a byte since connecting
			read -r loaded loaded_err < <(wrkrun "$WORK/wrk-$server-$attack-$round-load.txt")
			stop_proc "$apid" 50
			stop_proc "$SERVER_PID" 50
			summary=$(grep '^slowattack' "$out" || echo "no summary")
			ratio=$(awk -v a="$loaded" -v b="$base" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
			printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$attack" "$base" "$loaded" "$((base_err + loaded_err))" "$ratio" >>"$RESULTS"
			log "round $round $attack $server: unloaded $base rps, attacked $loaded rps (x$ratio), wrk errors $((base_err + loaded_err)); $summary"
		done
	done
done

# The table: median (min-max) of the ratio per server and attack.
printf '\n%s, %s rounds of %s s, wrk -t1 -c4 GET /plaintext (pinned to CPU 1); loris %d, post %d, stall %d connections\n\n' \
	"$(date -u +%Y-%m-%d)" "$ROUNDS" "$DURATION" "$N_LORIS" "$N_POST" "$N_STALL"
printf '| server |'
for attack in $ATTACKS; do printf ' %s: attacked / unloaded |' "$attack"; done
printf ' unloaded rps (median) | wrk errors |\n|---|'
for attack in $ATTACKS; do printf -- '---|'; done
printf -- '---|---|\n'
for server in $SERVERS; do
	printf '| %s |' "$server"
	for attack in $ATTACKS; do
		awk -F'\t' -v s="$server" -v a="$attack" '$1 == s && $2 == a { print $6 }' "$RESULTS" | sort -n |
			awk '{ v[NR] = $1 } END { if (NR == 0) { printf " n/a |"; exit }
				printf " %.2f (%.2f-%.2f) |", v[int((NR + 1) / 2)], v[1], v[NR] }'
	done
	awk -F'\t' -v s="$server" '$1 == s { print $3 }' "$RESULTS" | sort -n |
		awk '{ v[NR] = $1 } END { printf " %.0f |", v[int((NR + 1) / 2)] }'
	awk -F'\t' -v s="$server" '$1 == s { e += $5 } END { printf " %d |\n", e }' "$RESULTS"
done
