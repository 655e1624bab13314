# Shared by the benchmark scripts of tests/bench (sourced, never run). Each script defines die(), $REPO and $TMP.

# Sets QSQLD_BIN (unless given: build-bench's Release binary if built, else build's) and build_type (its CMake
# build type, or "unknown").
find_qsqld() {
    if [[ -z ${QSQLD_BIN:-} ]]; then
        for c in "$REPO/build-bench/app/qsqld" "$REPO/build/app/qsqld"; do
            [[ -x $c ]] && { QSQLD_BIN=$c; break; }
        done
    fi
    [[ -x ${QSQLD_BIN:-} ]] || die "no qsqld binary; build it (see tests/bench/README.md) or set QSQLD_BIN"
    build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$(dirname "$(dirname "$QSQLD_BIN")")/CMakeCache.txt" \
        2>/dev/null || true)
    build_type=${build_type:-unknown}
}

# Prints a loopback TCP port that nothing listens on and that this run has not handed out yet ($TMP/ports).
free_port() {
    local p
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 30000))
        if [[ -z $(ss -Hltn "sport = :$p" 2>/dev/null) ]] && ! grep -qx "$p" "$TMP/ports" 2>/dev/null; then
            echo "$p" >>"$TMP/ports"
            echo "$p"
            return
        fi
    done
    die "no free port found"
}
