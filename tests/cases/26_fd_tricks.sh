#!/bin/bash
# A program that closes every descriptor it did not open (close_range, then
# close() on 3..1099) and dup2s a file onto high numbers stays checkpointable
# (libcrest's descriptors are not taken from it), and after each restart its
# dups still share one offset.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog fdtricks) || fail "test program fdtricks does not build"
mkdir -p "$WORK/data"
make_expected "$P" "$WORK/data" 35
ckpt_restart_case -- "$P" "$WORK/data" 35
finish
