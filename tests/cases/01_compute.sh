#!/bin/bash
# Single-threaded compute loop (integer hashing, floating point under a
# non-default rounding mode, 8 MiB heap table): checkpoints at 15%, 45% and
# 75% of the uninterrupted run's duration; the original must finish
# unchanged; each image, restarted from another directory, must print what
# the uninterrupted run printed.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog compute) || fail "test program compute does not build"
make_expected "$P" 2500
ckpt_restart_case -- "$P" 2500
finish
