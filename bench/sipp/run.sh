#!/usr/bin/env bash
# Stateless OPTIONS responder, olelo vs Kamailio, driven by SIPp over UDP
# on loopback. See docs/BENCHMARKS.md for how to read the output.
#
#   bench/sipp/run.sh                 # defaults below
#   RATES="2000 5000" REPEATS=1 bench/sipp/run.sh
#
# Servers (same number of UDP workers, WORKERS, default 2):
#   olelo     go build ./cmd/olelo; olelo running the same kamailio-options.cfg
#             as Kamailio, through its script engine:
#             olelo -f bench/sipp/kamailio-options.cfg -A KPORT=PORT -n WORKERS
#             (-n = UDP reader goroutines, each on its own SO_REUSEPORT
#             socket; GOMAXPROCS is left at its default, the number of CPUs).
#             Sections 3's tables A-C were measured with olelo's former
#             built-in responder (no config), which olelo no longer has:
#             `olelo` without -f now runs its registrar configuration.
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
#   SERVERS      which servers (default "olelo kamailio")
#   MAX_SECONDS  overall time limit (default 1800)
#   STOP_RETRANS_PCT  see above (default 1)
#   QUIET_WAIT, QUIET_PCT  see above (defaults 120 s, 10 %)
#   OUT          directory for raw results (default: a new temp directory)
#   KEEP         1 to keep the temp directory (SIPp/server logs)
#   OLELO_REF    build olelo from this git ref (git archive) instead of
#                the work tree, e.g. OLELO_REF=HEAD while the tree is mid-edit
#   OLELO_BIN    use this olelo binary instead of building one
#   PERF_STAT    1 to run `perf stat` on the server during each step and log
#                its context switches and system calls per call (or request)
#
# Output: OUT/results.tsv (one line per step and repeat) and OUT/summary.tsv (medians
# per server and rate), also printed at the end.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RATES=${RATES:-"2000 5000 10000 20000 30000 40000 50000 60000"}
STEP_SECONDS=${STEP_SECONDS:-10}
REPEATS=${REPEATS:-3}
CLIENTS=${CLIENTS:-1}
MAX_SECONDS=${MAX_SECONDS:-1800}


# shellcheck source=lib.sh
. "$HERE/lib.sh"

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
	rt=$( (cat "$dir"/c*/*_rtt.csv 2>/dev/null || true) | awk -F';' '$3 == 1 { print $2 }' | sort -n | awk '
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

log "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
log "rates: $RATES; ${STEP_SECONDS}s per step; $REPEATS repeats; $WORKERS workers; $CLIENTS SIPp client(s)"
for srv in $SERVERS; do
	case $srv in
	olelo)
		port=$(free_port)
		build_olelo
		timeout 30 "$OLELO" check -f "$HERE/kamailio-options.cfg" -A "KPORT=$port" >"$TMP/olelo-check.log" 2>&1 ||
			die "olelo check failed: $(tail -5 "$TMP/olelo-check.log")"
		start_olelo olelo "$port" -f "$HERE/kamailio-options.cfg" -A "KPORT=$port" -DD -E
		;;
	kamailio)
		port=$(free_port)
		start_kamailio kamailio "$port" "$HERE/kamailio-options.cfg" -A "KPORT=$port"
		;;
	*) die "unknown server $srv" ;;
	esac
	log "$srv sockets on port ${SPORT[$srv]}: $(ss -Huamn "sport = :${SPORT[$srv]}" | grep -o 'rb[0-9]*' | tr '\n' ' ')(receive buffer sizes)"
	# Warm-up, not recorded: 2000 requests at 1000/s.
	run_step "$srv" 1000 2000 "$TMP/warmup-$srv" >/dev/null
done

# The log line of a step, for run.sh's HEADER; and the summary's columns.
step_summary() {
	echo "$1" | awk -F'\t' '{ printf "%-8s rate %6d rep %d: failed %d retrans %d drops %d (sipp %d) achieved %d/s cpu %.2f us/req rt mean %s ms max %s ms quiet before: %s%% busy (load %s)", $1, $2, $3, $6, $7, $18, $20, $8, $10, $11, $14, $19, "'"$(cut -d' ' -f1 /proc/loadavg)"'" }'
}
SUMMARY_COLS=(requests failed retrans achieved_cps cpu_us_per_req rt_mean_ms rt_p50_ms rt_p99_ms rt_max_ms
	sipp_cpu_s load1 server_udp_drops pre_busy_pct sipp_udp_drops)

run_steps
