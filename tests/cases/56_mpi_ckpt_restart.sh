#!/bin/bash
# The MPI job of tests/programs/mpi_ckpt.c checkpointed as a whole (`crest
# checkpoint MPIRUN_PID --term`) at some instant of its work, then brought
# back with `crest restart SNAPSHOT` on this host: the ranks have new
# process ids and a new runtime, the MPI library reconnects its channels
# (shared memory or TCP) and re-sends what the drain held back, and what
# the original printed followed by what the restart printed is exactly the
# output of an uninterrupted run.  The restarted job is checkpointed and
# ended again and restarted once more from the second snapshot.  At 2
# ranks over shared memory and 8 over TCP (tests/cases/55 covers every
# state of the library at 4 ranks).
. "$(dirname "$0")/../lib.sh"
setup_work
require_crest
P=$(prog mpi_ckpt) || fail "test program mpi_ckpt does not build"
export CREST_RUNTIME_DIR=$WORK/rt CREST_NO_BOOT=1
mkdir -p -m 700 "$CREST_RUNTIME_DIR"
unset SLURM_JOB_ID SLURM_JOB_NODELIST CREST_RSH CREST_LAUNCHER

# Runs "$@" in the background (output $WORK/$1.out/.err, the rest is the
# command), waits $2 seconds, ends it with a committed snapshot; prints
# the snapshot's path.  Returns non-zero when no snapshot was taken.
run_and_term() {
    local label=$1 wait=$2 pid snap
    shift 2
    SPAWN_OUT=$WORK/$label.out SPAWN_ERR=$WORK/$label.err SPAWN_DIR=$WORK/run-cwd spawn "$@"
    pid=$SPAWN_PID
    sleep "$wait"
    snap=$(timeout -k 5 "$T_CKPT" "$CREST" checkpoint "$pid" --term 2>"$WORK/$label.ckpt.err") ||
        { show "$WORK/$label.ckpt.err"; wait_exit "$pid" "$T_RUN"; return 1; }
    wait_exit "$pid" "$T_RUN"
    [ "$WAIT_RC" = 85 ] || { show "$WORK/$label.err"; echo "exit $WAIT_RC after --term, not 85" >&2; return 1; }
    echo "$snap"
}

for cfg in "2" "8 tcp"; do
    set -- $cfg
    n=$1
    extra=()
    [ "${2:-}" = tcp ] && extra=(-x CREST_MPI_TRANSPORT=tcp)
    label=$n${2:+-$2}
    case $n in
    2) args=(all 1 64 60) ;;
    4) args=(all 1 32 40) ;;
    *) args=(all 1 16 20) ;;
    esac
    t0=$(now_us)
    (cd "$WORK/run-cwd" && timeout -k 5 "$T_RUN" "$MPIRUN" -np "$n" "${extra[@]}" "$P" "${args[@]}" \
        >"$WORK/$label.expected" 2>"$WORK/$label.experr")
    rc=$?
    secs=$(elapsed_since "$t0")
    if [ $rc -ne 0 ] || ! grep -qx "mpi_ckpt ok" "$WORK/$label.expected"; then
        show "$WORK/$label.experr"
        fail_soft "$label: uninterrupted run: exit $(describe_rc $rc)"
        continue
    fi
    w1=$(awk -v s="$secs" 'BEGIN { printf "%.2f", s * 0.3 }')
    snap1=$(run_and_term "$label.a" "$w1" "$MPIRUN" -np "$n" "${extra[@]}" --checkpoint-dir "$WORK/ck-$label" \
        "$P" "${args[@]}") || { fail_soft "$label: the first checkpoint (--term) failed"; continue; }
    # the restarted job: checkpointed and ended again a little later
    snap2=$(run_and_term "$label.b" "$w1" "$CREST" restart "$snap1") ||
        { show "$WORK/$label.b.err"; fail_soft "$label: the restarted job could not be checkpointed again"; continue; }
    SPAWN_OUT=$WORK/$label.c.out SPAWN_ERR=$WORK/$label.c.err SPAWN_DIR=$WORK/restart-cwd \
        spawn "$CREST" restart "$snap2"
    wait_exit "$SPAWN_PID" "$T_RESTART"
    rc=$WAIT_RC
    cat "$WORK/$label.a.out" "$WORK/$label.b.out" "$WORK/$label.c.out" >"$WORK/$label.all"
    if [ "$rc" -ne 0 ] || ! cmp -s "$WORK/$label.all" "$WORK/$label.expected"; then
        diff "$WORK/$label.expected" "$WORK/$label.all" | head -20 | sed 's/^/  | /'
        show "$WORK/$label.c.err"
        fail_soft "$label: after two restarts: exit $(describe_rc "$rc"), output differs from the uninterrupted run"
        continue
    fi
    note "$label: ended and restarted twice, output identical (uninterrupted ${secs}s)"
done
finish
