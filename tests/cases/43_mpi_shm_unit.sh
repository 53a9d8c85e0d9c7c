#!/bin/bash
# The MPI library's shared memory transport (src/mpi/transport_shm.c) on
# its own, with forked processes as the ranks of a host: all-to-all traffic
# among 2 to 16 ranks with full rings and queued packets, packets in
# pieces with small rings, two hosts at once, a disconnect and reconnect
# between rounds; every packet arrives once, in order, intact; sleeping
# ranks are always woken; the segment is unlinked once mapped and pages of
# rings nobody uses cost no memory; an idle rank in sleep() uses no CPU;
# pull reads 64 MiB of a sibling.  Then the round trip of small packets is
# reported (not checked: it depends on the machine).
. "$(dirname "$0")/../lib.sh"
setup_work

# The file must build with the library's own flags.
gcc -std=gnu11 -D_GNU_SOURCE -fPIC -fvisibility=hidden -I"$REPO/include" -I"$REPO/src/mpi" -I"$REPO/src/runtime" \
    -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation -O2 -c "$REPO/src/mpi/transport_shm.c" \
    -o "$WORK/transport_shm.o" >"$WORK/cc.log" 2>&1 || {
    show "$WORK/cc.log"
    fail_soft "src/mpi/transport_shm.c does not compile with the library's flags"
}

P=$(prog unit_shm) || fail "tests/programs/unit_shm.c does not build"

timeout --foreground -k 5 "$T_RUN" "$P" check >"$WORK/check.out" 2>&1 </dev/null
rc=$?
grep -E '^(ok|FAIL):' "$WORK/check.out" | sed 's/^/  /'
if [ $rc -ne 0 ]; then
    fail_soft "unit_shm check exited $(describe_rc $rc)"
    show "$WORK/check.out" 40
fi

timeout --foreground -k 5 "$T_RUN" "$P" bench latency >"$WORK/bench.out" 2>&1 </dev/null
rc=$?
if [ $rc -ne 0 ]; then
    fail_soft "unit_shm bench latency exited $(describe_rc $rc)"
    show "$WORK/bench.out"
else
    while read -r line; do note "$line"; done < <(grep '^latency' "$WORK/bench.out")
fi
finish
