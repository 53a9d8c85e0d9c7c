#!/bin/bash
# crest's MPI point-to-point (tests/programs/mpi_p2p.c: every size class in
# both orders, non-overtaking order, ANY_SOURCE, truncation, synchronous
# sends completing only once the receive started, head-to-head large
# exchanges, progress while waiting elsewhere, the four send modes, probes,
# matched probes, cancel, the completion calls, derived datatypes, error
# classes under MPI_ERRORS_RETURN, communicators) at 1, 2, 4 and 8 ranks
# over shared memory, at 4 ranks over TCP, and with 256 MiB messages;
# MPI_Abort from any rank ends the job with its code.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog mpi_p2p) || fail "test program mpi_p2p does not build"
A=$(prog mpi_abort) || fail "test program mpi_abort does not build"
export CREST_RUNTIME_DIR=$WORK/rt CREST_NO_BOOT=1
mkdir -p -m 700 "$CREST_RUNTIME_DIR"

run() { # run LABEL WANT MPIRUN-ARGS...: the job must print WANT and exit 0
    local label=$1 want=$2
    shift 2
    timeout -k 5 180 "$MPIRUN" "$@" >"$WORK/$label.out" 2>"$WORK/$label.err"
    local rc=$?
    if [ $rc -ne 0 ] || ! grep -qx "$want" "$WORK/$label.out"; then
        show "$WORK/$label.out" 20
        show "$WORK/$label.err" 20
        fail_soft "$label: exit $rc, want \"$want\""
    fi
}

for n in 1 2 4 8; do
    run "shm-$n" "p2p ok ($n ranks)" -np $n "$P"
done
run tcp-4 "p2p ok (4 ranks)" -np 4 -x CREST_MPI_TRANSPORT=tcp "$P"
run big-2 "p2p ok (2 ranks)" -np 2 "$P" big
run big-tcp-2 "p2p ok (2 ranks)" -np 2 -x CREST_MPI_TRANSPORT=tcp "$P" big

for who in 0 3; do
    timeout -k 5 60 "$MPIRUN" -np 4 "$A" $who 42 >"$WORK/abort$who.out" 2>"$WORK/abort$who.err"
    rc=$?
    [ $rc -eq 42 ] || { show "$WORK/abort$who.err"; fail_soft "MPI_Abort(42) on rank $who: mpirun exited $rc"; }
    grep -q "rank $who on host .* called MPI_Abort with code 42" "$WORK/abort$who.err" ||
        { show "$WORK/abort$who.err"; fail_soft "no line naming rank $who and MPI_Abort"; }
done
finish
