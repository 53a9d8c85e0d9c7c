#!/bin/bash
# checkpoint --term: when the command returns the process must be gone
# (killed by SIGKILL, after the image was safe); the images (one plain
# checkpoint at 15% of the uninterrupted run, the --term one at 40%) must
# restart correctly.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog threads) || fail "test program threads does not build"
make_expected "$P" 40000 10000
ckpt_restart_case --times "15% 40%" --term-last -- "$P" 40000 10000
finish
