#!/bin/bash
# 4 GiB MAP_NORESERVE and 4 GiB PROT_NONE reservations with 64 MiB touched
# in scattered chunks (part of it made read-write by mprotect): checkpoints
# at 15%, 45%, 75% of the uninterrupted run, restart of each image.  The
# output includes the data checksum, a check that untouched pages read as
# zero and the layout of the PROT_NONE reservation from /proc/self/maps.
# The images must stay small: untouched pages are not saved.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog bigreserve) || fail "test program bigreserve does not build"
make_expected "$P" 750
ckpt_restart_case -- "$P" 750
for img in "$WORK"/images/ckpt-*.img; do
    [ -f "$img" ] || continue
    size=$(stat -c %s "$img")
    # 64 MiB of data + program and libraries; 256 MiB means untouched pages were saved
    if [ "$size" -gt $((256 << 20)) ]; then
        fail_soft "$(basename "$img") is $size bytes: untouched reserved pages must not be saved"
    fi
done
finish
