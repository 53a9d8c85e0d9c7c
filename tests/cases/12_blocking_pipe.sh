#!/bin/bash
# As 11_blocking, but the process polls its own pipes: a helper is blocked in
# poll() on a pipe the main thread writes to, and the main thread polls an
# empty pipe.  Both pipes (and any byte in flight) must survive the restart.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog blocking) || fail "test program blocking does not build"
make_expected "$P" 600 pipe
ckpt_restart_case -- "$P" 600 pipe
finish
