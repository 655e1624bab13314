# Shared by the benchmark scripts of tests/bench (sourced, never run). Each script defines die() and $TMP first.

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
