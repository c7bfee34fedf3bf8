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
#   SERVERS      which servers (default "olelo kamailio"); add udprelay
#                and crelay for the floor under both: the call's datagrams
#                relayed with no SIP work, through olelo's Go transport and
#                through C processes blocking in recvfrom (bench/udprelay)
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
CFG=${CFG:-$ROOT/examples/proxy-callflows.cfg}
MAX_SECONDS=${MAX_SECONDS:-3600}

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

# The scenario; at most the calls of CALL_MS + 10 s in progress.
# A proxy with several workers (Kamailio) may relay a 180 and the 200 sent
# right after it in either order: a late 180 is ignored, not a failure.
SIPP_ARGS=(-sf "$HERE/call_uac.xml" -s bench -d "$CALL_MS" -default_behaviors all,-abortunexp)
CONCURRENT_SECONDS=$((CALL_MS / 1000 + 10))

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
	udprelay | crelay) start_relay "$srv" "$port" "127.0.0.1:$UAS_PORT" ;;
	*) die "unknown server $srv" ;;
	esac
	# Warm-up, not recorded.
	run_step "$srv" 200 1000 "$TMP/warmup-$srv" >/dev/null
done

run_steps
