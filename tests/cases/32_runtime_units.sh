#!/bin/bash
# The runtime's self-contained modules pass their unit tests: SHA-256 and
# HMAC-SHA256 (src/runtime/sha256.c) against the FIPS 180-4 and RFC 4231
# vectors; hostfiles, -H lists, Slurm node lists, rank placement and the
# detection of this machine's names (src/runtime/hosts.c); application
# schemas, the host of each rank of a restart (src/runtime/schema.c); every
# error included.  Each unit program prints its failures and exits non-zero.
. "$(dirname "$0")/../lib.sh"
setup_work

# Builds and runs unit program $1 with the other arguments; its output is
# shown when it fails.
run_unit() {
    local name=$1 p rc
    shift
    p=$(prog "$name") || { fail_soft "unit test program $name does not build"; return; }
    timeout --foreground -k 5 "$T_RUN" "$p" "$@" >"$WORK/$name.out" 2>&1 </dev/null
    rc=$?
    if [ $rc -ne 0 ]; then
        fail_soft "$name exited $(describe_rc $rc)"
        show "$WORK/$name.out" 60
        return
    fi
    note "$name: $(tail -n 1 "$WORK/$name.out")"
}

mkdir -p "$WORK/hostfiles" || fail "cannot create $WORK/hostfiles"
run_unit unit_sha256
run_unit unit_hosts "$WORK/hostfiles"
mkdir -p "$WORK/schemas" || fail "cannot create $WORK/schemas"
run_unit unit_schema "$WORK/schemas"
finish
