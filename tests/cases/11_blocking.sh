#!/bin/bash
# Threads blocked in nanosleep, poll (with and without timeout),
# pthread_cond_timedwait and pthread_cond_wait most of the time: checkpoints
# at 15%, 45%, 75% of the uninterrupted run find them inside those calls;
# every timeout must still expire as a timeout after the restart, every
# wake-up must arrive.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog blocking) || fail "test program blocking does not build"
make_expected "$P" 600
ckpt_restart_case -- "$P" 600
finish
