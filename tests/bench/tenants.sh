#!/usr/bin/env bash
# qsqld small-machine benchmark (issue #8; tests/bench/README.md, "tenants.sh"): peak memory while many tenants
# are used, not a timing.
#   For each configuration below, a fresh qsqld (TENANTS_WORKERS worker threads, as on a 1-vCPU Fly machine) gets
#   TENANTS tenants created through the admin API, each written (a table, TENANTS_ROWS rows) and read back, then
#   every tenant read and written again (tenants_client.mjs, TENANTS_CONCURRENCY requests in flight). The server's
#   peak RSS (VmHWM) and final RSS, its open descriptors and the client's error count are printed as a markdown
#   table and appended to tests/bench/results.md. Target: peak RSS < 64 MiB with the default flags.
#     1. defaults (--max-active-namespaces 100, --page-cache-kib 2000)
#     2. --max-active-namespaces 20 --page-cache-kib 256 (a tight small-machine setting)
#     3. --max-active-namespaces TENANTS (every tenant stays open: what a server without the LRU does)
#
#   bash tests/bench/tenants.sh
#
# Environment (all optional):
#   TENANTS              tenants touched (default 1000)
#   TENANTS_ROWS         rows written per tenant and pass (default 50)
#   TENANTS_CONCURRENCY  requests in flight (default 8)
#   TENANTS_WORKERS      --worker-threads (default 1)
#   QSQLD_BIN            server binary (default: build-bench/app/qsqld if built, else build/app/qsqld)
#   RESULTS_FILE         where the results are appended (default tests/bench/results.md)
#   KEEP_TMP=1           keep the temporary directory (databases, server logs)
# Loopback only; installs nothing; needs node ≥ 20 and curl; everything it starts it stops on exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/../.." && pwd)
TENANTS=${TENANTS:-1000}
ROWS=${TENANTS_ROWS:-50}
CONC=${TENANTS_CONCURRENCY:-8}
WORKERS=${TENANTS_WORKERS:-1}
RESULTS_FILE=${RESULTS_FILE:-$BENCH_DIR/results.md}

die() { echo "tenants.sh: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

command -v node >/dev/null || die "node (20 or later) is needed"
command -v curl >/dev/null || die "curl is needed"
source "$BENCH_DIR/lib.sh" # free_port, find_qsqld
find_qsqld
! grep -q 'QSQLD_SANITIZE:BOOL=ON' "$(dirname "$(dirname "$QSQLD_BIN")")/CMakeCache.txt" 2>/dev/null \
    || die "$QSQLD_BIN is a sanitizer build: its memory figures mean nothing"

TMP=$(mktemp -d /tmp/qsqld-tenants-bench.XXXXXX)
QPID=
cleanup() {
    local rc=$?
    if [[ -n $QPID ]] && kill -0 "$QPID" 2>/dev/null; then
        kill -TERM "$QPID" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$QPID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$QPID" 2>/dev/null || true
    fi
    if [[ ${KEEP_TMP:-0} == 1 || $rc != 0 ]]; then
        echo "tenants.sh: temporary files kept in $TMP" >&2
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

ROWS_MD=()
run_config() { # LABEL FLAGS...
    local label=$1
    shift
    local port admin dir=$TMP/db-${#ROWS_MD[@]}
    port=$(free_port)
    admin=$(free_port)
    log "$label: qsqld $* ($TENANTS tenants)"
    "$QSQLD_BIN" --db-path "$dir" --http-listen-addr "127.0.0.1:$port" --admin-listen-addr "127.0.0.1:$admin" \
        --enable-namespaces --worker-threads "$WORKERS" "$@" >"$TMP/qsqld-${#ROWS_MD[@]}.log" 2>&1 &
    QPID=$!
    for _ in $(seq 100); do
        curl -s -o /dev/null -m 1 "http://127.0.0.1:$port/health" && break
        kill -0 "$QPID" 2>/dev/null || die "qsqld exited at start (log in $TMP)"
        sleep 0.1
    done
    local start_rss
    start_rss=$(status_kib "$QPID" VmRSS)
    local out
    out=$(node "$BENCH_DIR/tenants_client.mjs" "$port" "$admin" "$TENANTS" "$CONC" "$ROWS")
    kill -0 "$QPID" 2>/dev/null || die "qsqld died during the run (log in $TMP)"
    local hwm rss fds errors ms1 ms2
    hwm=$(status_kib "$QPID" VmHWM)
    rss=$(status_kib "$QPID" VmRSS)
    fds=$(find "/proc/$QPID/fd" -mindepth 1 -maxdepth 1 | wc -l)
    errors=$(echo "$out" | node -e 'let s=0;for(const l of require("fs").readFileSync(0,"utf8").trim().split("\n"))s+=JSON.parse(l).errors;console.log(s)')
    ms1=$(echo "$out" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0,"utf8").trim().split("\n")[0]).ms)')
    ms2=$(echo "$out" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0,"utf8").trim().split("\n")[1]).ms)')
    kill -TERM "$QPID"
    wait "$QPID" 2>/dev/null || true
    QPID=
    local disk
    disk=$(du -sk "$dir" | cut -f1)
    local target="—" met="—"
    if [[ $label == defaults ]]; then
        target="< 64 MiB"
        ((hwm < 64 * 1024 && errors == 0)) && met=yes || met=no
    fi
    local flags="(none)"
    (($#)) && flags="\`$*\`"
    ROWS_MD+=("| $label | $flags | $(mib "$start_rss") | $(mib "$hwm") | $(mib "$rss") | $fds | $errors | $ms1 / $ms2 | $(mib "$disk") | $target | $met |")
}

run_config defaults
run_config tight --max-active-namespaces 20 --page-cache-kib 256
run_config "all open" --max-active-namespaces "$TENANTS"

table=$(
    echo "| Configuration | Flags (besides --enable-namespaces --worker-threads $WORKERS) | RSS at start MiB | peak RSS (VmHWM) MiB | RSS at end MiB | fds at end | errors | pass 1 / pass 2 ms | data on disk MiB | Target | Met |"
    echo "|---|---|---:|---:|---:|---:|---:|---|---:|---|---|"
    printf '%s\n' "${ROWS_MD[@]}"
)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n $(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null) ]] && commit="$commit (working tree modified)"
header="## $(date -u '+%Y-%m-%d %H:%M UTC') · commit $commit · tenants (tenants.sh)"
details="CPU: $cpu × $(nproc) · qsqld $build_type ($QSQLD_BIN) · node $(node --version) · $TENANTS tenants, each created, written ($ROWS rows) and read (pass 1), then written and read again (pass 2), $CONC requests in flight · memory is the server process's /proc status"
{
    [[ -s $RESULTS_FILE ]] || printf '# qsqld benchmark results\n\nAppended by the scripts in tests/bench, newest last.\n'
    printf '\n%s\n\n%s\n\n%s\n' "$header" "$details" "$table"
} >>"$RESULTS_FILE"
printf '\n%s\n\n%s\n\n%s\n\n' "$header" "$details" "$table"
echo "(appended to $RESULTS_FILE)"
