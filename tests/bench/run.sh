#!/usr/bin/env bash
# qsqld benchmarks: Hrana pipelines over HTTP against an nginx floor and in-process SQLite (tests/bench/README.md).
#
#   bash tests/bench/run.sh
#
# Environment (all optional):
#   BENCH_SECONDS  length of each wrk run (default 10)
#   BENCH_CONNS    connection counts for the wrk runs (default "1 16")
#   BENCH_ROUNDS   rounds of wrk runs; each figure is the median over the rounds (default 3)
#   BENCH_PIN      split (default): servers on all CPUs but the last, clients (wrk, node) on the last one;
#                  shared: everything on CPU 0; none: no pinning (see README: results then depend on placement)
#   WRK_THREADS    wrk threads, capped at the connection count (default 1)
#   NGINX_WORKERS  nginx worker_processes (default 1: qsqld serves HTTP on one thread too)
#   BATCH_REPS     timed repetitions of the 1,000-row batch (default 30, after 3 untimed)
#   BATCH_ROWS     rows per batch (default 1000)
#   QSQLD_BIN      server binary (default: build-bench/app/qsqld if built, else build/app/qsqld)
#   INPROC_BIN     in-process baseline (default: bench_inproc_sqlite from build-bench or build, else compiled
#                  from tests/bench/inproc_sqlite.cpp into the temporary directory)
#   RESULTS_FILE   where the results are appended (default tests/bench/results.md)
#   BENCH_WAIT_QUIET  wait up to this many seconds for the machine to go quiet (< 10 % CPU busy) before
#                  starting (default 0: only measure and warn; the figure is recorded with the results)
#   KEEP_TMP=1     keep the temporary directory (databases, logs, nginx config)
#
# Loopback only. Installs nothing; everything it starts it stops on exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/../.." && pwd)
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
PIN=${BENCH_PIN:-split}
CONNS=${BENCH_CONNS:-1 16}
WRK_THREADS=${WRK_THREADS:-1}
NGINX_WORKERS=${NGINX_WORKERS:-1}
BATCH_REPS=${BATCH_REPS:-30}
BATCH_ROWS=${BATCH_ROWS:-1000}
BATCH_WARMUP=3
RESULTS_FILE=${RESULTS_FILE:-$BENCH_DIR/results.md}

die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

# ---- prerequisites -------------------------------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
if ((${#missing[@]})); then
    echo "run.sh: missing ${missing[*]}; install with:  apt-get install -y wrk nginx-light" >&2
    exit 1
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
command -v node >/dev/null || die "node (20 or later) is needed for the batch client"
command -v curl >/dev/null || die "curl is needed"

NCPU=$(nproc)
case $PIN in
split)
    if ((NCPU >= 2)); then
        SERVER_CPUS=0-$((NCPU - 2)) CLIENT_CPUS=$((NCPU - 1))
    else
        echo "run.sh: one CPU only, running unpinned" >&2
        PIN=none
    fi ;;
shared) SERVER_CPUS=0 CLIENT_CPUS=0 ;;
none) ;;
*) die "BENCH_PIN must be split, shared or none" ;;
esac
# Command prefixes (arrays, so that a backgrounded server keeps the PID that $! reports: taskset execs).
ON_SERVER=() ON_CLIENT=()
if [[ $PIN == none ]]; then
    PIN_DESC="unpinned"
else
    command -v taskset >/dev/null || die "taskset (util-linux) is needed for BENCH_PIN=$PIN"
    ON_SERVER=(taskset -c "$SERVER_CPUS") ON_CLIENT=(taskset -c "$CLIENT_CPUS")
    PIN_DESC="servers on CPU $SERVER_CPUS, clients on CPU $CLIENT_CPUS"
fi

source "$BENCH_DIR/lib.sh" # free_port, find_qsqld
find_qsqld

TMP=$(mktemp -d /tmp/qsqld-bench.XXXXXX)
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
        echo "run.sh: temporary files kept in $TMP" >&2
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z ${INPROC_BIN:-} ]]; then
    for c in "$REPO/build-bench/tests/bench/bench_inproc_sqlite" "$REPO/build/tests/bench/bench_inproc_sqlite"; do
        [[ -x $c ]] && { INPROC_BIN=$c; break; }
    done
fi
if [[ -z ${INPROC_BIN:-} ]]; then
    CXX=${CXX:-c++}
    command -v "$CXX" >/dev/null || die "no bench_inproc_sqlite binary and no C++ compiler to build one"
    log "compiling inproc_sqlite.cpp (-O2)"
    "$CXX" -O2 -std=c++20 "$BENCH_DIR/inproc_sqlite.cpp" -lsqlite3 -o "$TMP/bench_inproc_sqlite"
    INPROC_BIN=$TMP/bench_inproc_sqlite
fi


wait_http() { # URL: wait up to 10 s for any HTTP answer
    for _ in $(seq 100); do
        curl -s -o /dev/null -m 1 "$1" && return 0
        sleep 0.1
    done
    die "nothing answers at $1"
}

post() { # URL BODY → response body; fails unless 200
    curl -sS -f -m 10 -X POST -H 'content-type: application/json' --data-binary "$2" "$1"
}

# ---- qsqld ---------------------------------------------------------------------------------------------------
QPORT=$(free_port)
APORT=$(free_port)
log "starting qsqld ($QSQLD_BIN, $build_type) on 127.0.0.1:$QPORT"
"${ON_SERVER[@]}" "$QSQLD_BIN" --db-path "$TMP/db" --http-listen-addr "127.0.0.1:$QPORT" --admin-listen-addr "127.0.0.1:$APORT" \
    --enable-namespaces >"$TMP/qsqld.log" 2>&1 &
QSQLD_PID=$!
PIDS+=("$QSQLD_PID")
QURL=http://127.0.0.1:$QPORT
wait_http "$QURL/health"

SELECT_BODY='{"baton":null,"requests":[{"type":"execute","stmt":{"sql":"SELECT 1"}},{"type":"close"}]}'
INSERT_BODY='{"baton":null,"requests":[{"type":"execute","stmt":{"sql":"INSERT INTO t(v) VALUES (?)","args":[{"type":"text","value":"benchmark-row-0123456789"}]}},{"type":"close"}]}'

post "$QURL/v2/pipeline" '{"baton":null,"requests":[{"type":"execute","stmt":{"sql":"CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"}},{"type":"close"}]}' >/dev/null
# What qsqld answers becomes nginx's fixed body, so both send the same bytes back.
SELECT_REPLY=$(post "$QURL/v2/pipeline" "$SELECT_BODY")
INSERT_REPLY=$(post "$QURL/v2/pipeline" "$INSERT_BODY")
for r in "$SELECT_REPLY" "$INSERT_REPLY"; do
    [[ $r == *'"type":"error"'* || $r != *'"results"'* ]] && die "unexpected qsqld reply: $r"
    [[ $r == *"'"* || $r == *'$'* || $r == *'\'* ]] && die "reply cannot be quoted for nginx: $r"
done

# ---- nginx (the HTTP floor) ----------------------------------------------------------------------------------
NG=$TMP/nginx
mkdir -p "$NG"
NPORT_SELECT=$(free_port)
NPORT_INSERT=$(free_port)
nginx_server() { # PORT BODY
    cat <<EOF
    server {
        listen 127.0.0.1:$1;
        location = /v2/pipeline {
            default_type application/json;
            add_header access-control-allow-origin "*";
            add_header vary "origin, access-control-request-method, access-control-request-headers";
            return 200 '$2';
        }
    }
EOF
}
cat >"$NG/nginx.conf" <<EOF
worker_processes $NGINX_WORKERS;
pid $NG/nginx.pid;
error_log $NG/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    server_tokens off;
    keepalive_requests 1000000000;
    keepalive_timeout 75s;
    client_body_temp_path $NG/client_body;
    proxy_temp_path $NG/proxy;
    fastcgi_temp_path $NG/fastcgi;
    uwsgi_temp_path $NG/uwsgi;
    scgi_temp_path $NG/scgi;
$(nginx_server "$NPORT_SELECT" "$SELECT_REPLY")
$(nginx_server "$NPORT_INSERT" "$INSERT_REPLY")
}
EOF
log "starting nginx (worker_processes $NGINX_WORKERS) on 127.0.0.1:$NPORT_SELECT and :$NPORT_INSERT"
"${ON_SERVER[@]}" "$NGINX" -e "$NG/error.log" -p "$NG" -c "$NG/nginx.conf" -g 'daemon off;' 2>>"$NG/error.log" &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
wait_http "http://127.0.0.1:$NPORT_SELECT/"
[[ $(post "http://127.0.0.1:$NPORT_SELECT/v2/pipeline" "$SELECT_BODY") == "$SELECT_REPLY" ]] || die "nginx check failed"

# ---- wrk runs ------------------------------------------------------------------------------------------------
declare -A RPS P99 CPU # KEY → space-separated values, one per round
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { # PID... → user + system CPU ticks of these processes (all their threads)
    local t=0 p f
    for p in "$@"; do
        read -ra f <"/proc/$p/stat" || continue
        ((t += f[13] + f[14]))
    done
    echo "$t"
}
server_pids() { # KEY → the server processes that answer it
    if [[ $1 == */qsqld/* ]]; then echo "$QSQLD_PID"; else echo "$NGINX_PID" $(pgrep -P "$NGINX_PID"); fi
}
run_wrk() { # KEY URL BODY CONNS
    local threads=$WRK_THREADS out line pids t0 t1
    ((threads > $4)) && threads=$4
    log "wrk $1: -t$threads -c$4 -d${SECONDS_PER_RUN}s $2"
    read -ra pids < <(server_pids "$1")
    t0=$(cpu_ticks "${pids[@]}")
    out=$(BENCH_BODY=$3 "${ON_CLIENT[@]}" wrk -t"$threads" -c"$4" -d"${SECONDS_PER_RUN}s" --latency -s "$BENCH_DIR/post.lua" "$2")
    t1=$(cpu_ticks "${pids[@]}")
    echo "$out" >>"$TMP/wrk.log"
    echo "$out" | sed -n '/Latency Distribution/,/99%/p' >&2
    line=$(echo "$out" | grep '^BENCH_RESULT') || die "no result from wrk: $out"
    local non2xx sockerr f
    local -A kv=()
    for f in ${line#BENCH_RESULT }; do kv[${f%%=*}]=${f#*=}; done
    non2xx=${kv[non2xx]} sockerr=${kv[sockerr]}
    ((non2xx == 0)) || die "$1: $non2xx non-2xx answers"
    ((sockerr == 0)) || echo "run.sh: warning: $1: $sockerr socket errors" >&2
    RPS[$1]+=" ${kv[rps]}"
    P99[$1]+=" ${kv[p99_us]}"
    # Server CPU time per request: less sensitive than req/s to other work on the machine and to scheduling.
    local cpu_us
    cpu_us=$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n="${kv[requests]}" 'BEGIN { printf "%.1f", n ? t / hz * 1e6 / n : 0 }')
    CPU[$1]+=" $cpu_us"
    echo "   ${kv[rps]} req/s, p99 ${kv[p99_us]} us, server CPU $cpu_us us/request" >&2
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Other work on the machine skews everything; measure how busy it is (1 s of /proc/stat) and say so.
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
((BUSY_BEFORE < 10)) || echo "run.sh: warning: the machine is ${BUSY_BEFORE}% busy with other work; results will be noisy" >&2
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# Rounds interleave qsqld and nginx so that a disturbance from elsewhere on the machine hits both alike.
for ((round = 1; round <= ROUNDS; ++round)); do
    log "round $round of $ROUNDS"
    for c in $CONNS; do
        run_wrk "select/qsqld/$c" "$QURL/v2/pipeline" "$SELECT_BODY" "$c"
        run_wrk "select/nginx/$c" "http://127.0.0.1:$NPORT_SELECT/v2/pipeline" "$SELECT_BODY" "$c"
    done
    for c in $CONNS; do
        run_wrk "insert/qsqld/$c" "$QURL/v2/pipeline" "$INSERT_BODY" "$c"
        run_wrk "insert/nginx/$c" "http://127.0.0.1:$NPORT_INSERT/v2/pipeline" "$INSERT_BODY" "$c"
    done
done
for k in "${!RPS[@]}"; do
    RPS[$k]=$(median <<<"${RPS[$k]}")
    P99[$k]=$(median <<<"${P99[$k]}")
    CPU[$k]=$(median <<<"${CPU[$k]}")
done

# ---- 1,000-row batch -----------------------------------------------------------------------------------------
log "batch over HTTP: $BATCH_REPS x $BATCH_ROWS rows"
t0=$(cpu_ticks "$QSQLD_PID")
BATCH_HTTP=$("${ON_CLIENT[@]}" node "$BENCH_DIR/batch_client.mjs" "$QURL" "$BATCH_REPS" "$BATCH_ROWS" "$BATCH_WARMUP")
t1=$(cpu_ticks "$QSQLD_PID")
# qsqld's CPU time per batch (the client also sends 2 small pipelines and the untimed batches).
BATCH_CPU=$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n=$((BATCH_REPS + BATCH_WARMUP)) 'BEGIN { printf "%.2f", t / hz * 1e3 / n }')
echo "   $BATCH_HTTP, qsqld CPU $BATCH_CPU ms/batch" >&2
log "batch in process: $BATCH_REPS x $BATCH_ROWS rows"
mkdir -p "$TMP/inproc"
BATCH_INPROC=$("${ON_SERVER[@]}" "$INPROC_BIN" "$TMP/inproc/data" "$BATCH_REPS" "$BATCH_ROWS" "$BATCH_WARMUP")
echo "   $BATCH_INPROC" >&2
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
BUSY_AFTER=$(cpu_busy)
kill -0 "$QSQLD_PID" 2>/dev/null || die "qsqld died during the run (log: $TMP/qsqld.log)"

# ---- report --------------------------------------------------------------------------------------------------
json_field() { node -e 'console.log(JSON.parse(process.argv[1])[process.argv[2]])' "$1" "$2"; }
calc() { awk "BEGIN { printf \"$1\", ($2) }"; }
met() { awk "BEGIN { exit !($1) }" && echo yes || echo "**no**"; }

table=$(
    echo "| Benchmark | Conns | qsqld req/s | qsqld p99 ms | qsqld CPU µs/req | nginx req/s | nginx p99 ms | nginx CPU µs/req | qsqld/nginx req/s | qsqld/nginx by CPU | Target | Met |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    for kind in select insert; do
        if [[ $kind == select ]]; then name='`SELECT 1` pipeline' target=0.5; else name='1-row `INSERT` pipeline' target=0.4; fi
        for c in $CONNS; do
            q=${RPS[$kind/qsqld/$c]} n=${RPS[$kind/nginx/$c]}
            ratio=$(calc '%.3f' "$q / $n")
            if ((c == 16)) || [[ $kind == insert ]]; then
                tgt="≥ $target" ok=$(met "$ratio >= $target")
            else
                tgt="–" ok="–"
            fi
            echo "| $name | $c | $(calc '%.0f' "$q") | $(calc '%.2f' "${P99[$kind/qsqld/$c]} / 1000") | ${CPU[$kind/qsqld/$c]} | $(calc '%.0f' "$n") | $(calc '%.2f' "${P99[$kind/nginx/$c]} / 1000") | ${CPU[$kind/nginx/$c]} | $ratio | $(calc '%.3f' "${CPU[$kind/qsqld/$c]} > 0 ? ${CPU[$kind/nginx/$c]} / ${CPU[$kind/qsqld/$c]} : 0") | $tgt | $ok |"
        done
    done
    echo
    hm=$(json_field "$BATCH_HTTP" median_ms) im=$(json_field "$BATCH_INPROC" median_ms)
    ratio=$(calc '%.2f' "$hm / $im")
    echo "| Benchmark | qsqld over HTTP, median ms | qsqld CPU ms/batch | in-process SQLite, median ms | qsqld/in-process | Target | Met |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    echo "| $BATCH_ROWS-row batch in one pipeline ($BATCH_REPS reps) | $hm | $BATCH_CPU | $im | ${ratio}× | ≤ 2× | $(met "$ratio <= 2") |"
)

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n $(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null) ]] && commit="$commit (working tree modified)"
header="## $(date -u '+%Y-%m-%d %H:%M UTC') · commit $commit"
details="CPU: $cpu × $(nproc) · qsqld $build_type ($QSQLD_BIN, built $(date -u -r "$QSQLD_BIN" '+%Y-%m-%d %H:%M UTC')) · nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'), worker_processes $NGINX_WORKERS · wrk ${SECONDS_PER_RUN}s × $ROUNDS rounds (medians), threads min($WRK_THREADS, conns) · $PIN_DESC · SQLite $(json_field "$BATCH_INPROC" sqlite) · other work: ${BUSY_BEFORE}% CPU busy before, ${BUSY_AFTER}% after (load average $LOAD_BEFORE → $LOAD_AFTER)"

{
    [[ -s $RESULTS_FILE ]] || printf '# qsqld benchmark results\n\nAppended by tests/bench/run.sh, newest last.\n'
    printf '\n%s\n\n%s\n\n%s\n' "$header" "$details" "$table"
} >>"$RESULTS_FILE"

printf '\n%s\n\n%s\n\n%s\n\n' "$header" "$details" "$table"
echo "(appended to $RESULTS_FILE)"
