#!/usr/bin/env bash
# Installs what is needed, builds qsqld with warnings as errors and runs every test suite (Qt Test suites and
# the real-client compatibility suites) with ctest; runs the in-process server suites under valgrind; fuzzes every
# network decoder for a short while (tests/fuzz/run.sh, QSQLD_FUZZ_SECONDS per target, default 15); then builds
# again with ASan+UBSan and runs the suites once more.
# Set QSQLD_SKIP_SANITIZE=1 to skip the valgrind, fuzz and ASan passes.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash packaging/dev/install-deps.sh --with-tests
jobs=$(nproc)

echo "== build (warnings as errors) and test"
cmake -S . -B build-ci -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQSQLD_WARNINGS_AS_ERRORS=ON
cmake --build build-ci -j "$jobs"
ctest --test-dir build-ci --output-on-failure -j "$jobs"

if [ "${QSQLD_SKIP_SANITIZE:-0}" != "1" ]; then
    echo "== server suites under valgrind"
    bash packaging/dev/valgrind.sh build-ci

    echo "== fuzz each network decoder (libFuzzer, clang)"
    bash tests/fuzz/run.sh "${QSQLD_FUZZ_SECONDS:-15}"

    echo "== build with ASan+UBSan and test"
    cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DQSQLD_SANITIZE=ON -DQSQLD_WARNINGS_AS_ERRORS=ON
    cmake --build build-asan -j "$jobs"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        LSAN_OPTIONS="suppressions=$PWD/packaging/dev/lsan.supp:print_suppressions=0" \
        ctest --test-dir build-asan --output-on-failure -j "$jobs"
fi
