#!/usr/bin/env bash
# Runs the in-process server test suites under valgrind's memcheck: any invalid read or write, use of
# uninitialised memory or bad free fails the run (leaks are left to LeakSanitizer in the ASan pass).
#   bash packaging/dev/valgrind.sh <build dir>        (a build with tests, e.g. build-ci)
# Not included: suites whose subject is timing under load or child processes (overload, process, crash,
# packaging scripts, the npm suites) and the console's GUI suites.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:?usage: valgrind.sh <build dir>}
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
SUITES=(serverconfig jsonreader statementanalyzer auth authhttp namespaceconfig protobufcodec replcodec hranahttp httplayer
        websocket wsprotobuf admin replication syncpull heartbeat sandbox faults)
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT
run_one() {
    local suite=$1 bin=$BUILD/tests/tst_$1
    [ -x "$bin" ] || { echo "valgrind: $suite: no $bin" >"$LOGS/$suite.fail"; return; }
    # PCRE2's JIT code reads past buffers on purpose (vector loads); valgrind cannot tell, so it is turned off.
    # QSQLD_TEST_SLOWDOWN widens the few bounds that catch quadratic blow-ups (valgrind runs code ~50x slower).
    if QSQLD_TEST_SLOWDOWN=60 QT_ENABLE_REGEXP_JIT=0 QT_QPA_PLATFORM=offscreen QT_LOGGING_RULES='qsqld.*.info=false' \
        valgrind --quiet --error-exitcode=99 --leak-check=no --track-origins=no \
            --suppressions=packaging/dev/valgrind.supp "$bin" >"$LOGS/$suite.log" 2>&1; then
        echo "valgrind: $suite ok ($(grep -o 'Totals: [0-9]* passed' "$LOGS/$suite.log"))"
    else
        echo "valgrind: $suite FAILED" >"$LOGS/$suite.fail"
        cat "$LOGS/$suite.log" >>"$LOGS/$suite.fail"
    fi
}
export -f run_one
export BUILD LOGS
printf '%s\n' "${SUITES[@]}" | xargs -P "$(nproc)" -I{} bash -c 'run_one {}'
if compgen -G "$LOGS/*.fail" >/dev/null; then
    for f in "$LOGS"/*.fail; do
        echo "---- $(basename "$f" .fail)"
        grep -E '==[0-9]+==|FAIL!|Loc:|valgrind:' "$f" | head -80
    done
    exit 1
fi
echo "valgrind: ${#SUITES[@]} suites clean"
