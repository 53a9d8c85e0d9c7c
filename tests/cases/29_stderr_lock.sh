#!/bin/bash
# A thread holds stdio's lock on stderr nearly all the time, so checkpoints
# stop it holding the lock; each restart has something to warn about (a
# socketpair) and must do so without that lock, or it would hang.
. "$(dirname "$0")/../lib.sh"
T_RESTART=30
setup_work
P=$(prog stderr_lock) || fail "test program stderr_lock does not build"
make_expected "$P" 18000
ckpt_restart_case -- "$P" 18000
finish
