#!/bin/bash
# A program blocked reading stdin (a pipe) when checkpointed.  The input is
# fed in four parts; after each of the first three the program has consumed
# everything (it reports "chunk N" on stderr) and sits in read(); then it is
# checkpointed.  The original gets the last part and EOF; each image is
# restarted with the input that followed its checkpoint on a new pipe, and
# must print the digest of the whole input.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog stdin_digest) || fail "test program stdin_digest does not build"

for part in 1 2 3 4; do
    awk -v p=$part 'BEGIN {
        for (i = 0; i < 3000; i++) printf "part %d line %d %08x\n", p, i, (p * 7919 + i * 104729) % 4294967291
        printf "#chunk %d\n", p
    }' >"$WORK/part$part.txt"
done
cat "$WORK"/part{1,2,3,4}.txt >"$WORK/all.txt"
cat "$WORK"/part{2,3,4}.txt >"$WORK/rest1.txt"
cat "$WORK"/part{3,4}.txt >"$WORK/rest2.txt"
cat "$WORK"/part4.txt >"$WORK/rest3.txt"

EXPECTED_STDIN=$WORK/all.txt make_expected "$P"

mkfifo "$WORK/stdin.fifo" || fail "mkfifo"
exec 3<>"$WORK/stdin.fifo" # a writer (and reader) that keeps the pipe open
RUN_STDIN=$WORK/stdin.fifo start_crest_run "$P"
pid=$RUN_PID

wait_chunk() { # waits until the program reported "chunk $1"
    local i=0
    until grep -qx "chunk $1" "$WORK/original.err"; do
        alive "$pid" || fail "the program ended while waiting for chunk $1"
        [ $i -ge 200 ] && fail "the program did not consume part $1 within 10 s"
        sleep 0.05
        i=$((i + 1))
    done
}

for part in 1 2 3; do
    cat "$WORK/part$part.txt" >&3
    wait_chunk $part
    sleep 0.3 # back in read()
    st=$(proc_state "$pid")
    [ "$st" = S ] || note "state before checkpoint $part: $st"
    checkpoint "$pid" "$WORK/images/ckpt-$part.img" || fail "checkpoint $part failed"
done
cat "$WORK/part4.txt" >&3
exec 3>&-
if wait_exit "$pid" "$T_RUN"; then
    compare_output original "$WAIT_RC"
else
    fail_soft "the original did not finish after EOF"
fi

for part in 1 2 3; do
    label=restart-$part
    (cd "$WORK/restart-cwd" && cat "$WORK/rest$part.txt" |
        timeout --foreground -k 5 "$T_RESTART" "$CREST" restart "$WORK/images/ckpt-$part.img" \
            >"$WORK/$label.out" 2>"$WORK/$label.err")
    rc=$?
    check_resumed "$label"
    compare_output "$label" "$rc"
done
finish
