#!/usr/bin/env bash
# packaging/docker/Dockerfile and packaging/fly/fly.toml, checked without a Docker engine:
#   1. dockerfilelint (npm, pinned in tests/compat) finds no issue, and does find the issues of a bad file;
#   2. rules it does not check: tagged base images, apt-get with -y and --no-install-recommends and its lists
#      removed in the same RUN, exec-form ENTRYPOINT, COPY sources that exist, a .dockerignore keeping build trees,
#      .git and node_modules out of the context;
#   3. the build stage installs every server build package that packaging/dev/install-deps.sh installs;
#   4. every library the built qsqld links directly (ELF NEEDED) comes from a package the runtime stage installs
#      (or from debian:12-slim itself: libc6, libgcc-s1, libstdc++6);
#   5. every ENV variable is one qsqld reads, and qsqld starts with exactly the image's environment (ports 0, the
#      data folder in a temporary directory);
#   6. fly.toml agrees with the image: internal port, volume destination, data path, health check path.
#
#   bash tests/packaging/test_dockerfile.sh /path/to/qsqld /path/to/dockerfilelint
set -euo pipefail
QSQLD=${1:?usage: test_dockerfile.sh /path/to/qsqld /path/to/dockerfilelint}
LINT=${2:?usage: test_dockerfile.sh /path/to/qsqld /path/to/dockerfilelint}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
DF=$REPO/packaging/docker/Dockerfile
FLY=$REPO/packaging/fly/fly.toml
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$LINT" ] || fail "no dockerfilelint at $LINT (packaging/dev/install-deps.sh --with-tests installs it)"
TMP=$(mktemp -d)
QPID=
trap '[ -n "$QPID" ] && kill -9 "$QPID" 2>/dev/null; rm -rf "$TMP"' EXIT

# The Dockerfile as logical lines (continuations joined), comments dropped.
logical=$(sed -e '/^[[:space:]]*#/d' "$DF" | awk '{ if (sub(/\\[[:space:]]*$/, "")) { buf = buf $0 " " } else { print buf $0; buf = "" } }')
stage_of() { # N (0-based) → the logical lines of that stage
    awk -v n="$1" '/^FROM /{ s++ } s == n + 1' <<<"$logical"
}
apt_packages() { # the packages of the `apt-get install` in the given lines
    grep -o 'apt-get install [^&]*' | tr ' ' '\n' | grep -v -e '^-' -e '^apt-get$' -e '^install$' -e '^$' | sort -u
}

# 1. dockerfilelint
out=$("$LINT" "$DF" 2>&1) || fail "dockerfilelint finds issues in $DF:
$out"
printf 'FROM debian\nRUN apt-get install foo\nEXPOSE 99999\n' >"$TMP/Bad"
if "$LINT" "$TMP/Bad" >/dev/null 2>&1; then fail "dockerfilelint accepts a bad Dockerfile: the linter does not run"; fi
echo "ok 1 dockerfilelint: no issues"

# 2. Our rules
while read -r _ image _; do
    case $image in
    *:latest | *:*) [ "${image##*:}" != latest ] || fail "FROM $image: pin a tag, not latest" ;;
    *) fail "FROM $image: pin a tag" ;;
    esac
done < <(grep '^FROM ' <<<"$logical")
while IFS= read -r run; do
    case $run in *"apt-get install"*)
        case $run in *" -y "*) ;; *) fail "apt-get install without -y: $run" ;; esac
        case $run in *"--no-install-recommends"*) ;; *) fail "apt-get install without --no-install-recommends: $run" ;; esac
        case $run in *"rm -rf /var/lib/apt/lists/*"*) ;; *) fail "apt lists kept in the layer: $run" ;; esac ;;
    esac
done < <(grep '^RUN ' <<<"$logical")
grep -q '^ENTRYPOINT \[' <<<"$logical" || fail "ENTRYPOINT must be in exec form (signals reach qsqld)"
entry=$(sed -n 's/^ENTRYPOINT \["\([^"]*\)".*/\1/p' <<<"$logical")
grep -q "^COPY .* $entry\$" <<<"$logical" || fail "the ENTRYPOINT $entry is not copied into the image"
while read -r _ src _; do
    [ -e "$REPO/$src" ] || fail "COPY $src: no such file in the repository"
done < <(grep '^COPY ' <<<"$logical" | grep -v -- '--from=' | grep -v '^COPY \. ')
[ -f "$REPO/.dockerignore" ] || fail "no .dockerignore: the build context would carry build trees and .git"
for p in .git build 'build-*' '**/node_modules'; do
    grep -qxF "$p" "$REPO/.dockerignore" || fail ".dockerignore does not exclude $p"
done
echo "ok 2 tagged images, apt hygiene, exec-form entrypoint, COPY sources, .dockerignore"

# 3. Build packages: the server's build dependencies from install-deps.sh (console and test tools aside).
deps=$(sed -n '/^APT_PACKAGES=(/,/^)/p' "$REPO/packaging/dev/install-deps.sh" | sed '1d;$d' | tr ' ' '\n' | grep -v '^$' | sort -u)
console_and_tools='sqlite3 qt6-charts-dev libqt6opengl6-dev qtkeychain-qt6-dev libqt6sql6-sqlite ca-certificates curl'
build_pkgs=$(stage_of 0 | apt_packages)
for p in $deps; do
    case " $console_and_tools " in *" $p "*) continue ;; esac
    grep -qx "$p" <<<"$build_pkgs" || fail "the build stage does not install $p (install-deps.sh does)"
done
echo "ok 3 the build stage installs every server build dependency"

# 4. Runtime libraries
runtime_pkgs=$(stage_of 1 | apt_packages)
base='libc6 libgcc-s1 libstdc++6'
command -v readelf >/dev/null || fail "readelf (binutils) is needed"
needed=$(readelf -d "$QSQLD" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || fail "no NEEDED entries in $QSQLD"
ldconfig -p >"$TMP/ldcache"
for lib in $needed; do
    case $lib in libasan.* | libubsan.* | liblsan.* | libtsan.*) continue ;; esac # a sanitizer build's runtime
    path=$(awk -v l="$lib" '$1 == l { print $NF; exit }' "$TMP/ldcache")
    [ -n "$path" ] || fail "$lib is not a system library"
    real=$(readlink -f "$path")
    pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$real" 2>/dev/null || true)
    pkg=${pkg%%:*}
    [ -n "$pkg" ] || fail "no package owns $path"
    case " $base " in *" $pkg "*) continue ;; esac
    grep -qx "$pkg" <<<"$runtime_pkgs" || fail "qsqld needs $lib from $pkg, which the runtime stage does not install"
done
echo "ok 4 every library qsqld links comes from a runtime package ($(echo $needed | wc -w) libraries)"

# 5. The image's environment
env_block=$(grep '^ENV ' <<<"$logical" | sed 's/^ENV //')
help=$("$QSQLD" --help)
vars=()
for kv in $env_block; do
    name=${kv%%=*} value=${kv#*=}
    grep -qw -- "$name" <<<"$help" || fail "ENV $name: qsqld does not read it (not in --help)"
    case $name in
    SQLD_DB_PATH) value=$TMP/vol/data.sqld ;;
    *_LISTEN_ADDR) value=${value%:*}:0 ;;
    esac
    vars+=("$name=$value")
done
env -i PATH=/usr/bin:/bin "${vars[@]}" "$QSQLD" >"$TMP/log" 2>&1 &
QPID=$!
for _ in $(seq 100); do
    grep -q 'listening on' "$TMP/log" && break
    kill -0 "$QPID" 2>/dev/null || fail "qsqld with the image's environment exited: $(cat "$TMP/log")"
    sleep 0.1
done
grep -q 'listening on' "$TMP/log" || fail "qsqld with the image's environment does not start: $(cat "$TMP/log")"
grep -q 'admin API on' "$TMP/log" || fail "the image's environment does not open the admin API: $(cat "$TMP/log")"
[ -d "$TMP/vol/data.sqld" ] || fail "qsqld did not create its data in SQLD_DB_PATH"
kill -TERM "$QPID"
wait "$QPID" || fail "qsqld did not exit 0 on SIGTERM"
QPID=
echo "ok 5 qsqld starts with the image's environment (${vars[*]})"

# 6. fly.toml against the image
toml() { sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\"\{0,1\}\([^\"]*\)\"\{0,1\}[[:space:]]*\$/\1/p" "$FLY" | head -1; }
image_env() { for kv in $env_block; do [ "${kv%%=*}" = "$1" ] && echo "${kv#*=}"; done; }
volume=$(sed -n 's/^VOLUME \["\([^"]*\)"\]/\1/p' <<<"$logical")
[ "$(toml destination)" = "$volume" ] || fail "fly.toml mounts at $(toml destination), the image's volume is $volume"
[ "$(toml SQLD_DB_PATH)" = "$(image_env SQLD_DB_PATH)" ] || fail "fly.toml and the image disagree on SQLD_DB_PATH"
case $(image_env SQLD_DB_PATH) in "$volume"/*) ;; *) fail "SQLD_DB_PATH is not on the volume $volume" ;; esac
port=$(toml SQLD_HTTP_LISTEN_ADDR)
[ "$(toml internal_port)" = "${port##*:}" ] || fail "fly.toml internal_port $(toml internal_port) is not qsqld's port ${port##*:}"
grep -q "^EXPOSE .*\b${port##*:}\b" <<<"$logical" || fail "the image does not EXPOSE ${port##*:}"
[ "$(toml path)" = /health ] || fail "fly.toml's health check is not /health"
grep -q '^\[http_service\]' "$FLY" && ! grep -q 'internal_port = 9090' "$FLY" || fail "the admin port must not be a public service"
echo "ok 6 fly.toml agrees with the image"
