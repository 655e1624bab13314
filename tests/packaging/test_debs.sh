#!/usr/bin/env bash
# The Debian packages, end to end (run by ctest as root on a Debian machine; skipped otherwise): cpack builds
# qsqld and qsqld-console from this build; dpkg installs both; the service user, data folder, unit and settings
# are in place and the installed server runs as that user; then both are removed again, data kept.
#
#   bash tests/packaging/test_debs.sh /path/to/build
set -euo pipefail
BUILD=${1:?usage: test_debs.sh /path/to/build}
if [ "$(id -u)" != 0 ] || ! command -v dpkg >/dev/null || ! command -v cpack >/dev/null; then
    echo "SKIP: needs root, dpkg and cpack"
    exit 77
fi
fail() { echo "FAIL: $*" >&2; exit 1; }
TMP=$(mktemp -d)
cleanup() {
    dpkg -r qsqld-console qsqld >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT

(cd "$BUILD" && cpack -G DEB -B "$TMP" >/dev/null) || fail "cpack failed"
server=$(ls "$TMP"/qsqld_*.deb)
console=$(ls "$TMP"/qsqld-console_*.deb 2>/dev/null || true)
# (Outputs are captured first: `cmd | grep -q` fails under pipefail when grep stops reading early.)
info=$(dpkg-deb -I "$server")
contents=$(dpkg-deb -c "$server")
[[ $info == *"Depends: adduser"* ]] || fail "qsqld does not depend on adduser"
[[ $contents == *"./lib/systemd/system/qsqld.service"* ]] || fail "no systemd unit"
dpkg -i "$server" ${console:+"$console"} >/dev/null || fail "dpkg -i failed"

[ -x /usr/bin/qsqld ] || fail "/usr/bin/qsqld missing"
[[ $(/usr/bin/qsqld --version) == qsqld* ]] || fail "qsqld --version"
getent passwd qsqld >/dev/null || fail "no qsqld user"
[ "$(stat -c %U /var/lib/qsqld)" = qsqld ] || fail "/var/lib/qsqld is not the service user's"
grep -q "^SQLD_DB_PATH=/var/lib/qsqld" /etc/default/qsqld || fail "/etc/default/qsqld"
grep -q "^NoNewPrivileges=yes" /lib/systemd/system/qsqld.service || fail "unit without sandboxing"
if [ -n "$console" ]; then
    [ -x /usr/bin/qsqld-console ] || fail "/usr/bin/qsqld-console missing"
    [ -f /usr/share/applications/qsqld-console.desktop ] || fail "no desktop file"
fi

# The installed server, as the unit runs it: the service user, the settings file, the state folder.
(
    set -a
    . /etc/default/qsqld
    set +a
    exec setpriv --reuid=qsqld --regid=qsqld --init-groups -- /usr/bin/qsqld --http-listen-addr 127.0.0.1:0 \
        --admin-listen-addr 127.0.0.1:0
) > "$TMP/run.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    grep -q "listening on" "$TMP/run.log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
grep -q "listening on" "$TMP/run.log" || fail "the installed server did not start: $(cat "$TMP/run.log")"
kill -TERM "$pid"
wait "$pid" || fail "the installed server did not exit 0"
[ -d /var/lib/qsqld/data.sqld/dbs ] || fail "no data created in /var/lib/qsqld"

dpkg -r qsqld-console qsqld >/dev/null || fail "dpkg -r failed"
[ ! -e /usr/bin/qsqld ] || fail "/usr/bin/qsqld left behind"
[ -d /var/lib/qsqld/data.sqld ] || fail "removing the package must keep the data"
rm -rf /var/lib/qsqld/data.sqld
echo "PASS"
