#!/bin/bash
# 1 GiB of dirty heap (malloc + pattern) rewritten in passes, plus 64 MiB of
# resident all-zero pages: checkpoints requested 1.5, 5.5 and 9.5 s after
# start (each takes a few seconds, with the process stopped meanwhile, so the
# program advances about 1.5, 1 and 1 s between them), restart of each
# image, checksum compared.  The all-zero pages must not be in the image.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog bigheap) || fail "test program bigheap does not build"
make_expected "$P" 1024 60
ckpt_restart_case --times "1.5 5.5 9.5" -- "$P" 1024 60
for img in "$WORK"/images/ckpt-*.img; do
    [ -f "$img" ] || continue
    size=$(stat -c %s "$img")
    # 1 GiB heap + program; the 64 MiB of zero pages would push it past 1 GiB + 48 MiB
    if [ "$size" -gt $(((1024 + 48) << 20)) ]; then
        fail_soft "$(basename "$img") is $size bytes: all-zero pages must not be saved"
    fi
done
finish
