#!/bin/bash
# crest's MPI collectives on the real library, under mpirun, at 1, 2, 4 and
# 8 ranks (3 and 6 too where it matters: sizes that are not powers of two):
# tests/programs/mpi_coll_move.c (Bcast, Gather(v), Scatter(v),
# Allgather(v), Alltoall(v,w): datatype pairs, counts across every
# threshold, roots, MPI_IN_PLACE, sub-communicators, the bytes nobody may
# write), mpi_coll_reduce.c (every reduction with built-in, pair and user
# operations, derived types, rank order for a non-commutative operation,
# bit-identical results of random doubles run after run and rank after
# rank) and mpi_coll_misc.c (argument errors, the application's messages
# untouched by collectives, long sequences, MPI_BOTTOM, MPI_COMM_SELF,
# megabyte messages).  The first two run again with every threshold forced
# to each side (CREST_COLL_*) so that every algorithm runs, and over TCP.
# A bad root under MPI_ERRORS_ARE_FATAL ends the job with one line naming
# the call.
. "$(dirname "$0")/../lib.sh"
setup_work

[ -x "$MPIRUN" ] || fail "$MPIRUN does not exist: run make -C $REPO"
MOVE=$(prog mpi_coll_move) || fail "test program mpi_coll_move does not build"
RED=$(prog mpi_coll_reduce) || fail "test program mpi_coll_reduce does not build"
MISC=$(prog mpi_coll_misc) || fail "test program mpi_coll_misc does not build"
export CREST_RUNTIME_DIR=$WORK/rt CREST_NO_BOOT=1
mkdir -p -m 700 "$CREST_RUNTIME_DIR"

# Every threshold at 0 (the algorithms for long messages) or huge (short).
LONG=(-x CREST_COLL_BCAST_LONG=0 -x CREST_COLL_BCAST_MIN_RANKS=1 -x CREST_COLL_REDUCE_LONG=0
    -x CREST_COLL_ALLREDUCE_LONG=0 -x CREST_COLL_ALLGATHER_LONG=0 -x CREST_COLL_GATHER_LONG=0
    -x CREST_COLL_SCATTER_LONG=0 -x CREST_COLL_ALLTOALL_SHORT=0 -x CREST_COLL_ALLTOALL_LONG=0)
BIG=999999999999
SHORT=(-x CREST_COLL_BCAST_LONG=$BIG -x CREST_COLL_REDUCE_LONG=$BIG -x CREST_COLL_ALLREDUCE_LONG=$BIG
    -x CREST_COLL_ALLGATHER_LONG=$BIG -x CREST_COLL_GATHER_LONG=$BIG -x CREST_COLL_SCATTER_LONG=$BIG
    -x CREST_COLL_ALLTOALL_SHORT=$BIG -x CREST_COLL_ALLTOALL_LONG=$BIG)
MEDIUM=(-x CREST_COLL_ALLTOALL_SHORT=0 -x CREST_COLL_ALLTOALL_LONG=$BIG -x CREST_COLL_ALLTOALL_WINDOW=2)

# run LABEL PROGNAME MPIRUN-ARGS...: the job must exit 0 and rank 0 print
# "PROGNAME: ... N ranks, all correct".
run() {
    local label=$1 name=$2 t0 rc
    shift 2
    t0=$(now_us)
    timeout -k 5 170 "$MPIRUN" "$@" >"$WORK/$label.out" 2>"$WORK/$label.err" </dev/null
    rc=$?
    if [ $rc -ne 0 ] || ! grep -q "^$name: .* ranks, all correct$" "$WORK/$label.out"; then
        show "$WORK/$label.out" 20
        show "$WORK/$label.err" 20
        fail_soft "$label: exit $(describe_rc $rc), want \"$name: ... all correct\""
    else
        note "$label: $(elapsed_since "$t0") s: $(grep "^$name: " "$WORK/$label.out")"
    fi
}

for n in 1 2 4 8; do
    run "move-$n" mpi_coll_move -np $n "$MOVE"
    run "reduce-$n" mpi_coll_reduce -np $n "$RED"
    run "misc-$n" mpi_coll_misc -np $n "$MISC"
done
for n in 3 6; do
    run "move-long-$n" mpi_coll_move -np $n "${LONG[@]}" "$MOVE"
    run "reduce-long-$n" mpi_coll_reduce -np $n "${LONG[@]}" "$RED"
    run "move-short-$n" mpi_coll_move -np $n "${SHORT[@]}" "$MOVE"
    run "reduce-short-$n" mpi_coll_reduce -np $n "${SHORT[@]}" "$RED"
done
run move-long-8 mpi_coll_move -np 8 "${LONG[@]}" "$MOVE"
run reduce-long-8 mpi_coll_reduce -np 8 "${LONG[@]}" "$RED"
run move-medium-5 mpi_coll_move -np 5 "${MEDIUM[@]}" "$MOVE"
run move-tcp-4 mpi_coll_move -np 4 -x CREST_MPI_TRANSPORT=tcp "$MOVE" 2600
run reduce-tcp-4 mpi_coll_reduce -np 4 -x CREST_MPI_TRANSPORT=tcp "$RED" 1000
run misc-tcp-4 mpi_coll_misc -np 4 -x CREST_MPI_TRANSPORT=tcp "$MISC"

# A bad root under the default handler: the job ends, not 0, with a line
# that names the call and the root.
timeout -k 5 60 "$MPIRUN" -np 3 "$MISC" fatal >"$WORK/fatal.out" 2>"$WORK/fatal.err" </dev/null
rc=$?
if [ $rc -eq 0 ] || [ $rc -ge 124 ]; then
    show "$WORK/fatal.out"
    show "$WORK/fatal.err"
    fail_soft "MPI_Bcast with a bad root: mpirun exited $(describe_rc $rc), want an error status"
elif ! grep -q "MPI_Bcast: root 5 is not a rank of the communicator (size 3)" "$WORK/fatal.err"; then
    show "$WORK/fatal.err"
    fail_soft "MPI_Bcast with a bad root: no line naming MPI_Bcast and the root on stderr"
elif grep -q "returned under MPI_ERRORS_ARE_FATAL" "$WORK/fatal.out"; then
    fail_soft "MPI_Bcast with a bad root returned under MPI_ERRORS_ARE_FATAL"
else
    note "bad root: exit $rc: $(head -n 1 "$WORK/fatal.err")"
fi
finish
