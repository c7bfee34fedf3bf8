#!/usr/bin/env bash
# Calls load-balanced by the dispatcher module, olelo vs Kamailio, both
# running examples/dispatcher.cfg unchanged (ds_select_dst("1", "4"): round
# robin over set 1, with its failure route) on the same list file of two
# gateways, started the same way (-f FILE -A DS_LIST=... -l udp:... -DD -E
# -n WORKERS).
#
#   bench/sipp/dispatcher.sh                       # defaults below
#   RATES="200" STEP_SECONDS=5 bench/sipp/dispatcher.sh   # a quick check
#
# The call: SIPp UAC (call_uac.xml) -> proxy -> one of two SIPp UAS
# (call_uas.xml, each on its own port), alternately: INVITE/100/180/200,
# ACK and BYE along the Record-Route set, 200 to the BYE; CALL_MS between
# ACK and BYE. The step loop, the measures and the summary are calls.sh's
# (lib.sh); the script also prints how many calls each gateway took (from
# its SIPp statistics), which round robin makes equal.
#
# Environment:
#   RATES        call rates to step through (default "500 1000 1500 2000")
#   STEP_SECONDS seconds per step at the nominal rate (default 20)
#   REPEATS      repeats of each point (default 1)
#   CALL_MS      call length, ACK to BYE (default 1000)
#   WORKERS      UDP workers of each server (default 2)
#   SERVERS      which servers (default "olelo kamailio")
#   CFG          the routing config (default examples/dispatcher.cfg)
#   DS_ALG       the dispatcher algorithm (default 4, round robin)
#   MAX_SECONDS  overall time limit (default 3600)
#   STOP_RETRANS_PCT, QUIET_WAIT, QUIET_PCT, OUT, KEEP, OLELO_REF,
#   OLELO_BIN    as in run.sh
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RATES=${RATES:-"500 1000 1500 2000"}
STEP_SECONDS=${STEP_SECONDS:-20}
REPEATS=${REPEATS:-1}
CALL_MS=${CALL_MS:-1000}
CFG=${CFG:-$ROOT/examples/dispatcher.cfg}
DS_ALG=${DS_ALG:-4}
MAX_SECONDS=${MAX_SECONDS:-3600}

# shellcheck source=lib.sh
. "$HERE/lib.sh"

# The gateways: two SIPp UAS (call_uas.xml) shared by every server and
# rate (their CPU is not counted), each with a statistics file so that the
# split can be checked.
LIST=$TMP/dispatcher.list
: >"$LIST"
UAS_STATS=()
for gw in 1 2; do
	port=$(free_port)
	mkdir -p "$TMP/uas$gw"
	(cd "$TMP/uas$gw" && timeout "$MAX_SECONDS" "$SIPP" -sf "$HERE/call_uas.xml" -i 127.0.0.1 -p "$port" -t u1 -nostdin \
		-buff_size 4194304 -max_recv_loops 1000 -trace_stat -stf stat.csv -fd 1 -bg >uas.log 2>&1) || true
	sleep 0.5
	pid=$(ss -Hlunp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
	[[ -n $pid ]] || die "SIPp UAS $gw did not start: $(tail -5 "$TMP/uas$gw/uas.log")"
	STARTED+=("$pid")
	UAS_STATS+=("$TMP/uas$gw/stat.csv")
	# Equal priorities: Kamailio and olelo both keep them in reverse file order.
	echo "1 sip:127.0.0.1:$port 0 0 duid=gw$gw gateway $gw" >>"$LIST"
	log "gateway $gw (call_uas.xml) pid $pid on udp:127.0.0.1:$port"
done
DEFS=(-A "DS_LIST=\"$LIST\"" -A "DS_ALG=\"$DS_ALG\"")

# The scenario; at most the calls of CALL_MS + 10 s in progress.
# As in calls.sh: a late 180 (relayed after the 200 by another worker)
# is ignored, not a failure.
SIPP_ARGS=(-sf "$HERE/call_uac.xml" -s bench -d "$CALL_MS" -default_behaviors all,-abortunexp)
CONCURRENT_SECONDS=$((CALL_MS / 1000 + 10))

log "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
log "rates: $RATES; ${STEP_SECONDS}s per step; $REPEATS repeats; calls of ${CALL_MS} ms; $WORKERS workers; config $CFG, algorithm $DS_ALG"
for srv in $SERVERS; do
	port=$(free_port)
	case $srv in
	olelo)
		build_olelo
		timeout 30 "$OLELO" check -f "$CFG" "${DEFS[@]}" >"$TMP/olelo-check.log" 2>&1 ||
			die "olelo check failed: $(tail -5 "$TMP/olelo-check.log")"
		start_olelo olelo "$port" -f "$CFG" "${DEFS[@]}" -l "udp:127.0.0.1:$port" -DD -E
		;;
	kamailio) start_kamailio kamailio "$port" "$CFG" "${DEFS[@]}" -l "udp:127.0.0.1:$port" ;;
	*) die "unknown server $srv" ;;
	esac
	# Warm-up, not recorded.
	run_step "$srv" 200 1000 "$TMP/warmup-$srv" >/dev/null
done

# gateway_calls: the calls each gateway has taken so far (the last line of
# its SIPp statistics), "gw1 gw2".
gateway_calls() {
	local s out=
	for s in "${UAS_STATS[@]}"; do
		out+="$(stat_col "$s" 'TotalCallCreated') "
	done
	echo "${out% }"
}
before=$(gateway_calls)
log "calls taken by the gateways before the measurement (warm-up): $before"
run_steps
log "calls taken by the gateways (gw1 gw2, cumulative, warm-up included): $(gateway_calls)"
