#!/usr/bin/env bash
# qsqld Turso Sync benchmark (issue #6; tests/bench/README.md, "Turso Sync: sync.sh"):
#   1. a SYNC_MB MiB tenant built on the server (randomblob(4000) rows, one per 4096-byte page, SYNC_TXN_ROWS rows
#      per transaction, through replica_client.mjs fill), then checkpointed;
#   2. bootstrap with the real SDK (@tursodatabase/sync: connect() on a fresh local path, timed until it returns,
#      SYNC_BOOT_REPS times), checked against the server's rows; beside it `cp` of the tenant's data file plus `sync`
#      of the copy (target: bootstrap ≤ 2× the copy), and the server's side alone: POST /pull-updates with an empty
#      body read to the end and dropped by node's fetch (and by curl into /dev/null, which costs the client far
#      less), with the server's CPU time and peak RSS (VmHWM);
#   3. incremental pull of SYNC_INCR_PAGES changed pages: on a bootstrapped client, one UPDATE on the server gives
#      that many rows (one per page, spread over the table) new contents; the raw endpoint is asked what changed since
#      the client's revision (pages counted), then db.pull() is timed and checked; SYNC_INCR_ROUNDS rounds. Beside it
#      `dd` of the same number of 4 KiB pages from the data file into a new file with conv=fsync (target ≤ 2×).
#
#   bash tests/bench/sync.sh
#
# Environment (all optional):
#   SYNC_MB           tenant size in MiB (default 100)
#   SYNC_TXN_ROWS     rows (one 4 KiB page each) per transaction while building it (default 1000)
#   SYNC_BOOT_REPS    timed SDK bootstraps, each into a fresh local path; the median is used (default 5)
#   SYNC_RAW_REPS     timed raw bootstrap answers (POST /pull-updates, empty body), by node and by curl, after one
#                     untimed each; medians (default 5)
#   SYNC_COPY_REPS    timed copies of the data file (cp + sync) and of the changed pages' bytes (dd); medians (default 5)
#   SYNC_INCR_PAGES   rows (= pages) changed before each timed incremental pull (default 1000)
#   SYNC_INCR_ROUNDS  rounds of (update, raw answer by node and by curl, pull()); medians (default 5)
#   BENCH_WAIT_QUIET  wait up to this many seconds for other work to stop (< 10 % CPU busy) before starting
#                     (default 0: only measure and record it)
#   BENCH_PIN         split (default): server on all CPUs but the last, clients on the last; shared: everything
#                     on CPU 0; none: no pinning (as run.sh)
#   QSQLD_BIN         server binary (default: build-bench/app/qsqld if built, else build/app/qsqld)
#   RESULTS_FILE      where the results are appended (default tests/bench/results.md)
#   KEEP_TMP=1        keep the temporary directory (database, local SDK databases, server log, raw JSON)
#
# Loopback only (the SDK addresses the tenant by path: http://127.0.0.1:PORT/dev/<ns>). Installs nothing;
# everything it starts it stops on exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/../.." && pwd)
MB=${SYNC_MB:-100}
TXN_ROWS=${SYNC_TXN_ROWS:-1000}
BOOT_REPS=${SYNC_BOOT_REPS:-5}
RAW_REPS=${SYNC_RAW_REPS:-5}
COPY_REPS=${SYNC_COPY_REPS:-5}
INCR_PAGES=${SYNC_INCR_PAGES:-1000}
INCR_ROUNDS=${SYNC_INCR_ROUNDS:-5}
PIN=${BENCH_PIN:-split}
RESULTS_FILE=${RESULTS_FILE:-$BENCH_DIR/results.md}
NODE_MODULES=$BENCH_DIR/../compat/node_modules
NS=tenant

die() { echo "sync.sh: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

# ---- prerequisites -------------------------------------------------------------------------------------------
command -v node >/dev/null || die "node (20 or later) is needed"
command -v curl >/dev/null || die "curl is needed"
command -v dd >/dev/null || die "dd (coreutils) is needed"
[[ -f $NODE_MODULES/@tursodatabase/sync/package.json ]] \
    || die "@tursodatabase/sync is missing from tests/compat/node_modules; run:  (cd tests/compat && npm ci)"
((BOOT_REPS >= 1 && RAW_REPS >= 1 && COPY_REPS >= 1)) || die "SYNC_BOOT_REPS, SYNC_RAW_REPS and SYNC_COPY_REPS must be at least 1"

NCPU=$(nproc)
case $PIN in
split)
    if ((NCPU >= 2)); then
        SERVER_CPUS=0-$((NCPU - 2)) CLIENT_CPUS=$((NCPU - 1))
    else
        echo "sync.sh: one CPU only, running unpinned" >&2
        PIN=none
    fi ;;
shared) SERVER_CPUS=0 CLIENT_CPUS=0 ;;
none) ;;
*) die "BENCH_PIN must be split, shared or none" ;;
esac
ON_SERVER=() ON_CLIENT=()
if [[ $PIN == none ]]; then
    PIN_DESC="unpinned"
else
    command -v taskset >/dev/null || die "taskset (util-linux) is needed for BENCH_PIN=$PIN"
    ON_SERVER=(taskset -c "$SERVER_CPUS") ON_CLIENT=(taskset -c "$CLIENT_CPUS")
    PIN_DESC="server on CPU $SERVER_CPUS, clients (node with the SDK, cp, dd) on CPU $CLIENT_CPUS"
fi

source "$BENCH_DIR/lib.sh" # free_port, find_qsqld
find_qsqld

TMP=$(mktemp -d /tmp/qsqld-sync-bench.XXXXXX)
PIDS=()
cleanup() {
    local rc=$?
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ ${KEEP_TMP:-0} == 1 || $rc != 0 ]]; then
        echo "sync.sh: temporary files kept in $TMP" >&2
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# start_qsqld NAME: a fresh server with its own database, namespaces on, HTTP and the admin API on 127.0.0.1;
# sets QPID, QPORT, APORT, QDB.
start_qsqld() {
    local name=$1
    QPORT=$(free_port) APORT=$(free_port) QDB=$TMP/db-$name
    log "starting qsqld ($QSQLD_BIN, $build_type) on 127.0.0.1:$QPORT for $name"
    "${ON_SERVER[@]}" "$QSQLD_BIN" --db-path "$QDB" --enable-namespaces --http-listen-addr "127.0.0.1:$QPORT" \
        --admin-listen-addr "127.0.0.1:$APORT" >"$TMP/qsqld-$name.log" 2>&1 &
    QPID=$!
    PIDS+=("$QPID")
    for _ in $(seq 100); do
        curl -s -o /dev/null -m 1 "http://127.0.0.1:$QPORT/health" && return 0
        kill -0 "$QPID" 2>/dev/null || die "qsqld exited at start (log: $TMP/qsqld-$name.log)"
        sleep 0.1
    done
    die "qsqld does not answer on port $QPORT"
}

# stop_qsqld NAME: stops QPID (SIGTERM), fails if it had died or exits with an error; prints unexpected log lines.
stop_qsqld() {
    local rc=0
    kill -0 "$QPID" 2>/dev/null || die "qsqld died during the run (log: $TMP/qsqld-$1.log)"
    kill -TERM "$QPID"
    wait "$QPID" 2>/dev/null || rc=$?
    ((rc == 0)) || die "qsqld exited with status $rc after SIGTERM (log: $TMP/qsqld-$1.log)"
    # The two start-up warnings about running without authentication are expected here.
    grep -iE 'error|warn|crit|fatal|abort' "$TMP/qsqld-$1.log" | grep -vE 'AUTHENTICATION IS OFF|ADMIN API WITHOUT A KEY' \
        | sed "s/^/$1: /" | tee -a "$TMP/server-issues.log" >&2 || true
}

admin() { # METHOD PATH [BODY] → response body; fails unless 2xx
    curl -sS -f -m 600 -X "$1" -H 'content-type: application/json' ${3:+--data-binary "$3"} "http://127.0.0.1:$APORT$2"
}

now_ns() { date +%s%N; }
proc_kib() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"; } # PID KEY → KiB

# median_json SECONDS... → {"median_s":…,"all_s":[…]}
median_json() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "{\"median_s\":%s,\"all_s\":[", m; for (i = 1; i <= NR; ++i) printf "%s%s", (i > 1 ? "," : ""), v[i]; printf "]}" }'
}
secs() { awk -v d=$(($2 - $1)) 'BEGIN { printf "%.5f", d / 1e9 }'; } # T0_NS T1_NS → seconds

# copy_baseline FILE → JSON: SYNC_COPY_REPS times `cp FILE NEW && sync NEW` (coreutils sync fsyncs the file), on the
# client CPU, each into a new file; median and all seconds.
copy_baseline() {
    local i t0 t1 s=()
    for ((i = 1; i <= COPY_REPS; ++i)); do
        rm -f "$TMP/copy.db"
        t0=$(now_ns)
        "${ON_CLIENT[@]}" cp "$1" "$TMP/copy.db"
        "${ON_CLIENT[@]}" sync "$TMP/copy.db"
        t1=$(now_ns)
        cmp -s "$1" "$TMP/copy.db" || die "the copy of $1 differs"
        s+=("$(secs "$t0" "$t1")")
    done
    rm -f "$TMP/copy.db"
    median_json "${s[@]}"
}

# dd_baseline FILE PAGES → JSON: SYNC_COPY_REPS times `dd` of PAGES × 4096 bytes from FILE into a new file with
# conv=fsync, on the client CPU; median and all seconds.
dd_baseline() {
    local i t0 t1 s=()
    for ((i = 1; i <= COPY_REPS; ++i)); do
        rm -f "$TMP/pages.bin"
        t0=$(now_ns)
        "${ON_CLIENT[@]}" dd if="$1" of="$TMP/pages.bin" bs=4096 count="$2" conv=fsync status=none
        t1=$(now_ns)
        [[ $(stat -c %s "$TMP/pages.bin") == $(($2 * 4096)) ]] || die "dd copied $(stat -c %s "$TMP/pages.bin") bytes, not $(($2 * 4096))"
        s+=("$(secs "$t0" "$t1")")
    done
    rm -f "$TMP/pages.bin"
    median_json "${s[@]}"
}

cpu_busy() { # → percent of CPU time not idle during one second
    local a b
    read -ra a < <(head -1 /proc/stat)
    sleep 1
    read -ra b < <(head -1 /proc/stat)
    awk -v u=$((b[1] + b[2] + b[3] + b[6] + b[7] + b[8] - a[1] - a[2] - a[3] - a[6] - a[7] - a[8])) \
        -v i=$((b[4] + b[5] - a[4] - a[5])) 'BEGIN { printf "%.0f", u + i ? 100 * u / (u + i) : 0 }'
}
BUSY_BEFORE=$(cpu_busy)
for ((waited = 1; BUSY_BEFORE >= 10 && waited < ${BENCH_WAIT_QUIET:-0}; ++waited)); do
    BUSY_BEFORE=$(cpu_busy)
done
((BUSY_BEFORE < 10)) || echo "sync.sh: warning: the machine is ${BUSY_BEFORE}% busy with other work; results will be noisy" >&2
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$TMP/server-issues.log"

# ---- 1. the tenant -------------------------------------------------------------------------------------------------
start_qsqld sync
RSS_START=$(proc_kib "$QPID" VmRSS)
admin POST "/v1/namespaces/$NS/create" '{}' >/dev/null
log "building a $MB MiB tenant ($TXN_ROWS rows of randomblob(4000) per transaction)"
FILL=$("${ON_CLIENT[@]}" node "$BENCH_DIR/replica_client.mjs" fill --primary "http://127.0.0.1:$QPORT" --ns "$NS" \
    --mb "$MB" --txn-rows "$TXN_ROWS" --pid "$QPID")
echo "   $FILL" >&2
admin POST "/v1/namespaces/$NS/checkpoint" >/dev/null
DATA=$QDB/dbs/$NS/data
[[ -f $DATA ]] || die "no data file at $DATA"
WAL_BYTES=0
[[ -f $DATA-wal ]] && WAL_BYTES=$(stat -c %s "$DATA-wal")
LOG_BYTES=0
[[ -f $QDB/dbs/$NS/qsqld-wallog ]] && LOG_BYTES=$(stat -c %s "$QDB/dbs/$NS/qsqld-wallog")
FILES="{\"data_bytes\":$(stat -c %s "$DATA"),\"wal_bytes\":$WAL_BYTES,\"log_bytes\":$LOG_BYTES,\"rss_start_kib\":$RSS_START,\"rss_after_build_kib\":$(proc_kib "$QPID" VmRSS),\"hwm_after_build_kib\":$(proc_kib "$QPID" VmHWM)}"
echo "   files: $FILES" >&2

# ---- copy baselines ------------------------------------------------------------------------------------------------
log "copy baselines: cp + sync of the data file, dd of $INCR_PAGES pages with conv=fsync, $COPY_REPS times each"
COPY=$(copy_baseline "$DATA")
echo "   cp + sync: $COPY" >&2
DD=$(dd_baseline "$DATA" "$INCR_PAGES")
echo "   dd: $DD" >&2

# ---- 2. bootstrap: the server alone, then the SDK ------------------------------------------------------------------
URL="http://127.0.0.1:$QPORT/dev/$NS"
log "the server's side alone: POST /pull-updates (empty body) read to the end by node's fetch, then by curl, $RAW_REPS times each"
RAW=$("${ON_CLIENT[@]}" node "$BENCH_DIR/sync_client.mjs" raw --url "$URL" --pid "$QPID" --reps "$RAW_REPS" --warmup 1 --curl)
log "SDK: $BOOT_REPS x connect() on a fresh path, then a pull() with nothing new and $INCR_ROUNDS x $INCR_PAGES changed pages + pull()"
SDK=$("${ON_CLIENT[@]}" node "$BENCH_DIR/sync_client.mjs" sdk --url "$URL" --primary "http://127.0.0.1:$QPORT" --ns "$NS" \
    --path-prefix "$TMP/phone" --pid "$QPID" --reps "$BOOT_REPS" --incr-pages "$INCR_PAGES" --incr-rounds "$INCR_ROUNDS" --curl)
SERVER_END="{\"rss_kib\":$(proc_kib "$QPID" VmRSS),\"vmhwm_kib\":$(proc_kib "$QPID" VmHWM),\"threads\":$(sed -n 's/^Threads:[[:space:]]*//p' "/proc/$QPID/status"),\"fds\":$(ls "/proc/$QPID/fd" | wc -l)}"
STATS=$(admin GET "/v1/namespaces/$NS/stats")
stop_qsqld sync
printf '{"fill":%s,"files":%s,"copy":%s,"dd":%s,"raw":%s,"sdk":%s,"server_end":%s,"stats":%s}\n' \
    "$FILL" "$FILES" "$COPY" "$DD" "$RAW" "$SDK" "$SERVER_END" "$STATS" >"$TMP/sync.json"
BUSY_AFTER=$(cpu_busy)
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report ------------------------------------------------------------------------------------------------------
table=$(TMPDIR_=$TMP TXN_ROWS=$TXN_ROWS node - <<'EOF'
const fs = require('fs');
const R = JSON.parse(fs.readFileSync(`${process.env.TMPDIR_}/sync.json`));
const MiB = 1048576, PAGE = 4096;
const int = (x) => (x === null || x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));
const fix = (x, d) => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
const met = (ok) => (ok ? 'yes' : '**no**');
const median = (a) => {
    const s = [...a].sort((x, y) => x - y);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const range = (a, d, f = (x) => x) => `[${a.map((x) => fix(f(x), d)).join(', ')}]`;
const mib = (kib) => fix(kib / 1024, 1);
const data = R.files.data_bytes, copy = R.copy.median_s;
const out = [];

out.push('| Tenant | data file MiB | rows | pages (db_size) | build s | build MiB/s | replication log MiB | server RSS MiB: idle → after build (peak) |');
out.push('|---|---:|---:|---:|---:|---:|---:|---:|');
const db = R.raw.runs[0];
out.push(`| \`big\`: randomblob(4000) rows, ${int(Number(process.env.TXN_ROWS))} per transaction (${int(R.fill.transactions)} transactions), checkpointed | ${fix(data / MiB, 1)} | ${int(R.fill.rows)} | ${int(db.db_size)} | ${fix(R.fill.seconds, 1)} | ${fix(R.fill.mib_per_s, 1)} | ${fix(R.files.log_bytes / MiB, 1)} | ${mib(R.files.rss_start_kib)} → ${mib(R.files.rss_after_build_kib)} (${mib(R.files.hwm_after_build_kib)}) |`);
out.push('');

const B = R.sdk.bootstraps, raws = R.raw.runs;
const bootS = R.sdk.bootstrap_median_s, rawS = R.raw.median_s;
out.push('| Bootstrap (whole tenant) | s (median [all]) | MiB/s (data file) | `cp` + `sync` of the data file, s (median) | ratio to copy | Target | Met | server CPU s (median) | client CPU s (median) | server peak RSS MiB (VmHWM, max) | received | rows local = server |');
out.push('|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|');
const hwmMax = (a) => Math.max(...a.map((x) => x.server_vmhwm_kib));
const allReset = (a) => a.every((x) => x.vmhwm_reset);
const rowsOk = B.every((b) => b.match);
out.push(`| SDK \`connect()\` on a fresh path (@tursodatabase/sync) | ${fix(bootS, 2)} ${range(B.map((b) => b.seconds), 2)} | ${fix(data / MiB / bootS, 0)} | ${fix(copy, 3)} | ${fix(bootS / copy, 1)}× | ≤ 2× | ${met(bootS / copy <= 2)} | ${fix(median(B.map((b) => b.server_cpu_s)), 2)} | ${fix(median(B.map((b) => b.client_cpu_s)), 2)} | ${mib(hwmMax(B))}${allReset(B) ? '' : ' (since start)'} | ${fix(B[0].network_received_bytes / MiB, 1)} MiB | ${rowsOk ? `yes (${int(B[0].rows_local)})` : `**no** (${B.map((b) => b.rows_local).join(', ')} vs ${B[0].rows_primary})`} |`);
out.push(`| server alone: raw \`POST /pull-updates\` (empty body), read and dropped by node \`fetch\` | ${fix(rawS, 2)} ${range(raws.map((r) => r.seconds), 2)} | ${fix(data / MiB / rawS, 0)} | ${fix(copy, 3)} | ${fix(rawS / copy, 1)}× | – | – | ${fix(median(raws.map((r) => r.server_cpu_s)), 2)} | ${fix(median(raws.map((r) => r.client_cpu_s)), 2)} | ${mib(hwmMax(raws))}${allReset(raws) ? '' : ' (since start)'} | ${int(raws[0].pages)} pages, ${fix(raws[0].bytes / MiB, 1)} MiB | – |`);
const cu = R.raw.curl, cuS = R.raw.curl_median_s;
if (cu.length)
    out.push(`| server alone: the same request from \`curl\` (answer to /dev/null) | ${fix(cuS, 2)} ${range(cu.map((r) => r.seconds), 2)} | ${fix(data / MiB / cuS, 0)} | ${fix(copy, 3)} | ${fix(cuS / copy, 1)}× | – | – | ${fix(median(cu.map((r) => r.server_cpu_s)), 2)} | – | ${mib(hwmMax(cu))}${allReset(cu) ? '' : ' (since start)'} | ${fix(cu[0].bytes / MiB, 1)} MiB | – |`);
out.push('');

const I = R.sdk.incremental, rounds = I.rounds;
if (rounds.length) {
    const pullS = I.pull_median_s, rawI = I.raw_median_s, dd = R.dd.median_s;
    const pages = rounds.map((r) => r.raw.pages), distinct = rounds.map((r) => r.raw.distinct_pages);
    const bytes = median(pages) * PAGE;
    const fromCopy = (I.rows_updated * PAGE) / (data / copy);
    out.push(`| Incremental pull of ${int(I.rows_updated)} changed rows (one per page), ${rounds.length} rounds | pages sent (distinct) | ms (median [all]) | MiB/s (pages) | \`dd\` of ${int(I.rows_updated)} × 4 KiB, conv=fsync, ms (median) | ratio to dd | Target | Met | server CPU ms (median) | server peak RSS MiB (VmHWM, max) | local = server |`);
    out.push('|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|');
    const ok = rounds.every((r) => r.match && r.changed);
    out.push(`| SDK \`pull()\` | ${range(pages, 0)} (${range(distinct, 0)}) | ${fix(pullS * 1000, 1)} ${range(rounds.map((r) => r.seconds * 1000), 1)} | ${fix(bytes / MiB / pullS, 0)} | ${fix(dd * 1000, 1)} | ${fix(pullS / dd, 1)}× | ≤ 2× | ${met(pullS / dd <= 2)} | ${fix(median(rounds.map((r) => r.server_cpu_s)) * 1000, 0)} | ${mib(hwmMax(rounds))} | ${ok ? 'yes' : '**no**'} |`);
    out.push(`| server alone: raw \`POST /pull-updates\` with the client's revision | same | ${fix(rawI * 1000, 1)} ${range(rounds.map((r) => r.raw.seconds * 1000), 1)} | ${fix(bytes / MiB / rawI, 0)} | ${fix(dd * 1000, 1)} | ${fix(rawI / dd, 1)}× | – | – | ${fix(median(rounds.map((r) => r.raw.server_cpu_s)) * 1000, 0)} | ${mib(hwmMax(rounds.map((r) => r.raw)))} | – |`);
    if (I.curl_median_s !== undefined) {
        const cI = I.curl_median_s, cr = rounds.map((r) => r.raw.curl);
        out.push(`| server alone: the same request from \`curl\` | same | ${fix(cI * 1000, 1)} ${range(cr.map((r) => r.seconds * 1000), 1)} | ${fix(bytes / MiB / cI, 0)} | ${fix(dd * 1000, 1)} | ${fix(cI / dd, 1)}× | – | – | ${fix(median(cr.map((r) => r.server_cpu_s)) * 1000, 0)} | ${mib(hwmMax(cr))} | – |`);
    }
    const n = R.sdk.noop_pull;
    out.push(`| SDK \`pull()\` with nothing new (once, before the rounds) | 0 | ${fix(n.seconds * 1000, 1)} | – | – | – | – | – | ${fix(n.server_cpu_s * 1000, 0)} | – | ${n.changed ? '**changed**' : 'unchanged'} |`);
    out.push('');
    out.push(`Copy baselines: \`dd\` of ${int(I.rows_updated)} pages took ${fix(dd * 1000, 1)} ms ${range(R.dd.all_s, 1, (x) => x * 1000)} (measured, used for the ratio); at the whole-file copy's rate (${fix(data / MiB / copy, 0)} MiB/s) the same bytes would take ${fix(fromCopy * 1000, 1)} ms (computed; ratio ${fix(pullS / fromCopy, 1)}×). \`cp\` + \`sync\` of the data file: ${range(R.copy.all_s, 3)} s. SDK bytes received per incremental pull: ${range(rounds.map((r) => r.network_received_bytes / MiB), 2)} MiB; the UPDATE took ${range(rounds.map((r) => r.write_ms), 0)} ms on the server (untimed).`);
}
const e = R.server_end;
out.push('');
out.push(`Server at the end: RSS ${mib(e.rss_kib)} MiB (idle at start ${mib(R.files.rss_start_kib)}, after the build ${mib(R.files.rss_after_build_kib)}), ${e.threads} threads, ${e.fds} descriptors; SDK local database after bootstrap: ${fix(B[B.length - 1].local_files.db / MiB, 1)} MiB (+ WAL ${fix((B[B.length - 1].local_files['-wal'] ?? 0) / MiB, 1)} MiB).`);
console.log(out.join('\n'));
EOF
)

issues=$(cat "$TMP/server-issues.log")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n $(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null) ]] && commit="$commit (working tree modified)"
header="## $(date -u '+%Y-%m-%d %H:%M UTC') · commit $commit · Turso Sync (sync.sh)"
details="CPU: $cpu × $(nproc) · qsqld $build_type ($QSQLD_BIN, built $(date -u -r "$QSQLD_BIN" '+%Y-%m-%d %H:%M UTC')) · node $(node --version), @tursodatabase/sync $(node -p "require('$NODE_MODULES/@tursodatabase/sync/package.json').version") · tenant $MB MiB in transactions of $TXN_ROWS rows, checkpointed; $BOOT_REPS SDK bootstraps, $RAW_REPS raw answers each by node \`fetch\` and curl; incremental: $INCR_PAGES rows (pages) per UPDATE, $INCR_ROUNDS rounds; copies: median of $COPY_REPS × \`cp\` + \`sync FILE\` and $COPY_REPS × \`dd conv=fsync\`, page cache not dropped (as for the pulls) · $PIN_DESC · filesystem $(df -T "$TMP" | awk 'NR == 2 { print $2 }') · other work: ${BUSY_BEFORE}% CPU busy before, ${BUSY_AFTER}% after (load average $LOAD_BEFORE → $LOAD_AFTER)"
[[ -n $issues ]] && table+=$'\n\nServer log lines beyond the start-up warnings:\n\n```\n'"$(head -20 <<<"$issues")"$'\n```'

{
    [[ -s $RESULTS_FILE ]] || printf '# qsqld benchmark results\n\nAppended by tests/bench/run.sh, ws.sh, replication.sh and sync.sh, newest last.\n'
    printf '\n%s\n\n%s\n\n%s\n' "$header" "$details" "$table"
} >>"$RESULTS_FILE"

printf '\n%s\n\n%s\n\n%s\n\n' "$header" "$details" "$table"
echo "(appended to $RESULTS_FILE)"
