#!/bin/bash
# Signals: ITIMER_REAL (SIGALRM) and ITIMER_PROF (SIGPROF) ticking across the
# checkpoint until fixed counts, SIGUSR1 sent with raise() and kill() to a
# SA_SIGINFO handler on an alternate stack, SIGUSR2 blocked and pending for
# the whole run.  Checkpoints at 15%, 45%, 75% of the uninterrupted run,
# restart of each image.  A timer that is not re-armed makes the restarted
# run hang (and fail; the program then says on stderr which count is stuck).
. "$(dirname "$0")/../lib.sh"
T_RESTART=30 # a restarted run whose timer is not re-armed hangs: fail sooner
setup_work
P=$(prog signals) || fail "test program signals does not build"
make_expected "$P" 2500 450 600
ckpt_restart_case -- "$P" 2500 450 600
finish
