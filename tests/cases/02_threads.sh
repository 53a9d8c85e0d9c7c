#!/bin/bash
# 8 pthreads (4 producers, 4 consumers) around a bounded queue with a mutex
# and two condition variables, main thread in pthread_join: checkpoints at
# 15%, 45%, 75% of the uninterrupted run, restart of each image, output
# compared.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog threads) || fail "test program threads does not build"
make_expected "$P" 40000 10000
ckpt_restart_case -- "$P" 40000 10000
finish
