#!/usr/bin/env bash
# Registrations with digest authentication, olelo vs Kamailio, both
# running register.cfg unchanged on the same SQLite subscriber table
# (created by `olelo db create`, USERS users with plain passwords) and
# started the same way (-f register.cfg -A DBURL=... -l udp:... -DD -E
# -n WORKERS). See docs/BENCHMARKS.md for how to read the output.
#
#   bench/sipp/register.sh
#   RATES="2000 8000" REPEATS=3 bench/sipp/register.sh
#
# One "call" is one registration: REGISTER, 401, REGISTER with
# credentials, 200 (two transactions at the server, one subscriber
# query, one usrloc save). SIPp takes the users in turn from an injection
# file, so each step re-registers the same USERS AoRs.
#
# Environment:
#   RATES        registrations per second (default "1000 2000 4000 8000 12000 16000")
#   STEP_SECONDS seconds per step (default 10)
#   USERS        subscribers in the table (default 10000)
#   REPEATS, WORKERS, SERVERS, MAX_SECONDS, STOP_RETRANS_PCT, QUIET_WAIT,
#   QUIET_PCT, OUT, KEEP, OLELO_REF, OLELO_BIN   as in calls.sh
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RATES=${RATES:-"1000 2000 4000 8000 12000 16000"}
STEP_SECONDS=${STEP_SECONDS:-10}
REPEATS=${REPEATS:-1}
USERS=${USERS:-10000}
MAX_SECONDS=${MAX_SECONDS:-3600}
CFG=$HERE/register.cfg

# shellcheck source=lib.sh
. "$HERE/lib.sh"

# The subscriber table: created by olelo with Kamailio's schema (so this
# also checks that Kamailio reads olelo's tables), filled with USERS
# users userNNNNN / passNNNNN, and the injection file SIPp reads them from.
build_olelo
DB=$TMP/register.db
DBURL="sqlite:///$DB" # Kamailio reads the path after the third slash: //abs is absolute
"$OLELO" db create --db "$DBURL" >"$TMP/db-create.log" 2>&1 || die "olelo db create failed: $(tail -5 "$TMP/db-create.log")"
python3 - "$DB" "$USERS" "$TMP/users.csv" <<'PY' || die "filling the subscriber table failed"
import sqlite3, sys
db, n, csv = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = sqlite3.connect(db)
c.executemany("INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?, 'bench.example', ?, '', '')",
              [("user%05d" % i, "pass%05d" % i) for i in range(n)])
c.commit()
with open(csv, "w") as f:
    f.write("SEQUENTIAL\n")
    for i in range(n):
        f.write("user%05d;[authentication username=user%05d password=pass%05d]\n" % (i, i, i))
PY
log "subscriber table: $USERS users in $DB"
SIPP_ARGS=(-sf "$HERE/register_uac.xml" -inf "$TMP/users.csv")

log "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
log "rates: $RATES; ${STEP_SECONDS}s per step; $REPEATS repeats; $WORKERS workers; config $CFG"
for srv in $SERVERS; do
	port=$(free_port)
	case $srv in
	olelo)
		timeout 30 "$OLELO" check -f "$CFG" -A "DBURL=\"$DBURL\"" >"$TMP/olelo-check.log" 2>&1 ||
			die "olelo check failed: $(tail -5 "$TMP/olelo-check.log")"
		start_olelo olelo "$port" -f "$CFG" -A "DBURL=\"$DBURL\"" -l "udp:127.0.0.1:$port" -DD -E
		;;
	kamailio) start_kamailio kamailio "$port" "$CFG" -A "DBURL=\"$DBURL\"" -l "udp:127.0.0.1:$port" ;;
	*) die "unknown server $srv" ;;
	esac
	# Warm-up, not recorded: every user registers once.
	run_step "$srv" 1000 "$USERS" "$TMP/warmup-$srv" >/dev/null
done

run_steps
