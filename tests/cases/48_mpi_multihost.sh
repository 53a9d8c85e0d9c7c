#!/bin/bash
# crest's MPI across hosts (network namespaces reached by ssh): 8 ranks, 2
# on each of 4 hosts, so that every rank has a shared-memory peer and TCP
# peers and ANY_SOURCE receives match both; the point-to-point test
# program must pass; then 8 ranks on 2 hosts with TCP only.
. "$(dirname "$0")/../lib.sh"
. "$TESTS_DIR/netns.sh"
setup_work
netns_require 4
P=$(prog mpi_p2p) || fail "test program mpi_p2p does not build"
netns_setup 4
netns_sshd_start
export CREST_RUNTIME_DIR=$WORK/rt CREST_NO_BOOT=1
mkdir -p -m 700 "$CREST_RUNTIME_DIR"
A=("${NETNS_ADDRS[@]}")
HOSTS="${A[0]}:2,${A[1]}:2,${A[2]}:2,${A[3]}:2"

run() { # run LABEL WANT MPIRUN-ARGS...
    local label=$1 want=$2
    shift 2
    timeout -k 5 240 "$MPIRUN" "$@" >"$WORK/$label.out" 2>"$WORK/$label.err"
    local rc=$?
    if [ $rc -ne 0 ] || ! grep -qx "$want" "$WORK/$label.out"; then
        show "$WORK/$label.out" 20
        show "$WORK/$label.err" 20
        fail_soft "$label: exit $rc, want \"$want\""
    fi
}

run p2p-4hosts "p2p ok (8 ranks)" -np 8 -H "$HOSTS" "$P"
run p2p-tcp-2hosts "p2p ok (8 ranks)" -np 8 -H "${A[0]}:4,${A[1]}:4" -x CREST_MPI_TRANSPORT=tcp "$P"
finish
