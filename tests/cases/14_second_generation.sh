#!/bin/bash
# Second generation: the threads program is checkpointed at 1 s and killed;
# its image is restarted, the restarted process is checkpointed 1 s later
# and killed; that second image must restart and finish with the output of
# the uninterrupted run.  The first image must still restart correctly after
# having been used.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog threads) || fail "test program threads does not build"
make_expected "$P" 40000 10000
second_generation 1.0 1.0 -- "$P" 40000 10000
finish
