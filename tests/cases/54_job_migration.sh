#!/bin/bash
# Migration between hosts (network namespaces with their own addresses and
# sshd): an MPI job of 4 ranks on hosts A and B, checkpointed and ended in
# the middle of its work, is restarted on hosts C and D — other addresses,
# so every TCP channel is rebuilt to the new ones — and ends with exactly
# the output of an uninterrupted run; while it runs there, its ranks are
# seen in C's and D's namespaces and none in A's or B's.  An 8-rank job on
# 4 hosts is restarted onto 2 (-H, packed by slots), and again onto 2 with
# an application schema that interleaves the ranks.  Killing a host's
# daemon while a checkpoint is under way ends the job with one line, and
# `latest` stays on the snapshot before.
. "$(dirname "$0")/../lib.sh"
. "$TESTS_DIR/netns.sh"
setup_work
netns_require 4

P=$(prog mpi_ckpt) || fail "test program mpi_ckpt does not build"
H=$(prog ckpt_hold) || fail "test program ckpt_hold does not build"
netns_setup 4
netns_sshd_start
export CREST_RUNTIME_DIR=$WORK/rt CREST_NO_BOOT=1
mkdir -p -m 700 "$CREST_RUNTIME_DIR"
A=("${NETNS_ADDRS[@]}")
ARGS=(all 2 16 40)

# The reference: one uninterrupted run (its output depends on the data only).
(cd "$WORK/run-cwd" && timeout -k 5 120 "$MPIRUN" -np 4 "$P" "${ARGS[@]}" >"$WORK/ref4.out" 2>"$WORK/ref4.err") ||
    { show "$WORK/ref4.err"; fail "the uninterrupted 4-rank run failed"; }
(cd "$WORK/run-cwd" && timeout -k 5 120 "$MPIRUN" -np 8 "$P" "${ARGS[@]}" >"$WORK/ref8.out" 2>"$WORK/ref8.err") ||
    { show "$WORK/ref8.err"; fail "the uninterrupted 8-rank run failed"; }

# Ranks of the program running in host K's namespace.
ranks_on() {
    local p
    for p in $(ip netns pids "${NETNS_NAMES[$1]}" 2>/dev/null); do
        tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "^$P " && echo "$p"
    done
}

# Starts mpirun "$@" in the background (output $WORK/$LABEL.*) and waits
# until the job is well into its work; sets JOB_PID.
start_job() {
    SPAWN_OUT=$WORK/$LABEL.out SPAWN_ERR=$WORK/$LABEL.err SPAWN_DIR=$WORK/run-cwd spawn "$MPIRUN" "$@"
    JOB_PID=$SPAWN_PID
    local i=0
    while ! grep -q '^phase block' "$WORK/$LABEL.out" 2>/dev/null && [ $i -lt 400 ]; do
        alive "$JOB_PID" || break
        sleep 0.05
        i=$((i + 1))
    done
}

# Restarts snapshot $1 with mpirun options "${@:2}" in the background; the
# original's output ($WORK/$LABEL.out) and the restart's together must be
# the reference $REF.  Expects ranks on hosts $ON (indexes) only.
restart_and_check() {
    local snap=$1 label=$LABEL-restart
    shift
    SPAWN_OUT=$WORK/$label.out SPAWN_ERR=$WORK/$label.err SPAWN_DIR=$WORK/restart-cwd spawn "$CREST" restart "$snap" "$@"
    local pid=$SPAWN_PID i=0 seen="" k
    while alive "$pid" && [ $i -lt 200 ]; do
        for k in 0 1 2 3; do
            [ -n "$(ranks_on $k)" ] && [[ " $seen " != *" $k "* ]] && seen="$seen $k"
        done
        sleep 0.05
        i=$((i + 1))
    done
    wait_exit "$pid" 120 || fail_soft "$label: the restarted job did not end"
    [ "$WAIT_RC" = 0 ] || { show "$WORK/$label.err"; fail_soft "$label: the restarted job exited $WAIT_RC"; }
    cat "$WORK/$LABEL.out" "$WORK/$label.out" | cmp -s - "$REF" ||
        { show "$WORK/$label.out"; show "$WORK/$label.err"; fail_soft "$label: output differs from the uninterrupted run"; }
    seen=$(echo $seen | tr ' ' '\n' | sort | tr '\n' ' ')
    [ "$seen" = "$ON " ] || fail_soft "$label: ranks seen on hosts '$seen', want '$ON '"
    note "$label: ranks ran on hosts $seen"
}

# ---- A,B -> C,D
LABEL=ab start_job -np 4 -H "${A[0]}:2,${A[1]}:2" --checkpoint-dir "$WORK/ck-ab" "$P" "${ARGS[@]}"
"$CREST" checkpoint "$JOB_PID" --term >/dev/null 2>"$WORK/ab-ck.err" || { show "$WORK/ab-ck.err"; fail "checkpoint on A,B failed"; }
wait_exit "$JOB_PID" 30
[ "$WAIT_RC" = 85 ] || { show "$WORK/ab.err"; fail_soft "mpirun exited $WAIT_RC after --term"; }
grep -q "host " "$WORK/ck-ab/latest/manifest" || fail_soft "no hosts in the manifest"
REF=$WORK/ref4.out ON="2 3" LABEL=ab restart_and_check "$WORK/ck-ab/latest" -H "${A[2]}:2,${A[3]}:2"

# ---- 8 ranks on 4 hosts -> 2 hosts, packed by slots
LABEL=four start_job -np 8 -H "${A[0]}:2,${A[1]}:2,${A[2]}:2,${A[3]}:2" --checkpoint-dir "$WORK/ck-4" "$P" "${ARGS[@]}"
"$CREST" checkpoint "$JOB_PID" --term >/dev/null 2>"$WORK/four-ck.err" || { show "$WORK/four-ck.err"; fail "checkpoint on 4 hosts failed"; }
wait_exit "$JOB_PID" 30
REF=$WORK/ref8.out ON="0 1" LABEL=four restart_and_check "$WORK/ck-4/latest" -H "${A[0]}:4,${A[1]}:4"

# ---- the same snapshot onto 2 other hosts by an application schema
cat >"$WORK/schema" <<EOF
# host      ranks
${A[2]}     0,2,4,6
${A[3]}     1, 3, 5-5, 7
EOF
REF=$WORK/ref8.out ON="2 3" LABEL=four restart_and_check "$WORK/ck-4/latest" --schema "$WORK/schema"

# ---- a host's daemon killed during a checkpoint
LABEL=lost SPAWN_OUT=$WORK/lost.out SPAWN_ERR=$WORK/lost.err spawn "$MPIRUN" -np 2 -H "${A[0]}:1,${A[1]}:1" \
    --checkpoint-dir "$WORK/ck-lost" "$H" 3000 30
mp=$SPAWN_PID
for i in $(seq 100); do [ "$(grep -c started "$WORK/lost.err")" = 2 ] && break; sleep 0.05; done
"$CREST" checkpoint "$mp" >/dev/null 2>"$WORK/lost1.err" || { show "$WORK/lost1.err"; fail_soft "first checkpoint failed"; }
kill -USR2 "$mp"
for i in $(seq 100); do [ "$(grep -c 'critical section' "$WORK/lost.out")" = 2 ] && break; sleep 0.05; done
"$CREST" checkpoint "$mp" >/dev/null 2>"$WORK/lost2.err" &
asker=$!
sleep 1
d=$(for p in $(ip netns pids "${NETNS_NAMES[1]}"); do tr '\0' ' ' </proc/$p/cmdline | grep -q '^[^ ]*crestd' && echo $p; done)
[ -n "$d" ] || fail_soft "no crestd found on host 1"
kill -9 $d
wait_exit "$mp" 30 || fail_soft "mpirun did not end after a daemon was lost"
[ "$WAIT_RC" != 0 ] && grep -q "${A[1]}" "$WORK/lost.err" ||
    { show "$WORK/lost.err"; fail_soft "a lost daemon: exit $WAIT_RC, want non-zero and a line naming host ${A[1]}"; }
wait $asker
[ $? = 1 ] || { show "$WORK/lost2.err"; fail_soft "the asker did not fail"; }
[ "$(readlink "$WORK/ck-lost/latest")" = snapshot.000001 ] && [ ! -e "$WORK/ck-lost/snapshot.000002" ] ||
    fail_soft "after a lost daemon: $(ls "$WORK/ck-lost")"
finish
