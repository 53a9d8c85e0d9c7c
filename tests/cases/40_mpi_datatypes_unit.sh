#!/bin/bash
# The MPI library's derived datatypes and reductions pass their unit tests
# (tests/programs/unit_dtype.c, with src/mpi/datatype.c, dtype_pack.c,
# op.c, api_datatype.c and api_op.c compiled in): layouts of every kind of
# type against hand-computed values, pack/unpack in random pieces against
# a reference walk of the typemap, element counts, copies, every
# predefined operation on every predefined type, user operations, freeing
# order, argument errors and types larger than 4 GiB.
. "$(dirname "$0")/../lib.sh"
setup_work

p=$(prog unit_dtype) || fail "unit test program unit_dtype does not build"
timeout --foreground -k 5 "$T_RUN" "$p" >"$WORK/unit_dtype.out" 2>&1 </dev/null
rc=$?
if [ $rc -ne 0 ]; then
    fail_soft "unit_dtype exited $(describe_rc $rc)"
    show "$WORK/unit_dtype.out" 60
else
    note "unit_dtype: $(tail -n 1 "$WORK/unit_dtype.out")"
fi
finish
