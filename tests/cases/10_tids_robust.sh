#!/bin/bash
# As 09_tids, plus robust mutexes: one held across the checkpoint by a thread
# that exits holding it after the restart, one locked by a thread created
# after the restart that exits holding it.  The next locker must get
# EOWNERDEAD both times (the kernel matches the futex word against the
# thread id of the exiting thread).
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog tids) || fail "test program tids does not build"
make_expected "$P" 3.5 robust
[ "$(cat "$WORK/expected.rc")" = 0 ] || fail "uninterrupted run of tids failed: $(cat "$WORK/expected.err")"
ckpt_restart_case -- "$P" 3.5 robust
finish
