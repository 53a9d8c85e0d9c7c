#!/bin/bash
# Pending signals: one pending for a worker thread alone, one for the main
# thread alone, one for the process, all blocked across checkpoints at 0.5,
# 1.5 and 2.5 s; each must be delivered once, to the right thread, after
# every restart.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog pending) || fail "test program pending does not build"
make_expected "$P" 35
ckpt_restart_case -- "$P" 35
finish
