#!/bin/bash
# mpirun across four hosts (network namespaces with their own addresses,
# reached by ssh): 64 ranks oversubscribed on 4 x 2 slots run the
# runtime's key/value exchange and each sees all 64 values; ranks land on
# the hosts --map-by asks for; the daemons form a tree (with fan-out 2,
# hosts 3 and 4 connect to host 1, not to mpirun's host); heavy output of
# 16 ranks on 4 hosts arrives with every line whole and in order; a rank
# exiting with a code on a far host gives mpirun that code and a line
# naming rank and host; a rank killed by a signal there gives one line
# naming rank, host and signal; a boot over the four hosts serves two jobs
# with the same daemons, and crest halt ends them all.  After each job no
# crestd and no rank is left on any host.
. "$(dirname "$0")/../lib.sh"
. "$TESTS_DIR/netns.sh"
setup_work
netns_require 4

[ -x "$MPIRUN" ] || fail "$MPIRUN does not exist (make)"
X=$(prog rt_exchange) || fail "test program rt_exchange does not build"
L=$(prog mh_lines) || fail "test program mh_lines does not build"
netns_setup 4
netns_sshd_start
export CREST_RUNTIME_DIR=$WORK/rt CREST_NO_BOOT=1 CREST_TREE_FANOUT=2
mkdir -p -m 700 "$CREST_RUNTIME_DIR"
A=("${NETNS_ADDRS[@]}")
HOSTS="${A[0]}:2,${A[1]}:2,${A[2]}:2,${A[3]}:2"

# Processes of this case: in its hosts, or carrying its runtime directory
# (crestd of mpirun's host and local ranks inherit mpirun's environment).
# Other runs on the machine have their own.
ours() { # ours PGREP-ARGS: the pids pgrep finds that belong to this case
    local p
    for p in $(pgrep "$@"); do
        if grep -qsz "^CREST_RUNTIME_DIR=$CREST_RUNTIME_DIR\$" /proc/$p/environ; then
            echo $p
            continue
        fi
        for k in "${!NETNS_NAMES[@]}"; do
            ip netns pids "${NETNS_NAMES[k]}" 2>/dev/null | grep -qx "$p" && echo $p
        done
    done
}

nothing_left() {
    local what=$1 i left
    for i in $(seq 1 60); do
        left=$(echo $(ours -x crestd) $(ours -f "$X|$L|crest-mh-sleeper"))
        [ -z "$left" ] && return 0
        sleep 0.1
    done
    fail_soft "after $what, processes remain: $(for p in $left; do tr '\0' ' ' </proc/$p/cmdline; echo; done)"
    kill -9 $left 2>/dev/null
    return 1
}

# 1. 64 ranks, key/value exchange, placement by slot (oversubscribed:
#    ranks 0,1 on host 0, 2,3 on host 1, ... 8,9 on host 0 again).
timeout -k 5 120 "$MPIRUN" -np 64 -H "$HOSTS" sh -c \
    'printf "%s %s %s\n" "$CREST_RANK" "$(ip -4 -o addr show eth0 | awk "{print \$4}")" "$('"$X"')"' \
    >"$WORK/x64.out" 2>"$WORK/x64.err"
rc=$?
[ $rc -eq 0 ] || { show "$WORK/x64.err"; fail_soft "64 ranks on 4 hosts: mpirun exited $rc"; }
n=$(grep -c "exchange ok [0-9]* 64$" "$WORK/x64.out")
[ "$n" = 64 ] || { show "$WORK/x64.out" 20; fail_soft "64 ranks on 4 hosts: $n ranks completed the exchange, want 64"; }
bad=$(awk -v a0="${A[0]}" -v a1="${A[1]}" -v a2="${A[2]}" -v a3="${A[3]}" '
    { split("" , h); want[0]=a0; want[1]=a1; want[2]=a2; want[3]=a3
      w = want[int(($1 % 8) / 2)] "/24"; if ($2 != w) print "rank " $1 " ran on " $2 ", want " w }' "$WORK/x64.out")
[ -z "$bad" ] || fail_soft "placement by slot: $bad"
nothing_left "the 64-rank job"

# 2. --map-by node: rank r on host r mod 4.
timeout -k 5 60 "$MPIRUN" -np 8 -H "$HOSTS" --map-by node sh -c \
    'echo "$CREST_RANK $(ip -4 -o addr show eth0 | awk "{print \$4}")"' >"$WORK/bynode.out" 2>&1
bad=$(awk -v a0="${A[0]}" -v a1="${A[1]}" -v a2="${A[2]}" -v a3="${A[3]}" '
    { want[0]=a0; want[1]=a1; want[2]=a2; want[3]=a3
      w = want[$1 % 4] "/24"; if ($2 != w) print "rank " $1 " ran on " $2 ", want " w }' "$WORK/bynode.out")
[ "$(wc -l <"$WORK/bynode.out")" = 8 ] && [ -z "$bad" ] ||
    { show "$WORK/bynode.out"; fail_soft "placement by node: ${bad:-wrong output}"; }
nothing_left "the --map-by node job"

# 3. The tree: with fan-out 2, the daemons of hosts 2 and 3 (indexes 3, 4)
#    are children of host 0's daemon (index 1), so their TCP peer is host 0.
spawn "$MPIRUN" -np 4 -H "$HOSTS" --map-by node bash -c 'exec -a crest-mh-sleeper sleep 30'
mp=$SPAWN_PID
peers=
for i in $(seq 1 100); do
    peers=$(netns_exec 3 ss -tnpH state established 2>/dev/null | grep crestd | awk '{print $4}' | sed 's/:[0-9]*$//' | sort -u)
    [ -n "$peers" ] && break
    sleep 0.1
done
[ "$peers" = "${A[0]}" ] || fail_soft "the daemon of host 3 is connected to '$peers', want its tree parent ${A[0]}"
kill -TERM "$mp"
wait_exit "$mp" 20 || fail_soft "mpirun did not end within 20 s of SIGTERM"
nothing_left "SIGTERM to mpirun of a 4-host job"

# 4. Heavy output from 16 ranks on 4 hosts: every line whole, in order.
timeout -k 5 120 "$MPIRUN" -np 16 -H "$HOSTS" --tag-output "$L" 4000 >"$WORK/lines.out" 2>&1
rc=$?
[ $rc -eq 0 ] || fail_soft "heavy output: mpirun exited $rc"
res=$("$L" check <"$WORK/lines.out")
[ "$res" = "ok 16 64000" ] || fail_soft "heavy output over 4 hosts: $res (want ok 16 64000)"
nothing_left "the heavy-output job"

# 5. A rank on the last host exits 5: mpirun exits 5, names rank and host;
#    the sleepers elsewhere are ended.
start=$(now_us)
timeout -k 5 60 "$MPIRUN" -np 8 -H "$HOSTS" bash -c \
    '[ "$CREST_RANK" = 7 ] && { sleep 0.5; exit 5; }; exec -a crest-mh-sleeper sleep 60' \
    >"$WORK/code.out" 2>"$WORK/code.err"
rc=$?
took=$(elapsed_since "$start")
[ $rc -eq 5 ] || fail_soft "a rank exiting 5 on host ${A[3]}: mpirun exited $rc"
grep -q "rank 7 on host ${A[3]} exited with code 5" "$WORK/code.err" ||
    { show "$WORK/code.err"; fail_soft "no line naming rank 7, host ${A[3]} and code 5"; }
awk -v t="$took" 'BEGIN { exit !(t < 20) }' || fail_soft "mpirun took $took s to end the job"
nothing_left "a rank's exit code 5"

# 6. A rank killed by SIGSEGV on host 2.
timeout -k 5 60 "$MPIRUN" -np 8 -H "$HOSTS" bash -c \
    '[ "$CREST_RANK" = 5 ] && { sleep 0.5; kill -SEGV $$; }; exec -a crest-mh-sleeper sleep 60' \
    >"$WORK/sig.out" 2>"$WORK/sig.err"
rc=$?
[ $rc -eq 139 ] || fail_soft "a rank killed by SIGSEGV: mpirun exited $rc, want 139"
lines=$(grep -c "rank 5 on host ${A[2]} was killed by signal 11 (Segmentation fault)" "$WORK/sig.err")
[ "$lines" = 1 ] || { show "$WORK/sig.err"; fail_soft "want one line naming rank 5, host ${A[2]} and signal 11; got $lines"; }
nothing_left "a rank killed by a signal"

# 7. A boot over the four hosts serves two jobs with the same daemons.
printf '# the test hosts\n%s slots=2\n%s slots=2\n%s:2\n%s # one slot\n' "${A[@]}" >"$WORK/hostfile"
unset CREST_NO_BOOT
timeout -k 5 60 "$BUILD/bin/crest" boot "$WORK/hostfile" >"$WORK/boot.out" 2>&1 ||
    { show "$WORK/boot.out"; fail "crest boot over 4 hosts failed"; }
before=$(ours -x crestd | sort | tr '\n' ' ')
[ "$(echo $before | wc -w)" = 5 ] || fail_soft "after crest boot: crestd processes: $before (want 5: this host and 4)"
for job in 1 2; do
    timeout -k 5 60 "$MPIRUN" -np 7 "$X" >"$WORK/boot$job.out" 2>&1
    n=$(grep -c "exchange ok [0-9]* 7$" "$WORK/boot$job.out")
    [ "$n" = 7 ] || { show "$WORK/boot$job.out"; fail_soft "job $job in the boot: $n of 7 ranks exchanged"; }
done
after=$(ours -x crestd | sort | tr '\n' ' ')
[ "$before" = "$after" ] || fail_soft "the jobs did not reuse the boot's daemons: before $before, after $after"
timeout -k 5 60 "$BUILD/bin/crest" halt >"$WORK/halt.out" 2>&1 || { show "$WORK/halt.out"; fail_soft "crest halt failed"; }
nothing_left "crest halt"
finish
