#!/bin/bash
# Job-wide checkpoints driven by mpirun, on a job of plain (non-MPI)
# programs, so that only the runtime's part is tested here: `crest
# checkpoint MPIRUN_PID` and `crest checkpoint JOB_ID` (continue) leave the
# job's output unchanged and commit a snapshot whose manifest names every
# rank; `--term` ends the job with exit 85 and `crest restart SNAPSHOT`
# finishes it with the uninterrupted output, twice from the same snapshot;
# the same restart inside a `crest boot` (then `crest halt`); SIGUSR1 to
# mpirun takes one; --checkpoint-interval with --keep 2 leaves
# exactly two snapshots and `latest` on the newest; --checkpoint-on-term
# turns SIGTERM into a snapshot and exit 85, and `mpirun --resume DIR`
# then finishes the job (and starts it fresh when DIR has no snapshot);
# two checkpoints asked at once are both taken, one after the other; a
# restart is refused with one line when -np differs from the image count,
# an image is missing or truncated, or the manifest's format is unknown,
# and nothing is left running.
. "$(dirname "$0")/../lib.sh"
setup_work

export CREST_RUNTIME_DIR=$WORK/rt CREST_NO_BOOT=1
mkdir -p -m 700 "$CREST_RUNTIME_DIR" || fail "cannot create $CREST_RUNTIME_DIR"
unset SLURM_JOB_ID SLURM_JOB_NODELIST CREST_RSH CREST_LAUNCHER
P=$(prog compute) || fail "test program compute does not build"
ROUNDS=400
NP=3

make_expected "$P" $ROUNDS
for i in $(seq $NP); do cat "$WORK/expected.out"; done | sort >"$WORK/expected.job"

# $1: output file of a job; its lines (in any rank order) must be the
# uninterrupted run's, once per rank.
same_as_uninterrupted() {
    sort "$1" | cmp -s - "$WORK/expected.job"
}

# Starts the job in the background: mpirun "$@" >$WORK/$LABEL.out; sets JOB_PID.
start_job() {
    SPAWN_OUT=$WORK/$LABEL.out SPAWN_ERR=$WORK/$LABEL.err SPAWN_DIR=$WORK/run-cwd spawn "$MPIRUN" "$@"
    JOB_PID=$SPAWN_PID
    # checkpointable once every rank runs its program
    local i=0
    while [ "$(pgrep -f -- "^$P $ROUNDS" | wc -l)" -lt "$NP" ] && [ $i -lt 200 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    sleep 0.3
}

# ---- crest checkpoint MPIRUN_PID and JOB_ID, continue
LABEL=cont start_job -np $NP --checkpoint-dir "$WORK/ck-cont" "$P" $ROUNDS
"$CREST" checkpoint "$JOB_PID" >"$WORK/ck1.out" 2>"$WORK/ck1.err" || { show "$WORK/ck1.err"; fail_soft "crest checkpoint MPIRUN_PID failed"; }
snap1=$(cat "$WORK/ck1.out")
[ "$snap1" = "$WORK/ck-cont/snapshot.000001" ] || fail_soft "crest checkpoint printed '$snap1', not the snapshot's path"
grep -q "committed: $NP ranks" "$WORK/ck1.err" || { show "$WORK/ck1.err"; fail_soft "no summary line"; }
jobid=$("$CREST" ps | awk -v p="$JOB_PID" '$2 == p { print $1 }')
[ -n "$jobid" ] || fail_soft "crest ps does not show the job of mpirun $JOB_PID"
"$CREST" checkpoint "$jobid" >"$WORK/ck2.out" 2>"$WORK/ck2.err" || { show "$WORK/ck2.err"; fail_soft "crest checkpoint JOB_ID ($jobid) failed"; }
[ "$(readlink "$WORK/ck-cont/latest")" = snapshot.000002 ] || fail_soft "latest does not point at the second snapshot"
wait_exit "$JOB_PID" "$T_RUN" || fail_soft "the checkpointed job did not end"
[ "$WAIT_RC" = 0 ] || { show "$WORK/cont.err"; fail_soft "the checkpointed job exited $WAIT_RC"; }
same_as_uninterrupted "$WORK/cont.out" || { show "$WORK/cont.out"; fail_soft "output after two checkpoints differs from an uninterrupted run"; }
m=$WORK/ck-cont/snapshot.000001/manifest
[ "$(awk '$1 == "nranks" { print $2 }' "$m")" = $NP ] || { show "$m"; fail_soft "manifest does not hold $NP ranks"; }
for r in $(seq 0 $((NP - 1))); do
    grep -q "^rank $r .*image rank-0000$r.img" "$m" || fail_soft "manifest has no line for rank $r"
    [ -s "$WORK/ck-cont/snapshot.000001/rank-0000$r.img" ] || fail_soft "image of rank $r missing"
done
note "continue: 2 snapshots, output unchanged"

# ---- --term, then restart twice from the same snapshot
LABEL=term start_job -np $NP --checkpoint-dir "$WORK/ck-term" "$P" $ROUNDS
"$CREST" checkpoint "$JOB_PID" --term >"$WORK/ck3.out" 2>"$WORK/ck3.err" || { show "$WORK/ck3.err"; fail_soft "crest checkpoint --term failed"; }
wait_exit "$JOB_PID" 20 || fail_soft "mpirun did not end after --term"
[ "$WAIT_RC" = 85 ] || { show "$WORK/term.err"; fail_soft "mpirun exited $WAIT_RC after --term, not 85"; }
grep -q '^mpirun' "$WORK/term.err" && { show "$WORK/term.err"; fail_soft "mpirun printed something on a checkpoint-and-end"; }
[ "$(pgrep -f -- "^$P $ROUNDS" | wc -l)" = 0 ] || fail_soft "ranks left after --term"
for n in 1 2; do
    (cd "$WORK/restart-cwd" && timeout -k 5 "$T_RESTART" "$CREST" restart "$WORK/ck-term/latest" \
        >"$WORK/restart$n.out" 2>"$WORK/restart$n.err")
    rc=$?
    cat "$WORK/term.out" "$WORK/restart$n.out" >"$WORK/joined$n.out"
    [ $rc -eq 0 ] && same_as_uninterrupted "$WORK/joined$n.out" ||
        { show "$WORK/restart$n.err"; fail_soft "restart $n from the --term snapshot: exit $rc, or output differs"; }
done
note "--term and two restarts: done"

# ---- the seed's lamboot / mpirestart / lamhalt: crest boot, crest restart, crest halt
printf 'localhost slots=4\n' >"$WORK/hostfile"
(unset CREST_NO_BOOT; "$CREST" boot "$WORK/hostfile" >"$WORK/boot.out" 2>&1) || { show "$WORK/boot.out"; fail_soft "crest boot failed"; }
(unset CREST_NO_BOOT; cd "$WORK/restart-cwd" && timeout -k 5 "$T_RESTART" "$CREST" restart "$WORK/ck-term/latest" \
    >"$WORK/booted.out" 2>"$WORK/booted.err")
rc=$?
cat "$WORK/term.out" "$WORK/booted.out" >"$WORK/joined-booted.out"
[ $rc -eq 0 ] && same_as_uninterrupted "$WORK/joined-booted.out" ||
    { show "$WORK/booted.err"; fail_soft "restart inside a boot: exit $rc, or output differs"; }
(unset CREST_NO_BOOT; "$CREST" halt >"$WORK/halt.out" 2>&1) || { show "$WORK/halt.out"; fail_soft "crest halt failed"; }
note "crest boot, crest restart, crest halt: done"

# ---- SIGUSR1, interval with --keep 2
LABEL=periodic start_job -np $NP --checkpoint-dir "$WORK/ck-per" --checkpoint-interval 400ms --keep 2 "$P" $ROUNDS
kill -USR1 "$JOB_PID"
wait_exit "$JOB_PID" "$T_RUN" || fail_soft "the periodically checkpointed job did not end"
[ "$WAIT_RC" = 0 ] && same_as_uninterrupted "$WORK/periodic.out" ||
    { show "$WORK/periodic.err"; fail_soft "periodic checkpoints: exit $WAIT_RC, or output differs"; }
n=$(grep -c 'committed' "$WORK/periodic.err")
grep -q 'asked by signal USR1' "$WORK/periodic.err" || fail_soft "SIGUSR1 took no snapshot"
kept=$(ls -d "$WORK"/ck-per/snapshot.* 2>/dev/null | wc -l)
newest=$(ls -d "$WORK"/ck-per/snapshot.* | tail -1)
[ "$n" -ge 3 ] && [ "$kept" = 2 ] && [ "$(readlink "$WORK/ck-per/latest")" = "$(basename "$newest")" ] ||
    { ls -la "$WORK/ck-per"; fail_soft "$n snapshots taken, $kept kept (want >= 3 and 2), latest $(readlink "$WORK/ck-per/latest")"; }
note "periodic: $n snapshots taken, $kept kept"

# ---- two at once: both taken, one after the other
LABEL=twice start_job -np $NP --checkpoint-dir "$WORK/ck-twice" "$P" $ROUNDS
"$CREST" checkpoint "$JOB_PID" >"$WORK/a.out" 2>"$WORK/a.err" &
a=$!
"$CREST" checkpoint "$JOB_PID" >"$WORK/b.out" 2>"$WORK/b.err" &
b=$!
wait $a; ra=$?
wait $b; rb=$?
[ $ra = 0 ] && [ $rb = 0 ] && [ "$(cat "$WORK/a.out" "$WORK/b.out" | sort -u | wc -l)" = 2 ] ||
    { show "$WORK/a.err"; show "$WORK/b.err"; fail_soft "two checkpoints asked at once: exits $ra $rb"; }
wait_exit "$JOB_PID" "$T_RUN"
same_as_uninterrupted "$WORK/twice.out" || fail_soft "output after two simultaneous checkpoints differs"

# ---- --checkpoint-on-term and --resume
(cd "$WORK/run-cwd" && timeout -k 5 "$T_RUN" "$MPIRUN" -np $NP --resume "$WORK/ck-res" "$P" 30 \
    >"$WORK/fresh.out" 2>"$WORK/fresh.err")
rc=$?
[ $rc = 0 ] && [ ! -e "$WORK/ck-res/latest" ] || { show "$WORK/fresh.err"; fail_soft "--resume of an empty directory: exit $rc"; }
LABEL=preempt start_job -np $NP --resume "$WORK/ck-res2" --checkpoint-on-term "$P" $ROUNDS
kill -TERM "$JOB_PID"
wait_exit "$JOB_PID" 30
[ "$WAIT_RC" = 85 ] && [ -e "$WORK/ck-res2/latest/manifest" ] ||
    { show "$WORK/preempt.err"; fail_soft "--checkpoint-on-term: exit $WAIT_RC (want 85) or no snapshot"; }
(cd "$WORK/run-cwd" && timeout -k 5 "$T_RUN" "$MPIRUN" -np $NP --resume "$WORK/ck-res2" "$P" $ROUNDS \
    >"$WORK/resumed.out" 2>"$WORK/resumed.err")
rc=$?
cat "$WORK/preempt.out" "$WORK/resumed.out" >"$WORK/preempt-all.out"
[ $rc = 0 ] && same_as_uninterrupted "$WORK/preempt-all.out" && grep -q 'resuming from' "$WORK/resumed.err" ||
    { show "$WORK/resumed.err"; fail_soft "--resume after preemption: exit $rc, or output differs"; }
note "preempted and resumed"

# ---- refusals, each one line, nothing left behind
snap=$(readlink -f "$WORK/ck-term/latest")
expect_refusal np-mismatch "$MPIRUN" -np 2 --restart "$snap"
grep -q "holds the images of $NP ranks" <<<"$REFUSAL_ERR" || fail_soft "np mismatch: '$REFUSAL_ERR'"
cp -r "$snap" "$WORK/bad-missing"
rm "$WORK/bad-missing/rank-00001.img"
expect_refusal missing-image "$CREST" restart "$WORK/bad-missing"
grep -q "rank-00001.img" <<<"$REFUSAL_ERR" || fail_soft "missing image: '$REFUSAL_ERR'"
cp -r "$snap" "$WORK/bad-trunc"
truncate -s 100000 "$WORK/bad-trunc/rank-00002.img"
expect_refusal truncated-image "$CREST" restart "$WORK/bad-trunc"
grep -q "rank-00002.img" <<<"$REFUSAL_ERR" || fail_soft "truncated image: '$REFUSAL_ERR'"
cp -r "$snap" "$WORK/bad-format"
sed -i 's/^format .*/format 99/' "$WORK/bad-format/manifest"
expect_refusal unknown-format "$CREST" restart "$WORK/bad-format"
grep -qi "format" <<<"$REFUSAL_ERR" || fail_soft "unknown format: '$REFUSAL_ERR'"
[ "$(pgrep -f -- "^$P $ROUNDS" | wc -l)" = 0 ] || fail_soft "ranks left at the end"
finish
