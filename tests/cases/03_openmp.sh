#!/bin/bash
# OpenMP: thousands of parallel regions (team of 4 on 2 cores) with integer
# reductions, dynamic and static schedules: checkpoints at 15%, 45%, 75% of
# the uninterrupted run, restart of each image, output compared (team size
# and thread numbers are part of the output).
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog openmp) || fail "test program openmp does not build"
make_expected "$P" 6000 20000
ckpt_restart_case -- "$P" 6000 20000
finish
