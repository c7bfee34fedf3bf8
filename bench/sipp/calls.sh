#!/usr/bin/env bash
# Record-routed calls through a transaction-stateful proxy, olelo vs
# Kamailio, both running the same kamailio.cfg unchanged and started the
# same way (-f FILE -A NEXT_HOP=... -l udp:... -DD -E -n WORKERS). See
# docs/BENCHMARKS.md for how to read the output.
#
#   bench/sipp/calls.sh                        # defaults below
#   RATES="200 500 1000" REPEATS=3 bench/sipp/calls.sh   # fixed rates only
#
# The call: SIPp UAC (call_uac.xml) -> proxy -> SIPp UAS (call_uas.xml):
# INVITE/100/180/200, ACK and BYE along the Record-Route
# set, 200 to the BYE; CALL_MS between ACK and BYE. That is two
# transactions per call at the proxy (INVITE, BYE) plus the ACK, 11 SIP
# messages in and out.
#
# For each rate in RATES (interleaved: every server runs a rate before the
# next rate), SIPp places rate*STEP_SECONDS calls at that rate and the
# script records failed calls, retransmissions, the achieved rate and the
# server's CPU time (utime+stime of all its threads/processes, from
# /proc/PID/stat) divided by the calls placed: CPU-microseconds per call.
# A server stops stepping up after a rate with a failed call or more than
# STOP_RETRANS_PCT % retransmissions; the highest rate before that is its
# highest clean rate.
#
# Environment:
#   RATES        call rates to step through (default "200 500 1000 1500 2000 2500 3000 4000")
#   STEP_SECONDS seconds per step at the nominal rate (default 20)
#   REPEATS      repeats of each point (default 1)
#   CALL_MS      call length, ACK to BYE (default 1000)
#   WORKERS      UDP workers of each server (default 2)
#   SERVERS      which servers (default "olelo kamailio")
#   CFG          the routing config (default examples/proxy-callflows.cfg)
#   MAX_SECONDS  overall time limit (default 3600)
#   STOP_RETRANS_PCT, QUIET_WAIT, QUIET_PCT, OUT, KEEP, OLELO_REF,
#   OLELO_BIN    as in run.sh
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RATES=${RATES:-"200 500 1000 1500 2000 2500 3000 4000"}
STEP_SECONDS=${STEP_SECONDS:-20}
REPEATS=${REPEATS:-1}
CALL_MS=${CALL_MS:-1000}
WORKERS=${WORKERS:-2}
SERVERS=${SERVERS:-"olelo kamailio"}
CFG=${CFG:-$ROOT/examples/proxy-callflows.cfg}
MAX_SECONDS=${MAX_SECONDS:-3600}
STOP_RETRANS_PCT=${STOP_RETRANS_PCT:-1}
QUIET_WAIT=${QUIET_WAIT:-120}
QUIET_PCT=${QUIET_PCT:-10}
KEEP=${KEEP:-0}
KAMAILIO=${KAMAILIO:-kamailio}
SIPP=${SIPP:-sipp}
OLELO_BIN=${OLELO_BIN:-}
OLELO_REF=${OLELO_REF:-}

# shellcheck source=lib.sh
. "$HERE/lib.sh"

# The callee: one SIPp UAS (call_uas.xml) for every server and rate (its
# CPU is not counted; it shares the machine like the UAC).
UAS_PORT=$(free_port)
timeout "$MAX_SECONDS" "$SIPP" -sf "$HERE/call_uas.xml" -i 127.0.0.1 -p "$UAS_PORT" -t u1 -nostdin \
	-buff_size 4194304 -max_recv_loops 1000 -bg >"$TMP/uas.log" 2>&1 || true
# -bg detaches: find the UAS by its port to stop it at the end.
sleep 0.5
UAS_PID=$(ss -Hlunp "sport = :$UAS_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
[[ -n $UAS_PID ]] || die "SIPp UAS did not start: $(tail -5 "$TMP/uas.log")"
STARTED+=("$UAS_PID")
NEXT_HOP="NEXT_HOP=\"sip:127.0.0.1:$UAS_PORT\""
log "UAS (call_uas.xml) pid $UAS_PID on udp:127.0.0.1:$UAS_PORT"

HEADER="server	rate	rep	calls	ok	failed	retrans	achieved_cps	server_cpu_s	cpu_us_per_call	rt_mean_ms	rt_p99_ms	rt_max_ms	sipp_cpu_s	wall_s	load1	server_udp_drops	pre_busy_pct	server_rss_kb"

# run_step SERVER RATE COUNT DIR REP PREBUSY: one SIPp UAC run against
# SERVER; prints one results line (see HEADER).
run_step() {
	local srv=$1 rate=$2 count=$3 dir=$4 rep=${5:-0} prebusy=${6:--}
	local port=${SPORT[$srv]} pid=${SPID[$srv]}
	local limit=$((count / rate + CALL_MS / 1000 + 40)) c0 c1 t0 t1 d0 d1 lport
	mkdir -p "$dir"
	lport=$(free_port)
	d0=$(udp_drops "$port")
	c0=$(cpu_ticks "$pid")
	t0=$(date +%s.%N)
	(
		cd "$dir"
		TIMEFORMAT='%U %S'
		{ time timeout -k 5 "$limit" "$SIPP" "127.0.0.1:$port" -sf "$HERE/call_uac.xml" -s bench -t u1 \
			-i 127.0.0.1 -p "$lport" -m "$count" -r "$rate" -rp 1000 -d "$CALL_MS" -l $((rate * (CALL_MS / 1000 + 10))) \
			-timeout "${limit}s" -max_recv_loops 1000 -buff_size 4194304 -nostdin \
			-trace_stat -stf stat.csv -fd 1 -trace_rtt -rtt_freq 1000 \
			-trace_screen -screen_file screen.txt >sipp.out 2>&1 || echo "$?" >rc; } 2>time.txt
	)
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "$pid")
	d1=$(udp_drops "$port")
	local ok=0 failed=0 retrans=0 cps=0 sipp_cpu=0 s=$dir/stat.csv rss
	if [[ -s $s ]]; then
		ok=$(stat_col "$s" 'SuccessfulCall(C)')
		failed=$(stat_col "$s" 'FailedCall(C)')
		retrans=$(stat_col "$s" 'Retransmissions(C)')
		cps=$(stat_col "$s" 'CallRate(C)')
		sipp_cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$dir/time.txt")
	else
		log "no SIPp statistics in $dir: $(tail -3 "$dir/sipp.out" 2>/dev/null)"
	fi
	if ((ok + failed < count)); then failed=$((count - ok)); fi
	local rt
	rt=$(cat "$dir"/*_rtt.csv 2>/dev/null | awk -F';' '$3 == 1 { print $2 }' | sort -n | awk '
		{ v[NR] = $1; sum += $1 }
		END {
			if (NR == 0) { print "-\t-\t-"; exit }
			i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
			printf "%.3f\t%s\t%s\n", sum / NR, v[i99], v[NR]
		}')
	rss=$(rss_kb "$pid")
	awk -v srv="$srv" -v rate="$rate" -v rep="$rep" -v calls="$count" -v ok="$ok" -v failed="$failed" \
		-v retrans="$retrans" -v cps="$cps" -v ticks=$((c1 - c0)) -v hz="$CLK_TCK" -v rt="$rt" \
		-v sippcpu="$sipp_cpu" -v t0="$t0" -v t1="$t1" -v load1="$(cut -d' ' -f1 /proc/loadavg)" \
		-v drops=$((d1 - d0)) -v prebusy="$prebusy" -v rss="$rss" 'BEGIN {
			cpu = ticks / hz
			printf "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.2f\t%.1f\t%s\t%s\t%.2f\t%s\t%d\t%s\t%d\n",
				srv, rate, rep, calls, ok, failed, retrans, cps, cpu, cpu * 1e6 / calls, rt, sippcpu, t1 - t0, load1, drops, prebusy, rss
		}'
}

log "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
log "rates: $RATES; ${STEP_SECONDS}s per step; $REPEATS repeats; calls of ${CALL_MS} ms; $WORKERS workers; config $CFG"
for srv in $SERVERS; do
	port=$(free_port)
	case $srv in
	olelo)
		build_olelo
		timeout 30 "$OLELO" check -f "$CFG" -A "$NEXT_HOP" >"$TMP/olelo-check.log" 2>&1 ||
			die "olelo check failed: $(tail -5 "$TMP/olelo-check.log")"
		start_olelo olelo "$port" -f "$CFG" -A "$NEXT_HOP" -l "udp:127.0.0.1:$port" -DD -E
		;;
	kamailio) start_kamailio kamailio "$port" "$CFG" -A "$NEXT_HOP" -l "udp:127.0.0.1:$port" ;;
	*) die "unknown server $srv" ;;
	esac
	# Warm-up, not recorded.
	run_step "$srv" 200 1000 "$TMP/warmup-$srv" >/dev/null
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
			log "$(echo "$line" | awk -F'\t' '{ printf "%-8s rate %5d rep %d: failed %d retrans %d drops %d achieved %d/s cpu %.1f us/call rss %d kB rt mean %s ms p99 %s ms (quiet before: %s%% busy)", $1, $2, $3, $6, $7, $17, $8, $10, $19, $11, $12, $18 }')"
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

summarise "$RESULTS" calls failed retrans achieved_cps cpu_us_per_call rt_mean_ms rt_p99_ms rt_max_ms \
	sipp_cpu_s load1 server_udp_drops pre_busy_pct server_rss_kb >"$OUT/summary.tsv"
stop_started
for srv in $SERVERS; do
	cp "${SLOG[$srv]}" "$OUT/$srv.log" 2>/dev/null || true
done
echo
column -t -s $'\t' "$OUT/summary.tsv" 2>/dev/null || cat "$OUT/summary.tsv"
echo
# The highest clean rate: the highest rate with no failed call and
# retransmissions within STOP_RETRANS_PCT, per server.
awk -F'\t' -v pct="$STOP_RETRANS_PCT" 'NR > 1 { k = $1; if ($6 > 0 || $7 > $4 * pct / 100) bad[k, $2] = 1; seen[k, $2] = 1; srv[k] = 1; rates[$2] = 1 }
	END { for (s in srv) { best = 0; for (r in rates) if (seen[s, r] && !bad[s, r] && r + 0 > best) best = r + 0; printf "%s: highest clean rate %d calls/s\n", s, best } }' "$RESULTS"
echo "raw results: $RESULTS"
