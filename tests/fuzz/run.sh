#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang in build-fuzz/ and runs each one for a while on a temporary
# copy of its committed corpus (the repository is never modified). One summary line per target; exits 1 if any
# target found a crash, a hang, a sanitizer report or a failed check, and prints the path of the input that did it.
#
#   tests/fuzz/run.sh [seconds-per-target] [target...]     (default: 20 seconds, every target)
#
# QSQLD_FUZZ_SECONDS, if set, overrides the seconds (also the argument). QSQLD_FUZZ_JOBS limits the build's parallel
# jobs. Needs clang and libclang-rt-14-dev (packaging/dev/install-deps.sh --with-tests).
# A crash: reproduce with build-fuzz/tests/fuzz/fuzz_<target> <artifact>, fix the server, then save the input as
# tests/fuzz/corpus/<target>/crash-<what> so that the ctest fuzz_replay_<target> keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=$ROOT/build-fuzz

SECONDS_PER_TARGET=${QSQLD_FUZZ_SECONDS:-${1:-20}}
[ $# -gt 0 ] && shift
if ! [[ $SECONDS_PER_TARGET =~ ^[1-9][0-9]*$ ]]; then
    echo "run.sh: the seconds per target must be a positive number, not '$SECONDS_PER_TARGET'" >&2
    exit 2
fi
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    TARGETS=(http_request hrana_json hrana_protobuf ws_message grpc_web pull_updates jwt namespace_name cli_env
        sql_analyzer)
fi

# Largest input per target: room for the corpus's largest seed, small enough to keep executions fast.
max_len() {
    case "$1" in
    pull_updates) echo 10000 ;; # a full bitmap container is 8 KiB
    grpc_web | cli_env) echo 1024 ;;
    namespace_name) echo 512 ;;
    jwt) echo 2048 ;;
    *) echo 4096 ;;
    esac
}

if ! command -v clang++ >/dev/null 2>&1; then
    echo "run.sh: clang++ not found; install clang and libclang-rt-14-dev (packaging/dev/install-deps.sh --with-tests)" >&2
    exit 2
fi

echo "run.sh: building $BUILD (clang, libFuzzer + ASan + UBSan)"
CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQSQLD_BUILD_FUZZ=ON \
    -DQSQLD_BUILD_TESTS=OFF -DQSQLD_BUILD_CONSOLE=OFF -DQSQLD_BUILD_BENCH=OFF >/dev/null
if ! ninja -C "$BUILD" ${QSQLD_FUZZ_JOBS:+-j "$QSQLD_FUZZ_JOBS"} fuzzers >"$BUILD/fuzz-build.log" 2>&1; then
    tail -n 40 "$BUILD/fuzz-build.log"
    echo "run.sh: the build failed (log: $BUILD/fuzz-build.log)" >&2
    exit 2
fi
for t in "${TARGETS[@]}"; do
    [ -x "$BUILD/tests/fuzz/fuzz_$t" ] || { echo "run.sh: no fuzzer fuzz_$t" >&2; exit 2; }
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ARTIFACTS=$BUILD/fuzz-artifacts
LOGS=$BUILD/fuzz-logs
mkdir -p "$ARTIFACTS" "$LOGS"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
echo "run.sh: ${SECONDS_PER_TARGET}s per target"
for t in "${TARGETS[@]}"; do
    corpus=$WORK/$t
    mkdir -p "$corpus"
    cp "$ROOT/tests/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
    seeds=$(find "$corpus" -type f | wc -l)
    dict=()
    [ -f "$ROOT/tests/fuzz/$t.dict" ] && dict=("-dict=$ROOT/tests/fuzz/$t.dict")
    log=$LOGS/$t.log
    rc=0
    "$BUILD/tests/fuzz/fuzz_$t" "$corpus" "${dict[@]}" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 \
        -max_len="$(max_len "$t")" -timeout=10 -print_final_stats=1 -artifact_prefix="$ARTIFACTS/$t-" \
        >"$log" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    added=$(sed -n 's/^stat::new_units_added: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n1 | cut -d' ' -f2)
    if [ "$rc" -eq 0 ]; then
        printf 'fuzz %-15s ok    %10s runs %7s/s  cov %5s  %4s new inputs (from %s seeds)\n' \
            "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${added:-?}" "$seeds"
    else
        artifact=$(sed -n "s/.*Test unit written to \(.*\)$/\1/p" "$log" | tail -n1)
        printf 'fuzz %-15s FAIL  exit %s after %s runs; input: %s\n' "$t" "$rc" "${runs:-?}" "${artifact:-(none)}"
        grep -E 'ERROR:|fuzz check failed|runtime error|SUMMARY' "$log" | head -n5 | sed 's/^/    /'
        echo "    full log: $log"
        failed+=("$t")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "run.sh: FAILED: ${failed[*]} (artifacts in $ARTIFACTS)"
    exit 1
fi
echo "run.sh: all ${#TARGETS[@]} targets ran without a failure"
