#!/bin/bash
# Intercommunicators (tests/programs/mpi_inter.c): MPI_COMM_WORLD split into
# two groups of unequal sizes and into three, intercommunicators between
# them (also between groups of different splits), point-to-point with
# ANY_SOURCE/ANY_TAG, every blocking collective with roots on both sides,
# merge both ways, dup, compare, split, create, free, remote group, error
# classes; at 2, 3, 4, 5 and 8 ranks over shared memory and at 4 over TCP.
# Then a job-wide checkpoint while intercommunicator traffic runs: two
# checkpoints that continue and one with --term, then a restart from that
# snapshot; the output before and after is the uninterrupted run's.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog mpi_inter) || fail "test program mpi_inter does not build"
export CREST_RUNTIME_DIR=$WORK/rt CREST_NO_BOOT=1
mkdir -p -m 700 "$CREST_RUNTIME_DIR" || fail "cannot create $CREST_RUNTIME_DIR"
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

for n in 2 3 4 5 8; do
    run "shm-$n" "inter ok ($n ranks)" -np $n "$P" 3
done
run tcp-4 "inter ok (4 ranks)" -np 4 -x CREST_MPI_TRANSPORT=tcp "$P" 3

# ---- checkpoints under intercommunicator traffic (about 2.5 s of rounds)
NP=4 ROUNDS=1000
mkdir -p "$WORK/run-cwd" "$WORK/restart-cwd"
# long enough for three checkpoints however fast the machine is today
for try in 1 2 3; do
    t0=$(now_us)
    (cd "$WORK/run-cwd" && timeout -k 5 60 "$MPIRUN" -np $NP "$P" $ROUNDS >"$WORK/ck.ref" 2>"$WORK/ck.ref.err") ||
        { show "$WORK/ck.ref.err"; fail "the uninterrupted run failed"; }
    awk -v s="$(elapsed_since "$t0")" 'BEGIN { exit !(s >= 2.5) }' && break
    ROUNDS=$((ROUNDS * 2))
done
SPAWN_OUT=$WORK/ck.out SPAWN_ERR=$WORK/ck.err SPAWN_DIR=$WORK/run-cwd \
    spawn "$MPIRUN" -np $NP --checkpoint-dir "$WORK/ck" "$P" $ROUNDS
mp=$SPAWN_PID
for i in $(seq 200); do
    [ "$(pgrep -f -- "^$P $ROUNDS\$" | wc -l)" -ge $NP ] && break
    sleep 0.02
done
ok=0
for i in 1 2; do
    sleep 0.3
    "$CREST" checkpoint "$mp" >/dev/null 2>"$WORK/ck.ck$i" && ok=$((ok + 1))
done
sleep 0.3
"$CREST" checkpoint "$mp" --term >/dev/null 2>"$WORK/ck.ck3" && ok=$((ok + 1))
wait_exit "$mp" 60 || fail "mpirun did not end after --term"
[ "$ok" = 3 ] && [ "$WAIT_RC" = 85 ] ||
    { show "$WORK/ck.ck1"; show "$WORK/ck.ck3"; show "$WORK/ck.err"
      fail "$ok of 3 checkpoints committed, mpirun exited $WAIT_RC (want 85)"; }
[ "$(grep -c . "$WORK/ck.out")" -lt $ROUNDS ] || fail "the job ended before the --term checkpoint (make it longer)"
(cd "$WORK/restart-cwd" && timeout -k 5 60 "$CREST" restart "$WORK/ck/latest" >"$WORK/ck.rs" 2>"$WORK/ck.rs.err")
rc=$?
cat "$WORK/ck.out" "$WORK/ck.rs" | cmp -s - "$WORK/ck.ref" && [ $rc = 0 ] ||
    { show "$WORK/ck.rs.err"; show "$WORK/ck.rs"
      fail "restart exit $rc, or output (before + after) differs from the uninterrupted run"; }
note "2 continues, --term at '$(tail -1 "$WORK/ck.out")', restarted: same output"
finish
