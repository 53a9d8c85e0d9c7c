#!/bin/bash
# A job-wide checkpoint that goes wrong leaves what was committed before as
# it was, and never hangs.  The ranks (ckpt_hold) can hold a checkpoint
# off inside a libcrest critical section (SIGUSR2 to mpirun), so the
# failures below happen while one is under way:
#   - a rank killed (SIGKILL) mid-checkpoint: the asker gets one line naming
#     the rank, the job ends (exit 137, a line naming rank and signal), the
#     partial snapshot is gone, `latest` still names the first snapshot,
#     and a restart from it ends with the uninterrupted output;
#   - mpirun killed (SIGKILL) mid-checkpoint: the asker is told, every rank
#     is gone, `latest` unchanged;
#   - a critical section held longer than the checkpoint waits: refused
#     with a line saying so, the job goes on to the right output;
#   - `--stop`: the ranks stay stopped (state T) until SIGCONT to mpirun,
#     then finish with the uninterrupted output.
. "$(dirname "$0")/../lib.sh"
setup_work

export CREST_RUNTIME_DIR=$WORK/rt CREST_NO_BOOT=1
mkdir -p -m 700 "$CREST_RUNTIME_DIR" || fail "cannot create $CREST_RUNTIME_DIR"
unset SLURM_JOB_ID SLURM_JOB_NODELIST CREST_RSH CREST_LAUNCHER
P=$(prog ckpt_hold) || fail "test program ckpt_hold does not build"
ROUNDS=300
NP=2

make_expected "$P" $ROUNDS 0
for i in $(seq $NP); do cat "$WORK/expected.out"; done | sort >"$WORK/expected.job"

ranks() { pgrep -f -- "^$P $ROUNDS"; }

# Starts the job in the background: mpirun "$@" >$WORK/$LABEL.out; sets JOB_PID.
start_job() {
    SPAWN_OUT=$WORK/$LABEL.out SPAWN_ERR=$WORK/$LABEL.err SPAWN_DIR=$WORK/run-cwd spawn "$MPIRUN" "$@"
    JOB_PID=$SPAWN_PID
    local i=0
    while [ "$(ranks | wc -l)" -lt "$NP" ] && [ $i -lt 200 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    sleep 0.3
}

# Waits until every rank said it is inside its critical section.
wait_held() {
    local i=0
    while [ "$(grep -c 'in a critical section' "$WORK/$LABEL.out")" -lt "$NP" ] && [ $i -lt 200 ]; do
        sleep 0.05
        i=$((i + 1))
    done
}

no_ranks_left() {
    local i=0
    while [ -n "$(ranks)" ] && [ $i -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    [ -z "$(ranks)" ] || fail_soft "$1: ranks left: $(ranks | tr '\n' ' ')"
}

# ---- a rank killed during the checkpoint
LABEL=rankkill start_job -np $NP --checkpoint-dir "$WORK/ck" "$P" $ROUNDS 20
"$CREST" checkpoint "$JOB_PID" >/dev/null 2>"$WORK/first.err" || { show "$WORK/first.err"; fail "the first checkpoint failed"; }
kill -USR2 "$JOB_PID"
wait_held
"$CREST" checkpoint "$JOB_PID" >"$WORK/second.out" 2>"$WORK/second.err" &
asker=$!
sleep 1
[ -d "$WORK/ck/snapshot.000002.tmp" ] || fail_soft "no partial snapshot while the second checkpoint waits"
victim=$(ranks | tail -1)
kill -9 "$victim"
wait_exit "$JOB_PID" 20 || fail_soft "mpirun did not end after a rank was killed mid-checkpoint"
[ "$WAIT_RC" = 137 ] || { show "$WORK/rankkill.err"; fail_soft "mpirun exited $WAIT_RC, not 137"; }
grep -q 'killed by signal 9' "$WORK/rankkill.err" || { show "$WORK/rankkill.err"; fail_soft "no line naming the killed rank"; }
wait $asker
rc=$?
[ $rc = 1 ] && [ "$(wc -l <"$WORK/second.err")" = 1 ] ||
    { show "$WORK/second.err"; fail_soft "the asker of the failed checkpoint: exit $rc, want 1 and one line"; }
note "asker told: $(cat "$WORK/second.err")"
[ ! -e "$WORK/ck/snapshot.000002.tmp" ] && [ ! -e "$WORK/ck/snapshot.000002" ] ||
    fail_soft "the partial snapshot is still there: $(ls "$WORK/ck")"
[ "$(readlink "$WORK/ck/latest")" = snapshot.000001 ] || fail_soft "latest moved: $(readlink "$WORK/ck/latest")"
no_ranks_left "a rank killed"
(cd "$WORK/restart-cwd" && timeout -k 5 "$T_RESTART" "$CREST" restart "$WORK/ck/latest" \
    >"$WORK/restart.out" 2>"$WORK/restart.err")
rc=$?
# the restarted ranks go on from before the held section: their output is the whole run's
grep -v 'in a critical section' "$WORK/restart.out" | sort | cmp -s - "$WORK/expected.job" && [ $rc = 0 ] ||
    { show "$WORK/restart.err"; show "$WORK/restart.out"; fail_soft "restart from the surviving snapshot: exit $rc, or output differs"; }
note "a rank killed mid-checkpoint: previous snapshot intact and restartable"

# ---- mpirun killed during the checkpoint
LABEL=mpirunkill start_job -np $NP --checkpoint-dir "$WORK/ck2" "$P" $ROUNDS 20
"$CREST" checkpoint "$JOB_PID" >/dev/null 2>"$WORK/m1.err" || { show "$WORK/m1.err"; fail "checkpoint failed"; }
kill -USR2 "$JOB_PID"
wait_held
"$CREST" checkpoint "$JOB_PID" >/dev/null 2>"$WORK/m2.err" &
asker=$!
sleep 1
kill -9 "$JOB_PID"
wait $asker
rc=$?
[ $rc = 1 ] && grep -q 'ended before the snapshot was committed' "$WORK/m2.err" ||
    { show "$WORK/m2.err"; fail_soft "the asker when mpirun was killed: exit $rc"; }
no_ranks_left "mpirun killed"
[ "$(readlink "$WORK/ck2/latest")" = snapshot.000001 ] || fail_soft "latest moved: $(readlink "$WORK/ck2/latest")"
note "mpirun killed mid-checkpoint: latest unchanged, nothing left"

# ---- a critical section longer than the checkpoint waits (CREST_SECTION_TIMEOUT is 30 s)
LABEL=held start_job -np $NP --checkpoint-dir "$WORK/ck3" "$P" $ROUNDS 40
kill -USR2 "$JOB_PID"
wait_held
"$CREST" checkpoint "$JOB_PID" >/dev/null 2>"$WORK/h.err"
rc=$?
[ $rc = 1 ] && grep -q 'critical section' "$WORK/h.err" ||
    { show "$WORK/h.err"; fail_soft "a checkpoint held off too long: exit $rc, want 1 and a line about the critical section"; }
[ ! -e "$WORK/ck3/latest" ] && [ -z "$(ls "$WORK/ck3" 2>/dev/null)" ] || fail_soft "something was left in ck3: $(ls "$WORK/ck3")"
wait_exit "$JOB_PID" "$T_RUN"
grep -v 'in a critical section' "$WORK/held.out" | sort | cmp -s - "$WORK/expected.job" && [ "$WAIT_RC" = 0 ] ||
    { show "$WORK/held.err"; fail_soft "the job after a refused checkpoint: exit $WAIT_RC, or output differs"; }

# ---- --stop, then SIGCONT to mpirun
LABEL=stop start_job -np $NP --checkpoint-dir "$WORK/ck4" "$P" $ROUNDS 0
"$CREST" checkpoint "$JOB_PID" --stop >/dev/null 2>"$WORK/s.err" || { show "$WORK/s.err"; fail_soft "checkpoint --stop failed"; }
sleep 0.5
for p in $(ranks); do
    [ "$(proc_state "$p")" = T ] || fail_soft "rank pid $p is not stopped after --stop (state $(proc_state "$p"))"
done
kill -CONT "$JOB_PID"
wait_exit "$JOB_PID" "$T_RUN"
sort "$WORK/stop.out" | cmp -s - "$WORK/expected.job" && [ "$WAIT_RC" = 0 ] ||
    { show "$WORK/stop.err"; fail_soft "after --stop and SIGCONT: exit $WAIT_RC, or output differs"; }
finish
