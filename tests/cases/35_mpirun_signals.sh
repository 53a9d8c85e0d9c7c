#!/bin/bash
# Signals and the end of a job under mpirun, on this host only.  A rank
# killed by a signal (SIGSEGV it sends itself, SIGKILL from outside) ends
# the job at once with exactly one line naming the rank, the host and the
# signal, and exit code 128+signal.  SIGTERM, SIGINT and SIGHUP to mpirun
# end every rank (exit 128+signal) at once; ranks that ignore SIGTERM and
# SIGINT are killed after the grace period (about 3 s, not at once and not
# much later); a second SIGINT kills them at once.  SIGKILL to mpirun: the
# daemon notices and ends every rank (also ranks that ignore SIGTERM, after
# the grace period), and its job socket is gone.  SIGKILL to the root
# crestd: mpirun exits 1 with one line and the ranks die with it.  A job
# whose ranks exited leaves no process, not even a child a rank started in
# the background.  SIGUSR2 to mpirun reaches every rank (twice: twice) and
# the job goes on.  After each of these, no process of the job (mpirun,
# crestd, ranks) is left.
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
HOST=$(uname -n)
# mpirun is started with CREST_T_MARK=$MARK in its environment; crestd and
# the ranks inherit it, this shell does not have it.
MARK=t35-$$-$RANDOM$RANDOM
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

expect_rc() { # LABEL GOT WANT
    [ "$2" = "$3" ] && return 0
    fail_soft "$1: mpirun exited $(describe_rc "$2"), want $3"
    show "$WORK/$1.out"
    show "$WORK/$1.err"
    return 1
}
# one_line LABEL WORD...: stderr of LABEL is exactly one line with every WORD.
one_line() {
    local label=$1 w
    shift
    if [ "$(wc -l <"$WORK/$label.err")" -ne 1 ]; then
        fail_soft "$label: mpirun's stderr has $(wc -l <"$WORK/$label.err") lines, want exactly one"
        show "$WORK/$label.err"
        return 1
    fi
    for w in "$@"; do
        grep -qF -- "$w" "$WORK/$label.err" ||
            { fail_soft "$label: the line on stderr does not say '$w': $(cat "$WORK/$label.err")"; return 1; }
    done
    note "$label: $(cat "$WORK/$label.err")"
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
# start LABEL ARGS...: mpirun ARGS in the background (JOB = its pid),
# output in $WORK/LABEL.out and .err.
start() {
    local label=$1
    shift
    SPAWN_DIR=$WORK/run-cwd SPAWN_OUT=$WORK/$label.out SPAWN_ERR=$WORK/$label.err \
        spawn env CREST_T_MARK="$MARK" "$MPIRUN" "$@"
    JOB=$SPAWN_PID
}
# wait_lines LABEL PATTERN COUNT: COUNT lines matching PATTERN in
# $WORK/LABEL.out within 10 s.
wait_lines() {
    local i=0
    while [ "$(grep -c -- "$2" "$WORK/$1.out")" -lt "$3" ]; do
        if [ $i -ge 200 ] || ! alive "$JOB"; then
            show "$WORK/$1.out"
            show "$WORK/$1.err"
            fail "$1: the ranks did not print $3 lines '$2' within 10 s"
        fi
        sleep 0.05
        i=$((i + 1))
    done
}
# the pid of rank $1 of the running job
rank_pid() {
    local p
    for p in $(marked); do
        [ "$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | head -n 1)" = "$P" ] || continue
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "CREST_RANK=$1" && { echo "$p"; return 0; }
    done
    return 1
}
ranks_alive() { # how many ranks (the chatter program) of the case run
    local p n=0
    for p in $(marked); do
        [ "$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | head -n 1)" = "$P" ] && n=$((n + 1))
    done
    echo $n
}
# ended LABEL LIMIT: waits for the job's mpirun; sets RC and SECS (since T0)
ended() {
    if wait_exit "$JOB" "$2"; then
        RC=$WAIT_RC
    else
        RC=124
        fail_soft "$1: mpirun did not end within $2 s"
    fi
    SECS=$(elapsed_since "$T0")
    note "$1: mpirun exited $(describe_rc "$RC"), $SECS s after T0 (the signal, or the last one)"
}

# ---- a rank killed by SIGSEGV (it sends it to itself)
T0=$(now_us)
start segv -np 4 sh -c 'if [ "$CREST_RANK" = 1 ]; then sleep 0.3; kill -SEGV $$; fi; exec "$0" sleep 30 "$1"' "$P" "$MARK"
ended segv 20
expect_rc segv "$RC" 139
secs_below "$SECS" 5 || fail_soft "segv: the job took $SECS s to end after rank 1 died"
one_line segv "rank 1" "$HOST" "signal 11"
none_left segv 3

# ---- a rank killed by SIGKILL from outside
start kill9 -np 4 "$P" usr2 30 "$MARK"
wait_lines kill9 'ready' 4
victim=$(rank_pid 2) || fail "kill9: cannot find the process of rank 2"
T0=$(now_us)
kill -9 "$victim"
ended kill9 20
expect_rc kill9 "$RC" 137
secs_below "$SECS" 3 || fail_soft "kill9: the job took $SECS s to end after rank 2 was killed"
one_line kill9 "rank 2" "$HOST" "signal 9"
none_left kill9 3

# ---- SIGTERM, SIGHUP, SIGINT to mpirun: every rank ends at once
for sig in TERM HUP INT; do
    start $sig -np 3 "$P" usr2 30 "$MARK"
    wait_lines $sig 'ready' 3
    T0=$(now_us)
    kill -$sig "$JOB"
    ended $sig 20
    expect_rc $sig "$RC" $((128 + $(kill -l $sig)))
    secs_below "$SECS" 2.5 || fail_soft "$sig: the job took $SECS s to end; its ranks end on SIGTERM"
    none_left $sig 3
done

# ranks that ignore SIGTERM and SIGINT: killed after the grace period
start noterm -np 3 "$P" noterm 30 "$MARK"
wait_lines noterm 'ignoring' 3
T0=$(now_us)
kill -TERM "$JOB"
sleep 1
n=$(ranks_alive)
[ "$n" -eq 3 ] || fail_soft "noterm: 1 s after SIGTERM to mpirun only $n of 3 ranks that ignore SIGTERM run; they should get a grace period of about 3 s"
ended noterm 20
expect_rc noterm "$RC" 143
secs_below "$SECS" 2.5 && fail_soft "noterm: the job ended after $SECS s; ranks that ignore SIGTERM are killed after about 3 s"
secs_below "$SECS" 8 || fail_soft "noterm: the job took $SECS s; ranks that ignore SIGTERM are killed after about 3 s"
none_left noterm 3

# a second SIGINT kills at once
start int-twice -np 3 "$P" noterm 30 "$MARK"
wait_lines int-twice 'ignoring' 3
kill -INT "$JOB"
sleep 0.5
T0=$(now_us)
kill -INT "$JOB"
ended int-twice 20
expect_rc int-twice "$RC" 130
secs_below "$SECS" 2 || fail_soft "int-twice: the job ended $SECS s after the second SIGINT; it should kill at once"
none_left int-twice 3

# ---- SIGKILL to mpirun: the daemon ends the job
start kill-mpirun -np 3 "$P" usr2 30 "$MARK"
wait_lines kill-mpirun 'ready' 3
T0=$(now_us)
kill -9 "$JOB"
wait_exit "$JOB" 5
none_left kill-mpirun 4
note "kill-mpirun: nothing left $(elapsed_since "$T0") s after SIGKILL to mpirun"
start kill-mpirun-noterm -np 3 "$P" noterm 30 "$MARK"
wait_lines kill-mpirun-noterm 'ignoring' 3
T0=$(now_us)
kill -9 "$JOB"
wait_exit "$JOB" 5
none_left kill-mpirun-noterm 8
note "kill-mpirun-noterm: nothing left $(elapsed_since "$T0") s after SIGKILL to mpirun (ranks ignoring SIGTERM)"
socks=$(ls "$CREST_RUNTIME_DIR" | grep '^job-.*\.sock$')
[ -z "$socks" ] || fail_soft "kill-mpirun: job sockets left in the runtime directory: $socks"

# ---- SIGKILL to the root crestd: mpirun says so, the ranks die with it
start kill-crestd -np 3 "$P" usr2 30 "$MARK"
wait_lines kill-crestd 'ready' 3
daemon=""
for p in $(marked); do
    [ "$(cat /proc/$p/comm 2>/dev/null)" = crestd ] && daemon="$daemon $p"
done
[ "$(echo $daemon | wc -w)" -eq 1 ] || fail "kill-crestd: want one crestd for the job, found:$daemon"
T0=$(now_us)
kill -9 $daemon
ended kill-crestd 10
expect_rc kill-crestd "$RC" 1
one_line kill-crestd "connection"
none_left kill-crestd 3

# ---- a job that ended leaves nothing: not even a child a rank left
# running in the background (in the rank's own process group)
start orphan -np 2 sh -c '"$0" sleep 60 "$1" & echo "rank $CREST_RANK started a child"' "$P" "$MARK"
T0=$(now_us)
ended orphan 20
expect_rc orphan "$RC" 0
none_left orphan 3

# ---- SIGUSR2 reaches every rank, twice
start usr2 -np 4 "$P" usr2 4 "$MARK"
wait_lines usr2 'ready' 4
kill -USR2 "$JOB"
wait_lines usr2 'got SIGUSR2' 4
kill -USR2 "$JOB"
wait_lines usr2 'got SIGUSR2' 8
for r in 0 1 2 3; do
    [ "$(grep -cx "rank $r got SIGUSR2" "$WORK/usr2.out")" -eq 2 ] ||
        { fail_soft "usr2: rank $r did not get SIGUSR2 exactly twice"; show "$WORK/usr2.out"; }
done
T0=$(now_us)
ended usr2 20
expect_rc usr2 "$RC" 0
[ -s "$WORK/usr2.err" ] && { fail_soft "usr2: mpirun wrote on stderr"; show "$WORK/usr2.err"; }
none_left usr2 3
finish
