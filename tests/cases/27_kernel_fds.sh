#!/bin/bash
# eventfd (semaphore mode, its counter), timerfd (periodic), signalfd (its
# mask) and epoll (its watch and data) descriptors survive each restart and
# behave as before.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog kernel_fds) || fail "test program kernel_fds does not build"
make_expected "$P" 35
ckpt_restart_case -- "$P" 35
finish
