#!/usr/bin/env bash
# Installs what is needed, builds qsqld (Release) and runs it on a local default:
# data in ./data.sqld, namespaces on, user API on 127.0.0.1:8080, admin API on 127.0.0.1:9090.
# Extra arguments are passed to qsqld (e.g. --http-listen-addr 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash packaging/dev/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DQSQLD_BUILD_TESTS=OFF
cmake --build build-release --target qsqld
exec build-release/app/qsqld --db-path ./data.sqld --enable-namespaces \
    --http-listen-addr 127.0.0.1:8080 --admin-listen-addr 127.0.0.1:9090 "$@"
