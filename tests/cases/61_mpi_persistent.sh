#!/bin/bash
# Persistent requests (tests/programs/mpi_persistent.c): Send_init,
# Bsend_init, Ssend_init, Rsend_init and Recv_init restarted round after
# round (eager and rendezvous sizes), Start and Startall, inactive requests
# in Wait, Test and the array forms, Request_free of inactive and active
# requests, Cancel of a started receive and its reuse, MPI_PROC_NULL, error
# classes; at 1, 2, 4 and 8 ranks over shared memory and at 4 over TCP.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog mpi_persistent) || fail "test program mpi_persistent does not build"
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

for n in 1 2 4 8; do
    run "shm-$n" "persistent ok ($n ranks)" -np $n "$P"
done
run tcp-4 "persistent ok (4 ranks)" -np 4 -x CREST_MPI_TRANSPORT=tcp "$P"
finish
