#!/bin/bash
# Failures of a job spread over four hosts (network namespaces reached by
# ssh): connections to a daemon's port that do not prove the job's secret
# (garbage, a wrong proof) are closed and logged while the job runs on to
# a normal end; SIGKILL to the crestd of one host ends the job with a line
# naming that host; SIGKILL to mpirun leaves nothing behind on any host;
# a host that cannot be reached fails the start with one line naming it.
. "$(dirname "$0")/../lib.sh"
. "$TESTS_DIR/netns.sh"
setup_work
netns_require 4

[ -x "$MPIRUN" ] || fail "$MPIRUN does not exist (make)"
netns_setup 4
netns_sshd_start
export CREST_RUNTIME_DIR=$WORK/rt CREST_NO_BOOT=1 CREST_TREE_FANOUT=2
mkdir -p -m 700 "$CREST_RUNTIME_DIR"
A=("${NETNS_ADDRS[@]}")
HOSTS="${A[0]}:2,${A[1]}:2,${A[2]}:2,${A[3]}:2"
SLEEPER='exec -a crest-mh-sleeper sleep 60'

# Processes of this case: in its hosts, or carrying its runtime directory
# (crestd of mpirun's host inherits mpirun's environment).
ours() {
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
    for i in $(seq 1 80); do
        left=$(echo $(ours -x crestd) $(ours -f crest-mh-sleeper))
        [ -z "$left" ] && return 0
        sleep 0.1
    done
    fail_soft "8 s after $what, processes remain: $(for p in $left; do tr '\0' ' ' </proc/$p/cmdline; echo; done)"
    kill -9 $left 2>/dev/null
    return 1
}

wait_sleepers() { # until $1 sleepers run
    local i
    for i in $(seq 1 200); do
        [ "$(ours -f crest-mh-sleeper | wc -l)" -ge "$1" ] && return 0
        sleep 0.05
    done
    fail "the job's $1 ranks did not all start within 10 s"
}

# 1. Forged connections while a job runs.
SPAWN_OUT=$WORK/forged.out SPAWN_ERR=$WORK/forged.err spawn "$MPIRUN" -np 8 -H "$HOSTS" bash -c \
    'for i in $(seq 30); do sleep 0.2; done; echo "done $CREST_RANK"'
mp=$SPAWN_PID
root=
port=
for i in $(seq 1 100); do
    root=$(pgrep -P "$mp" -x crestd)
    [ -n "$root" ] && port=$(ss -ltnpH | grep "pid=$root," | awk '{print $4}' | sed 's/.*://' | head -1)
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || fail "cannot find the listening port of mpirun's crestd (pid ${root:-?})"
note "the root daemon (pid $root) listens on port $port"
# Garbage from host 2: an HTTP request.
timeout 15 ip netns exec "${NETNS_NAMES[2]}" bash -c \
    "exec 3<>/dev/tcp/$NETNS_ROOT_ADDR/$port && printf 'GET / HTTP/1.0\r\n\r\n' >&3 && cat <&3 >/dev/null" ||
    fail_soft "the daemon did not close a connection that sent garbage"
# A proof of the wrong secret from host 3: a well-formed answer (type 2,
# 64 bytes) to the challenge, made without the secret.
timeout 15 ip netns exec "${NETNS_NAMES[3]}" bash -c \
    "exec 3<>/dev/tcp/$NETNS_ROOT_ADDR/$port && head -c 44 <&3 >/dev/null &&
     { printf '\x40\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00'; head -c 64 /dev/urandom; } >&3 && cat <&3 >/dev/null" ||
    fail_soft "the daemon did not close a connection with a wrong proof"
wait_exit "$mp" 60 || fail "the job did not end within 60 s"
[ "$WAIT_RC" = 0 ] || { show "$WORK/forged.err"; fail_soft "the job with forged connections exited $WAIT_RC"; }
[ "$(grep -c '^done ' "$WORK/forged.out")" = 8 ] || fail_soft "not every rank finished after the forged connections"
grep -q "closed a connection from ${A[2]}:[0-9]*: it sent something else than the proof of the job's secret" "$WORK/forged.err" ||
    { show "$WORK/forged.err"; fail_soft "no log line for the garbage connection from ${A[2]}"; }
grep -q "closed a connection from ${A[3]}:[0-9]*: it failed the proof of the job's secret" "$WORK/forged.err" ||
    { show "$WORK/forged.err"; fail_soft "no log line for the wrong proof from ${A[3]}"; }
nothing_left "the job with forged connections"

# 2. SIGKILL to the crestd of host 2 (index 3 in the tree).
SPAWN_OUT=$WORK/lost.out SPAWN_ERR=$WORK/lost.err spawn "$MPIRUN" -np 8 -H "$HOSTS" bash -c "$SLEEPER"
mp=$SPAWN_PID
wait_sleepers 8
victim=
for p in $(ip netns pids "${NETNS_NAMES[2]}"); do
    [ "$(cat /proc/$p/comm 2>/dev/null)" = crestd ] && victim=$p
done
[ -n "$victim" ] || fail "no crestd runs in host 2"
kill -9 "$victim"
wait_exit "$mp" 20 || fail_soft "mpirun did not end within 20 s of losing host 2's daemon"
[ "$WAIT_RC" != 0 ] || fail_soft "mpirun exited 0 after losing a host's daemon"
grep -q "lost the crestd of host ${A[2]}" "$WORK/lost.err" ||
    { show "$WORK/lost.err"; fail_soft "no line naming the lost host ${A[2]}"; }
nothing_left "SIGKILL to host 2's crestd"

# 3. SIGKILL to mpirun.
spawn "$MPIRUN" -np 8 -H "$HOSTS" bash -c "$SLEEPER"
mp=$SPAWN_PID
wait_sleepers 8
kill -9 "$mp"
nothing_left "SIGKILL to mpirun"

# 4. A host nobody answers at.
ghost=${A[0]%.*}.77
start=$(now_us)
timeout -k 5 60 "$MPIRUN" -np 2 -H "${A[0]}:1,$ghost:1" true >"$WORK/ghost.out" 2>"$WORK/ghost.err"
rc=$?
took=$(elapsed_since "$start")
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail_soft "a job with an unreachable host exited $rc"
grep -q "cannot start crestd on host $ghost: .*exited with code 255: ssh: connect to host $ghost" "$WORK/ghost.err" ||
    { show "$WORK/ghost.err"; fail_soft "no line saying that crestd cannot start on $ghost and why"; }
awk -v t="$took" 'BEGIN { exit !(t < 30) }' || fail_soft "the unreachable host took $took s to be reported"
nothing_left "the unreachable host"
finish
