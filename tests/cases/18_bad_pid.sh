#!/bin/bash
# `crest checkpoint` refuses, with exit status non-zero, one line on stderr
# and no process left behind: a PID that does not exist, a PID that is not a
# number, a process not started under crest (`sleep 100`, which must go on
# running, not stopped).  No image may appear.  (A process of another user:
# 20_other_user.)
. "$(dirname "$0")/../lib.sh"
setup_work
require_crest
img=$WORK/images/none.img

# a PID that does not exist: a child that has ended and been reaped
sleep 0 &
gone=$!
wait $gone
kill -0 $gone 2>/dev/null && fail "pid $gone still exists"
expect_refusal no-such-pid "$CREST" checkpoint "$gone" -o "$img"
expect_refusal not-a-number "$CREST" checkpoint 12abc -o "$img"

# a process not started with crest
spawn sleep 100
spid=$SPAWN_PID
sleep 0.2
expect_refusal not-under-crest "$CREST" checkpoint "$spid" -o "$img"
st=$(proc_state "$spid")
case $st in
S | R) ;;
*) fail_soft "after the refused checkpoint, sleep is in state $st (it must go on running)" ;;
esac
kill -9 $spid

[ -e "$img" ] && fail_soft "an image appeared at $img after refused checkpoints"
ls "$WORK/images" | grep -q . && { fail_soft "files left in the image directory:"; ls -la "$WORK/images"; }

finish
