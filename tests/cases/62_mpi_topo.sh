#!/bin/bash
# crest's MPI process topologies and neighbourhood collectives
# (tests/programs/mpi_topo.c: Dims_create against a table, Cartesian grids
# of 0 to 3 dimensions periodic or not, Cart_sub of every shape, graphs and
# distributed graphs with and without weights, the five blocking
# neighbourhood collectives with MPI_PROC_NULL neighbours and periodic
# dimensions of size 1 and 2, error classes) at 1, 2, 4, 6 and 8 ranks over
# shared memory and at 4 ranks over TCP; and with the channels drained,
# closed and reconnected between the parts (what a checkpoint that
# continues does) at 4 ranks over both.  When Debian's mpicc.mpich is
# there, the same program built with it (MPI_UNWEIGHTED and
# MPI_WEIGHTS_EMPTY are variables of the library it links against) runs on
# crest's library unchanged.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog mpi_topo) || fail "test program mpi_topo does not build"
export CREST_RUNTIME_DIR=$WORK/rt CREST_NO_BOOT=1
mkdir -p -m 700 "$CREST_RUNTIME_DIR"

run() { # run LABEL WANT MPIRUN-ARGS...: the job must print WANT and exit 0
    local label=$1 want=$2
    shift 2
    timeout -k 5 60 "$MPIRUN" "$@" >"$WORK/$label.out" 2>"$WORK/$label.err"
    local rc=$?
    if [ $rc -ne 0 ] || ! grep -qx "$want" "$WORK/$label.out"; then
        show "$WORK/$label.out" 20
        show "$WORK/$label.err" 20
        fail_soft "$label: exit $rc, want \"$want\""
    fi
}

for n in 1 2 4 6 8; do
    run "shm-$n" "topo ok ($n ranks)" -np $n "$P"
done
run tcp-4 "topo ok (4 ranks)" -np 4 -x CREST_MPI_TRANSPORT=tcp "$P"
run cycle-4 "topo ok (4 ranks)" -np 4 "$P" cycle
run cycle-tcp-4 "topo ok (4 ranks)" -np 4 -x CREST_MPI_TRANSPORT=tcp "$P" cycle
if command -v mpicc.mpich >/dev/null; then
    if mpicc.mpich -O2 -Wno-stringop-overflow -o "$WORK/mpi_topo_mpich" "$TESTS_DIR/programs/mpi_topo.c" \
        2>"$WORK/mpich.cc"; then
        # crest's library by path (an mpirun of another build, as in the
        # sanitizer pass, would put its own lib directory first)
        run mpich-4 "topo ok (4 ranks)" -np 4 -x LD_LIBRARY_PATH="$BUILD/lib" "$WORK/mpi_topo_mpich"
    else
        show "$WORK/mpich.cc"
        fail_soft "mpicc.mpich cannot build mpi_topo"
    fi
fi
finish
