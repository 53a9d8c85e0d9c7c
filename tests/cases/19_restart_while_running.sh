#!/bin/bash
# Restarting an image while the process it was taken from still runs is
# refused (exit status non-zero, one line on stderr, no process left), and
# the running original is not disturbed: it finishes with the right output.
# Once the original has ended, the same image restarts fine.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog compute) || fail "test program compute does not build"
make_expected "$P" 1500
start_crest_run "$P" 1500
pid=$RUN_PID
sleep_until "$RUN_T0" 0.5
checkpoint "$pid" "$WORK/images/live.img" || fail "checkpoint failed"
alive "$pid" || fail "the original ended too early"
REFUSAL_CWD=$WORK/restart-cwd expect_refusal restart-while-running "$CREST" restart "$WORK/images/live.img"
alive "$pid" || fail_soft "the original is gone after the refused restart"
if wait_exit "$pid" "$T_RUN"; then
    compare_output original "$WAIT_RC"
else
    fail_soft "the original did not finish"
fi
restart_and_compare "$WORK/images/live.img" restart-after-end
finish
