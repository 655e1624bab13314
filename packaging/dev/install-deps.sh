#!/usr/bin/env bash
# Installs everything qsqld needs to build, run and test on Debian 12, from Debian's packages and npm.
# Run as root. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

APT_PACKAGES=(
    build-essential cmake ninja-build pkg-config
    qt6-base-dev qt6-websockets-dev libsqlite3-dev sqlite3 libssl-dev libprotobuf-dev protobuf-compiler libroaring-dev
    qt6-charts-dev libqt6opengl6-dev qtkeychain-qt6-dev libqt6sql6-sqlite
    ca-certificates curl
)
if [ "${1:-}" = "--with-tests" ]; then
    # valgrind: packaging/dev/valgrind.sh; clang + libFuzzer's runtime: tests/fuzz/run.sh.
    APT_PACKAGES+=(libnss-myhostname valgrind clang libclang-rt-14-dev)
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js runs the real-client test suites; use the machine's node if it has one (>= 18), else Debian's.
if [ "${1:-}" = "--with-tests" ] && ! command -v node >/dev/null 2>&1; then
    missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" = "--with-tests" ]; then
    # The official clients, at the exact versions in tests/compat/package-lock.json. Not `npm ci`: the lock cannot
    # list @tursodatabase/sync's native builds for other platforms (this registry serves only linux-x64), and
    # `npm ci` refuses a lock without them; `npm install --no-save` installs exactly the locked versions.
    (cd tests/compat && npm install --no-save --no-audit --no-fund --loglevel=error)
fi
