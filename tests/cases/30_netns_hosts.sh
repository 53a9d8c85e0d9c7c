#!/bin/bash
# The test hosts of tests/netns.sh, which the runtime's tests stand on: four
# network namespaces, each with its own address and sshd.  Proves that
# (1) `$NETNS_SSH ADDR CMD` runs CMD as root inside that host's namespace
# (same network namespace as `ip netns exec`, a different one per host, the
# host's address and default route configured there); (2) a process on
# every host reaches a TCP listener in the root namespace at
# NETNS_ROOT_ADDR and one on another host, and the listener sees the
# connection come from the host's address; (3) 64 ssh sessions (16 per
# host) are open at the same time and all succeed; (4) a run killed with
# SIGKILL leaves namespaces, interfaces and its sshd processes, which
# netns_cleanup_stale removes without touching this run's hosts; (5) after
# netns_teardown (twice: it is idempotent) no namespace, interface, process
# in a host, sshd or firewall rule of this run remains.
. "$(dirname "$0")/../lib.sh"
. "$TESTS_DIR/netns.sh"
N=4
netns_require $N
setup_work
ECHO=$(prog tcp_echo) || fail "test program tcp_echo does not build"

t0=$(now_us)
netns_setup $N
t_setup=$(elapsed_since "$t0")
t1=$(now_us)
netns_sshd_start
note "$N hosts: namespaces and bridge in $t_setup s, sshd up and answering in $(elapsed_since "$t1") s (total $(elapsed_since "$t0") s)"
note "hosts ${NETNS_ADDRS[*]}, root namespace at $NETNS_ROOT_ADDR"
[ ${#NETNS_NAMES[@]} -eq $N ] && [ ${#NETNS_ADDRS[@]} -eq $N ] ||
    fail "netns_setup $N made ${#NETNS_NAMES[@]} names and ${#NETNS_ADDRS[@]} addresses"
[ "$CREST_RSH" = "$NETNS_SSH" ] || fail_soft "CREST_RSH ($CREST_RSH) is not NETNS_SSH ($NETNS_SSH)"
env | grep -q '^CREST_RSH=ssh ' || fail_soft "CREST_RSH is not in the environment of child processes"

# Processes left behind: those in one of the network namespaces $2...
# (given as "net:[INODE]": a namespace deleted while processes are in it
# lives on, unnamed) and the sshd listeners whose configuration is under
# directory $1.
leftover_pids() {
    local dir=$1 c p comm
    shift
    {
        ls -l /proc/[0-9]*/ns/net 2>/dev/null | awk -v ids=" $* " '
            index(ids, " " $NF " ") { split($(NF - 2), f, "/"); print f[3] }'
        for c in /proc/[0-9]*/cmdline; do
            p=${c%/cmdline}
            p=${p#/proc/}
            read -r comm 2>/dev/null <"/proc/$p/comm" || continue
            [ "$comm" = sshd ] || continue
            tr '\0' ' ' <"$c" 2>/dev/null | grep -qF "$dir/sshd-h" && echo "$p"
        done
    } | sort -u
}

# ---- (1) a session runs in the host's namespace, as root, with its address
root_ns=$(readlink /proc/self/ns/net)
declare -A seen_ns=()
for ((k = 0; k < N; k++)); do
    addr=${NETNS_ADDRS[k]}
    want=$(netns_exec $k readlink /proc/self/ns/net)
    timeout -k 2 15 $NETNS_SSH "$addr" 'readlink /proc/self/ns/net; id -u; ip -4 -o addr show; ip -4 route show default' \
        </dev/null >"$WORK/ssh-$k.out" 2>"$WORK/ssh-$k.err"
    rc=$?
    if [ $rc -ne 0 ]; then
        show "$WORK/ssh-$k.err"
        fail_soft "host $k: ssh $addr exited $(describe_rc $rc)"
        continue
    fi
    got=$(sed -n 1p "$WORK/ssh-$k.out")
    uid=$(sed -n 2p "$WORK/ssh-$k.out")
    [ -n "$want" ] && [ "$got" = "$want" ] ||
        fail_soft "host $k: the session ran in network namespace '$got', ip netns exec ${NETNS_NAMES[k]} is in '$want'"
    [ "$got" != "$root_ns" ] || fail_soft "host $k: the session ran in the root network namespace"
    [ -z "${seen_ns[$got]:-}" ] || fail_soft "host $k: same namespace $got as host ${seen_ns[$got]}"
    seen_ns[$got]=$k
    [ "$uid" = 0 ] || fail_soft "host $k: the session runs as uid '$uid', not root"
    grep -qF " inet $addr/24 " "$WORK/ssh-$k.out" ||
        { show "$WORK/ssh-$k.out"; fail_soft "host $k: $addr/24 is not configured in the session's namespace"; }
    grep -q "^default via $NETNS_ROOT_ADDR dev eth0" "$WORK/ssh-$k.out" ||
        { show "$WORK/ssh-$k.out"; fail_soft "host $k: no default route via $NETNS_ROOT_ADDR"; }
done

# ---- (2) TCP from every host to the root namespace and to another host
# Listeners: one in the root namespace on NETNS_ROOT_ADDR, one on each host
# on its own address (its bind fails unless the address is configured in
# that namespace).  Each answers "LINE PEER-ADDRESS".
wait_port() { # file, seconds -> prints the port
    local i=0
    while [ ! -s "$1" ]; do
        [ $i -ge $(($2 * 20)) ] && return 1
        sleep 0.05
        i=$((i + 1))
    done
    cat "$1"
}
SPAWN_ERR=$WORK/echo-root.err spawn "$ECHO" "$NETNS_ROOT_ADDR" "$WORK/echo-root.port" 30
root_port=$(wait_port "$WORK/echo-root.port" 5) ||
    { show "$WORK/echo-root.err"; fail "no listener on $NETNS_ROOT_ADDR"; }
host_port=()
for ((k = 0; k < N; k++)); do
    SPAWN_ERR=$WORK/echo-$k.err spawn ip netns exec "${NETNS_NAMES[k]}" "$ECHO" "${NETNS_ADDRS[k]}" "$WORK/echo-$k.port" 30
done
for ((k = 0; k < N; k++)); do
    host_port[k]=$(wait_port "$WORK/echo-$k.port" 5) ||
        { show "$WORK/echo-$k.err"; fail "no listener on ${NETNS_ADDRS[k]} in host $k"; }
done
# a client on host $1 sends $4 to $2:$3 and prints the answer (bash's
# /dev/tcp, at most 5 s)
tcp_ask() {
    netns_exec "$1" timeout -k 1 5 bash -c \
        'exec 3<>"/dev/tcp/$0/$1" || exit 1; echo "$2" >&3; read -r line <&3; echo "$line"' "$2" "$3" "$4" 2>&1
}
for ((k = 0; k < N; k++)); do
    j=$(((k + 1) % N))
    got=$(tcp_ask $k "$NETNS_ROOT_ADDR" "$root_port" "hello-$k")
    [ "$got" = "hello-$k ${NETNS_ADDRS[k]}" ] ||
        fail_soft "host $k -> root namespace $NETNS_ROOT_ADDR:$root_port: answer '$got', want 'hello-$k ${NETNS_ADDRS[k]}'"
    got=$(tcp_ask $k "${NETNS_ADDRS[j]}" "${host_port[j]}" "hi-$k-$j")
    [ "$got" = "hi-$k-$j ${NETNS_ADDRS[k]}" ] ||
        fail_soft "host $k -> host $j ${NETNS_ADDRS[j]}:${host_port[j]}: answer '$got', want 'hi-$k-$j ${NETNS_ADDRS[k]}'"
done
# and the root namespace reaches a host's listener too (the launcher talks
# to the daemons it started)
got=$(timeout -k 1 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1; echo x >&3; read -r l <&3; echo "$l"' \
    "${NETNS_ADDRS[0]}" "${host_port[0]}" 2>&1)
[ "$got" = "x $NETNS_ROOT_ADDR" ] || fail_soft "root namespace -> host 0: answer '$got', want 'x $NETNS_ROOT_ADDR'"

# ---- (3) 64 sessions at the same time, 16 per host
# Each session marks its arrival in a directory (the hosts share the file
# system) and waits there until all 64 have arrived: a session that cannot
# start keeps the others waiting, so success means all were open at once.
CONC=64
mkdir -p "$WORK/conc" "$WORK/conc-out"
# run on a host by session NAME: arrive, wait (at most 20 s) for all, then
# say how many had arrived and in which network namespace it ran
cat >"$WORK/barrier.sh" <<END
name=\$1
: >"$WORK/conc/\$name"
t=0
while :; do
    set -- "$WORK/conc"/s*
    [ \$# -ge $CONC ] && break
    t=\$((t + 1))
    [ \$t -ge 200 ] && break
    sleep 0.1
done
echo "\$name \$# \$(readlink /proc/self/ns/net)"
END
t2=$(now_us)
pids=()
for ((i = 0; i < CONC; i++)); do
    k=$((i % N))
    (exec timeout -k 2 30 $NETNS_SSH "${NETNS_ADDRS[k]}" sh "$WORK/barrier.sh" "s$i") \
        </dev/null >"$WORK/conc-out/$i.out" 2>"$WORK/conc-out/$i.err" &
    pids[i]=$!
    track $!
done
bad=0
for ((i = 0; i < CONC; i++)); do
    k=$((i % N))
    wait_exit "${pids[i]}" 40
    want="s$i $CONC $(netns_exec $k readlink /proc/self/ns/net)"
    got=$(cat "$WORK/conc-out/$i.out")
    if [ "$WAIT_RC" -ne 0 ] || [ "$got" != "$want" ]; then
        bad=$((bad + 1))
        if [ $bad -le 3 ]; then
            fail_soft "session $i to host $k: exit $(describe_rc "$WAIT_RC"), output '$got', want '$want'"
            show "$WORK/conc-out/$i.err" 5
        fi
    fi
done
[ $bad -gt 3 ] && fail_soft "$bad of $CONC concurrent sessions failed in all"
note "$CONC concurrent sessions: $((CONC - bad)) succeeded, in $(elapsed_since "$t2") s"

# ---- (4) the leftovers of a run killed with SIGKILL are removed
# A second run sets up 2 hosts with sshd, then becomes a sleep (exec: no
# EXIT trap will ever run for it) and is killed.
VICTIM_WORK=$WORK/victim
SPAWN_OUT=$WORK/victim.out SPAWN_ERR=$WORK/victim.err \
    spawn env CASE_NAME=victim TEST_RUN_DIR="$WORK" bash -c \
    '. "$0/lib.sh"; . "$0/netns.sh"; setup_work; netns_setup 2; netns_sshd_start; touch "$WORK/ready"; exec sleep 60' \
    "$TESTS_DIR"
vpid=$SPAWN_PID
i=0
while [ ! -e "$VICTIM_WORK/ready" ]; do
    alive "$vpid" || break
    [ $i -ge 300 ] && break
    sleep 0.05
    i=$((i + 1))
done
[ -e "$VICTIM_WORK/ready" ] || { show "$WORK/victim.out"; show "$WORK/victim.err"; fail "the second run did not set up its hosts within 15 s"; }
vns=$(for ((k = 0; k < 2; k++)); do ip netns exec "crest${vpid}h$k" readlink /proc/self/ns/net; done)
victim_left() { # what of the killed run is still there
    ip netns list | awk '{ print $1 }' | grep -E "^crest${vpid}h" | sed 's/^/namespace /'
    ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep -E "^cr${vpid}(br|v)" | sed 's/^/interface /'
    leftover_pids "$VICTIM_WORK/ssh" $vns | sed "s/^/process /"
}
before=$(victim_left)
[ "$(echo "$before" | grep -c '^namespace ')" -eq 2 ] && [ "$(echo "$before" | grep -c "^process ")" -ge 2 ] ||
    fail_soft "the second run's hosts are not all there before it is killed: $(echo $before)"
kill -9 "$vpid"
wait_exit "$vpid" 5
left=$(victim_left)
# (empty only if a concurrent run swept them first: it is netns_cleanup_stale
# too, but then this run proves nothing about it)
[ -n "$left" ] || note "the killed run's leftovers were already removed (by a concurrent run?)"
t3=$(now_us)
netns_cleanup_stale >"$WORK/stale.out"
note "netns_cleanup_stale: $(elapsed_since "$t3") s, $(grep -c removed "$WORK/stale.out") item(s) removed"
left=$(victim_left)
[ -z "$left" ] || fail_soft "netns_cleanup_stale left the killed run's $(echo $left)"
# and it did not touch this run's hosts
timeout -k 2 10 $NETNS_SSH "${NETNS_ADDRS[0]}" true </dev/null || fail_soft "host 0 no longer answers after netns_cleanup_stale"

# ---- (5) teardown removes everything of this run
names="${NETNS_NAMES[*]}"
my_ns=$(for ((k = 0; k < N; k++)); do netns_exec $k readlink /proc/self/ns/net; done)
ssh_dir=$WORK/ssh
netns_teardown
netns_teardown || fail_soft "a second netns_teardown failed"
for ns in $names; do
    [ -e "/run/netns/$ns" ] && fail_soft "namespace $ns still exists after netns_teardown"
done
left=$(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep -E "^cr$$(br|v)")
[ -z "$left" ] || fail_soft "interfaces left after netns_teardown: $(echo $left)"
left=$(leftover_pids "$ssh_dir" $my_ns)
[ -z "$left" ] || fail_soft "processes (sshd or in the hosts) left after netns_teardown: $(echo $left)"
if command -v iptables >/dev/null 2>&1; then
    left=$(iptables -w 5 -S 2>/dev/null | grep -E -- "-[io] cr$$br")
    [ -z "$left" ] || fail_soft "iptables rules left after netns_teardown: $left"
fi
[ -e "/run/crest-netns/$$" ] && fail_soft "/run/crest-netns/$$ left after netns_teardown"
[ ${#NETNS_NAMES[@]} -eq 0 ] || fail_soft "NETNS_NAMES still set after netns_teardown"
finish
