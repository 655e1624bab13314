#!/usr/bin/env bash
# qsqld replication benchmarks (issue #5; tests/bench/README.md, "replication.sh"):
#   1. a REPL_MB MiB tenant built on a primary (randomblob(4000) rows, REPL_TXN_ROWS rows per transaction), then
#      checkpointed;
#   2. cold sync of an @libsql/client embedded replica from it (createClient + sync(), replica_client.mjs), twice:
#      from a server with the default --max-log-size (the whole history is in the log: BatchLogEntries) and from
#      one with --max-log-size REPL_SNAPSHOT_LOG_MB (the history is in snapshots: the Snapshot RPC);
#      The server's side alone is timed too: the same gRPC-web calls from a plain client that drops the frames;
#   3. beside it, `cp` of the tenant's data file to a new file plus `sync` of that file (page cache left alone for
#      both), and the ratio cold sync / copy (target ≤ 2×);
#   4. incremental sync of a synced replica after REPL_INCR_ROWS small rows (and REPL_INCR_BLOBS page-sized rows)
#      written in commits of REPL_INCR_BATCH rows: frames/s and ms, and sync() with nothing new;
#   5. the primary's write throughput with frame capture (default) and without (--disable-replication-log), same
#      binary, fresh servers taking turns A B A B: sequential 1-row INSERT pipelines over keep-alive HTTP for
#      REPL_WRITE_SECONDS s, and 1,000-row transactions (target: capture costs < 20 %).
#
#   bash tests/bench/replication.sh
#
# Environment (all optional):
#   REPL_MB               tenant size in MiB (default 100)
#   REPL_TXN_ROWS         rows (one 4 KiB page each) per transaction while building it (default 1000)
#   REPL_SNAPSHOT_LOG_MB  --max-log-size of the second server, whose tenant history ends up in snapshots (default 10)
#   REPL_COPY_REPS        timed copies of the data file; the median is used (default 3)
#   REPL_INCR_ROWS        small rows written before the timed incremental sync (default 5000)
#   REPL_INCR_BATCH       rows per commit for the incremental parts (default 100)
#   REPL_INCR_BLOBS       randomblob(4000) rows written before a second timed incremental sync (default 2000; 0: skip)
#   REPL_NOOP             timed sync() calls with nothing new (default 20)
#   REPL_CHECK            1 (default): PRAGMA quick_check on each replica after its cold sync (untimed)
#   REPL_WRITE_SECONDS    length of each 1-row INSERT loop (default 10)
#   REPL_WRITE_ROUNDS     rounds of (with capture, without capture) (default 2)
#   REPL_TXN_REPS         timed 1,000-row transactions per write run (default 100)
#   BENCH_WAIT_QUIET      wait up to this many seconds for other work to stop (< 10 % CPU busy) before starting
#                         (default 0: only measure and record it)
#   BENCH_PIN             split (default): server on all CPUs but the last, clients on the last; shared: everything
#                         on CPU 0; none: no pinning (as run.sh)
#   QSQLD_BIN             server binary (default: build-bench/app/qsqld if built, else build/app/qsqld)
#   RESULTS_FILE          where the results are appended (default tests/bench/results.md)
#   KEEP_TMP=1            keep the temporary directory (databases, replicas, server logs, raw JSON)
#
# Loopback only (the replica reaches the server as http://<namespace>.localhost:PORT, which needs *.localhost to
# resolve to a loopback address: libnss-myhostname). Installs nothing; everything it starts it stops on exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/../.." && pwd)
MB=${REPL_MB:-100}
TXN_ROWS=${REPL_TXN_ROWS:-1000}
SNAP_LOG_MB=${REPL_SNAPSHOT_LOG_MB:-10}
COPY_REPS=${REPL_COPY_REPS:-3}
INCR_ROWS=${REPL_INCR_ROWS:-5000}
INCR_BATCH=${REPL_INCR_BATCH:-100}
INCR_BLOBS=${REPL_INCR_BLOBS:-2000}
NOOP=${REPL_NOOP:-20}
CHECK=${REPL_CHECK:-1}
WRITE_SECONDS=${REPL_WRITE_SECONDS:-10}
WRITE_ROUNDS=${REPL_WRITE_ROUNDS:-2}
TXN_REPS=${REPL_TXN_REPS:-100}
PIN=${BENCH_PIN:-split}
RESULTS_FILE=${RESULTS_FILE:-$BENCH_DIR/results.md}
NODE_MODULES=$BENCH_DIR/../compat/node_modules
NS=tenant

die() { echo "replication.sh: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

# ---- prerequisites -------------------------------------------------------------------------------------------
command -v node >/dev/null || die "node (20 or later) is needed"
command -v curl >/dev/null || die "curl is needed"
[[ -f $NODE_MODULES/@libsql/client/package.json ]] \
    || die "@libsql/client is missing from tests/compat/node_modules; run:  (cd tests/compat && npm ci)"
getent hosts "$NS.localhost" >/dev/null \
    || die "$NS.localhost does not resolve; embedded replicas address namespaces as <ns>.localhost (apt-get install -y libnss-myhostname)"

NCPU=$(nproc)
case $PIN in
split)
    if ((NCPU >= 2)); then
        SERVER_CPUS=0-$((NCPU - 2)) CLIENT_CPUS=$((NCPU - 1))
    else
        echo "replication.sh: one CPU only, running unpinned" >&2
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
    PIN_DESC="server on CPU $SERVER_CPUS, clients (node, replica, cp) on CPU $CLIENT_CPUS"
fi

source "$BENCH_DIR/lib.sh" # free_port, find_qsqld
find_qsqld

TMP=$(mktemp -d /tmp/qsqld-repl-bench.XXXXXX)
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
        echo "replication.sh: temporary files kept in $TMP" >&2
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# start_qsqld NAME [qsqld flags...]: a fresh server with its own database, namespaces on, HTTP on [::] (the replica
# connects to <ns>.localhost) and the admin API on 127.0.0.1; sets QPID, QPORT, APORT, QDB.
start_qsqld() {
    local name=$1
    shift
    QPORT=$(free_port) APORT=$(free_port) QDB=$TMP/db-$name
    log "starting qsqld ($QSQLD_BIN, $build_type) on [::]:$QPORT for $name${*:+ ($*)}"
    "${ON_SERVER[@]}" "$QSQLD_BIN" --db-path "$QDB" --enable-namespaces --http-listen-addr "[::]:$QPORT" \
        --admin-listen-addr "127.0.0.1:$APORT" "$@" >"$TMP/qsqld-$name.log" 2>&1 &
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

# copy_baseline FILE → JSON: REPL_COPY_REPS times `cp FILE NEW && sync NEW` (coreutils sync fsyncs the file), on the
# client CPU, each into a new file; median and all seconds.
copy_baseline() {
    local i t0 t1 secs=()
    for ((i = 1; i <= COPY_REPS; ++i)); do
        rm -f "$TMP/copy.db"
        t0=$(now_ns)
        "${ON_CLIENT[@]}" cp "$1" "$TMP/copy.db"
        "${ON_CLIENT[@]}" sync "$TMP/copy.db"
        t1=$(now_ns)
        cmp -s "$1" "$TMP/copy.db" || die "the copy of $1 differs"
        secs+=("$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.4f", d / 1e9 }')")
    done
    rm -f "$TMP/copy.db"
    printf '%s\n' "${secs[@]}" | sort -g | awk '{ v[NR] = $1 } END {
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "{\"median_s\":%s,\"all_s\":[", m; for (i = 1; i <= NR; ++i) printf "%s%s", (i > 1 ? "," : ""), v[i]; printf "]}" }'
}

# tenant NAME [qsqld flags...]: a server with one REPL_MB tenant, checkpointed; its figures, the copy baseline and
# a cold sync of a fresh replica (plus the incremental and no-op parts when INCREMENTAL=1) into $TMP/NAME.json.
tenant() {
    local name=$1
    shift
    start_qsqld "$name" "$@"
    admin POST "/v1/namespaces/$NS/create" '{}' >/dev/null
    log "$name: building a $MB MiB tenant ($TXN_ROWS rows of randomblob(4000) per transaction)"
    local fill stats data copy wire rep extra=()
    fill=$("${ON_CLIENT[@]}" node "$BENCH_DIR/replica_client.mjs" fill --primary "http://127.0.0.1:$QPORT" --ns "$NS" \
        --mb "$MB" --txn-rows "$TXN_ROWS" --pid "$QPID")
    echo "   $fill" >&2
    admin POST "/v1/namespaces/$NS/checkpoint" >/dev/null
    stats=$(admin GET "/v1/namespaces/$NS/stats")
    data=$QDB/dbs/$NS/data
    [[ -f $data ]] || die "no data file at $data"
    local wal_bytes=0
    [[ -f $data-wal ]] && wal_bytes=$(stat -c %s "$data-wal")
    local files
    files=$(node -e '
        const [data, walBytes, dir] = process.argv.slice(1);
        const fs = require("fs");
        const size = (p) => { try { return fs.statSync(p).size; } catch { return 0; } };
        let snaps = 0, snapBytes = 0;
        try { for (const f of fs.readdirSync(dir + "/qsqld-snapshots")) { ++snaps; snapBytes += size(dir + "/qsqld-snapshots/" + f); } } catch {}
        console.log(JSON.stringify({ data_bytes: size(data), wal_bytes: Number(walBytes), log_bytes: size(dir + "/qsqld-wallog"),
            snapshot_files: snaps, snapshot_bytes: snapBytes }));' "$data" "$wal_bytes" "$QDB/dbs/$NS")
    echo "   files: $files" >&2
    log "$name: copy baseline: cp + sync of the data file, $COPY_REPS times"
    copy=$(copy_baseline "$data")
    echo "   $copy" >&2
    log "$name: the server's side alone: the replica's gRPC-web calls from frame 0, frames dropped"
    wire=$("${ON_CLIENT[@]}" node "$BENCH_DIR/replica_client.mjs" wire --primary "http://127.0.0.1:$QPORT" --ns "$NS" --pid "$QPID")
    echo "   $wire" >&2
    ((CHECK == 1)) && extra+=(--check)
    if [[ ${INCREMENTAL:-0} == 1 ]]; then
        extra+=(--incremental "$INCR_ROWS" --batch "$INCR_BATCH" --incremental-blobs "$INCR_BLOBS" --noop "$NOOP")
    fi
    log "$name: cold sync of a fresh replica${INCREMENTAL:+, then incremental and no-op syncs}"
    rep=$("${ON_CLIENT[@]}" node "$BENCH_DIR/replica_client.mjs" replica --primary "http://127.0.0.1:$QPORT" --ns "$NS" \
        --sync-url "http://$NS.localhost:$QPORT" --file "$TMP/replica-$name.db" --admin "http://127.0.0.1:$APORT" \
        --pid "$QPID" "${extra[@]}")
    local stats_after
    stats_after=$(admin GET "/v1/namespaces/$NS/stats")
    local hwm_end
    hwm_end=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$QPID/status")
    stop_qsqld "$name"
    printf '{"fill":%s,"files":%s,"stats":%s,"stats_after":%s,"copy":%s,"wire":%s,"replica":%s,"server_vmhwm_end_kib":%s}\n' \
        "$fill" "$files" "$stats" "$stats_after" "$copy" "$wire" "$rep" "$hwm_end" >"$TMP/$name.json"
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
((BUSY_BEFORE < 10)) || echo "replication.sh: warning: the machine is ${BUSY_BEFORE}% busy with other work; results will be noisy" >&2
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$TMP/server-issues.log"

# ---- 1-4. tenant, cold sync from the log and from snapshots, copy baseline, incremental ---------------------------
INCREMENTAL=1 tenant log
tenant snapshots --max-log-size "$SNAP_LOG_MB"

# ---- 5. write throughput with and without frame capture, A B A B -------------------------------------------------
WRITES=()
for ((round = 1; round <= WRITE_ROUNDS; ++round)); do
    for variant in capture nocapture; do
        flags=()
        [[ $variant == nocapture ]] && flags=(--disable-replication-log)
        start_qsqld "writes-$variant-$round" "${flags[@]}"
        admin POST "/v1/namespaces/w/create" '{}' >/dev/null
        log "writes ($variant, round $round of $WRITE_ROUNDS): 1-row INSERTs for ${WRITE_SECONDS}s, then $TXN_REPS x 1000-row transactions"
        out=$("${ON_CLIENT[@]}" node "$BENCH_DIR/replica_client.mjs" writes --primary "http://127.0.0.1:$QPORT" --ns w \
            --pid "$QPID" --seconds "$WRITE_SECONDS" --txn-reps "$TXN_REPS" --txn-rows 1000)
        disk=$(du -sb "$QDB/dbs/w" | cut -f1)
        stop_qsqld "writes-$variant-$round"
        WRITES+=("{\"variant\":\"$variant\",\"round\":$round,\"disk_bytes\":$disk,\"result\":$out}")
    done
done
(IFS=,; echo "[${WRITES[*]}]") >"$TMP/writes.json"
BUSY_AFTER=$(cpu_busy)
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report ------------------------------------------------------------------------------------------------------
table=$(TMPDIR_=$TMP MB=$MB SNAP_LOG_MB=$SNAP_LOG_MB INCR_BATCH=$INCR_BATCH node - <<'EOF'
const fs = require('fs');
const dir = process.env.TMPDIR_;
const L = JSON.parse(fs.readFileSync(`${dir}/log.json`)), S = JSON.parse(fs.readFileSync(`${dir}/snapshots.json`));
const W = JSON.parse(fs.readFileSync(`${dir}/writes.json`));
const MiB = 1048576;
const int = (x) => Math.round(x).toLocaleString('en-US');
const fix = (x, d) => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
const met = (ok) => (ok ? 'yes' : '**no**');
const median = (a) => {
    const s = [...a].sort((x, y) => x - y);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const out = [];
const runs = [[`default --max-log-size (log only: BatchLogEntries)`, L], [`--max-log-size ${process.env.SNAP_LOG_MB} (snapshots: Snapshot RPC, then the log)`, S]];

out.push('| Tenant on | data file MiB | rows | build s | build MiB/s | server CPU s (build) | log MiB | snapshots (files, MiB) | current frame |');
out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [name, r] of runs)
    out.push(`| ${name} | ${fix(r.files.data_bytes / MiB, 1)} | ${int(r.fill.rows)} | ${fix(r.fill.seconds, 1)} | ${fix(r.fill.mib_per_s, 1)} | ${fix(r.fill.server_cpu_s, 1)} | ${fix(r.files.log_bytes / MiB, 1)} | ${r.files.snapshot_files}, ${fix(r.files.snapshot_bytes / MiB, 1)} | ${int(r.stats.replication?.current_frame_no ?? 0)} |`);
out.push('');
out.push('| Cold sync (createClient + sync()) from | frames synced | s | MiB/s (data file) | `cp` + `sync` of the data file, s (median) | sync / copy | Target | Met | server side alone: s (MiB/s of frames, calls) | server CPU s | replica CPU s (user + sys) | server peak RSS MiB (VmHWM during sync) | replication RPCs | rows replica = primary | quick_check |');
out.push('|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|---|');
for (const [name, r] of runs) {
    const c = r.replica.cold, ratio = c.seconds / r.copy.median_s;
    out.push(`| ${name} | ${int(c.frames_synced)} | ${fix(c.seconds, 2)} | ${fix(r.files.data_bytes / MiB / c.seconds, 1)} | ${fix(r.copy.median_s, 3)} | ${fix(ratio, 1)}× | ≤ 2× | ${met(ratio <= 2)} | ${fix(r.wire.seconds, 2)} (${fix(r.wire.mib_per_s, 0)}, ${r.wire.batch_calls} + ${r.wire.snapshot_calls} snapshot) | ${fix(c.server_cpu_s, 2)} | ${fix(c.client_cpu_s, 2)} (${fix(c.client_user_s, 2)} + ${fix(c.client_sys_s, 2)}) | ${fix(c.server_vmhwm_kib / 1024, 1)}${c.server_vmhwm_reset ? '' : ' (since start)'} | ${c.replication_requests ?? '–'} | ${c.match ? `yes (${int(c.rows_replica)})` : `**no** (${c.rows_replica} vs ${c.rows_primary})`} | ${c.quick_check ?? '–'} |`);
}
out.push('');
out.push(`| Incremental sync of a synced replica (after the cold sync from the log) | rows written | commits | frames synced | sync ms | frames/s | rows/s | replica = primary |`);
out.push('|---|---:|---:|---:|---:|---:|---:|---|');
for (const [label, x] of [['small rows (~30 bytes)', L.replica.incremental], ['randomblob(4000) rows (one page each)', L.replica.incremental_blobs]]) {
    if (!x) continue;
    out.push(`| ${label}, ${process.env.INCR_BATCH} per commit | ${int(x.rows)} | ${x.commits} | ${int(x.frames_synced)} | ${fix(x.sync_ms, 1)} | ${int(x.frames_per_s)} | ${int(x.rows_per_s)} | ${met(x.match)} |`);
}
const n = L.replica.noop;
if (n)
    out.push(`| nothing new (${n.syncs} syncs): median / p90 / min ms | – | – | ${n.frames_synced_max} | ${fix(n.median_ms, 2)} / ${fix(n.p90_ms, 2)} / ${fix(n.min_ms, 2)} | – | – | – |`);
out.push('');

const by = (variant, f) => W.filter((w) => w.variant === variant).map((w) => f(w.result));
const rowsW = [
    ['1-row INSERT pipelines, sequential (req/s)', (r) => r.single.req_per_s, (r) => r.single.server_cpu_us_per_req, 'µs/req', 0, 1, true],
    ['1,000-row transactions (rows/s)', (r) => r.txn.rows_per_s, (r) => r.txn.server_cpu_us_per_row, 'µs/row', 0, 2, true],
];
out.push('| Primary writes (medians over rounds; each round\'s values in brackets) | with capture | without (--disable-replication-log) | capture cost (1 − with/without) | Target | Met | server CPU with / without | capture cost by CPU (1 − without/with) |');
out.push('|---|---:|---:|---:|---:|---|---:|---:|');
for (const [label, rate, cpu, unit, d1, d2] of rowsW) {
    const a = by('capture', rate), b = by('nocapture', rate), ca = by('capture', cpu), cb = by('nocapture', cpu);
    const cost = 1 - median(a) / median(b), costCpu = 1 - median(cb) / median(ca);
    out.push(`| ${label} | ${int(median(a))} [${a.map(int).join(', ')}] | ${int(median(b))} [${b.map(int).join(', ')}] | ${fix(cost * 100, 1)} % | < 20 % | ${met(cost < 0.2)} | ${fix(median(ca), d2)} / ${fix(median(cb), d2)} ${unit} | ${fix(costCpu * 100, 1)} % |`);
}
const p = (v, k) => median(by(v, (r) => r.single[k]));
out.push('');
out.push(`1-row INSERT latency p50 / p99: ${int(p('capture', 'p50_us'))} / ${int(p('capture', 'p99_us'))} µs with capture, ${int(p('nocapture', 'p50_us'))} / ${int(p('nocapture', 'p99_us'))} µs without; client CPU ${fix(p('capture', 'client_cpu_us_per_req'), 0)} / ${fix(p('nocapture', 'client_cpu_us_per_req'), 0)} µs/req. Namespace on disk after each run (data, WAL, log, snapshots): ${W.map((w) => `${w.variant} ${fix(w.disk_bytes / MiB, 0)} MiB`).join(', ')}.`);
console.log(out.join('\n'));
EOF
)

issues=$(cat "$TMP/server-issues.log")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n $(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null) ]] && commit="$commit (working tree modified)"
header="## $(date -u '+%Y-%m-%d %H:%M UTC') · commit $commit · replication (replication.sh)"
details="CPU: $cpu × $(nproc) · qsqld $build_type ($QSQLD_BIN, built $(date -u -r "$QSQLD_BIN" '+%Y-%m-%d %H:%M UTC')) · node $(node --version), @libsql/client $(node -p "require('$NODE_MODULES/@libsql/client/package.json').version") · tenant $MB MiB in transactions of $TXN_ROWS rows, checkpointed; copy = median of $COPY_REPS × \`cp\` + \`sync FILE\`, page cache not dropped (as for the sync) · incremental: $INCR_ROWS + $INCR_BLOBS rows, $INCR_BATCH per commit; $NOOP no-op syncs · writes: ${WRITE_SECONDS}s 1-row loop + $TXN_REPS × 1000-row transactions per run, $WRITE_ROUNDS rounds A B · $PIN_DESC · filesystem $(df -T "$TMP" | awk 'NR == 2 { print $2 }') · other work: ${BUSY_BEFORE}% CPU busy before, ${BUSY_AFTER}% after (load average $LOAD_BEFORE → $LOAD_AFTER)"
[[ -n $issues ]] && table+=$'\n\nServer log lines beyond the start-up warnings:\n\n```\n'"$(head -20 <<<"$issues")"$'\n```'

{
    [[ -s $RESULTS_FILE ]] || printf '# qsqld benchmark results\n\nAppended by tests/bench/run.sh, ws.sh and replication.sh, newest last.\n'
    printf '\n%s\n\n%s\n\n%s\n' "$header" "$details" "$table"
} >>"$RESULTS_FILE"

printf '\n%s\n\n%s\n\n%s\n\n' "$header" "$details" "$table"
echo "(appended to $RESULTS_FILE)"
