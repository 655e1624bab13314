#!/usr/bin/env bash
# The container entrypoint's permission handling, without a Docker engine (run by ctest as root; skipped
# otherwise): a root-owned data folder is handed to the service user before qsqld starts unprivileged; started
# as another user, an unwritable folder makes qsqld stop with one line that names the folder, its owner and
# mode and the fix; a folder the user already owns (Kubernetes fsGroup) just works.
#
#   bash tests/packaging/test_entrypoint.sh /path/to/qsqld
set -euo pipefail
QSQLD=${1:?usage: test_entrypoint.sh /path/to/qsqld}
HERE=$(cd "$(dirname "$0")" && pwd)
ENTRY=$HERE/../../packaging/docker/entrypoint.sh
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || ! id -u nobody >/dev/null 2>&1; then
    echo "SKIP: needs root, setpriv and the user nobody"
    exit 77
fi
fail() { echo "FAIL: $*" >&2; exit 1; }
TMP=$(mktemp -d)
chmod 755 "$TMP"
trap 'rm -rf "$TMP"' EXIT
NOBODY=$(id -u nobody)
# Like a container started with another user: setpriv execs (no process in between that would catch SIGTERM).
AS_NOBODY="setpriv --reuid=$NOBODY --regid=$(id -g nobody) --clear-groups --"

# 1. Root, a root-owned volume: the entrypoint gives it to the service user and drops to that user.
mkdir -p "$TMP/vol1/data.sqld/dbs/default"
echo x > "$TMP/vol1/data.sqld/dbs/default/data"
cat > "$TMP/stub" <<'STUB'
#!/bin/sh
echo "uid=$(id -u)"
touch "$(dirname "$SQLD_DB_PATH")/written" && echo "writable"
touch "$SQLD_DB_PATH/dbs/default/data" && echo "data writable"
STUB
chmod 755 "$TMP/stub"
out=$(SQLD_DB_PATH="$TMP/vol1/data.sqld" QSQLD_USER=nobody QSQLD_BIN="$TMP/stub" sh "$ENTRY" 2>&1)
echo "$out" | grep -qx "uid=$NOBODY" || fail "did not drop to nobody: $out"
echo "$out" | grep -qx "writable" || fail "volume not writable after the hand-over: $out"
echo "$out" | grep -qx "data writable" || fail "existing database not handed over: $out"
[ "$(stat -c %u "$TMP/vol1/data.sqld/dbs/default/data")" = "$NOBODY" ] || fail "files not chowned"
# A second start has nothing to change and says nothing about it.
out=$(SQLD_DB_PATH="$TMP/vol1/data.sqld" QSQLD_USER=nobody QSQLD_BIN="$TMP/stub" sh "$ENTRY" 2>&1)
echo "$out" | grep -q "giving" && fail "chowned again: $out"

# 2. Started as another user on a root-owned folder: qsqld's own one-line explanation, exit 1.
mkdir -p "$TMP/vol2"
chmod 755 "$TMP/vol2"
set +e
out=$($AS_NOBODY env SQLD_DB_PATH="$TMP/vol2/data.sqld" QSQLD_BIN="$QSQLD" sh "$ENTRY" \
      --http-listen-addr 127.0.0.1:0 2>&1)
code=$?
set -e
[ "$code" = 1 ] || fail "expected exit 1, got $code: $out"
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "expected one line: $out"
for word in "$TMP/vol2" "root" "755" "Fix:"; do
    echo "$out" | grep -qF -- "$word" || fail "the line does not mention '$word': $out"
done

# 3. A folder the user owns already (fsGroup, a pre-chowned volume): qsqld starts; then SIGTERM stops it cleanly.
mkdir -p "$TMP/vol3"
chown nobody "$TMP/vol3"
$AS_NOBODY env SQLD_DB_PATH="$TMP/vol3/data.sqld" QSQLD_BIN="$QSQLD" sh "$ENTRY" \
    --http-listen-addr 127.0.0.1:0 > "$TMP/vol3.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    grep -q "listening on" "$TMP/vol3.log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
grep -q "listening on" "$TMP/vol3.log" || fail "qsqld did not start on a pre-owned folder: $(cat "$TMP/vol3.log")"
kill -TERM "$pid"
wait "$pid" || fail "qsqld did not exit 0 after SIGTERM"
echo "PASS"
