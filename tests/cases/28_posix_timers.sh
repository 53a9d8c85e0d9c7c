#!/bin/bash
# POSIX timers (timer_create): one signalling the process with a value, one
# signalling one thread alone (SIGEV_THREAD_ID), both periodic; after each
# restart both tick again under the ids the program holds, with the same
# value, to the same (renumbered) thread. A lost timer makes the run hang.
. "$(dirname "$0")/../lib.sh"
T_RESTART=30
setup_work
P=$(prog posix_timers) || fail "test program posix_timers does not build"
make_expected "$P" 90
ckpt_restart_case -- "$P" 90
finish
