#!/usr/bin/env bash
# run_all.sh — every benchmark, one after the other, with their output also
# written to OUT (default: bench-results.txt in the current directory).
#
# usage: bench/run_all.sh [DIR [OUT]]
#   DIR  work directory for all benchmarks (default: $TMPDIR, else /tmp)
# The environment variables of each script (MIB, ROUNDS, ...) pass through.
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=${2:-bench-results.txt}
: >"$out" || exit 1
rc=0
for b in checkpoint_vs_dd image_size restart_vs_read overhead launch; do
    bash "$here/$b.sh" ${1:+"$1"} 2>&1 | tee -a "$out"
    [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
    echo | tee -a "$out"
done
exit $rc
