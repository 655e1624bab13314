#!/bin/sh
# qsqld's container entrypoint. The class of failure it exists for: a volume mounted root-owned (Fly.io, plain
# Docker) while the server runs unprivileged, which makes sqld's image die with "Permission denied (os error 13)".
#
# - Started as root (the default): make the data folder belong to the service user, then drop to that user.
# - Started as another user (Kubernetes runAsUser + fsGroup, OpenShift, a read-only root filesystem): run as is;
#   if the folder is not writable, qsqld itself stops with one line naming the folder, its owner and mode, and
#   the fix.
#
# Environment: SQLD_DB_PATH (default /var/lib/sqld/data.sqld), QSQLD_USER (default qsqld), QSQLD_BIN (default
# qsqld on PATH). Arguments are passed to qsqld.
set -eu

db_path=${SQLD_DB_PATH:-/var/lib/sqld/data.sqld}
data_dir=$(dirname "$db_path")
user=${QSQLD_USER:-qsqld}
bin=${QSQLD_BIN:-qsqld}

if [ "$(id -u)" = 0 ] && id -u "$user" >/dev/null 2>&1; then
    uid=$(id -u "$user")
    gid=$(id -g "$user")
    mkdir -p "$data_dir"
    # Only what is not the user's yet: a large volume that is already right costs nothing.
    if [ "$(stat -c %u "$data_dir")" != "$uid" ] || find "$db_path" ! -user "$uid" -print -quit 2>/dev/null | grep -q .; then
        echo "qsqld-entrypoint: giving $data_dir to $user ($uid:$gid)" >&2
        chown "$uid:$gid" "$data_dir"
        if [ -e "$db_path" ]; then
            chown -R "$uid:$gid" "$db_path"
        fi
    fi
    exec setpriv --reuid="$uid" --regid="$gid" --init-groups -- "$bin" "$@"
fi
exec "$bin" "$@"
