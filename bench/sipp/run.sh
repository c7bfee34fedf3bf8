#!/usr/bin/env bash
# Stateless OPTIONS responder, olelo vs Kamailio, driven by SIPp over UDP
# on loopback. See docs/BENCHMARKS.md for how to read the output.
#
#   bench/sipp/run.sh                 # defaults below
#   RATES="2000 5000" REPEATS=1 bench/sipp/run.sh
#
# Servers (same number of UDP workers, WORKERS, default 2):
#   olelo     go build ./cmd/olelo; olelo -l udp:127.0.0.1:PORT -n WORKERS
#             (the built-in responder: OPTIONS -> 200, others -> 501;
#             -n = UDP reader goroutines, each on its own SO_REUSEPORT socket;
#             GOMAXPROCS is left at its default, the number of CPUs)
#   olelo-cfg (not in the default SERVERS) olelo running the same
#             kamailio-options.cfg as Kamailio, through its script engine:
#             olelo -f bench/sipp/kamailio-options.cfg -A KPORT=PORT -n WORKERS
#   kamailio  kamailio -f bench/sipp/kamailio-options.cfg -n WORKERS -DD -E
#             (sl_send_reply 200 to OPTIONS, 501 to others; -n = UDP
#             worker processes sharing one socket, plus Kamailio's own
#             main/timer processes)
#
# For each rate in RATES, each repeat and each server, SIPp sends
# rate*STEP_SECONDS OPTIONS at that rate (CLIENTS SIPp processes, each
# from its own UDP port, at rate/CLIENTS each) and the script records:
#   - failed calls and retransmissions (SIPp statistics)
#   - achieved call rate (SIPp CallRate(C), summed over clients)
#   - server CPU: utime+stime of the server's processes (olelo: the one
#     process, all threads; Kamailio: the main process and its children)
#     from /proc/PID/stat before and after the step, divided by the
#     requests the server received (sent + retransmitted); in
#     microseconds per request
#   - SIPp's response time (rtd 1, OPTIONS sent -> 200 received), from
#     -trace_rtt: mean, median, p99, max; SIPp's clock has a resolution of
#     one millisecond, so on loopback most values are 0 ms
#   - SIPp's own CPU time (it shares the 2 cores with the server)
#   - datagrams the kernel dropped on the server's sockets (receive buffer
#     full), from /proc/net/udp; the same for SIPp's sockets (sampled once
#     a second while SIPp runs, so it may miss the last second)
# Before each step the script waits (up to QUIET_WAIT s) for a 2 s window
# in which less than QUIET_PCT % of the CPU is busy (pre_busy_pct).
# A server stops stepping up after a rate at which any repeat had a failed
# call or retransmissions above STOP_RETRANS_PCT % of the requests (the
# scenario retransmits an unanswered OPTIONS after 500 ms, up to SIPp's
# default of 5 times, so an overloaded server shows first as
# retransmissions, and only much later as failed calls).
# Everything is bounded: each process runs under `timeout`, and the whole
# script stops starting steps after MAX_SECONDS. On exit it stops exactly
# the processes it started.
#
# Environment:
#   RATES        calls per second to step through (default "2000 5000 10000 20000 30000 40000 50000 60000")
#   STEP_SECONDS length of one step at its nominal rate (default 10)
#   REPEATS      repeats of each point (default 3; the summary shows medians)
#   WORKERS      UDP workers of each server (default 2)
#   CLIENTS      concurrent SIPp processes (default 1)
#   SERVERS      which servers (default "olelo kamailio"; also olelo-cfg)
#   MAX_SECONDS  overall time limit (default 1800)
#   STOP_RETRANS_PCT  see above (default 1)
#   QUIET_WAIT, QUIET_PCT  see above (defaults 120 s, 10 %)
#   OUT          directory for raw results (default: a new temp directory)
#   KEEP         1 to keep the temp directory (SIPp/server logs)
#   OLELO_REF    build olelo from this git ref (git archive) instead of
#                the work tree, e.g. OLELO_REF=HEAD while the tree is mid-edit
#   OLELO_BIN    use this olelo binary instead of building one
#
# Output: OUT/results.tsv (one line per step and repeat) and OUT/summary.tsv (medians
# per server and rate), also printed at the end.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RATES=${RATES:-"2000 5000 10000 20000 30000 40000 50000 60000"}
STEP_SECONDS=${STEP_SECONDS:-10}
REPEATS=${REPEATS:-3}
WORKERS=${WORKERS:-2}
CLIENTS=${CLIENTS:-1}
SERVERS=${SERVERS:-"olelo kamailio"}
MAX_SECONDS=${MAX_SECONDS:-1800}
STOP_RETRANS_PCT=${STOP_RETRANS_PCT:-1}
QUIET_WAIT=${QUIET_WAIT:-120}
QUIET_PCT=${QUIET_PCT:-10}
KEEP=${KEEP:-0}
KAMAILIO=${KAMAILIO:-kamailio}
SIPP=${SIPP:-sipp}
OLELO_BIN=${OLELO_BIN:-}
OLELO_REF=${OLELO_REF:-}
CLK_TCK=$(getconf CLK_TCK)

TMP=$(mktemp -d /tmp/olelo-sipp.XXXXXX)
OUT=${OUT:-$TMP/out}
mkdir -p "$OUT"

# Processes this script started (the `timeout` wrappers); cleanup signals
# exactly these, and timeout passes the signal on to its command.
STARTED=()
stop_started() {
	local p
	for p in "${STARTED[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${STARTED[@]}"; do
		for _ in $(seq 1 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	STARTED=()
}
cleanup() {
	stop_started
	if [[ $KEEP != 1 ]]; then
		# Keep OUT when it is inside TMP.
		if [[ $OUT == "$TMP"/* ]]; then
			find "$TMP" -mindepth 1 -maxdepth 1 ! -name out -exec rm -rf {} +
		else
			rm -rf "$TMP"
		fi
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v "$SIPP" >/dev/null || die "sipp not found (Debian: apt-get install sip-tester)"

# free_port prints a UDP port on 127.0.0.1 that nothing is bound to (never
# 5060; ports 20000-59999).
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		if [[ -z $(ss -Hlun "sport = :$p" 2>/dev/null) ]]; then
			echo "$p"
			return
		fi
	done
	die "no free UDP port found"
}

# cpu_ticks PID: utime+stime (clock ticks) of PID and its direct children.
cpu_ticks() {
	local total=0 p rest
	local -a f
	for p in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
		[[ -r /proc/$p/stat ]] || continue
		rest=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		rest=${rest##*) } # fields from 3 (state) on; comm may contain spaces
		read -r -a f <<<"$rest"
		total=$((total + f[11] + f[12])) # fields 14 (utime) and 15 (stime)
	done
	echo "$total"
}

# udp_drops PORT: datagrams the kernel dropped (receive buffer full) on the
# UDP sockets bound to 127.0.0.1:PORT, summed (/proc/net/udp "drops").
udp_drops() {
	awk -v p="$(printf '%04X' "$1")" 'NR > 1 && $2 == "0100007F:" p { d += $NF } END { print d + 0 }' /proc/net/udp
}

# busy_ticks: CPU ticks spent since boot by all CPUs (/proc/stat) and by
# all live processes (sum of their utime+stime); wait_quiet uses the larger
# of the two deltas (on this kind of VM /proc/stat can under-count).
busy_ticks() {
	local procs
	procs=$(cat /proc/[0-9]*/stat 2>/dev/null | awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t + 0 }')
	awk -v p="$procs" '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, p; exit }' /proc/stat
}

# wait_quiet: before a step, wait (up to QUIET_WAIT seconds) until the
# machine is quiet: over a 2 s window with our servers idle, less than
# QUIET_PCT % of the total CPU is busy. Prints the last window's busy %.
wait_quiet() {
	local b0 b1 t0 t1 pct waited=0
	while :; do
		t0=$(date +%s%N)
		b0=$(busy_ticks)
		sleep 2
		b1=$(busy_ticks)
		t1=$(date +%s%N)
		pct=$(awk -v b0="$b0" -v b1="$b1" -v ns=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$(nproc)" 'BEGIN {
			split(b0, x, " "); split(b1, y, " ")
			d = y[1] - x[1]; if (y[2] - x[2] > d) d = y[2] - x[2]
			printf "%.0f", d * 100 / (ns / 1e9 * hz * n)
		}')
		waited=$((waited + 2))
		if ((pct < QUIET_PCT || waited >= QUIET_WAIT)); then
			((pct >= QUIET_PCT)) && log "machine still busy ($pct% CPU) after ${waited}s: running anyway"
			echo "$pct"
			return
		fi
	done
}

# wait_listening PORT PID: until something listens on udp PORT (10 s max).
wait_listening() {
	for _ in $(seq 1 100); do
		kill -0 "$2" 2>/dev/null || return 1
		[[ -n $(ss -Hlun "sport = :$1" 2>/dev/null) ]] && return 0
		sleep 0.1
	done
	return 1
}

# wait_pidfile FILE: prints the pid written in FILE (10 s max).
wait_pidfile() {
	for _ in $(seq 1 100); do
		if [[ -s $1 ]]; then
			local p
			p=$(tr -dc '0-9' <"$1")
			if [[ -n $p ]] && kill -0 "$p" 2>/dev/null; then
				echo "$p"
				return 0
			fi
		fi
		sleep 0.1
	done
	return 1
}

declare -A SPORT SPID SLOG

# build_olelo: sets OLELO to an olelo binary (built once).
OLELO=
build_olelo() {
	[[ -n $OLELO ]] && return
	local bin=$TMP/olelo
	if [[ -n $OLELO_BIN ]]; then
		bin=$OLELO_BIN
		log "olelo: using $bin"
	elif [[ -n $OLELO_REF ]]; then
		local rev
		rev=$(git -C "$ROOT" rev-parse --short "$OLELO_REF") || die "bad OLELO_REF $OLELO_REF"
		log "building olelo at $OLELO_REF ($rev), from git archive"
		mkdir -p "$TMP/src"
		git -C "$ROOT" archive "$rev" | tar -x -C "$TMP/src" || die "git archive $rev failed"
		(cd "$TMP/src" && timeout 300 go build -o "$bin" ./cmd/olelo) || die "go build failed"
	else
		log "building olelo from the work tree ($(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'))"
		(cd "$ROOT" && timeout 300 go build -o "$bin" ./cmd/olelo) || die "go build failed"
	fi
	OLELO=$bin
}

# start_olelo NAME ARGS...: runs olelo with ARGS plus -n and -P.
start_olelo() {
	local name=$1 port=$2
	shift 2
	build_olelo
	timeout "$MAX_SECONDS" "$OLELO" "$@" -n "$WORKERS" -P "$TMP/$name.pid" >"$TMP/$name.log" 2>&1 &
	STARTED+=($!)
	SPID[$name]=$(wait_pidfile "$TMP/$name.pid") || die "$name did not start: $(tail -5 "$TMP/$name.log")"
	wait_listening "$port" "${SPID[$name]}" || die "$name not listening on $port"
	SPORT[$name]=$port
	SLOG[$name]=$TMP/$name.log
	log "$name pid ${SPID[$name]} on udp:127.0.0.1:$port: olelo $* -n $WORKERS"
}

start_kamailio() {
	local port cfg=$HERE/kamailio-options.cfg
	command -v "$KAMAILIO" >/dev/null || die "kamailio not found (Debian: apt-get install kamailio)"
	port=$(free_port)
	mkdir -p "$TMP/kamailio"
	timeout 30 "$KAMAILIO" -c -f "$cfg" -A "KPORT=$port" -w "$TMP/kamailio" >"$TMP/kamailio-check.log" 2>&1 ||
		die "kamailio -c failed: $(tail -5 "$TMP/kamailio-check.log")"
	timeout "$MAX_SECONDS" "$KAMAILIO" -f "$cfg" -A "KPORT=$port" -DD -E -n "$WORKERS" \
		-w "$TMP/kamailio" -P "$TMP/kamailio.pid" -m 64 -M 8 >"$TMP/kamailio.log" 2>&1 &
	STARTED+=($!)
	SPID[kamailio]=$(wait_pidfile "$TMP/kamailio.pid") || die "kamailio did not start: $(tail -5 "$TMP/kamailio.log")"
	wait_listening "$port" "${SPID[kamailio]}" || die "kamailio not listening on $port"
	sleep 1 # let the children finish forking
	SPORT[kamailio]=$port
	SLOG[kamailio]=$TMP/kamailio.log
	log "kamailio pid ${SPID[kamailio]} ($(pgrep -P "${SPID[kamailio]}" | wc -l) children) on udp:127.0.0.1:$port, -n $WORKERS"
}

# stat_col FILE NAME: the last line's value of column NAME of a SIPp
# statistics file.
stat_col() {
	awk -F';' -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next } { v = $c } END { print v }' "$1"
}

# run_step SERVER RATE COUNT DIR: one SIPp run (CLIENTS processes) against
# SERVER; prints one results line (tab-separated, see HEADER).
HEADER="server	rate	rep	requests	ok	failed	retrans	achieved_cps	server_cpu_s	cpu_us_per_req	rt_mean_ms	rt_p50_ms	rt_p99_ms	rt_max_ms	sipp_cpu_s	wall_s	load1	server_udp_drops	pre_busy_pct	sipp_udp_drops"
run_step() {
	local srv=$1 rate=$2 count=$3 dir=$4 rep=${5:-0} prebusy=${6:--}
	local port=${SPORT[$srv]} pid=${SPID[$srv]}
	local limit=$((count / rate + 30)) i c0 c1 t0 t1
	local per_rate=$((rate / CLIENTS)) per_count=$((count / CLIENTS))
	local -a pids=() lports=()
	mkdir -p "$dir"
	for i in $(seq 1 "$CLIENTS"); do lports+=("$(free_port)"); done
	local d0 d1
	d0=$(udp_drops "$port")
	c0=$(cpu_ticks "$pid")
	t0=$(date +%s.%N)
	for i in $(seq 1 "$CLIENTS"); do
		mkdir -p "$dir/c$i"
		(
			cd "$dir/c$i"
			TIMEFORMAT='%U %S'
			{ time timeout -k 5 "$limit" "$SIPP" "127.0.0.1:$port" -sf "$HERE/options_uac.xml" -t u1 \
				-i 127.0.0.1 -p "${lports[$((i - 1))]}" -m "$per_count" -r "$per_rate" -rp 1000 \
				-timeout "${limit}s" -max_recv_loops 1000 -buff_size 4194304 -nostdin \
				-trace_stat -stf stat.csv -fd 1 -trace_rtt -rtt_freq 1000 \
				-trace_screen -screen_file screen.txt >sipp.out 2>&1 || echo "$?" >rc; } 2>time.txt
		) &
		pids+=($!)
	done
	# Sample the drops on SIPp's own sockets once a second while it runs
	# (the sockets, and their counters, go when SIPp exits).
	(
		for _ in $(seq 1 $((limit + 10))); do
			local sd=0 lp
			for lp in "${lports[@]}"; do sd=$((sd + $(udp_drops "$lp"))); done
			echo "$sd" >"$dir/sipp_drops.tmp" && mv "$dir/sipp_drops.tmp" "$dir/sipp_drops"
			sleep 1
		done
	) &
	local sampler=$!
	for i in "${pids[@]}"; do wait "$i" || true; done
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	local sipp_drops
	sipp_drops=$(cat "$dir/sipp_drops" 2>/dev/null || echo 0)
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "$pid")
	d1=$(udp_drops "$port")
	local ok=0 failed=0 retrans=0 cps=0 sipp_cpu=0 s
	for i in $(seq 1 "$CLIENTS"); do
		s=$dir/c$i/stat.csv
		if [[ ! -s $s ]]; then
			log "no SIPp statistics in $dir/c$i: $(tail -3 "$dir/c$i/sipp.out" 2>/dev/null)"
			failed=$((failed + per_count))
			continue
		fi
		ok=$((ok + $(stat_col "$s" 'SuccessfulCall(C)')))
		failed=$((failed + $(stat_col "$s" 'FailedCall(C)')))
		retrans=$((retrans + $(stat_col "$s" 'Retransmissions(C)')))
		cps=$(awk -v a="$cps" -v b="$(stat_col "$s" 'CallRate(C)')" 'BEGIN { printf "%.0f", a + b }')
		sipp_cpu=$(awk -v a="$sipp_cpu" '{ printf "%.2f", a + $1 + $2 }' "$dir/c$i/time.txt")
	done
	# Calls SIPp never finished (killed by timeout) are failures too.
	if ((ok + failed < count)); then failed=$((count - ok)); fi
	local rt
	rt=$(cat "$dir"/c*/*_rtt.csv 2>/dev/null | awk -F';' '$3 == 1 { print $2 }' | sort -n | awk '
		{ v[NR] = $1; sum += $1 }
		END {
			if (NR == 0) { print "-\t-\t-\t-"; exit }
			p50 = v[int((NR + 1) * 0.50)]; if (p50 == "") p50 = v[1]
			i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
			printf "%.3f\t%s\t%s\t%s\n", sum / NR, p50, v[i99], v[NR]
		}')
	local ticks=$((c1 - c0)) load1
	load1=$(cut -d' ' -f1 /proc/loadavg)
	awk -v srv="$srv" -v rate="$rate" -v rep="$rep" -v req="$count" -v ok="$ok" -v failed="$failed" \
		-v retrans="$retrans" -v cps="$cps" -v ticks="$ticks" -v hz="$CLK_TCK" -v rt="$rt" \
		-v sippcpu="$sipp_cpu" -v t0="$t0" -v t1="$t1" -v load1="$load1" -v drops=$((d1 - d0)) -v prebusy="$prebusy" -v sdrops="$sipp_drops" 'BEGIN {
			cpu = ticks / hz
			printf "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%s\t%s\t%.2f\t%s\t%d\t%s\t%d\n",
				srv, rate, rep, req, ok, failed, retrans, cps, cpu, cpu * 1e6 / (req + retrans), rt, sippcpu, t1 - t0, load1, drops, prebusy, sdrops
		}'
}

# summarise RESULTS: medians per server and rate.
summarise() {
	python3 - "$1" <<'EOF' 2>/dev/null || awk 'NR > 1' "$1"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
keys = []
for r in rows:
    k = (r["server"], int(r["rate"]))
    if k not in keys:
        keys.append(k)
cols = ["requests", "failed", "retrans", "achieved_cps", "cpu_us_per_req", "rt_mean_ms", "rt_p50_ms", "rt_p99_ms", "rt_max_ms", "sipp_cpu_s", "load1", "server_udp_drops", "pre_busy_pct", "sipp_udp_drops"]
print("server\trate\truns\tmax_failed\tmax_retrans\t" + "\t".join("median_" + c for c in cols))
for srv, rate in keys:
    rs = [r for r in rows if r["server"] == srv and int(r["rate"]) == rate]
    out = [srv, str(rate), str(len(rs)), str(max(int(r["failed"]) for r in rs)), str(max(int(r["retrans"]) for r in rs))]
    for c in cols:
        vals = [float(r[c]) for r in rs if r[c] not in ("", "-")]
        out.append(("%g" % statistics.median(vals)) if vals else "-")
    print("\t".join(out))
EOF
}

log "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
log "rates: $RATES; ${STEP_SECONDS}s per step; $REPEATS repeats; $WORKERS workers; $CLIENTS SIPp client(s)"
for srv in $SERVERS; do
	case $srv in
	olelo)
		port=$(free_port)
		start_olelo olelo "$port" -l "udp:127.0.0.1:$port"
		;;
	olelo-cfg)
		# olelo running the same routing config as Kamailio.
		port=$(free_port)
		build_olelo
		timeout 30 "$OLELO" check -f "$HERE/kamailio-options.cfg" -A "KPORT=$port" >"$TMP/olelo-cfg-check.log" 2>&1 ||
			die "olelo check failed: $(tail -5 "$TMP/olelo-cfg-check.log")"
		start_olelo olelo-cfg "$port" -f "$HERE/kamailio-options.cfg" -A "KPORT=$port" -DD -E
		;;
	kamailio) start_kamailio ;;
	*) die "unknown server $srv" ;;
	esac
	log "$srv sockets on port ${SPORT[$srv]}: $(ss -Huamn "sport = :${SPORT[$srv]}" | grep -o 'rb[0-9]*' | tr '\n' ' ')(receive buffer sizes)"
	# Warm-up, not recorded: 2000 requests at 1000/s.
	run_step "$srv" 1000 2000 "$TMP/warmup-$srv" >/dev/null
done

RESULTS=$OUT/results.tsv
echo "$HEADER" >"$RESULTS"
declare -A STOPPED
for rate in $RATES; do
	for rep in $(seq 1 "$REPEATS"); do
		for srv in $SERVERS; do
			[[ -n ${STOPPED[$srv]:-} ]] && continue
			if ((SECONDS > MAX_SECONDS)); then
				log "time limit (${MAX_SECONDS}s) reached, stopping"
				break 3
			fi
			quiet=$(wait_quiet)
			line=$(run_step "$srv" "$rate" $((rate * STEP_SECONDS)) "$TMP/$srv-$rate-$rep" "$rep" "$quiet")
			echo "$line" >>"$RESULTS"
			log "$(echo "$line" | awk -F'\t' '{ printf "%-8s rate %6d rep %d: failed %d retrans %d drops %d (sipp %d) achieved %d/s cpu %.2f us/req rt mean %s ms max %s ms quiet before: %s%% busy (load %s)", $1, $2, $3, $6, $7, $18, $20, $8, $10, $11, $14, $19, "'"$(cut -d' ' -f1 /proc/loadavg)"'" }')"
			if ! kill -0 "${SPID[$srv]}" 2>/dev/null; then
				log "$srv died: $(tail -5 "${SLOG[$srv]}")"
				STOPPED[$srv]=died
			fi
		done
	done
	for srv in $SERVERS; do
		if awk -F'\t' -v s="$srv" -v r="$rate" -v pct="$STOP_RETRANS_PCT" \
			'$1 == s && $2 == r && ($6 > 0 || $7 > $4 * pct / 100) { f = 1 } END { exit !f }' "$RESULTS"; then
			[[ -z ${STOPPED[$srv]:-} ]] && log "$srv had failed calls or more than $STOP_RETRANS_PCT% retransmissions at $rate/s: not stepping further"
			STOPPED[$srv]=${STOPPED[$srv]:-failures}
		fi
	done
done

summarise "$RESULTS" >"$OUT/summary.tsv"
# Stop the servers first, so that their logs include the shutdown lines
# (olelo logs its request/response/drop counters there).
stop_started
for srv in $SERVERS; do
	cp "${SLOG[$srv]}" "$OUT/$srv.log" 2>/dev/null || true
	n=$(grep -ciE 'error|panic|warn' "${SLOG[$srv]}" 2>/dev/null || true)
	log "$srv log: $(wc -l <"${SLOG[$srv]}") lines, ${n:-0} with error/panic/warn (copied to $OUT/$srv.log)"
done
log "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
column -t -s $'\t' "$OUT/summary.tsv" 2>/dev/null || cat "$OUT/summary.tsv"
echo
echo "raw results: $RESULTS"
