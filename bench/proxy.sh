#!/usr/bin/env bash
# proxy.sh: scale-out behind a real nginx. Two cmd/server processes share
# one port with SO_REUSEPORT (-reuseport); nginx proxies to it with
# keep-alive upstream connections; wrk drives nginx for DURATION seconds,
# and half way through one backend process is restarted: SIGTERM (it
# drains) and a new one on the same port. Counted: wrk's requests,
# non-2xx responses and socket errors, which must be 0; the old process's
# exit status (0: drained); requests each process served (their access
# logs); nginx's error log, line by line.
#
#   bench/proxy.sh [-r ROUNDS] [-d SECONDS] [-s server,server,...]
#
# Environment: ROUNDS (1), DURATION (10), CONNS (64, wrk's), SERVERS
# (all), MIGRATE (1: net.ipv4.tcp_migrate_req, see below), KEEP (1: keep
# the work dir). ringnet-BACKEND[-MODE] is cmd/server -backend BACKEND
# [-mode MODE]. Each run is in a network namespace of its own (unshare -n,
# as root): its sysctls are its own.
#
# With tcp_migrate_req=1 the kernel moves the connections waiting in the
# closing listener's queue to the other listener of the port; with 0 it
# resets them, and nginx sees "connection reset" on connections it had
# just opened (MIGRATE=0 shows it).
#
# Progress goes to stderr, the markdown table to stdout. Exit status 1 if
# a run saw an error.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ALL_SERVERS="ringnet-epoll ringnet-uring ringnet-epoll-goroutine ringnet-uring-goroutine ringnet-std"
ROUNDS=${ROUNDS:-1}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
SERVERS=${SERVERS:-$ALL_SERVERS}
MIGRATE=${MIGRATE:-1}
BACKEND_PORT=18801
PROXY_PORT=18800

# --inner SERVER WORK: one run, inside the namespace. Prints one line of
# key=value.
if [[ ${1:-} == --inner ]]; then
	server=$2 WORK=$3
	ip link set lo up
	echo "$MIGRATE" >/proc/sys/net/ipv4/tcp_migrate_req
	run=$WORK/$server.$$
	mkdir -p "$run"/{body,proxy,fastcgi,uwsgi,scgi}
	case $server in
	ringnet-*-*) rest=${server#ringnet-}; args=(-backend "${rest%%-*}" -mode "${rest#*-}") ;;
	*) args=(-backend "${server#ringnet-}") ;;
	esac
	PIDS=()
	trap 'for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done' EXIT
	# backend N: starts backend process N, its access log in $run/accessN.
	backend() {
		"$WORK/ringnet" -addr "127.0.0.1:$BACKEND_PORT" -reuseport -access-log "${args[@]}" \
			>"$run/access$1" 2>"$run/server$1.log" &
		PIDS+=($!)
		eval "PID$1=$!"
		for ((i = 0; i < 100; i++)); do
			grep -q 'msg=listening' "$run/server$1.log" && return 0
			kill -0 "$(eval echo \$PID$1)" 2>/dev/null || die "backend $1 exited at start: $(cat "$run/server$1.log")"
			sleep 0.05
		done
		die "backend $1 did not start"
	}
	backend 1
	backend 2
	cat >"$run/nginx.conf" <<EOF
worker_processes 1;
pid $run/nginx.pid;
error_log $run/error.log info;
user root;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $run/body;
	proxy_temp_path $run/proxy;
	fastcgi_temp_path $run/fastcgi;
	uwsgi_temp_path $run/uwsgi;
	scgi_temp_path $run/scgi;
	upstream backends {
		server 127.0.0.1:$BACKEND_PORT max_fails=0;
		keepalive 32;
	}
	server {
		listen 127.0.0.1:$PROXY_PORT;
		location / {
			proxy_pass http://backends;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_next_upstream error timeout;
		}
	}
}
EOF
	/usr/sbin/nginx -p "$run" -c "$run/nginx.conf" -g 'daemon off;' 2>>"$run/error.log" &
	PIDS+=($!)
	NGINX=$!
	for ((i = 0; i < 100; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$PROXY_PORT") 2>/dev/null && break
		sleep 0.05
	done
	: >"$run/error.log" # nginx's start-up notices are not the run's
	wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 5s "http://127.0.0.1:$PROXY_PORT/plaintext" >"$run/wrk.txt" 2>&1 &
	WRK=$!
	sleep $((DURATION / 2))
	old=$PID1
	kill -TERM "$old"
	mv "$run/access1" "$run/access1.old"
	mv "$run/server1.log" "$run/server1.old.log"
	backend 1 # the new process, on the same port
	status=0
	wait "$old" || status=$?
	wait "$WRK" || true
	kill -TERM "$PID1" "$PID2" "$NGINX"
	wait "$PID1" "$PID2" "$NGINX" 2>/dev/null || true
	reqs=$(awk '/requests in/ { print $1 }' "$run/wrk.txt")
	non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$run/wrk.txt")
	sockerr=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$run/wrk.txt")
	# nginx's lines at warn and above, by kind: errors about the upstream
	# that a retry covered (wrk got every response), and the rest. (Below
	# warn: nginx's own start and exit notices, and wrk closing its
	# connections at the end, at info.)
	grep -E '\[(warn|error|crit|alert|emerg)\]' "$run/error.log" >"$run/error.warn" || true
	retried=$(grep -c 'upstream' "$run/error.warn" || true)
	other=$(grep -vc 'upstream' "$run/error.warn" || true)
	info=$(grep -c '\[info\]' "$run/error.log" || true)
	echo "reqs=${reqs:-0} non2xx=${non2xx:-0} sockerr=${sockerr:-0} old_exit=$status" \
		"old_served=$(wc -l <"$run/access1.old")" \
		"served1=$(wc -l <"$run/access1") served2=$(wc -l <"$run/access2") nginx_upstream_errors=$retried nginx_other=$other nginx_info=$info run=$run"
	exit 0
fi

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts "r:d:s:h" opt; do
	case $opt in
	r) ROUNDS=$OPTARG ;;
	d) DURATION=$OPTARG ;;
	s) SERVERS=${OPTARG//,/ } ;;
	*) usage ;;
	esac
done
for s in $SERVERS; do
	is_ringnet "$s" || die "unknown server $s (known: $ALL_SERVERS)"
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $DURATION =~ ^[1-9][0-9]*$ && $DURATION -ge 2 ]] ||
	die "ROUNDS must be a positive integer, DURATION at least 2"
need_tools "Debian: apt-get install -y nginx wrk iproute2 util-linux" go unshare ip wrk flock /usr/sbin/nginx
[[ $(id -u) == 0 ]] || die "needs root, for a network namespace of its own (unshare -n)"

bench_lock
work_dir proxy
log "building into $WORK"
go -C "$ROOT" build -o "$WORK/ringnet" ./cmd/server

echo "| round | server | requests | non-2xx | socket errors | old process exit | served: old, new, other | nginx upstream errors (retried) | other nginx lines |"
echo "|---|---|---|---|---|---|---|---|---|"
fail=0
for ((round = 1; round <= ROUNDS; round++)); do
	for s in $SERVERS; do
		line=$(MIGRATE=$MIGRATE unshare -n "$0" --inner "$s" "$WORK" | tail -n 1)
		log "round $round $s: $line"
		declare -A f=()
		for kv in $line; do f[${kv%%=*}]=${kv#*=}; done
		echo "| $round | $s | ${f[reqs]} | ${f[non2xx]} | ${f[sockerr]} | ${f[old_exit]} | ${f[old_served]}, ${f[served1]}, ${f[served2]} | ${f[nginx_upstream_errors]} | ${f[nginx_other]} |"
		if [[ ${f[non2xx]} != 0 || ${f[sockerr]} != 0 || ${f[old_exit]} != 0 || ${f[nginx_other]} != 0 || ${f[served1]} == 0 ]]; then
			fail=1
			log "  FAILED; nginx error log: ${f[run]}/error.log (KEEP=1 keeps it)"
		fi
		unset f
	done
done
exit $fail
