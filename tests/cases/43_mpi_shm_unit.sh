#!/bin/bash
# The MPI library's shared memory transport (src/mpi/transport_shm.c) on
# its own, with forked processes as the ranks of a host: all-to-all traffic
# among 2 to 16 ranks with full rings and queued packets, packets in
# pieces with small rings, two hosts at once, a disconnect and reconnect
# between rounds; every packet arrives once, in order, intact; sleeping
# ranks are always woken; the segment is unlinked once mapped and pages of
# rings nobody uses cost no memory; an idle rank in sleep() uses no CPU;
# pull reads 64 MiB of a sibling; with a small /dev/shm, rings shrink and a
# full one is an error message, not a SIGBUS.  Then the round trip of small packets and
# the software's own cost per packet are reported (not checked: they depend
# on the machine).
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

# A /dev/shm of 2 MiB of its own (needs a private mount namespace: root):
# rings shrink to fit; two hosts' segments outgrowing it end with a message
# naming the problem, never with SIGBUS.
if unshare -m --propagation private true 2>/dev/null; then
    timeout --foreground -k 5 "$T_RUN" unshare -m --propagation private \
        sh -c 'mount -t tmpfs -o size=2m tmpfs /dev/shm && exec "$0" tight' "$P" >"$WORK/tight.out" 2>&1 </dev/null
    rc=$?
    grep -E '^(ok|FAIL):' "$WORK/tight.out" | sed 's/^/  /'
    if [ $rc -ne 0 ] || ! grep -q '^tight: /dev/shm of' "$WORK/tight.out"; then
        fail_soft "unit_shm tight exited $(describe_rc $rc)"
        show "$WORK/tight.out" 30
    elif grep -q 'killed by signal' "$WORK/tight.out"; then
        fail_soft "a rank died of a signal with a small /dev/shm"
        show "$WORK/tight.out" 30
    fi
else
    note "no private mount namespace here (not root): the small /dev/shm check is left out"
fi

for what in latency overhead; do
    timeout --foreground -k 5 "$T_RUN" "$P" bench $what >"$WORK/bench-$what.out" 2>&1 </dev/null
    rc=$?
    if [ $rc -ne 0 ]; then
        fail_soft "unit_shm bench $what exited $(describe_rc $rc)"
        show "$WORK/bench-$what.out"
    else
        while read -r line; do note "$line"; done < <(grep -v '^unit_shm' "$WORK/bench-$what.out")
    fi
done
finish
