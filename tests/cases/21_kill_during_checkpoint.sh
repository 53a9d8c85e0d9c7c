#!/bin/bash
# An image appears under its final name only when complete.  While a large
# image (1 GiB heap) is being written:
#  A: the checkpointed process is killed (SIGKILL).  `crest checkpoint` must
#     end (non-zero with one line on stderr, or 0 if the image was already
#     safe), and the -o path must either not exist or hold a complete image
#     that `crest info` accepts.
#  B: `crest checkpoint` itself is killed (SIGKILL).  The process must go on
#     and finish with the right output; afterwards the -o path must either
#     not exist or hold an image that `crest info` accepts.
. "$(dirname "$0")/../lib.sh"
setup_work
require_crest
P=$(prog bigheap) || fail "test program bigheap does not build"
make_expected "$P" 1024 70

# Waits until some file in $WORK/images other than $1 holds more than 64 MiB,
# or $1 itself exists; at most 30 s.  Prints what it saw.
wait_partial() {
    local final=$1 i=0 f
    while [ $i -lt 600 ]; do
        if [ -e "$final" ]; then
            echo final
            return
        fi
        for f in "$WORK"/images/*; do
            [ -f "$f" ] && [ "$f" != "$final" ] || continue
            if [ "$(stat -c %s "$f" 2>/dev/null || echo 0)" -gt $((64 << 20)) ]; then
                echo "partial $(basename "$f") $(stat -c %s "$f" 2>/dev/null)"
                return
            fi
        done
        sleep 0.05
        i=$((i + 1))
    done
    echo none
}

check_image_or_nothing() { # $1: -o path, $2: label
    if [ -e "$1" ]; then
        if timeout --foreground 60 "$CREST" info "$1" >"$1.info.out" 2>"$1.info.err"; then
            note "$2: $(basename "$1") exists and is a complete, valid image"
        else
            fail_soft "$2: $(basename "$1") exists but crest info rejects it: $(head -n 1 "$1.info.err")"
        fi
    else
        note "$2: no file at the -o path"
    fi
    local others
    others=$(cd "$WORK/images" && ls -A | grep -vxF "$(basename "$1")" | grep -v '\.info\.' || true)
    [ -n "$others" ] && note "$2: other files left in the image directory: $others"
}

# --- A: kill the process being checkpointed
LABEL=orig-a start_crest_run "$P" 1024 70
pa=$RUN_PID
sleep_until "$RUN_T0" 2.0
alive "$pa" || fail "the program ended too early"
img=$WORK/images/a.img
SPAWN_OUT=$WORK/ck-a.out SPAWN_ERR=$WORK/ck-a.err \
    spawn timeout --foreground -k 5 "$T_CKPT" "$CREST" checkpoint "$pa" -o "$img"
ck=$SPAWN_PID
seen=$(wait_partial "$img")
kill -9 "$pa"
note "A: killed the process when: $seen"
[ "$seen" = none ] && fail_soft "A: no partial image grew within 30 s"
[ "$seen" = final ] && note "A: the image was complete before the kill: the interrupted write was not exercised"
wait_exit "$ck" 90 || fail_soft "A: crest checkpoint did not end within 90 s after its process was killed"
rc=$WAIT_RC
note "A: crest checkpoint exited $(describe_rc $rc): $(head -n 1 "$WORK/ck-a.err")"
if [ $rc -eq 0 ]; then
    [ -e "$img" ] || fail_soft "A: crest checkpoint reported success but $img does not exist"
else
    [ $rc -ne 124 ] && [ $rc -le 128 ] || fail_soft "A: crest checkpoint ended with $(describe_rc $rc)"
    [ "$(wc -l <"$WORK/ck-a.err")" -eq 1 ] || { fail_soft "A: stderr of the failed checkpoint is not one line"; show "$WORK/ck-a.err"; }
fi
check_image_or_nothing "$img" A
wait_exit "$pa" 5

# --- B: kill crest checkpoint
rm -rf "$WORK/images"
mkdir -p "$WORK/images"
LABEL=orig-b start_crest_run "$P" 1024 70
pb=$RUN_PID
sleep_until "$RUN_T0" 2.0
alive "$pb" || fail "the program ended too early"
img=$WORK/images/b.img
SPAWN_OUT=$WORK/ck-b.out SPAWN_ERR=$WORK/ck-b.err \
    spawn timeout --foreground -k 5 "$T_CKPT" "$CREST" checkpoint "$pb" -o "$img"
ck=$SPAWN_PID
seen=$(wait_partial "$img")
# the tool is the child of timeout: kill the tool itself
tool=$(pgrep -P "$ck" -x crest || true)
[ -n "$tool" ] || tool=$ck
kill -9 "$tool"
note "B: killed crest checkpoint (pid $tool) when: $seen"
[ "$seen" = final ] && note "B: the image was complete before the kill: the interrupted write was not exercised"
wait_exit "$ck" 10
if wait_exit "$pb" "$T_RUN"; then
    compare_output orig-b "$WAIT_RC"
else
    fail_soft "B: the process did not finish after crest checkpoint was killed (state was $(proc_state "$pb"))"
fi
sleep 1
check_image_or_nothing "$img" B
finish
