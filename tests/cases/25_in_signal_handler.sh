#!/bin/bash
# Checkpoints while the program runs a long signal handler on an alternate
# stack, with another signal held back by the handler's mask: after each
# restart the handler finishes, the held signal arrives once (after the
# handler, not during it), and the interrupted code goes on with its own
# registers.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog in_handler) || fail "test program in_handler does not build"
make_expected "$P" 1600000000
ckpt_restart_case -- "$P" 1600000000
finish
