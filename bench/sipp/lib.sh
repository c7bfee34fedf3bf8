# Shared by the SIPp benchmark scripts (run.sh: OPTIONS; calls.sh: calls;
# register.sh: registrations; dispatcher.sh: load balancing). Sourced after
# the caller has set HERE, ROOT and its own defaults (RATES, STEP_SECONDS,
# REPEATS, MAX_SECONDS ...); the settings every script shares get their
# defaults here (documented in run.sh). It creates TMP, installs the
# cleanup trap and defines the helpers.
: "${WORKERS:=2}"
: "${SERVERS:=olelo kamailio}"
: "${STOP_RETRANS_PCT:=1}"
: "${QUIET_WAIT:=120}"
: "${QUIET_PCT:=10}"
: "${KEEP:=0}"
: "${KAMAILIO:=kamailio}"
: "${SIPP:=sipp}"
: "${OLELO_BIN:=}"
: "${OLELO_REF:=}"
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

# start_relay NAME PORT UAS: the floor of a proxy (bench/udprelay): NAME
# is udprelay (olelo's UDP transport in Go, WORKERS sockets and readers)
# or crelay (C, WORKERS processes blocking in recvfrom on one socket, the
# way Kamailio reads UDP). Both relay the call's datagrams between the
# UAC and the UAS at UAS and do no SIP work.
start_relay() {
	local name=$1 port=$2 uas=$3 bin=$TMP/$1 args
	case $name in
	udprelay)
		(cd "$ROOT/bench" && timeout 300 go build -o "$bin" ./udprelay) || die "go build udprelay failed"
		args=(-l "127.0.0.1:$port" -uas "$uas" -readers "$WORKERS")
		;;
	crelay)
		timeout 60 cc -O2 -o "$bin" "$ROOT/bench/udprelay/crelay/crelay.c" || die "cc crelay.c failed (Debian: apt-get install gcc)"
		args=("127.0.0.1:$port" "$uas" "$WORKERS")
		;;
	*) die "unknown relay $name" ;;
	esac
	timeout "$MAX_SECONDS" "$bin" "${args[@]}" >"$TMP/$name.log" 2>&1 &
	STARTED+=($!)
	wait_listening "$port" "$!" || die "$name not listening on $port: $(tail -5 "$TMP/$name.log")"
	sleep 0.5 # let crelay finish forking
	# The relay itself, not timeout: cpu_ticks counts a PID and its
	# children (crelay's workers).
	SPID[$name]=$(pgrep -P "$!" | head -1)
	[[ -n ${SPID[$name]} ]] || die "$name exited: $(tail -5 "$TMP/$name.log")"
	SPORT[$name]=$port
	SLOG[$name]=$TMP/$name.log
	log "$name pid ${SPID[$name]} ($(pgrep -P "${SPID[$name]}" | wc -l) children) on udp:127.0.0.1:$port, relaying to $uas"
}

# start_kamailio NAME PORT CFG ARGS...: checks CFG with kamailio -c, then
# runs Kamailio on it in the foreground (-DD -E) with ARGS (the -A defines
# that give it its port and peers) and WORKERS UDP workers, with
# KAMAILIO_SHM_MB of shared memory (default 1024: Debian's 64 runs out of
# transactions at a few hundred calls/s) and KAMAILIO_PKG_MB of private
# memory per process (default 16).
start_kamailio() {
	local name=$1 port=$2 cfg=$3
	shift 3
	command -v "$KAMAILIO" >/dev/null || die "kamailio not found (Debian: apt-get install kamailio)"
	mkdir -p "$TMP/$name"
	timeout 30 "$KAMAILIO" -c -f "$cfg" "$@" -w "$TMP/$name" >"$TMP/$name-check.log" 2>&1 ||
		die "kamailio -c failed: $(tail -5 "$TMP/$name-check.log")"
	timeout "$MAX_SECONDS" "$KAMAILIO" -f "$cfg" "$@" -DD -E -n "$WORKERS" \
		-w "$TMP/$name" -P "$TMP/$name.pid" -m "${KAMAILIO_SHM_MB:-1024}" -M "${KAMAILIO_PKG_MB:-16}" >"$TMP/$name.log" 2>&1 &
	STARTED+=($!)
	SPID[$name]=$(wait_pidfile "$TMP/$name.pid") || die "$name did not start: $(tail -5 "$TMP/$name.log")"
	wait_listening "$port" "${SPID[$name]}" || die "$name not listening on $port"
	sleep 1 # let the children finish forking
	SPORT[$name]=$port
	SLOG[$name]=$TMP/$name.log
	log "$name pid ${SPID[$name]} ($(pgrep -P "${SPID[$name]}" | wc -l) children) on udp:127.0.0.1:$port, -n $WORKERS: kamailio -f $cfg $*"
}

# stat_col FILE NAME: the last line's value of column NAME of a SIPp
# statistics file.
stat_col() {
	awk -F';' -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next } { v = $c } END { print v }' "$1"
}

# summarise RESULTS COLUMN...: medians of the COLUMNs per server and rate
# (with the largest failed and retrans counts).
summarise() {
	python3 - "$@" <<'EOF' 2>/dev/null || awk 'NR > 1' "$1"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
keys = []
for r in rows:
    k = (r["server"], int(r["rate"]))
    if k not in keys:
        keys.append(k)
cols = sys.argv[2:]
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

# rss_kb PID: resident memory of PID and its direct children, in kB.
rss_kb() {
	local total=0 p v
	for p in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
		v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
		total=$((total + ${v:-0}))
	done
	echo "$total"
}

HEADER="server	rate	rep	calls	ok	failed	retrans	achieved_cps	server_cpu_s	cpu_us_per_call	rt_mean_ms	rt_p99_ms	rt_max_ms	sipp_cpu_s	wall_s	load1	server_udp_drops	pre_busy_pct	server_rss_kb"

# run_step SERVER RATE COUNT DIR REP PREBUSY: one SIPp UAC run of
# COUNT calls at RATE against SERVER, with the scenario arguments in
# SIPP_ARGS (an array the caller sets) and at most
# rate*CONCURRENT_SECONDS calls at once (default 10 s worth); prints one results line (see HEADER). A "call" is one run of the
# scenario: a call in calls.sh, a registration in register.sh.
run_step() {
	local srv=$1 rate=$2 count=$3 dir=$4 rep=${5:-0} prebusy=${6:--}
	local port=${SPORT[$srv]} pid=${SPID[$srv]}
	local limit=$((count / rate + 60)) c0 c1 t0 t1 d0 d1 lport
	mkdir -p "$dir"
	lport=$(free_port)
	d0=$(udp_drops "$port")
	c0=$(cpu_ticks "$pid")
	t0=$(date +%s.%N)
	local perf_pid=
	if [[ ${PERF_STAT:-0} == 1 ]]; then
		# Context switches and system calls of the server during the step
		# (PERF_STAT=1): perf.txt in the step's directory, summarised in the log.
		perf stat -e task-clock,context-switches,raw_syscalls:sys_enter -o "$dir/perf.txt" \
			-p "$(echo "$pid" $(pgrep -P "$pid" 2>/dev/null || true) | tr ' ' ',')" >/dev/null 2>&1 &
		perf_pid=$!
	fi
	(
		cd "$dir"
		TIMEFORMAT='%U %S'
		{ time timeout -k 5 "$limit" "$SIPP" "127.0.0.1:$port" "${SIPP_ARGS[@]}" -t u1 \
			-i 127.0.0.1 -p "$lport" -m "$count" -r "$rate" -rp 1000 -l $((rate * ${CONCURRENT_SECONDS:-10})) \
			-timeout "${limit}s" -max_recv_loops 1000 -buff_size 4194304 -nostdin \
			-trace_stat -stf stat.csv -fd 1 -trace_rtt -rtt_freq 1000 \
			-trace_screen -screen_file screen.txt >sipp.out 2>&1 || echo "$?" >rc; } 2>time.txt
	)
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "$pid")
	if [[ -n $perf_pid ]]; then
		kill -INT "$perf_pid" 2>/dev/null || true
		wait "$perf_pid" 2>/dev/null || true
		awk -v n="$count" -v srv="$srv" -v rate="$rate" '
			$2 == "context-switches" { gsub(",", "", $1); cs = $1 }
			$2 == "raw_syscalls:sys_enter" { gsub(",", "", $1); sc = $1 }
			END { if (n > 0) printf "%s rate %d: perf: %.1f context switches and %.1f system calls per call\n", srv, rate, cs / n, sc / n }' \
			"$dir/perf.txt" >&2
	fi
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
	rt=$( (cat "$dir"/*_rtt.csv 2>/dev/null || true) | awk -F';' '$3 == 1 { print $2 }' | sort -n | awk '
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

# step_summary LINE: the log line for one results line of run_step
# (a script with its own run_step and HEADER defines its own).
step_summary() {
	echo "$1" | awk -F'\t' '{ printf "%-8s rate %5d rep %d: failed %d retrans %d drops %d achieved %d/s cpu %.1f us/call rss %d kB rt mean %s ms p99 %s ms (quiet before: %s%% busy)", $1, $2, $3, $6, $7, $17, $8, $10, $19, $11, $12, $18 }'
}

# SUMMARY_COLS: the HEADER columns whose medians the summary shows.
SUMMARY_COLS=(calls failed retrans achieved_cps cpu_us_per_call rt_mean_ms rt_p99_ms rt_max_ms
	sipp_cpu_s load1 server_udp_drops pre_busy_pct server_rss_kb)

# run_steps: the measurement proper, for the servers already started
# (SERVERS, SPORT, SPID): every rate of RATES, REPEATS times, servers
# interleaved, stepping a server no further after a rate with a failed
# call or too many retransmissions (columns 4, 6 and 7 of every HEADER:
# requests, failed, retrans); then the summary (medians of SUMMARY_COLS)
# and each server's highest clean rate.
run_steps() {
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
			log "$(step_summary "$line")"
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

summarise "$RESULTS" "${SUMMARY_COLS[@]}" >"$OUT/summary.tsv"
# Stop the servers first, so that their logs include the shutdown lines
# (olelo logs its request/response/drop counters there).
stop_started
for srv in $SERVERS; do
	cp "${SLOG[$srv]}" "$OUT/$srv.log" 2>/dev/null || true
	n=$(grep -ciE 'error|panic|warn' "${SLOG[$srv]}" 2>/dev/null || true)
	log "$srv log: $(wc -l <"${SLOG[$srv]}") lines, ${n:-0} with error/panic/warn (copied to $OUT/$srv.log)"
done
echo
column -t -s $'\t' "$OUT/summary.tsv" 2>/dev/null || cat "$OUT/summary.tsv"
echo
# The highest clean rate: the highest rate with no failed call and
# retransmissions within STOP_RETRANS_PCT, per server.
awk -F'\t' -v pct="$STOP_RETRANS_PCT" 'NR > 1 { k = $1; if ($6 > 0 || $7 > $4 * pct / 100) bad[k, $2] = 1; seen[k, $2] = 1; srv[k] = 1; rates[$2] = 1 }
	END { for (s in srv) { best = 0; for (r in rates) if (seen[s, r] && !bad[s, r] && r + 0 > best) best = r + 0; printf "%s: highest clean rate %d calls/s\n", s, best } }' "$RESULTS"
echo "raw results: $RESULTS"
}
