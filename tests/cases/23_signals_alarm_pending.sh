#!/bin/bash
# A checkpoint while an interval timer's SIGALRM is pending: the program
# blocks SIGALRM for its first 1000 work units (about 1-1.5 s), so the real
# timer expires once and (as the kernel does for ITIMER_REAL) is re-armed
# only when the pending SIGALRM is taken after the unblocking; getitimer
# meanwhile reads 0.
# Checkpoints at 0.2, 0.4, 0.6 s all fall in that window.  Each restarted
# run must get the pending SIGALRM and then a ticking timer again (else it
# never reaches its tick count and times out).
. "$(dirname "$0")/../lib.sh"
T_RESTART=20
setup_work
P=$(prog signals) || fail "test program signals does not build"
make_expected "$P" 2500 300 600 1000
ckpt_restart_case --times "0.2 0.4 0.6" -- "$P" 2500 300 600 1000
finish
