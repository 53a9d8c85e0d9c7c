#!/bin/bash
# Binary compatibility with MPICH: programs compiled and linked with
# Debian's mpicc.mpich (libmpich-dev), not recompiled, run under crest's
# mpirun on crest's libmpi (mpirun puts crest's lib directory first in
# LD_LIBRARY_PATH; the program asks for libmpich.so.12).  The library
# version each rank reports must be crest's, every rank must see the whole
# job, and the point-to-point test program must pass at 4 ranks.
. "$(dirname "$0")/../lib.sh"
setup_work
command -v mpicc.mpich >/dev/null || fail "mpicc.mpich is missing: install libmpich-dev (scripts/dev.sh does)"
export CREST_RUNTIME_DIR=$WORK/rt CREST_NO_BOOT=1
mkdir -p -m 700 "$CREST_RUNTIME_DIR"
for p in mpi_libinfo mpi_p2p; do
    mpicc.mpich -O2 -Wno-stringop-overflow -o "$WORK/$p" "$TESTS_DIR/programs/$p.c" 2>"$WORK/$p.cc" ||
        { show "$WORK/$p.cc"; fail "mpicc.mpich cannot build $p"; }
done
readelf -d "$WORK/mpi_p2p" | grep -q 'NEEDED.*libmpich.so.12' || fail "the MPICH-built program does not ask for libmpich.so.12"

timeout -k 5 60 "$MPIRUN" -np 3 "$WORK/mpi_libinfo" >"$WORK/info.out" 2>"$WORK/info.err" ||
    { show "$WORK/info.err"; fail_soft "mpi_libinfo (MPICH-built) failed under crest's mpirun"; }
n=$(grep -c "^[0-2] 3 crest MPI" "$WORK/info.out")
[ "$n" = 3 ] || { show "$WORK/info.out"; fail_soft "want 3 ranks of 3 on crest MPI, got $n lines"; }

timeout -k 5 180 "$MPIRUN" -np 4 "$WORK/mpi_p2p" >"$WORK/p2p.out" 2>"$WORK/p2p.err"
rc=$?
[ $rc -eq 0 ] && grep -qx "p2p ok (4 ranks)" "$WORK/p2p.out" ||
    { show "$WORK/p2p.out"; show "$WORK/p2p.err"; fail_soft "the MPICH-built p2p test: exit $rc"; }
finish
