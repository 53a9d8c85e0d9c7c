#!/bin/bash
# `crest checkpoint` of another user's process is refused: exit status
# non-zero, one line on stderr, no process left, no image; the target goes
# on undisturbed and finishes with the right output.  As root: the target is
# a crest-run process of root, the checkpoint is run as user nobody.  As
# another user: the target is PID 1 if it belongs to someone else.  Skipped
# (with the reason) when neither can be arranged.
. "$(dirname "$0")/../lib.sh"
setup_work
require_crest
P=$(prog compute) || fail "test program compute does not build"
if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null || skip "setpriv is not installed: cannot run a command as nobody"
    setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null ||
        skip "setpriv cannot switch to user nobody (65534)"
    setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$CREST" ||
        skip "user nobody cannot execute $CREST"
    make_expected "$P" 1500
    start_crest_run "$P" 1500
    mkdir -p "$WORK/nobody"
    chmod 1777 "$WORK/nobody"
    expect_refusal other-user setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$CREST" checkpoint "$RUN_PID" -o "$WORK/nobody/other.img"
    st=$(proc_state "$RUN_PID")
    [ "$st" = R ] || [ "$st" = S ] || fail_soft "after the refused checkpoint the target is in state $st"
    [ -e "$WORK/nobody/other.img" ] && fail_soft "an image of another user's process appeared"
    if wait_exit "$RUN_PID" "$T_RUN"; then
        compare_output original "$WAIT_RC"
    else
        fail_soft "the target did not finish after the refused checkpoint"
    fi
else
    [ "$(stat -c %u /proc/1)" != "$(id -u)" ] || skip "not root, and PID 1 is ours: no other user's process to try"
    expect_refusal other-user "$CREST" checkpoint 1 -o "$WORK/images/other.img"
    [ -e "$WORK/images/other.img" ] && fail_soft "an image of PID 1 appeared"
fi
finish
