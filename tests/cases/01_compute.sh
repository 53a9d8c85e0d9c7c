#!/bin/bash
# Single-threaded compute loop (integer hashing, floating point under a
# non-default rounding mode, 8 MiB heap table): checkpoints at 0.5, 1.5 and
# 2.5 s; the original must finish unchanged; each image restarted from
# another directory must print what the uninterrupted run printed.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog compute) || fail "test program compute does not build"
make_expected "$P" 1500
ckpt_restart_case -- "$P" 1500
finish
