#!/usr/bin/env bash
# qsqld benchmarks for Hrana over WebSocket (issue #4; tests/bench/README.md, "ws.sh"):
#   1. statements/s over one WebSocket stream against the same statements as HTTP pipelines, protobuf and JSON,
#      with @libsql/hrana-client (ws_client.mjs), plus a 1,000-row result fetched end to end;
#   2. the server-side cost of encoding that result, JSON against protobuf (bench_encoding, encoding.cpp);
#   3. 1,000 idle WebSocket connections on one server: all alive, and the server's memory (ws_conns.mjs).
#
#   bash tests/bench/ws.sh
#
# Environment (all optional):
#   WS_N            timed statements per case, transport and round (default 2000)
#   WS_WARMUP       untimed statements before each timed block (default 200)
#   WS_ROUNDS       rounds; the transports take turns within each round (default 3)
#   WS_LARGE_REPS   timed fetches of the large result per transport and round (default 50)
#   WS_LARGE_ROWS   rows in the large result (default 1000)
#   ENC_REPS        repetitions of the in-process encoding benchmark (default 500)
#   WS_CONNS        WebSocket connections held open at once (default 1000)
#   MEM_BUDGET_MB   the memory budget the connections are checked against (default 256)
#   BENCH_PIN       split (default): server on all CPUs but the last, clients on the last; shared: everything on
#                   CPU 0; none: no pinning (as run.sh)
#   QSQLD_BIN       server binary (default: build-bench/app/qsqld if built, else build/app/qsqld)
#   ENCODING_BIN    bench_encoding (default: from build-bench or build; without it that part is skipped)
#   RESULTS_FILE    where the results are appended (default tests/bench/results.md)
#   KEEP_TMP=1      keep the temporary directory (databases, server logs, raw JSON)
#
# Loopback only. Installs nothing; everything it starts it stops on exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/../.." && pwd)
N=${WS_N:-2000}
WARMUP=${WS_WARMUP:-200}
ROUNDS=${WS_ROUNDS:-3}
LARGE_REPS=${WS_LARGE_REPS:-50}
LARGE_ROWS=${WS_LARGE_ROWS:-1000}
ENC_REPS=${ENC_REPS:-500}
CONNS=${WS_CONNS:-1000}
MEM_BUDGET_MB=${MEM_BUDGET_MB:-256}
PIN=${BENCH_PIN:-split}
RESULTS_FILE=${RESULTS_FILE:-$BENCH_DIR/results.md}
NODE_MODULES=$BENCH_DIR/../compat/node_modules

die() { echo "ws.sh: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

# ---- prerequisites -------------------------------------------------------------------------------------------
command -v node >/dev/null || die "node (20 or later) is needed"
command -v curl >/dev/null || die "curl is needed"
for pkg in @libsql/hrana-client ws; do
    [[ -f $NODE_MODULES/$pkg/package.json ]] \
        || die "$pkg is missing from tests/compat/node_modules; run:  (cd tests/compat && npm ci)"
done

NCPU=$(nproc)
case $PIN in
split)
    if ((NCPU >= 2)); then
        SERVER_CPUS=0-$((NCPU - 2)) CLIENT_CPUS=$((NCPU - 1))
    else
        echo "ws.sh: one CPU only, running unpinned" >&2
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
    PIN_DESC="server on CPU $SERVER_CPUS, clients on CPU $CLIENT_CPUS"
fi

source "$BENCH_DIR/lib.sh" # free_port, find_qsqld
find_qsqld
if [[ -z ${ENCODING_BIN:-} ]]; then
    for c in "$REPO/build-bench/tests/bench/bench_encoding" "$REPO/build/tests/bench/bench_encoding"; do
        [[ -x $c ]] && { ENCODING_BIN=$c; break; }
    done
fi
[[ -x ${ENCODING_BIN:-} ]] || echo "ws.sh: warning: no bench_encoding (ninja -C build-bench bench_encoding); skipping the encoding part" >&2

# Every connection is a descriptor on both sides: take the hard limit (both node and qsqld inherit it; qsqld also
# raises its own soft limit to the hard one).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FD_LIMIT=$(ulimit -n)
[[ $FD_LIMIT == unlimited ]] || ((FD_LIMIT > CONNS + 100)) \
    || echo "ws.sh: warning: open-files limit $FD_LIMIT is too low for $CONNS connections (raise the hard limit)" >&2

TMP=$(mktemp -d /tmp/qsqld-ws-bench.XXXXXX)
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
        echo "ws.sh: temporary files kept in $TMP" >&2
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# start_qsqld NAME: a fresh server (default namespace) with its own database; sets QPID and QURL.
start_qsqld() {
    local port
    port=$(free_port)
    log "starting qsqld ($QSQLD_BIN, $build_type) on 127.0.0.1:$port for $1"
    "${ON_SERVER[@]}" "$QSQLD_BIN" --db-path "$TMP/db-$1" --http-listen-addr "127.0.0.1:$port" >"$TMP/qsqld-$1.log" 2>&1 &
    QPID=$!
    PIDS+=("$QPID")
    QURL=http://127.0.0.1:$port
    for _ in $(seq 100); do
        curl -s -o /dev/null -m 1 "$QURL/health" && return 0
        kill -0 "$QPID" 2>/dev/null || die "qsqld exited at start (log: $TMP/qsqld-$1.log)"
        sleep 0.1
    done
    die "qsqld does not answer at $QURL"
}

stop_qsqld() { # → stops QPID, fails if it had died
    kill -0 "$QPID" 2>/dev/null || die "qsqld died during the run (log in $TMP)"
    kill -TERM "$QPID"
    wait "$QPID" 2>/dev/null || true
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
((BUSY_BEFORE < 10)) || echo "ws.sh: warning: the machine is ${BUSY_BEFORE}% busy with other work; results will be noisy" >&2
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- 1. one stream: WebSocket against HTTP, protobuf and JSON ------------------------------------------------------
start_qsqld client
log "ws_client.mjs: $ROUNDS rounds x (select, insert: $N after $WARMUP; large: $LARGE_REPS x $LARGE_ROWS rows) x 4 transports"
CLIENT_JSON=$("${ON_CLIENT[@]}" node "$BENCH_DIR/ws_client.mjs" "$QURL" --pid "$QPID" --n "$N" --warmup "$WARMUP" \
    --rounds "$ROUNDS" --large-reps "$LARGE_REPS" --large-rows "$LARGE_ROWS")
echo "$CLIENT_JSON" >"$TMP/ws_client.json"
grep -iE 'error|warn|crit|fatal' "$TMP/qsqld-client.log" >&2 || true
stop_qsqld

# ---- 2. encoding alone, in process ---------------------------------------------------------------------------------
ENCODING_JSON=null
if [[ -x ${ENCODING_BIN:-} ]]; then
    log "bench_encoding: $ENC_REPS x $LARGE_ROWS rows"
    ENCODING_JSON=$("${ON_SERVER[@]}" "$ENCODING_BIN" "$ENC_REPS" "$LARGE_ROWS")
    echo "$ENCODING_JSON" >"$TMP/encoding.json"
fi

# ---- 3. many connections on a fresh server ------------------------------------------------------------------------
start_qsqld conns
log "ws_conns.mjs: $CONNS WebSocket connections"
CONNS_JSON=$("${ON_CLIENT[@]}" node "$BENCH_DIR/ws_conns.mjs" "$QURL" "$QPID" --conns "$CONNS")
echo "$CONNS_JSON" >"$TMP/ws_conns.json"
grep -iE 'error|warn|crit|fatal|too many' "$TMP/qsqld-conns.log" >&2 || true
stop_qsqld
BUSY_AFTER=$(cpu_busy)
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report ------------------------------------------------------------------------------------------------------
table=$(CLIENT_JSON=$CLIENT_JSON ENCODING_JSON=$ENCODING_JSON CONNS_JSON=$CONNS_JSON MEM_BUDGET_MB=$MEM_BUDGET_MB node - <<'EOF'
const c = JSON.parse(process.env.CLIENT_JSON), e = JSON.parse(process.env.ENCODING_JSON);
const k = JSON.parse(process.env.CONNS_JSON), budget = Number(process.env.MEM_BUDGET_MB);
const int = (x) => Math.round(x).toLocaleString('en-US');
const fix = (x, d) => x.toFixed(d);
const met = (ok) => (ok ? 'yes' : '**no**');
const mib = (kib) => fix(kib / 1024, 1);
const out = [];
const NAMES = {
    ws_protobuf: 'WebSocket, protobuf', ws_json: 'WebSocket, JSON', http_protobuf: 'HTTP, protobuf', http_json: 'HTTP, JSON',
};
out.push(`| Transport (one stream, ${c.n} × ${c.rounds} sequential statements) | Via | SELECT stmts/s | SELECT p50 / p99 µs | SELECT server CPU µs/stmt | INSERT stmts/s | INSERT p50 / p99 µs | INSERT server CPU µs/stmt | client CPU µs/stmt (SELECT) |`);
out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
for (const [name, t] of Object.entries(c.transports))
    out.push(`| ${NAMES[name]} | \`${t.via}\` | ${int(t.select.stmts_per_s)} | ${fix(t.select.p50_us, 0)} / ${fix(t.select.p99_us, 0)} | ${fix(t.select.server_cpu_us, 1)} | ${int(t.insert.stmts_per_s)} | ${fix(t.insert.p50_us, 0)} / ${fix(t.insert.p99_us, 0)} | ${fix(t.insert.server_cpu_us, 1)} | ${fix(t.select.client_cpu_us, 1)} |`);
out.push('');
out.push('| Encoding | SELECT WebSocket/HTTP | INSERT WebSocket/HTTP | Target | Met | large result: HTTP ms / WebSocket ms |');
out.push('|---|---:|---:|---:|---|---:|');
for (const enc of ['protobuf', 'json']) {
    const r = c.ratios[enc];
    out.push(`| ${enc === 'json' ? 'JSON' : 'protobuf'} | ${fix(r.select_ws_over_http, 3)} | ${fix(r.insert_ws_over_http, 3)} | ≥ 1 | ${met(r.select_ws_over_http >= 1 && r.insert_ws_over_http >= 1)} | ${fix(r.large_http_ms_over_ws_ms, 3)} |`);
}
out.push('');
out.push(`| Transport (${c.large_rows}-row × 4-column result, ${c.large_reps} × ${c.rounds} fetches) | median ms | min ms | server CPU ms/result | client CPU ms/result |`);
out.push('|---|---:|---:|---:|---:|');
for (const [name, t] of Object.entries(c.transports))
    out.push(`| ${NAMES[name]} | ${fix(t.large.median_ms, 2)} | ${fix(t.large.min_ms, 2)} | ${fix(t.large.server_cpu_ms, 2)} | ${fix(t.large.client_cpu_ms, 2)} |`);
if (e) {
    out.push('');
    out.push(`| Server-side encoding of one ${e.rows}-row × 4-column result (${e.reps} reps, in process) | median µs | min µs | bytes |`);
    out.push('|---|---:|---:|---:|');
    const rows = [['JSON pipeline body', e.json_pipeline], ['protobuf pipeline body', e.protobuf_pipeline],
                  ['JSON WebSocket response', e.json_ws], ['protobuf WebSocket response', e.protobuf_ws]];
    for (const [label, x] of rows)
        out.push(`| ${label} | ${fix(x.median_us, 1)} | ${fix(x.min_us, 1)} | ${int(x.bytes)} |`);
    out.push(`| JSON / protobuf (pipeline) | ${fix(e.json_over_protobuf_time, 2)}× | | ${fix(e.json_over_protobuf_bytes, 2)}× |`);
}
out.push('');
out.push(`| WebSocket connections (hrana3) | open | alive after 2nd statement | open time s | RSS before → all open → after 2nd → all closed, MiB | peak RSS (VmHWM) MiB | KiB per connection | threads (open) | fds (open) / limit | Target | Met |`);
out.push('|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|');
const peak = Math.max(k.after_open.hwm_kib, k.after_second.hwm_kib, k.after_close.hwm_kib);
const ok = k.opened === k.conns && k.alive === k.conns && peak <= budget * 1024;
out.push(`| ${int(k.conns)} | ${int(k.opened)} | ${int(k.alive)} | ${fix(k.open_ms / 1000, 1)} | ${mib(k.before.rss_kib)} → ${mib(k.after_open.rss_kib)} → ${mib(k.after_second.rss_kib)} → ${mib(k.after_close.rss_kib)} | ${mib(peak)} | ${fix(k.per_conn_kib_second ?? NaN, 1)} | ${k.after_open.threads} | ${k.after_open.fds} / ${k.server_fd_limit.soft} | all alive, peak ≤ ${budget} MiB | ${met(ok)} |`);
const errs = Object.entries(k.errors);
if (errs.length)
    out.push('', `Connection errors: ${errs.map(([m, n]) => `${n} × ${m}`).join('; ')}`);
console.log(out.join('\n'));
EOF
)

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n $(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null) ]] && commit="$commit (working tree modified)"
header="## $(date -u '+%Y-%m-%d %H:%M UTC') · commit $commit · WebSocket (ws.sh)"
details="CPU: $cpu × $(nproc) · qsqld $build_type ($QSQLD_BIN, built $(date -u -r "$QSQLD_BIN" '+%Y-%m-%d %H:%M UTC')) · node $(node --version), @libsql/hrana-client $(node -p "require('$NODE_MODULES/@libsql/hrana-client/package.json').version"), ws $(node -p "require('$NODE_MODULES/ws/package.json').version") · $N statements × $ROUNDS rounds after $WARMUP warm-up, one stream per transport · $PIN_DESC · open-files limit $FD_LIMIT · other work: ${BUSY_BEFORE}% CPU busy before, ${BUSY_AFTER}% after (load average $LOAD_BEFORE → $LOAD_AFTER)"

{
    [[ -s $RESULTS_FILE ]] || printf '# qsqld benchmark results\n\nAppended by tests/bench/run.sh and ws.sh, newest last.\n'
    printf '\n%s\n\n%s\n\n%s\n' "$header" "$details" "$table"
} >>"$RESULTS_FILE"

printf '\n%s\n\n%s\n\n%s\n\n' "$header" "$details" "$table"
echo "(appended to $RESULTS_FILE)"
