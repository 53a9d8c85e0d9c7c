#!/bin/bash
# Nonblocking collectives (tests/programs/mpi_nbc.c): every one against its
# blocking form (ints, doubles bit for bit, a non-commutative operation, a
# strided datatype, MPI_IN_PLACE, 0 counts), several outstanding at once on
# several communicators beside blocking collectives and point-to-point,
# completed by Wait, Waitall, Testany and Waitsome, progress while a rank
# blocks in a receive, Request_free, Request_get_status, Comm_idup, error
# classes; at 1, 2, 4 and 8 ranks over shared memory and at 4 over TCP.
# Then a job-wide checkpoint taken while collectives are outstanding
# (twice going on, then --term) and a restart: the output of the two parts
# together is the uninterrupted run's.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog mpi_nbc) || fail "test program mpi_nbc does not build"
export CREST_RUNTIME_DIR=$WORK/rt CREST_NO_BOOT=1
mkdir -p -m 700 "$CREST_RUNTIME_DIR"
unset SLURM_JOB_ID SLURM_JOB_NODELIST CREST_RSH CREST_LAUNCHER

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
    run "shm-$n" "nbc ok ($n ranks)" -np $n "$P"
done
run tcp-4 "nbc ok (4 ranks)" -np 4 -x CREST_MPI_TRANSPORT=tcp "$P"

# ---- a checkpoint with collectives outstanding
NP=4 ROUNDS=40
wait_ranks() {
    local i
    for i in $(seq 200); do
        [ "$(pgrep -f -- "^$P ckpt " | wc -l)" -ge $NP ] && return 0
        sleep 0.02
    done
}
ckpt() { # ckpt LABEL MPIRUN-OPTIONS...
    local label=$1
    shift
    local try t0
    # long enough for four checkpoints however fast the machine is today
    for try in 1 2 3; do
        t0=$(now_us)
        (cd "$WORK/run-cwd" && timeout -k 5 60 "$MPIRUN" -np $NP "$@" "$P" ckpt $ROUNDS \
            >"$WORK/$label.ref" 2>"$WORK/$label.ref.err")
        [ $? = 0 ] || { show "$WORK/$label.ref.err"; fail_soft "$label: the uninterrupted run failed"; return; }
        awk -v s="$(elapsed_since "$t0")" 'BEGIN { exit !(s >= 2.5) }' && break
        ROUNDS=$((ROUNDS * 2))
    done
    SPAWN_OUT=$WORK/$label.out SPAWN_ERR=$WORK/$label.err SPAWN_DIR=$WORK/run-cwd \
        spawn "$MPIRUN" -np $NP --checkpoint-dir "$WORK/ck-$label" "$@" "$P" ckpt $ROUNDS
    local mp=$SPAWN_PID i ok=0
    wait_ranks
    for i in 1 2 3; do
        sleep 0.3
        "$CREST" checkpoint "$mp" >/dev/null 2>"$WORK/$label.ck$i" && ok=$((ok + 1))
    done
    sleep 0.3
    "$CREST" checkpoint "$mp" --term >/dev/null 2>"$WORK/$label.ck4" && ok=$((ok + 1))
    wait_exit "$mp" 60 || { fail_soft "$label: mpirun did not end after --term"; return; }
    [ "$ok" = 4 ] && [ "$WAIT_RC" = 85 ] ||
        { show "$WORK/$label.ck1"; show "$WORK/$label.ck4"; show "$WORK/$label.err"
          fail_soft "$label: $ok of 4 checkpoints committed, mpirun exited $WAIT_RC (want 85)"; return; }
    (cd "$WORK/restart-cwd" && timeout -k 5 60 "$CREST" restart "$WORK/ck-$label/latest" \
        >"$WORK/$label.rs" 2>"$WORK/$label.rs.err")
    local rc=$?
    cat "$WORK/$label.out" "$WORK/$label.rs" | cmp -s - "$WORK/$label.ref" && [ $rc = 0 ] ||
        { show "$WORK/$label.rs.err"; show "$WORK/$label.rs"
          fail_soft "$label: restart exit $rc, or output (before + after) differs from the uninterrupted run"; return; }
    note "$label: 3 continues, --term after '$(tail -1 "$WORK/$label.out")', restarted: same output"
}
ckpt ckpt-shm
ckpt ckpt-tcp -x CREST_MPI_TRANSPORT=tcp
finish
