#!/bin/bash
# 1 GiB of dirty heap (malloc + pattern) rewritten in passes, plus 64 MiB of
# resident all-zero pages: checkpoints 1.5 s after start, then 1 s after the
# end of the previous one (writing 1 GiB takes a while, and the process is
# stopped meanwhile), restart of each image, checksum compared.  The all-zero pages must not be in the image.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog bigheap) || fail "test program bigheap does not build"
make_expected "$P" 1024 70
ckpt_restart_case --times "1.5 +1 +1" -- "$P" 1024 70
for img in "$WORK"/images/ckpt-*.img; do
    [ -f "$img" ] || continue
    size=$(stat -c %s "$img")
    # 1 GiB heap + program; the 64 MiB of zero pages would push it past 1 GiB + 48 MiB
    if [ "$size" -gt $(((1024 + 48) << 20)) ]; then
        fail_soft "$(basename "$img") is $size bytes: all-zero pages must not be saved"
    fi
done
finish
