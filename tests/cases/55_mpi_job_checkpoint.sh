#!/bin/bash
# Job-wide checkpoints of an MPI job, whatever it is doing at the instant,
# each compared with an uninterrupted run: mpi_ckpt keeps its 4 ranks in
# one kind of state per mode (computing with no MPI call; blocked in Recv,
# Wait or Waitany whose match is sent only later; ANY_SOURCE receives
# pending; 32 MiB rendezvous transfers half done; Bcast, Allreduce and
# Alltoall with the ranks at different stages; unmatched Ssends;
# communicators from Comm_split used on).  In each mode the job is
# checkpointed twice and goes on, then checkpointed and ended (--term),
# and restarted from that snapshot: the output of the two parts together
# is the uninterrupted run's, over shared memory and (for the modes that
# move data) over TCP.  Then 50 checkpoints in a row under heavy
# sequence-numbered traffic between all pairs: none lost, duplicated or
# reordered (the program checks every message), and all 50 committed.
. "$(dirname "$0")/../lib.sh"
setup_work

export CREST_RUNTIME_DIR=$WORK/rt CREST_NO_BOOT=1
mkdir -p -m 700 "$CREST_RUNTIME_DIR" || fail "cannot create $CREST_RUNTIME_DIR"
unset SLURM_JOB_ID SLURM_JOB_NODELIST CREST_RSH CREST_LAUNCHER
P=$(prog mpi_ckpt) || fail "test program mpi_ckpt does not build"
NP=4
# rounds for an uninterrupted run of about 2.5 s per mode
declare -A ROUNDS=([compute]=3 [block]=9 [anysrc]=10 [large]=5 [coll]=3 [ssend]=4 [split]=8 [traffic]=8)

# Waits until the job's NP ranks of mode $1 run.
wait_ranks() {
    local i
    for i in $(seq 200); do
        [ "$(pgrep -f -- "^$P $1 " | wc -l)" -ge $NP ] && return 0
        sleep 0.02
    done
}

# One mode: $1 label, $2 mode, then mpirun options.
one_mode() {
    local label=$1 mode=$2
    shift 2
    local rounds=${ROUNDS[$mode]} t0 secs try
    # long enough for three checkpoints however fast the machine is today
    for try in 1 2 3; do
        local args=("$mode" "$rounds" 32 60)
        t0=$(now_us)
        (cd "$WORK/run-cwd" && timeout -k 5 120 "$MPIRUN" -np $NP "$@" "$P" "${args[@]}" \
            >"$WORK/$label.ref" 2>"$WORK/$label.ref.err")
        [ $? = 0 ] || { show "$WORK/$label.ref.err"; fail_soft "$label: the uninterrupted run failed"; return; }
        secs=$(elapsed_since "$t0")
        awk -v s="$secs" 'BEGIN { exit !(s >= 2.0) }' && break
        rounds=$((rounds * 2))
    done
    SPAWN_OUT=$WORK/$label.out SPAWN_ERR=$WORK/$label.err SPAWN_DIR=$WORK/run-cwd \
        spawn "$MPIRUN" -np $NP --checkpoint-dir "$WORK/ck-$label" "$@" "$P" "${args[@]}"
    local mp=$SPAWN_PID i
    wait_ranks "$mode"
    local ok=0
    for i in 1 2; do
        sleep 0.25
        "$CREST" checkpoint "$mp" >/dev/null 2>"$WORK/$label.ck$i" && ok=$((ok + 1))
    done
    sleep 0.25
    "$CREST" checkpoint "$mp" --term >/dev/null 2>"$WORK/$label.ck3" && ok=$((ok + 1))
    wait_exit "$mp" 60 || { fail_soft "$label: mpirun did not end after --term"; return; }
    [ "$ok" = 3 ] && [ "$WAIT_RC" = 85 ] ||
        { show "$WORK/$label.ck1"; show "$WORK/$label.ck3"; show "$WORK/$label.err"
          fail_soft "$label: $ok of 3 checkpoints committed, mpirun exited $WAIT_RC (want 85)"; return; }
    (cd "$WORK/restart-cwd" && timeout -k 5 120 "$CREST" restart "$WORK/ck-$label/latest" \
        >"$WORK/$label.rs" 2>"$WORK/$label.rs.err")
    local rc=$?
    cat "$WORK/$label.out" "$WORK/$label.rs" | cmp -s - "$WORK/$label.ref" && [ $rc = 0 ] ||
        { show "$WORK/$label.rs.err"; show "$WORK/$label.rs"
          fail_soft "$label: restart exit $rc, or output (before + after) differs from the uninterrupted run"; return; }
    note "$label: 2 continues, --term at phase '$(tail -1 "$WORK/$label.out")', restarted: same output"
}

for mode in compute block anysrc large coll ssend split traffic; do
    one_mode "$mode" "$mode"
done
for mode in block large traffic; do
    one_mode "$mode-tcp" "$mode" -x CREST_MPI_TRANSPORT=tcp
done

# ---- 50 checkpoints in a row under traffic
args=(traffic 60 8 1)
(cd "$WORK/run-cwd" && timeout -k 5 120 "$MPIRUN" -np $NP "$P" "${args[@]}" >"$WORK/t50.ref" 2>"$WORK/t50.ref.err") ||
    { show "$WORK/t50.ref.err"; fail "the uninterrupted traffic run failed"; }
SPAWN_OUT=$WORK/t50.out SPAWN_ERR=$WORK/t50.err SPAWN_DIR=$WORK/run-cwd \
    spawn "$MPIRUN" -np $NP --checkpoint-dir "$WORK/ck-50" --keep 2 "$P" "${args[@]}"
mp=$SPAWN_PID
wait_ranks traffic
done50=0
for i in $(seq 50); do
    alive "$mp" || break
    "$CREST" checkpoint "$mp" >/dev/null 2>"$WORK/t50.ck" && done50=$((done50 + 1))
done
still=$(alive "$mp" && echo running || echo ended)
wait_exit "$mp" 120
cmp -s "$WORK/t50.out" "$WORK/t50.ref" && [ "$WAIT_RC" = 0 ] ||
    { show "$WORK/t50.err"; fail_soft "traffic under $done50 checkpoints: exit $WAIT_RC, or output differs"; }
[ "$done50" = 50 ] && [ "$still" = running ] ||
    { show "$WORK/t50.ck"; fail_soft "$done50 of 50 checkpoints committed (the job was $still after them; make it longer)"; }
note "traffic: $done50 checkpoints in a row, nothing lost, duplicated or reordered"
finish
