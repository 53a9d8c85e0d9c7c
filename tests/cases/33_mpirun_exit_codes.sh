#!/bin/bash
# mpirun's exit code and the end of a job, on this host only: every rank
# exiting 0 gives 0 (mpirun and mpiexec), and a rank exiting 0 early does
# not end the others; one rank exiting 3 while the others sleep 30 s ends
# the job at once (mpirun exits 3 within seconds, one line on stderr naming
# the rank, the host and the code, the sleepers gone); of two ranks exiting
# non-zero at different times the first one's code wins, whichever rank
# number it has; a program that cannot be run gives 127 and one line naming
# it; -np larger than the CPUs runs every rank at the same time
# (oversubscription: 4 ranks per CPU get the right variables, and 32 ranks
# of rt_exchange all meet in its fences), and without -np there is one
# rank per CPU (nproc).  The runtime's
# key/value exchange (rt_exchange) works at 1, 4 and 32 ranks, and its abort
# ends the job with the rank's code 7 and a line naming the rank and
# MPI_Abort.  After every job no process of it (mpirun, crestd, ranks) is
# left.
. "$(dirname "$0")/../lib.sh"
setup_work

# ---- this case's runtime, and how its processes are found
export CREST_RUNTIME_DIR=$WORK/rt
mkdir -p -m 700 "$CREST_RUNTIME_DIR" || fail "cannot create $CREST_RUNTIME_DIR"
export CREST_NO_BOOT=1
unset SLURM_JOB_ID SLURM_JOB_NODELIST CREST_RSH CREST_LAUNCHER
MPIRUN=${MPIRUN_BIN:-$BUILD/bin/mpirun}
MPIEXEC=$BUILD/bin/mpiexec
for b in "$MPIRUN" "$MPIEXEC" "$BUILD/bin/crestd"; do
    [ -x "$b" ] || fail "$b does not exist: run make -C $REPO"
done
P=$(prog mpirun_chatter) || fail "test program mpirun_chatter does not build"
RTX=$(prog rt_exchange) || fail "test program rt_exchange does not build"
HOST=$(uname -n)
# mpirun is started with CREST_T_MARK=$MARK in its environment; crestd and
# the ranks inherit it, this shell does not have it.
MARK=t33-$$-$RANDOM$RANDOM
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

# mpi LABEL LIMIT ARGS...: mpirun ARGS (MPI=... another program) in
# $WORK/run-cwd, stdin /dev/null, output in $WORK/LABEL.out and .err; at
# most LIMIT s.  Sets RC and SECS.
mpi() {
    local label=$1 limit=$2 t0
    shift 2
    t0=$(now_us)
    (cd "$WORK/run-cwd" && exec timeout --foreground -k 3 "$limit" env CREST_T_MARK="$MARK" \
        "${MPI:-$MPIRUN}" "$@" </dev/null >"$WORK/$label.out" 2>"$WORK/$label.err")
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

# ---- all ranks exit 0: 0, and nothing on stderr; mpiexec is the same
mpi ok 30 -np 4 "$P" exitafter 0.1 0 "$MARK"
expect_rc ok 0
[ -s "$WORK/ok.err" ] && { fail_soft "ok: mpirun wrote on stderr"; show "$WORK/ok.err"; }
none_left ok 5
MPI=$MPIEXEC mpi mpiexec 30 -n 3 "$P" env "$MARK"
expect_rc mpiexec 0
[ "$(grep -c '^rank [0-2]: CREST_RANK=[0-2] CREST_SIZE=3 ' "$WORK/mpiexec.out")" -eq 3 ] ||
    { fail_soft "mpiexec -n 3 did not run 3 ranks of a job of 3"; show "$WORK/mpiexec.out"; }
none_left mpiexec 5

# A rank exiting 0 while the others go on does not end the job.
mpi early0 30 -np 3 sh -c 'if [ "$CREST_RANK" = 0 ]; then exit 0; fi; sleep 1; echo "rank $CREST_RANK still ran"' "$MARK"
expect_rc early0 0
[ "$(grep -c 'still ran' "$WORK/early0.out")" -eq 2 ] ||
    { fail_soft "early0: rank 0 exiting 0 ended the other ranks"; show "$WORK/early0.out"; show "$WORK/early0.err"; }
none_left early0 5

# ---- one rank exits 3, the others would sleep 30 s
mpi exit3 40 -np 4 sh -c 'if [ "$CREST_RANK" = 1 ]; then sleep 0.3; exit 3; fi; exec "$0" sleep 30 "$1"' "$P" "$MARK"
expect_rc exit3 3
secs_below "$SECS" 5 || fail_soft "exit3: mpirun took $SECS s; the failed rank should end the job at once, not after the sleepers"
one_line exit3 "rank 1" "$HOST" "code 3"
none_left exit3 3

# ---- two ranks exit non-zero at different times: the first code wins
# rank 2 exits 5 at 0.3 s; rank 1 ignores the SIGTERM of the job's end and
# exits 3 at 1.2 s (within the grace period): mpirun must exit 5.
mpi first-high 40 -np 4 sh -c 'case $CREST_RANK in
    2) exec "$0" exitafter 0.3 5 "$1" ;;
    1) exec "$0" exitafter 1.2 3 noterm "$1" ;;
    *) exec "$0" sleep 30 "$1" ;; esac' "$P" "$MARK"
expect_rc first-high 5
one_line first-high "rank 2" "$HOST" "code 5"
none_left first-high 5
# and the other way round: rank 1 exits 3 first, rank 2 exits 5 later
mpi first-low 40 -np 4 sh -c 'case $CREST_RANK in
    1) exec "$0" exitafter 0.3 3 "$1" ;;
    2) exec "$0" exitafter 1.2 5 noterm "$1" ;;
    *) exec "$0" sleep 30 "$1" ;; esac' "$P" "$MARK"
expect_rc first-low 3
one_line first-low "rank 1" "$HOST" "code 3"
none_left first-low 5

# ---- a program that cannot be run: 127, one line naming it
missing=$WORK/no-such-program-$MARK
mpi missing 30 -np 3 "$missing" "$MARK"
expect_rc missing 127
one_line missing "$(basename "$missing")"
none_left missing 5

# ---- oversubscription and the default number of ranks
ncpu=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
np=$((ncpu * 4))
mpi over 30 -np $np "$P" env "$MARK"
expect_rc over 0
for ((r = 0; r < np; r++)); do
    [ "$(grep -c "^rank $r: CREST_RANK=$r CREST_SIZE=$np CREST_LOCAL_RANK=$r CREST_LOCAL_SIZE=$np " "$WORK/over.out")" -eq 1 ] ||
        { fail_soft "over: -np $np on $ncpu CPUs: rank $r did not run once with the right variables"; show "$WORK/over.out" 40; break; }
done
none_left over 5
mpi default-np 30 "$P" env "$MARK"
expect_rc default-np 0
got=$(grep -c "^rank [0-9]*: CREST_RANK=[0-9]* CREST_SIZE=$ncpu " "$WORK/default-np.out")
[ "$got" -eq "$ncpu" ] && [ "$(wc -l <"$WORK/default-np.out")" -eq "$ncpu" ] ||
    { fail_soft "default-np: without -np, $got rank(s) of a job of $ncpu ran; want one per CPU ($ncpu)"; show "$WORK/default-np.out"; }
none_left default-np 5

# ---- the key/value exchange, at 1, 4 and 32 ranks (32 on $ncpu CPUs: the
# fences need every rank running at the same time)
for n in 1 4 32; do
    mpi exchange-$n 60 -np $n "$RTX" "$MARK"
    expect_rc exchange-$n 0
    for ((r = 0; r < n; r++)); do
        if [ "$(grep -cx "exchange ok $r $n" "$WORK/exchange-$n.out")" -ne 1 ]; then
            fail_soft "exchange-$n: rank $r did not print 'exchange ok $r $n' once"
            show "$WORK/exchange-$n.out"
            show "$WORK/exchange-$n.err"
            break
        fi
    done
    [ "$(wc -l <"$WORK/exchange-$n.out")" -eq $n ] ||
        { fail_soft "exchange-$n: more output than the $n ok lines"; show "$WORK/exchange-$n.out"; }
    none_left exchange-$n 5
done

# ---- abort: rank 3 of 4 aborts with code 7 after the first fence while
# the others sleep 60 s
mpi abort 40 -np 4 "$RTX" abort "$MARK"
expect_rc abort 7
secs_below "$SECS" 10 || fail_soft "abort: mpirun took $SECS s; the abort should end the job at once"
one_line abort "rank 3" "$HOST" "MPI_Abort" "code 7"
grep -q 'exchange ok' "$WORK/abort.out" && { fail_soft "abort: ranks went on after the abort"; show "$WORK/abort.out"; }
none_left abort 5

ls "$CREST_RUNTIME_DIR" | grep -q '^job-.*\.sock$' &&
    fail_soft "job sockets left in the runtime directory: $(ls "$CREST_RUNTIME_DIR" | grep '^job-' | tr '\n' ' ')"
finish
