#!/bin/bash
# glibc thread-id paths: threads blocked (condition, barrier, nanosleep)
# across the checkpoint, a recursive and an error-checking mutex HELD across
# it; after the trigger (3.5 s after start) mutex return codes, pthread_kill,
# raise, barrier, pthread_join of every thread, pthread_self/pthread_equal,
# sched_getcpu (rseq) and a thread created after the restart are checked.
# Checkpoints at 15%, 45%, 75% of the uninterrupted run (all before the
# trigger); each restarted run must print every "ok".
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog tids) || fail "test program tids does not build"
make_expected "$P" 3.5
[ "$(cat "$WORK/expected.rc")" = 0 ] || fail "uninterrupted run of tids failed: $(cat "$WORK/expected.err")"
ckpt_restart_case -- "$P" 3.5
finish
