#!/bin/bash
# Files: a shared and a private file mapping, a file read sequentially, one
# written sequentially and one appended to, all at non-zero offsets and used
# throughout the run.  Checkpoints (--stop; the directory is copied, then the
# process continued) at 15%, 45%, 75% of the uninterrupted run; before
# restarting an image the directory is put back as it was at that
# checkpoint.  The output holds what was read, the offsets, and checksums of
# the files read back with read(): the shared mapping's stores must reach
# shared.dat, the private mapping's must not reach private.dat.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog files) || fail "test program files does not build"
mkdir -p "$WORK/expected-files" "$WORK/files"
make_expected "$P" "$WORK/expected-files" 4000
ckpt_restart_case --files "$WORK/files" -- "$P" "$WORK/files" 4000
finish
