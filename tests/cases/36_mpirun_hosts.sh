#!/bin/bash
# Hosts, placement and what a rank gets, on this host only.  -H lists
# (localhost:2,127.0.0.1:2; this machine's name) and hostfiles (localhost
# slots=4 with comments and blank lines; a host listed several times adds
# its slots up) run every rank here without a remote shell (CREST_RSH is
# /bin/false: any attempt to use it would fail the job), one rank per slot
# without -np.  --map-by node and slot both place every rank here with
# CREST_LOCAL_RANK = CREST_RANK (on one host the two policies cannot differ;
# the placement itself is unit-tested in 32_runtime_units).  A hostfile
# with an error (nine kinds) is refused with one line naming the file and
# the line number; a missing, empty or unreadable hostfile with one line
# naming it; a bad -H list (six kinds) and other bad command lines with one
# line; none of them leaves a process.  A host that cannot be reached fails
# within a bounded time with one line naming it, and leaves nothing behind
# (also when a local host is in the list).  Every rank gets -x VAR=value,
# -x VAR (from mpirun's environment), mpirun's whole environment (a
# 100000-byte variable included), -x overriding a variable, CREST_RANK,
# CREST_SIZE, CREST_LOCAL_RANK, CREST_LOCAL_SIZE and CREST_RT_FD (3, a
# socket) right even when mpirun's environment has other values for them,
# and mpirun's working directory (with spaces in its path), where a program
# given by a relative path is found.  A runtime directory that is not
# private (0755) is refused with one line naming it.
. "$(dirname "$0")/../lib.sh"
setup_work

# ---- this case's runtime, and how its processes are found
export CREST_RUNTIME_DIR=$WORK/rt
mkdir -p -m 700 "$CREST_RUNTIME_DIR" || fail "cannot create $CREST_RUNTIME_DIR"
export CREST_NO_BOOT=1
unset SLURM_JOB_ID SLURM_JOB_NODELIST CREST_RSH CREST_LAUNCHER T_X_SET T_X_PASS T_WHOLE T_OVERRIDE T_UNSET T_BIG
MPIRUN=${MPIRUN_BIN:-$BUILD/bin/mpirun}
for b in "$MPIRUN" "$BUILD/bin/crestd"; do
    [ -x "$b" ] || fail "$b does not exist: run make -C $REPO"
done
P=$(prog mpirun_chatter) || fail "test program mpirun_chatter does not build"
HOST=$(uname -n)
# mpirun is started with CREST_T_MARK=$MARK in its environment; crestd and
# the ranks inherit it, this shell does not have it.
MARK=t36-$$-$RANDOM$RANDOM
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

# mpi LABEL LIMIT ARGS...: mpirun ARGS in $MPI_DIR (default
# $WORK/run-cwd), stdin /dev/null, output in $WORK/LABEL.out and .err; at
# most LIMIT s; environment: this shell's, the mark, and $MPI_ENV (an array
# of VAR=value).  Sets RC and SECS.
mpi() {
    local label=$1 limit=$2 t0
    shift 2
    t0=$(now_us)
    (cd "${MPI_DIR:-$WORK/run-cwd}" && exec timeout --foreground -k 3 "$limit" env CREST_T_MARK="$MARK" \
        "${MPI_ENV[@]}" "$MPIRUN" "$@" </dev/null >"$WORK/$label.out" 2>"$WORK/$label.err")
    RC=$?
    SECS=$(elapsed_since "$t0")
    note "$label: exit $(describe_rc $RC) after $SECS s"
}
MPI_ENV=()
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
# all_here LABEL N: the output of `P env` shows ranks 0..N-1 of a job of N,
# each once, all on this host's daemon (local rank = rank, local size N).
all_here() {
    local label=$1 n=$2 r
    for ((r = 0; r < n; r++)); do
        if [ "$(grep -c "^rank $r: CREST_RANK=$r CREST_SIZE=$n CREST_LOCAL_RANK=$r CREST_LOCAL_SIZE=$n CREST_RT_FD=3 " \
            "$WORK/$label.out")" -ne 1 ]; then
            fail_soft "$label: rank $r of $n did not run here once with CREST_LOCAL_RANK=$r CREST_LOCAL_SIZE=$n"
            show "$WORK/$label.out"
            return 1
        fi
    done
    [ "$(wc -l <"$WORK/$label.out")" -eq "$n" ] || { fail_soft "$label: more than $n ranks ran"; show "$WORK/$label.out"; }
}

# ---- local host lists and hostfiles, no remote shell
MPI_ENV=(CREST_RSH=/bin/false CREST_LAUNCHER=ssh)
mpi list 30 -H localhost:2,127.0.0.1:2 "$P" env "$MARK"
expect_rc list 0 && all_here list 4
none_left list 5
mpi list-name 30 -H "$HOST:3" "$P" env "$MARK"
expect_rc list-name 0 && all_here list-name 3
none_left list-name 5
mkdir -p "$WORK/hf"
printf '# the test host\n\nlocalhost slots=4   # four\n' >"$WORK/hf/four"
mpi hostfile 30 --hostfile "$WORK/hf/four" "$P" env "$MARK"
expect_rc hostfile 0 && all_here hostfile 4
none_left hostfile 5
printf 'localhost slots=2\n127.0.0.1:2\nLOCALHOST\n' >"$WORK/hf/repeated"
mpi hostfile-repeated 30 --hostfile "$WORK/hf/repeated" "$P" env "$MARK"
expect_rc hostfile-repeated 0 && all_here hostfile-repeated 5
none_left hostfile-repeated 5
for by in node slot; do
    mpi map-$by 30 -H localhost:2,127.0.0.1:2 --map-by $by -np 6 "$P" env "$MARK"
    expect_rc map-$by 0 && all_here map-$by 6
    none_left map-$by 5
done
MPI_ENV=()

# ---- refusals: one line, non-zero, nothing left
# hostfile errors on line 4 (after a comment, a blank line and a good host)
i=0
for bad in 'localhost slots=0' 'localhost slots=x' 'localhost foo=1' 'node1 node2' 'bad/name' \
    'localhost:0' 'localhost:2 slots=3' '[::1' 'a:b:c'; do
    i=$((i + 1))
    f=$WORK/hf/bad-$i
    printf '# hosts\n\nlocalhost\n%s\n' "$bad" >"$f"
    expect_refusal "hostfile-error-$i" env CREST_RSH=/bin/false "$MPIRUN" --hostfile "$f" "$P" env "$MARK" &&
        { [[ $REFUSAL_ERR == *"$f:4:"* ]] || fail_soft "hostfile-error-$i: '$bad': the message does not name $f:4: $REFUSAL_ERR"; }
done
: >"$WORK/hf/empty"
for f in "$WORK/hf/missing" "$WORK/hf/empty" "$WORK/hf"; do
    expect_refusal "hostfile-$(basename "$f")" "$MPIRUN" --hostfile "$f" "$P" env "$MARK" &&
        { [[ $REFUSAL_ERR == *"$f"* ]] || fail_soft "hostfile $f: the message does not name it: $REFUSAL_ERR"; }
done
# -H lists
i=0
for bad in 'a,,b' ',' 'x y' 'node:0' '[::1' 'a:b:c'; do
    i=$((i + 1))
    expect_refusal "list-error-$i" "$MPIRUN" -H "$bad" "$P" env "$MARK" &&
        { [[ $REFUSAL_ERR == *"host list"* ]] || fail_soft "list-error-$i: '$bad': the message does not say 'host list': $REFUSAL_ERR"; }
done
expect_refusal list-empty "$MPIRUN" -H "" "$P" env "$MARK"
# other command lines
expect_refusal map-by-bad "$MPIRUN" --map-by diagonal -np 2 "$P" env "$MARK"
expect_refusal np-zero "$MPIRUN" -np 0 "$P" env "$MARK"
expect_refusal np-text "$MPIRUN" -np many "$P" env "$MARK"
expect_refusal np-missing "$MPIRUN" -np
expect_refusal no-program "$MPIRUN" -np 2
expect_refusal unknown-option "$MPIRUN" --frobnicate -np 2 "$P" env "$MARK"
expect_refusal both-hosts "$MPIRUN" -H localhost --hostfile "$WORK/hf/four" "$P" env "$MARK"
# a runtime directory others may enter
mkdir -p -m 755 "$WORK/rt-open" && chmod 755 "$WORK/rt-open"
expect_refusal runtime-dir-open env CREST_RUNTIME_DIR="$WORK/rt-open" "$MPIRUN" -np 2 "$P" env "$MARK" &&
    { [[ $REFUSAL_ERR == *"$WORK/rt-open"* ]] || fail_soft "runtime-dir-open: the message does not name the directory: $REFUSAL_ERR"; }

# ---- hosts that cannot be reached
export CREST_RSH="ssh -oConnectTimeout=2 -oBatchMode=yes"
for hosts in 192.0.2.1 198.51.100.7 localhost,198.51.100.7; do
    target=${hosts##*,}
    t0=$(now_us)
    expect_refusal "unreachable-$hosts" "$MPIRUN" -H "$hosts" -np 2 "$P" sleep 30 "$MARK" &&
        { [[ $REFUSAL_ERR == *"$target"* ]] || fail_soft "unreachable $hosts: the message does not name $target: $REFUSAL_ERR"; }
    secs=$(elapsed_since "$t0")
    note "unreachable-$hosts: ended after $secs s"
    secs_below "$secs" 20 || fail_soft "unreachable $hosts: mpirun took $secs s (ssh has a 2 s connect timeout)"
done
unset CREST_RSH
none_left unreachable 3

# ---- the environment and the working directory of the ranks
big=$(head -c 100000 /dev/zero | tr '\0' x)
dir="$WORK/run dir with spaces"
mkdir -p "$dir" || fail "cannot create $dir"
phys=$(cd "$dir" && pwd -P)
MPI_ENV=(T_WHOLE=whole-value T_X_PASS=passed-on T_OVERRIDE=old CREST_RANK=99 CREST_SIZE=99
    CREST_LOCAL_RANK=99 CREST_LOCAL_SIZE=99 CREST_RT_FD=77 "T_BIG=$big")
MPI_DIR=$dir mpi env 30 -np 3 -x T_X_SET=set-by-x -x T_X_PASS -x T_OVERRIDE=new -x T_UNSET "$P" env "$MARK"
MPI_ENV=()
expect_rc env 0
for r in 0 1 2; do
    want="rank $r: CREST_RANK=$r CREST_SIZE=3 CREST_LOCAL_RANK=$r CREST_LOCAL_SIZE=3 CREST_RT_FD=3 T_X_SET=set-by-x T_X_PASS=passed-on T_WHOLE=whole-value T_OVERRIDE=new T_UNSET=(unset) T_BIG_LEN=100000 rtfd_socket=1 cwd=$phys"
    if ! grep -qxF -- "$want" "$WORK/env.out"; then
        fail_soft "env: rank $r did not get the environment and directory it should"
        echo "  want: $want"
        echo "  got:  $(grep "^rank $r:" "$WORK/env.out")"
    fi
done
none_left env 5
# a program given by a path relative to that directory
cp "$P" "$dir/relative-chatter" || fail "cannot copy $P"
MPI_DIR=$dir mpi relative 30 -np 2 ./relative-chatter env "$MARK"
expect_rc relative 0 && all_here relative 2
none_left relative 5
finish
