#!/bin/bash
# The stdio of a job under mpirun, on this host only.  stdin: a 5 MB file
# reaches rank 0 whole (same size and CRC), the other ranks read
# end-of-file at once; a rank 0 that does not read its stdin does not hold
# the job up, whether stdin is an endless stream or a pipe that stays open
# with nothing in it, and ranks that exit 0 at once while mpirun is sending
# an endless stdin give exit 0 (40 times); a job whose mpirun has its stdin closed runs and
# rank 0 reads end-of-file; while rank 0 does not read, the stdin mpirun
# takes in is not piled up in memory (crestd stays under 64 MiB while
# 512 MiB wait).  stdout and stderr: 8 ranks printing 20000 lines each on
# stdout and 2000 on stderr, of lengths from 0 to 60 KiB, each with its
# rank, sequence number and CRC: every line arrives intact, once, in each
# rank's order, both into a file and through a pipe read by a slow reader
# (which makes the daemons stop reading and the ranks wait); with
# --tag-output every line of both streams starts with "[rank] " naming the
# rank that wrote it.  Lines of 200000 bytes arrive as written from one
# rank; from two ranks without a byte lost and without mixing two ranks'
# text in one line.  A partial line without newline (a prompt) arrives
# within about a second while its rank keeps running.  What a rank writes
# just before it exits (300 KB and an unterminated last line) arrives
# whole, also from a rank whose non-zero exit ends the job.
. "$(dirname "$0")/../lib.sh"
setup_work

# ---- this case's runtime, and how its processes are found
export CREST_RUNTIME_DIR=$WORK/rt
mkdir -p -m 700 "$CREST_RUNTIME_DIR" || fail "cannot create $CREST_RUNTIME_DIR"
export CREST_NO_BOOT=1
unset SLURM_JOB_ID SLURM_JOB_NODELIST CREST_RSH CREST_LAUNCHER
MPIRUN=${MPIRUN_BIN:-$BUILD/bin/mpirun}
for b in "$MPIRUN" "$BUILD/bin/crestd"; do
    [ -x "$b" ] || fail "$b does not exist: run make -C $REPO"
done
P=$(prog mpirun_chatter) || fail "test program mpirun_chatter does not build"
# mpirun is started with CREST_T_MARK=$MARK in its environment; crestd and
# the ranks inherit it, this shell does not have it.
MARK=t34-$$-$RANDOM$RANDOM
marked() {
    local p
    for p in $(grep -lsF "CREST_T_MARK=$MARK" /proc/[0-9]*/environ | cut -d/ -f3); do
        alive "$p" && echo "$p"
    done
}
kill_marked() {
    local p
    for p in $(marked); do kill -9 "$p" 2>/dev/null; done
}
trap 'cleanup_processes; kill_marked' EXIT

# mpi LABEL LIMIT ARGS...: mpirun ARGS in $WORK/run-cwd, stdin $MPI_IN
# (default /dev/null), output in $WORK/LABEL.out and .err; at most LIMIT s.
# Sets RC and SECS.
mpi() {
    local label=$1 limit=$2 t0
    shift 2
    t0=$(now_us)
    (cd "$WORK/run-cwd" && exec timeout --foreground -k 3 "$limit" env CREST_T_MARK="$MARK" \
        "$MPIRUN" "$@" <"${MPI_IN:-/dev/null}" >"$WORK/$label.out" 2>"$WORK/$label.err")
    RC=$?
    SECS=$(elapsed_since "$t0")
    note "$label: exit $(describe_rc $RC) after $SECS s"
}
expect_rc() { # LABEL WANT
    [ "$RC" = "$2" ] && return 0
    fail_soft "$1: mpirun exited $(describe_rc "$RC"), want $2"
    show "$WORK/$1.out"
    show "$WORK/$1.err"
    return 1
}
# none_left LABEL LIMIT: no process of the case's jobs within LIMIT s.
none_left() {
    local i=0 left
    while left=$(marked) && [ -n "$left" ]; do
        if [ $i -ge $(($2 * 20)) ]; then
            fail_soft "$1: processes left $2 s after mpirun ended:"
            ps -o pid=,ppid=,stat=,args= -p "$(echo $left | tr ' ' ,)" | sed 's/^/  /'
            kill_marked
            return 1
        fi
        sleep 0.05
        i=$((i + 1))
    done
}
secs_below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
# verify LABEL STREAM NRANKS NLINES [tagged]: the chatter's checker on
# $WORK/LABEL.STREAM.
verify() {
    local label=$1 stream=$2
    shift 2
    if "$P" verify "$stream" "$@" <"$WORK/$label.$stream" >"$WORK/$label.verify-$stream" 2>&1; then
        note "$label: std$stream: $(tail -n 1 "$WORK/$label.verify-$stream")"
    else
        fail_soft "$label: the ranks' std$stream did not arrive intact:"
        sed 's/^/  | /' "$WORK/$label.verify-$stream" | head -n 12
    fi
}

# ---- stdin: 5 MB to rank 0, nothing to the others
head -c 5000000 /dev/urandom >"$WORK/stdin.bin" || fail "cannot make $WORK/stdin.bin"
want=$("$P" crc <"$WORK/stdin.bin")
MPI_IN=$WORK/stdin.bin mpi stdin 60 -np 3 "$P" stdin "$MARK"
expect_rc stdin 0
grep -qx "rank 0 stdin $want" "$WORK/stdin.out" ||
    { fail_soft "stdin: rank 0 did not read the 5 MB file whole (want 'rank 0 stdin $want')"; show "$WORK/stdin.out"; }
for r in 1 2; do
    grep -qx "rank $r stdin 0" "$WORK/stdin.out" ||
        { fail_soft "stdin: rank $r did not read end-of-file at once"; show "$WORK/stdin.out"; }
done
none_left stdin 5

# stdin nobody reads: an endless stream, and a pipe open with nothing in it
t0=$(now_us)
SPAWN_OUT=$WORK/endless.out SPAWN_ERR=$WORK/endless.err \
    spawn bash -c 'yes stdin-line | env CREST_T_MARK="$0" "$1" -np 2 "$2" exitafter 0.3 0 "$0"' "$MARK" "$MPIRUN" "$P"
if wait_exit "$SPAWN_PID" 20; then
    [ "$WAIT_RC" = 0 ] || { fail_soft "endless: mpirun exited $(describe_rc "$WAIT_RC")"; show "$WORK/endless.err"; }
    secs=$(elapsed_since "$t0")
    note "endless: yes | mpirun (ranks exit after 0.3 s without reading) ended after $secs s"
    secs_below "$secs" 5 || fail_soft "endless: the job took $secs s with an endless stdin nobody reads"
else
    fail_soft "endless: yes | mpirun did not end within 20 s though its ranks exit after 0.3 s"
fi
none_left endless 5
# ... also when the ranks end at once while mpirun is still sending stdin:
# the job's end must win over the closed connection (40 runs)
SPAWN_OUT=$WORK/endless-race.out SPAWN_ERR=$WORK/endless-race.err spawn bash -c '
    for i in $(seq 40); do
        yes stdin-line | env CREST_T_MARK="$0" "$1" -np 2 "$2" exitafter 0 0 "$0"
        rc=${PIPESTATUS[1]}
        [ "$rc" -eq 0 ] || echo "run $i: exit $rc"
    done' "$MARK" "$MPIRUN" "$P"
if wait_exit "$SPAWN_PID" 60; then
    if [ -s "$WORK/endless-race.out" ]; then
        fail_soft "endless-race: $(wc -l <"$WORK/endless-race.out") of 40 jobs of ranks that exit 0 at once failed with an endless stdin"
        show "$WORK/endless-race.out" 5
        sort "$WORK/endless-race.err" | uniq -c | head -n 5 | sed 's/^/  /'
    else
        note "endless-race: 40 jobs exited 0"
    fi
else
    fail_soft "endless-race: 40 short jobs with an endless stdin did not end within 60 s"
fi
none_left endless-race 5
mkfifo "$WORK/idle.fifo" || fail "mkfifo failed"
SPAWN_OUT=/dev/null spawn bash -c 'exec 3>"$0"; exec sleep 60' "$WORK/idle.fifo"
holder=$SPAWN_PID
MPI_IN=$WORK/idle.fifo mpi idle-stdin 20 -np 2 "$P" exitafter 0.3 0 "$MARK"
expect_rc idle-stdin 0
secs_below "$SECS" 5 || fail_soft "idle-stdin: the job took $SECS s; a stdin that stays open must not hold it"
kill -9 "$holder" 2>/dev/null
none_left idle-stdin 5

# mpirun with its stdin closed: rank 0 reads end-of-file
t0=$(now_us)
(cd "$WORK/run-cwd" && exec timeout --foreground -k 2 8 env CREST_T_MARK="$MARK" \
    "$MPIRUN" -np 2 "$P" stdin "$MARK" <&- >"$WORK/closed-stdin.out" 2>"$WORK/closed-stdin.err")
RC=$?
note "closed-stdin: exit $(describe_rc $RC) after $(elapsed_since "$t0") s"
expect_rc closed-stdin 0
grep -qx "rank 0 stdin 0 00000000" "$WORK/closed-stdin.out" ||
    { fail_soft "closed-stdin: with mpirun's stdin closed, rank 0 did not read end-of-file"; show "$WORK/closed-stdin.out"; }
none_left closed-stdin 5

# stdin waiting for a rank 0 that does not read yet is not piled up in
# memory: 512 MiB offered while rank 0 sleeps 3 s
SPAWN_OUT=$WORK/pileup.out SPAWN_ERR=$WORK/pileup.err \
    spawn bash -c 'head -c 536870912 /dev/zero | env CREST_T_MARK="$0" "$1" -np 2 "$2" exitafter 3 0 "$0"' "$MARK" "$MPIRUN" "$P"
pileup=$SPAWN_PID
max_rss=0
for ((i = 0; i < 50; i++)); do
    for p in $(marked); do
        [ "$(cat /proc/$p/comm 2>/dev/null)" = crestd ] || [ "$(cat /proc/$p/comm 2>/dev/null)" = mpirun ] || continue
        rss=$(awk '/^VmRSS:/ { print $2 }' /proc/$p/status 2>/dev/null)
        [ -n "$rss" ] && [ "$rss" -gt "$max_rss" ] && max_rss=$rss
    done
    sleep 0.05
done
note "pileup: largest resident size of mpirun and crestd while rank 0 did not read: $((max_rss / 1024)) MiB"
[ "$max_rss" -lt $((64 * 1024)) ] ||
    fail_soft "pileup: mpirun or crestd holds $((max_rss / 1024)) MiB of stdin that rank 0 has not read (want < 64 MiB: stop reading stdin)"
wait_exit "$pileup" 20 || fail_soft "pileup: the job did not end within 20 s after its ranks (3 s)"
none_left pileup 5

# ---- heavy output: 8 ranks x 20000 lines on stdout, 2000 on stderr
N=20000
mpi heavy 60 -np 8 "$P" lines $N "$MARK"
expect_rc heavy 0
verify heavy out 8 $N
verify heavy err 8 $N
note "heavy: $(stat -c %s "$WORK/heavy.out") bytes on stdout, $(stat -c %s "$WORK/heavy.err") on stderr"
none_left heavy 5
rm -f "$WORK/heavy.out" "$WORK/heavy.err"

# the same through a slow reader: it starts reading 1 s late, so mpirun's
# queue fills and the daemons must stop reading the ranks' pipes
t0=$(now_us)
SPAWN_ERR=$WORK/slow.err spawn bash -c \
    'env CREST_T_MARK="$0" "$1" -np 8 "$2" lines "$3" "$0" 2>"$4.err.tmp" | { sleep 1; exec cat >"$4.out"; }' \
    "$MARK" "$MPIRUN" "$P" $N "$WORK/slow"
if wait_exit "$SPAWN_PID" 60; then
    note "slow: ended after $(elapsed_since "$t0") s, exit $WAIT_RC"
    [ "$WAIT_RC" = 0 ] || { fail_soft "slow: mpirun | slow reader exited $(describe_rc "$WAIT_RC")"; show "$WORK/slow.err.tmp"; }
    grep -v '^R[0-9]' "$WORK/slow.err.tmp" >"$WORK/slow.mpirun-err"
    grep '^R[0-9]' "$WORK/slow.err.tmp" >"$WORK/slow.err"
    [ -s "$WORK/slow.mpirun-err" ] && { fail_soft "slow: mpirun said something"; show "$WORK/slow.mpirun-err"; }
    verify slow out 8 $N
else
    fail_soft "slow: mpirun with a slow reader did not end within 60 s"
fi
none_left slow 5
rm -f "$WORK/slow.out" "$WORK/slow.err" "$WORK/slow.err.tmp"

# --tag-output on both streams
mpi tagged 60 --tag-output -np 8 "$P" lines 5000 "$MARK"
expect_rc tagged 0
verify tagged out 8 5000 tagged
verify tagged err 8 5000 tagged
none_left tagged 5
rm -f "$WORK/tagged.out" "$WORK/tagged.err"

# ---- lines over 64 KiB (200000 bytes): from one rank they arrive as
# written; from two ranks they may be cut into pieces, but no byte is lost
# and no line holds text of two ranks
mpi longline 30 -np 1 sh -c 'for i in 1 2 3; do head -c 200000 /dev/zero | tr "\0" "$i"; echo; done' "$MARK"
expect_rc longline 0
sh -c 'for i in 1 2 3; do head -c 200000 /dev/zero | tr "\0" "$i"; echo; done' >"$WORK/longline.want"
cmp -s "$WORK/longline.want" "$WORK/longline.out" ||
    fail_soft "longline: three lines of 200000 bytes from one rank did not arrive as written ($(wc -c <"$WORK/longline.out") bytes, $(wc -l <"$WORK/longline.out") lines)"
mpi longlines 30 -np 2 sh -c 'for i in 1 2 3; do head -c 200000 /dev/zero | tr "\0" "$CREST_RANK"; echo; done' "$MARK"
expect_rc longlines 0
for r in 0 1; do
    n=$(tr -cd "$r" <"$WORK/longlines.out" | wc -c)
    [ "$n" -eq 600000 ] || fail_soft "longlines: rank $r wrote 600000 bytes in long lines, $n arrived"
done
mixed=$(grep -vc '^\(0*\|1*\)$' "$WORK/longlines.out")
[ "$mixed" -eq 0 ] || fail_soft "longlines: $mixed line(s) hold text of both ranks or other text"
none_left longline 5
rm -f "$WORK/longline.out" "$WORK/longline.want" "$WORK/longlines.out"

# ---- a prompt without newline arrives while its rank runs on
SPAWN_DIR=$WORK/run-cwd SPAWN_OUT=$WORK/prompt.out SPAWN_ERR=$WORK/prompt.err \
    spawn env CREST_T_MARK="$MARK" "$MPIRUN" -np 2 "$P" prompt 4 "$MARK"
prompt_pid=$SPAWN_PID
t0=$(now_us)
seen=0
for ((i = 0; i < 30; i++)); do
    if grep -q 'rank 0 prompt> ' "$WORK/prompt.out" && grep -q 'rank 1 prompt> ' "$WORK/prompt.out"; then
        seen=1
        break
    fi
    sleep 0.05
done
note "prompt: both prompts shown after $(elapsed_since "$t0") s"
[ $seen -eq 1 ] || { fail_soft "prompt: the ranks' prompts (no newline) did not arrive within 1.5 s"; od -c "$WORK/prompt.out" | head -n 5 | sed 's/^/  /'; }
alive "$prompt_pid" || fail_soft "prompt: mpirun ended before its ranks"
if wait_exit "$prompt_pid" 20; then
    [ "$WAIT_RC" = 0 ] || fail_soft "prompt: mpirun exited $(describe_rc "$WAIT_RC")"
else
    fail_soft "prompt: mpirun did not end after its ranks did"
fi
none_left prompt 5

# ---- what a rank writes just before exiting arrives
# lastwords_ok LABEL RANK: the rank's lines are exactly those the program
# writes (numbered lines, then the unterminated last words)
lastwords_ok() {
    local label=$1 r=$2
    CREST_RANK=$r "$P" lastwords 300000 0 | grep "^rank $r " >"$WORK/$label.want-$r"
    grep "^rank $r " "$WORK/$label.out" >"$WORK/$label.got-$r"
    if ! cmp -s "$WORK/$label.want-$r" "$WORK/$label.got-$r"; then
        fail_soft "$label: rank $r wrote $(wc -l <"$WORK/$label.want-$r") lines just before exiting, $(wc -l <"$WORK/$label.got-$r") arrived, or not as written"
        diff "$WORK/$label.want-$r" "$WORK/$label.got-$r" | head -n 6 | sed 's/^/  /'
        return 1
    fi
}
mpi lastwords 30 -np 4 "$P" lastwords 300000 0 "$MARK"
expect_rc lastwords 0
for r in 0 1 2 3; do lastwords_ok lastwords $r; done
none_left lastwords 5
mpi lastwords-fail 30 -np 4 sh -c 'if [ "$CREST_RANK" = 2 ]; then exec "$0" lastwords 300000 5 "$1"; fi; exec "$0" sleep 30 "$1"' "$P" "$MARK"
expect_rc lastwords-fail 5
lastwords_ok lastwords-fail 2
none_left lastwords-fail 5
finish
