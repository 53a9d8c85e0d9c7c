#!/bin/bash
# The collectives of libmpi (src/mpi/coll_*.c, api_coll.c) pass their unit
# tests without the rest of the library: tests/programs/unit_coll runs 1 to 9
# ranks as threads over a point-to-point layer of its own, in eager and in
# fully synchronous mode (a send completes only when matched, so that an
# algorithm counting on buffering hangs), and checks every collective, every
# algorithm (thresholds forced each way), MPI_IN_PLACE, non-contiguous and
# shifted datatypes, a non-commutative user operation, the bytes a call must
# not write, the argument errors, that collectives keep to their context and
# tags, and that reductions of random doubles are bit-identical across runs
# with random delays and across ranks.  A second build cuts byte transfers
# into 1000-byte messages to exercise the cutting done above 1 GiB.
. "$(dirname "$0")/../lib.sh"
setup_work

P=$(prog unit_coll) || fail "tests/programs/unit_coll.c does not build"
t0=$(now_us)
timeout --foreground -k 5 150 "$P" -q >"$WORK/unit_coll.out" 2>&1 </dev/null
rc=$?
if [ $rc -ne 0 ]; then
    fail_soft "unit_coll -q exited $(describe_rc $rc)"
    show "$WORK/unit_coll.out" 40
else
    note "unit_coll -q: $(tail -n 1 "$WORK/unit_coll.out") in $(elapsed_since "$t0") s"
fi

M=$REPO/src/mpi
if gcc -O2 -g -pthread -std=gnu11 -D_GNU_SOURCE -DCOLL_PIECE=1000 -I"$REPO/include" -I"$M" \
    -o "$WORK/unit_coll_pieces" "$TESTS_DIR/programs/unit_coll.c" "$M"/coll_*.c "$M/api_coll.c" -lm \
    2>"$WORK/pieces.log"; then
    t0=$(now_us)
    timeout --foreground -k 5 150 "$WORK/unit_coll_pieces" -q "long algorithms" >"$WORK/pieces.out" 2>&1 </dev/null
    rc=$?
    if [ $rc -ne 0 ]; then
        fail_soft "unit_coll with 1000-byte pieces exited $(describe_rc $rc)"
        show "$WORK/pieces.out" 40
    else
        note "unit_coll, 1000-byte pieces, long algorithms: $(tail -n 1 "$WORK/pieces.out") in $(elapsed_since "$t0") s"
    fi
else
    fail_soft "unit_coll with COLL_PIECE=1000 does not build"
    show "$WORK/pieces.log"
fi
finish
