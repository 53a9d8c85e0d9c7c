#!/bin/bash
# crest boot, crest ps and crest halt on this host.  With nothing running:
# `crest halt` is refused with one line, `crest ps` says there are no
# running jobs.  `crest ps` lists a running job of a plain mpirun (its job
# id as the ranks know it, mpirun's pid, its ranks, "running", its hosts),
# and no longer after it ended.  `crest boot HOSTFILE` (localhost slots=4)
# starts one daemon that stays; `crest ps` shows the boot; a second
# `crest boot` is refused with one line and leaves the first one running.
# mpirun inside the boot uses the boot's daemon: the ranks are its children,
# no other crestd appears, its pid stays the same across three jobs, and
# without -np the job has the boot's 4 slots (with -np 6, six ranks);
# `crest ps` lists a job of the boot; when an mpirun of the boot is killed
# (SIGKILL) its ranks end and the boot goes on; a job on a host not in the
# boot is refused with one line and the boot goes on.  CREST_NO_BOOT=1 makes mpirun start its own daemon (one rank per
# CPU).  `crest halt` while a job runs ends the job (mpirun exits non-zero)
# and the daemon, leaves no process and no boot socket; then `crest ps`
# says there are no jobs, `crest halt` is refused again, and mpirun starts
# its own daemon again.
. "$(dirname "$0")/../lib.sh"
setup_work

# ---- this case's runtime, and how its processes are found
export CREST_RUNTIME_DIR=$WORK/rt
mkdir -p -m 700 "$CREST_RUNTIME_DIR" || fail "cannot create $CREST_RUNTIME_DIR"
unset CREST_NO_BOOT SLURM_JOB_ID SLURM_JOB_NODELIST CREST_RSH CREST_LAUNCHER
MPIRUN=${MPIRUN_BIN:-$BUILD/bin/mpirun}
require_crest
for b in "$MPIRUN" "$BUILD/bin/crestd"; do
    [ -x "$b" ] || fail "$b does not exist: run make -C $REPO"
done
P=$(prog mpirun_chatter) || fail "test program mpirun_chatter does not build"
HOST=$(uname -n)
NCPU=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
# mpirun and crest boot are started with CREST_T_MARK=$MARK in their
# environment; crestd and the ranks inherit it, this shell does not have it.
MARK=t37-$$-$RANDOM$RANDOM
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
marked_crestd() {
    local p
    for p in $(marked); do
        [ "$(cat /proc/$p/comm 2>/dev/null)" = crestd ] && echo "$p"
    done
}
marked_ranks() { # the chatter processes of the case
    local p
    for p in $(marked); do
        [ "$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | head -n 1)" = "$P" ] && echo "$p"
    done
}
ppid_of() { awk '{ sub(/^.*\) /, ""); print $2 }' "/proc/$1/stat" 2>/dev/null; }
env_of() { tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | sed -n "s/^$2=//p"; }
# On the way out: a boot of this case is halted, whatever is left killed.
trap 'timeout 10 "$CREST" halt >/dev/null 2>&1; cleanup_processes; kill_marked' EXIT

# crest_cmd LABEL ARGS...: `crest ARGS`, output in $WORK/LABEL.out/.err; RC.
crest_cmd() {
    local label=$1
    shift
    (cd "$WORK" && exec timeout --foreground -k 3 30 env CREST_T_MARK="$MARK" "$CREST" "$@" \
        </dev/null >"$WORK/$label.out" 2>"$WORK/$label.err")
    RC=$?
    note "$label: crest $* exited $(describe_rc $RC)"
}
# mpi LABEL ARGS...: mpirun ARGS in $WORK/run-cwd, at most 30 s; RC.
mpi() {
    local label=$1
    shift
    (cd "$WORK/run-cwd" && exec timeout --foreground -k 3 30 env CREST_T_MARK="$MARK" \
        "$MPIRUN" "$@" </dev/null >"$WORK/$label.out" 2>"$WORK/$label.err")
    RC=$?
    note "$label: mpirun exited $(describe_rc $RC)"
}
expect_rc() { # LABEL WANT
    [ "$RC" = "$2" ] && return 0
    fail_soft "$1: exit $(describe_rc "$RC"), want $2"
    show "$WORK/$1.out"
    show "$WORK/$1.err"
    return 1
}
# start LABEL ARGS...: mpirun ARGS in the background (JOB = its pid).
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
# none_left LABEL LIMIT: no process of the case within LIMIT s.
none_left() {
    local i=0 left
    while left=$(marked) && [ -n "$left" ]; do
        if [ $i -ge $(($2 * 20)) ]; then
            fail_soft "$1: processes left after $2 s:"
            ps -o pid=,ppid=,stat=,args= -p "$(echo $left | tr ' ' ,)" | sed 's/^/  /'
            kill_marked
            return 1
        fi
        sleep 0.05
        i=$((i + 1))
    done
}
# ps_row LABEL MPIRUN-PID: the row of `crest ps` (in LABEL.out) of that mpirun
ps_row() { awk -v p="$2" '$2 == p' "$WORK/$1.out"; }

# ---- nothing running
expect_refusal halt-none "$CREST" halt
crest_cmd ps-none ps
expect_rc ps-none 0
[ "$(cat "$WORK/ps-none.out")" = "no running jobs" ] ||
    { fail_soft "ps-none: crest ps with nothing running should say 'no running jobs'"; show "$WORK/ps-none.out"; }

# ---- crest ps lists a plain mpirun's job
export CREST_NO_BOOT=1
start plain -np 3 "$P" usr2 20 "$MARK"
wait_lines plain ready 3
rank=$(marked_ranks | head -n 1)
jobid=$(env_of "$rank" CREST_JOB)
crest_cmd ps-plain ps
expect_rc ps-plain 0
row=$(ps_row ps-plain "$JOB")
set -- $row
if [ "${1:-}" != "$jobid" ] || [ "${3:-}" != 3 ] || [ "${4:-}" != running ] || [[ ${6:-} != *"$HOST:$NCPU"* ]]; then
    fail_soft "ps-plain: crest ps does not list job $jobid of mpirun $JOB with 3 ranks, running, on $HOST:$NCPU"
    show "$WORK/ps-plain.out"
else
    note "ps-plain: $row"
fi
head -n 1 "$WORK/ps-plain.out" | grep -q '^JOB  *MPIRUN  *RANKS  *STATE' ||
    { fail_soft "ps-plain: no header line"; show "$WORK/ps-plain.out"; }
kill -TERM "$JOB"
wait_exit "$JOB" 10 || fail_soft "plain: mpirun did not end on SIGTERM"
none_left plain 5
crest_cmd ps-after ps
[ "$(cat "$WORK/ps-after.out")" = "no running jobs" ] ||
    { fail_soft "ps-after: crest ps still lists the ended job"; show "$WORK/ps-after.out"; }
unset CREST_NO_BOOT

# ---- the boot
printf '# the boot of the test\nlocalhost slots=4\n' >"$WORK/hostfile"
crest_cmd boot boot "$WORK/hostfile"
expect_rc boot 0 || fail "crest boot failed"
[ "$(wc -l <"$WORK/boot.out")" -eq 1 ] || { fail_soft "boot: want one line on stdout"; show "$WORK/boot.out"; }
[ -s "$WORK/boot.err" ] && { fail_soft "boot: crest boot wrote on stderr"; show "$WORK/boot.err"; }
B=$(marked_crestd)
[ "$(echo $B | wc -w)" -eq 1 ] || fail "boot: want one crestd after crest boot, found: $B"
note "boot: crestd $B; $(cat "$WORK/boot.out")"
[ -S "$CREST_RUNTIME_DIR/boot.sock" ] || fail_soft "boot: no boot.sock in the runtime directory"
crest_cmd ps-boot ps
expect_rc ps-boot 0
grep -q '^boot: 1 daemon' "$WORK/ps-boot.out" && grep -qx 'no running jobs' "$WORK/ps-boot.out" ||
    { fail_soft "ps-boot: crest ps should show the boot (1 daemon) and no jobs"; show "$WORK/ps-boot.out"; }

# a second boot is refused, the first goes on
expect_refusal boot-again env CREST_T_MARK="$MARK" "$CREST" boot "$WORK/hostfile"
[ "$(marked_crestd)" = "$B" ] || fail_soft "boot-again: the crestd processes are now $(marked_crestd | tr '\n' ' '), want only $B"

# three jobs inside the boot: the boot's daemon runs them
start boot-job1 "$P" usr2 20 "$MARK"
wait_lines boot-job1 ready 4
ranks=$(marked_ranks)
[ "$(echo $ranks | wc -w)" -eq 4 ] || fail_soft "boot-job1: without -np the job should have the boot's 4 slots; ranks: $ranks"
for r in $ranks; do
    [ "$(ppid_of "$r")" = "$B" ] || fail_soft "boot-job1: rank process $r is a child of $(ppid_of "$r"), not of the boot's crestd $B"
done
[ "$(marked_crestd)" = "$B" ] || fail_soft "boot-job1: crestd processes during the job: $(marked_crestd | tr '\n' ' '), want only the boot's $B"
crest_cmd ps-job1 ps
row=$(ps_row ps-job1 "$JOB")
set -- $row
jobid=$(env_of "$(echo $ranks | cut -d' ' -f1)" CREST_JOB)
if ! grep -q '^boot: 1 daemon' "$WORK/ps-job1.out" || [ "${1:-}" != "$jobid" ] || [ "${3:-}" != 4 ] ||
    [ "${4:-}" != running ]; then
    fail_soft "ps-job1: crest ps does not list job $jobid of mpirun $JOB with 4 ranks, running, in the boot"
    show "$WORK/ps-job1.out"
else
    note "ps-job1: $row"
fi
kill -INT "$JOB"
wait_exit "$JOB" 10 || fail_soft "boot-job1: mpirun did not end on SIGINT"
[ "$WAIT_RC" = 130 ] || fail_soft "boot-job1: mpirun exited $(describe_rc "$WAIT_RC") on SIGINT, want 130"
i=0
while [ -n "$(marked_ranks)" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -z "$(marked_ranks)" ] || fail_soft "boot-job1: ranks left after the job ended: $(marked_ranks | tr '\n' ' ')"
for n in 2 3; do
    np=$((n == 2 ? 4 : 6)) # job 3: more ranks than the boot's slots
    mpi boot-job$n -np $np sh -c 'echo "rank $CREST_RANK of $CREST_SIZE child of $PPID"' "$MARK"
    expect_rc boot-job$n 0
    for ((r = 0; r < np; r++)); do
        grep -qx "rank $r of $np child of $B" "$WORK/boot-job$n.out" ||
            { fail_soft "boot-job$n: rank $r did not run as a child of the boot's crestd $B in a job of $np"; show "$WORK/boot-job$n.out"; break; }
    done
    [ "$(marked_crestd)" = "$B" ] || fail_soft "boot-job$n: crestd processes now: $(marked_crestd | tr '\n' ' '), want only $B"
done

# SIGKILL to an mpirun of the boot: its ranks end, the boot goes on
start boot-kill "$P" usr2 30 "$MARK"
wait_lines boot-kill ready 4
kill -9 "$JOB"
wait_exit "$JOB" 5
i=0
while [ -n "$(marked_ranks)" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -z "$(marked_ranks)" ] || fail_soft "boot-kill: ranks left 5 s after their mpirun was killed: $(marked_ranks | tr '\n' ' ')"
[ "$(marked_crestd)" = "$B" ] || fail_soft "boot-kill: crestd processes now: $(marked_crestd | tr '\n' ' '), want only $B"
crest_cmd ps-boot-kill ps
grep -q '^boot: 1 daemon' "$WORK/ps-boot-kill.out" && grep -qx 'no running jobs' "$WORK/ps-boot-kill.out" ||
    { fail_soft "ps-boot-kill: crest ps should show the boot and no jobs after the killed mpirun's job ended"; show "$WORK/ps-boot-kill.out"; }

# a host that is not in the boot is refused, and the boot goes on
expect_refusal boot-other-host env CREST_T_MARK="$MARK" "$MPIRUN" -H 198.51.100.7 -np 1 "$P" env "$MARK" &&
    { [[ $REFUSAL_ERR == *198.51.100.7* ]] || fail_soft "boot-other-host: the message does not name the host: $REFUSAL_ERR"; }
[ "$(marked_crestd)" = "$B" ] || fail_soft "boot-other-host: crestd processes now: $(marked_crestd | tr '\n' ' '), want only $B"

# CREST_NO_BOOT=1: a daemon of its own, one rank per CPU
CREST_NO_BOOT=1 mpi noboot sh -c 'echo "rank $CREST_RANK of $CREST_SIZE child of $PPID"' "$MARK"
expect_rc noboot 0
if [ "$(grep -c "^rank [0-9]* of $NCPU child of " "$WORK/noboot.out")" -ne "$NCPU" ] ||
    grep -q "child of $B\$" "$WORK/noboot.out"; then
    fail_soft "noboot: with CREST_NO_BOOT=1 the job should have $NCPU ranks under a crestd of its own (not $B)"
    show "$WORK/noboot.out"
fi
[ "$(marked_crestd)" = "$B" ] || fail_soft "noboot: crestd processes after the job: $(marked_crestd | tr '\n' ' '), want only $B"

# ---- crest halt while a job runs
start halted -np 2 "$P" usr2 30 "$MARK"
wait_lines halted ready 2
crest_cmd halt halt
expect_rc halt 0
[ "$(wc -l <"$WORK/halt.out")" -eq 1 ] || { fail_soft "halt: want one line on stdout"; show "$WORK/halt.out"; }
if wait_exit "$JOB" 10; then
    [ "$WAIT_RC" != 0 ] || fail_soft "halted: the job's mpirun exited 0 though the boot was halted under it"
    note "halted: mpirun exited $(describe_rc "$WAIT_RC"): $(head -c 300 "$WORK/halted.err" | tr '\n' '|')"
else
    fail_soft "halted: mpirun did not end within 10 s of crest halt"
fi
none_left halt 5
[ -e "$CREST_RUNTIME_DIR/boot.sock" ] && fail_soft "halt: boot.sock is still in the runtime directory"
crest_cmd ps-halted ps
[ "$(cat "$WORK/ps-halted.out")" = "no running jobs" ] ||
    { fail_soft "ps-halted: crest ps after the halt should say 'no running jobs'"; show "$WORK/ps-halted.out"; }
expect_refusal halt-again "$CREST" halt

# mpirun on its own again
mpi after-halt -np 2 sh -c 'echo "rank $CREST_RANK of $CREST_SIZE child of $PPID"' "$MARK"
expect_rc after-halt 0
[ "$(grep -c '^rank [01] of 2 child of ' "$WORK/after-halt.out")" -eq 2 ] ||
    { fail_soft "after-halt: mpirun without a boot did not run its 2 ranks"; show "$WORK/after-halt.out"; }
none_left after-halt 5
finish
