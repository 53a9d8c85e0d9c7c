# netns.sh — several "hosts" on this one machine for the runtime's tests
# (sourced by a case after lib.sh).
#
# Each host is a network namespace with an address of its own and its own
# sshd, so that the launcher can start node daemons "on other hosts" with
# ssh exactly as on a cluster.  The hosts share this machine's file system:
# programs are started on them by absolute path.
#
#   netns_require N      skip the case (exit 77) unless N hosts can be made
#   netns_setup N        create the hosts; sets NETNS_NAMES[0..N-1],
#                        NETNS_ADDRS[0..N-1], NETNS_ROOT_ADDR
#   netns_sshd_start     one sshd per host; sets NETNS_SSH and CREST_RSH
#   netns_exec K CMD...  run CMD inside host K (0-based)
#   netns_teardown       remove everything this case made (idempotent; also
#                        run by the EXIT trap)
#   netns_cleanup_stale  remove what killed earlier runs left behind
#
# After netns_sshd_start, `$NETNS_SSH ADDR CMD...` (unquoted: it is a
# command line) runs CMD as root on the host whose address is ADDR, through
# root's shell (bash -c); CREST_RSH, exported, is the same command line,
# for the launcher, which splits it on spaces.  netns_setup chains
# netns_teardown into the EXIT trap that lib.sh set, so a case that fails
# or is killed (SIGTERM, run.sh's time limit) leaves nothing; after SIGKILL
# the next setup's netns_cleanup_stale removes the leftovers.
#
# Layout: a bridge cr<PID>br in the root namespace with address
# 10.R.0.254/24 (NETNS_ROOT_ADDR: where the hosts reach processes of the
# root namespace), and for host K a namespace crest<PID>h<K> whose eth0 is
# the end of a veth pair (the other end, cr<PID>v<K>, is a port of the
# bridge) with address 10.R.0.<K+1>/24 and a default route via the bridge.
# R is chosen so that 10.R.0.0/24 collides with no route or address of the
# machine nor of another run going on at the same time.  <PID> is the
# case's shell ($$): it keeps concurrent runs apart and tells
# netns_cleanup_stale whose leftovers are whose.  Interface names stay
# within the kernel's 15 characters (cr + 7 digits + v + 3 digits).
#
# Files: keys, sshd configs and logs, and the client config are in $WORK
# (setup_work first).  /run/crest-netns/ holds a lock and one small file
# per live run (the owner's start time, so that a reused PID is not taken
# for the owner).

NETNS_NAMES=()
NETNS_ADDRS=()
NETNS_ROOT_ADDR=
NETNS_SSH=
_NETNS_BRIDGE=
_NETNS_N=0
_NETNS_STATE_DIR=/run/crest-netns
_NETNS_SSHD=/usr/sbin/sshd
_NETNS_TRAPPED=0
_NETNS_PREV_EXIT=
_NETNS_FW_RULES=() # iptables rules this run inserted, each "CHAIN ARGS..."

# ---------------------------------------------------------------- checks

netns_require() {
    local n=${1:-1} t
    case $n in '' | *[!0-9]*) fail "netns_require: '$n' is not a number of hosts" ;; esac
    [ "$n" -ge 1 ] && [ "$n" -le 253 ] || fail "netns_require: between 1 and 253 hosts, not $n"
    [ "$(id -u)" -eq 0 ] || skip "network-namespace hosts need root"
    for t in ip flock timeout; do
        command -v "$t" >/dev/null 2>&1 || skip "network-namespace hosts need '$t' (packages iproute2, util-linux, coreutils)"
    done
    [ -x "$_NETNS_SSHD" ] || skip "network-namespace hosts need $_NETNS_SSHD (package openssh-server)"
    for t in ssh ssh-keygen; do
        command -v "$t" >/dev/null 2>&1 || skip "network-namespace hosts need '$t' (package openssh-client)"
    done
    # What a container without CAP_SYS_ADMIN/CAP_NET_ADMIN refuses: making a
    # namespace and a bridge.  Tried for real, under names of this run.
    local probe=crest$$p
    if ! ip netns add "$probe" 2>/dev/null; then
        skip "cannot create network namespaces here ('ip netns add' is refused)"
    fi
    ip netns delete "$probe" 2>/dev/null
    if ! ip link add "cr$$p" type bridge 2>/dev/null; then
        skip "cannot create a bridge interface here ('ip link add type bridge' is refused)"
    fi
    ip link delete "cr$$p" 2>/dev/null
    if ! ip link add "cr$$pa" type veth peer name "cr$$pb" 2>/dev/null; then
        skip "cannot create veth interfaces here (no veth support in the kernel?)"
    fi
    ip link delete "cr$$pa" 2>/dev/null
    return 0
}

# ---------------------------------------------------------------- owners

# Start time of process $1 (field 22 of /proc/PID/stat), empty if none.
_netns_starttime() {
    local s
    read -r s 2>/dev/null <"/proc/$1/stat" || return 0
    s=${s##*) }
    # shellcheck disable=SC2086 # split into the fields after the name
    set -- $s
    echo "${20}"
}

# True when run $1 (a PID in a name of ours) still goes on: the process
# exists and, if the run left its start time, it is the same process.
_netns_owner_alive() {
    local pid=$1 st want
    st=$(_netns_starttime "$pid")
    [ -n "$st" ] || return 1
    # a zombie has ended: its run will undo nothing more
    case $(proc_state "$pid") in Z | X | -) return 1 ;; esac
    if [ -r "$_NETNS_STATE_DIR/$pid" ]; then
        want=$(cat "$_NETNS_STATE_DIR/$pid" 2>/dev/null)
        [ -z "$want" ] || [ "$want" = "$st" ] || return 1
    fi
    return 0
}

# Kills every process in namespace $1 and waits (at most 3 s) until none is
# left: a namespace deleted with processes still in it lives on, with its
# interfaces and addresses.
_netns_kill_inside() {
    local ns=$1 pids i=0
    while :; do
        pids=$(ip netns pids "$ns" 2>/dev/null)
        [ -n "$pids" ] || return 0
        [ $i -ge 60 ] && { echo "netns: processes still in $ns after SIGKILL: $pids" >&2; return 1; }
        # shellcheck disable=SC2086 # one PID a word
        kill -9 $pids 2>/dev/null
        sleep 0.05
        i=$((i + 1))
    done
}

# ---------------------------------------------------------------- firewall

# The bridge's traffic must not be filtered in the root namespace: the
# hosts' packets to NETNS_ROOT_ADDR go through INPUT, the answers through
# OUTPUT, and, because br_netfilter is often loaded (by Docker, for one:
# net.bridge.bridge-nf-call-iptables=1), packets from host to host through
# the bridge go through FORWARD.  When the iptables command exists (legacy
# or nft backend), ACCEPT rules for the bridge are put first in those three
# chains and taken out at teardown.  A ruleset written with nft itself
# cannot be overridden that way (a drop in any base chain is final); if one
# has a drop policy, a note says so.  Without iptables or nft nothing
# filters.
_netns_firewall_open() {
    local br=$1 rule
    if command -v iptables >/dev/null 2>&1 && iptables -w 5 -S INPUT >/dev/null 2>&1; then
        for rule in "INPUT -i $br -j ACCEPT" "OUTPUT -o $br -j ACCEPT" \
            "FORWARD -i $br -o $br -j ACCEPT"; do
            # shellcheck disable=SC2086
            if iptables -w 5 -I $rule 2>/dev/null; then
                _NETNS_FW_RULES+=("$rule")
            else
                note "netns: could not insert iptables rule '$rule'"
            fi
        done
    fi
    if command -v nft >/dev/null 2>&1; then
        # iptables-nft keeps its chains in table "ip filter": handled above
        local skip=none table
        [ ${#_NETNS_FW_RULES[@]} -gt 0 ] && skip="ip filter"
        table=$(nft list ruleset 2>/dev/null | awk -v skip="$skip" '
            $1 == "table" { t = $2 " " $3 }
            /hook (input|forward|output) / && /policy drop/ && t != skip { print t; exit }')
        [ -z "$table" ] ||
            note "netns: nft table '$table' has a chain with policy drop; if the hosts cannot connect, that is why"
    fi
}

_netns_firewall_close() {
    local rule
    for rule in "${_NETNS_FW_RULES[@]}"; do
        # shellcheck disable=SC2086
        iptables -w 5 -D $rule 2>/dev/null
    done
    _NETNS_FW_RULES=()
}

# Rules that mention the bridge of a run that is gone.
_netns_firewall_stale() {
    command -v iptables >/dev/null 2>&1 || return 0
    local line pid
    iptables -w 5 -S 2>/dev/null | grep -E -- '-[io] cr[0-9]+br( |$)' | grep '^-A ' |
        while read -r line; do
            pid=$(echo "$line" | sed -E 's/.*-[io] cr([0-9]+)br( .*|$)/\1/')
            _netns_owner_alive "$pid" && continue
            # shellcheck disable=SC2086
            iptables -w 5 -D ${line#-A } 2>/dev/null && note "netns: removed stale iptables rule '$line'"
        done
}

# ---------------------------------------------------------------- addresses

# True when 10.$1.0.0/24 overlaps a route (any table) or an address of the
# root namespace.
_netns_subnet_used() {
    local p a b c d len net m mask mine=$((10 << 24 | $1 << 16))
    for p in $( (ip -4 -o route show table all; ip -4 -o addr show) 2>/dev/null | awk '
        $1 == "default" { next }
        $1 ~ /^(unicast|local|broadcast|multicast|unreachable|blackhole|prohibit|throw|nat|anycast)$/ { print $2; next }
        $3 == "inet" { print $4; next }
        { print $1 }'); do
        [[ $p =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)\.([0-9]+)(/([0-9]+))?$ ]] || continue
        a=${BASH_REMATCH[1]} b=${BASH_REMATCH[2]} c=${BASH_REMATCH[3]} d=${BASH_REMATCH[4]}
        len=${BASH_REMATCH[6]:-32}
        net=$((a << 24 | b << 16 | c << 8 | d))
        m=$len
        [ "$m" -gt 24 ] && m=24
        mask=$(((0xffffffff << (32 - m)) & 0xffffffff))
        [ "$m" -eq 0 ] && mask=0
        [ $((net & mask)) -eq $((mine & mask)) ] && return 0
    done
    return 1
}

# ---------------------------------------------------------------- setup

netns_cleanup_stale() {
    local ns pid link st dead=()
    for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
        [[ $ns =~ ^crest([0-9]+)[hp][0-9]*$ ]] || continue
        pid=${BASH_REMATCH[1]}
        _netns_owner_alive "$pid" && continue
        _netns_kill_inside "$ns"
        dead+=("$ns")
    done
    # interfaces before namespaces: see netns_teardown
    for link in $(ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
        [[ $link =~ ^cr([0-9]+)(br|v[0-9]+|p|pa|pb)$ ]] || continue
        pid=${BASH_REMATCH[1]}
        _netns_owner_alive "$pid" && continue
        ip link delete "$link" 2>/dev/null && note "netns: removed stale interface $link"
    done
    for ns in "${dead[@]}"; do
        ip netns delete "$ns" 2>/dev/null && note "netns: removed stale namespace $ns"
    done
    _netns_firewall_stale
    for st in "$_NETNS_STATE_DIR"/[0-9]*; do
        [ -e "$st" ] || continue
        _netns_owner_alive "${st##*/}" || rm -f "$st"
    done
}

# Chains netns_teardown with whatever EXIT trap is set (lib.sh's
# cleanup_processes), without editing lib.sh: the EXIT trap becomes
# _netns_on_exit, which runs both.  A case that sets an EXIT trap of its own
# after netns_setup replaces this one and must call netns_teardown itself.
_netns_chain_exit_trap() {
    [ "$_NETNS_TRAPPED" = 1 ] && return 0
    local prev
    prev=$(trap -p EXIT)
    _NETNS_PREV_EXIT=
    if [ -n "$prev" ]; then
        # "trap -- 'COMMAND' EXIT", quoted for reuse as shell input
        local -a words
        eval "words=($prev)"
        _NETNS_PREV_EXIT=${words[2]}
    fi
    trap _netns_on_exit EXIT
    _NETNS_TRAPPED=1
}

_netns_on_exit() {
    # subshells do not run it (bash resets traps there), but be sure
    [ "$BASHPID" = "$$" ] || return 0
    # This run's hosts first: with their sshd gone, the small shells that
    # spawn left waiting for them end normally.
    netns_teardown
    [ -n "$_NETNS_PREV_EXIT" ] && eval "$_NETNS_PREV_EXIT"
    # Then what the processes just killed may have left (a run this case
    # started, killed before it could undo its own hosts).  Its stderr goes:
    # bash would report there every job cleanup_processes just killed.
    netns_cleanup_stale 2>/dev/null
}

netns_setup() {
    local n=${1:?netns_setup N} k r lockfd ns veth addr start
    [ "$_NETNS_N" -eq 0 ] || fail "netns_setup: hosts already set up (netns_teardown first)"
    _netns_chain_exit_trap
    mkdir -p "$_NETNS_STATE_DIR" || fail "cannot create $_NETNS_STATE_DIR"
    # Choosing R and taking it (the bridge up with its address, so that its
    # route shows) is done under a lock: two runs must not pick the same.
    exec {lockfd}>"$_NETNS_STATE_DIR/lock" || fail "cannot open $_NETNS_STATE_DIR/lock"
    if ! flock -w 20 "$lockfd"; then
        exec {lockfd}>&-
        fail "netns_setup: $_NETNS_STATE_DIR/lock stayed taken for 20 s"
    fi
    _netns_starttime $$ >"$_NETNS_STATE_DIR/$$"
    netns_cleanup_stale
    start=$(($$ % 150))
    r=
    for k in $(seq 0 149); do
        if ! _netns_subnet_used $((100 + (start + k) % 150)); then
            r=$((100 + (start + k) % 150))
            break
        fi
    done
    if [ -z "$r" ]; then
        exec {lockfd}>&-
        fail "netns_setup: no free subnet 10.100-249.0.0/24 on this machine"
    fi
    _NETNS_BRIDGE=cr$$br
    NETNS_ROOT_ADDR=10.$r.0.254
    _NETNS_N=$n # from here on netns_teardown has something to undo
    if ! ip link add "$_NETNS_BRIDGE" type bridge forward_delay 0 stp_state 0 ||
        ! ip addr add "$NETNS_ROOT_ADDR/24" dev "$_NETNS_BRIDGE" ||
        ! ip link set "$_NETNS_BRIDGE" up; then
        exec {lockfd}>&-
        fail "netns_setup: cannot set up bridge $_NETNS_BRIDGE with $NETNS_ROOT_ADDR/24"
    fi
    exec {lockfd}>&- # the lock would else be inherited by every process started later
    _netns_firewall_open "$_NETNS_BRIDGE"

    NETNS_NAMES=()
    NETNS_ADDRS=()
    for ((k = 0; k < n; k++)); do
        ns=crest$$h$k
        veth=cr$$v$k
        addr=10.$r.0.$((k + 1))
        NETNS_NAMES+=("$ns")
        NETNS_ADDRS+=("$addr")
        ip netns add "$ns" || fail "netns_setup: ip netns add $ns failed"
        ip link add "$veth" type veth peer name eth0 netns "$ns" ||
            fail "netns_setup: cannot create veth $veth for $ns"
        ip link set "$veth" master "$_NETNS_BRIDGE" up || fail "netns_setup: cannot attach $veth to the bridge"
        ip -n "$ns" link set lo up &&
            ip -n "$ns" addr add "$addr/24" dev eth0 &&
            ip -n "$ns" link set eth0 up &&
            ip -n "$ns" route add default via "$NETNS_ROOT_ADDR" ||
            fail "netns_setup: cannot configure $addr in $ns"
    done
    export NETNS_ROOT_ADDR
}

netns_exec() {
    local k=${1:?netns_exec K CMD...}
    shift
    [ -n "${NETNS_NAMES[$k]:-}" ] || { echo "netns_exec: no host $k" >&2; return 125; }
    ip netns exec "${NETNS_NAMES[$k]}" "$@"
}

# ---------------------------------------------------------------- sshd

netns_sshd_start() {
    local k cfg key=$WORK/ssh/id_ed25519 hostkey=$WORK/ssh/host_ed25519 left
    [ "$_NETNS_N" -gt 0 ] || fail "netns_sshd_start: netns_setup first"
    [ -d "$WORK" ] || fail "netns_sshd_start: no $WORK (setup_work first)"
    # CREST_RSH is split on spaces
    [[ $WORK != *[[:space:]]* ]] || fail "netns_sshd_start: \$WORK ($WORK) must not contain spaces"
    mkdir -p "$WORK/ssh" && chmod 700 "$WORK/ssh" || fail "cannot create $WORK/ssh"
    rm -f "$key" "$key.pub" "$hostkey" "$hostkey.pub"
    ssh-keygen -q -t ed25519 -N '' -C crest-test-host -f "$hostkey" </dev/null >/dev/null &&
        ssh-keygen -q -t ed25519 -N '' -C crest-test-client -f "$key" </dev/null >/dev/null ||
        fail "netns_sshd_start: ssh-keygen failed"
    cp "$key.pub" "$WORK/ssh/authorized_keys" || fail "cannot write authorized_keys"
    # sshd's privilege-separation directory (made by the package's service
    # at boot, which never ran on a machine without systemd)
    mkdir -p /run/sshd && chmod 755 /run/sshd

    for ((k = 0; k < _NETNS_N; k++)); do
        cfg=$WORK/ssh/sshd-h$k.config
        # MaxStartups: the launcher opens many sessions at once; the
        # default (10:30:100) drops some of them at random.  SetEnv SHLVL=1:
        # bash reads ~/.bashrc for a command from sshd only as a top-level
        # shell (SHLVL below 2 once it counted itself); root's .bashrc on a
        # developer's machine may be slow (a tenth of a second here) or
        # print, and the daemons are started by absolute path anyway.
        cat >"$cfg" <<END
ListenAddress ${NETNS_ADDRS[k]}
Port 22
AddressFamily inet
HostKey $hostkey
PidFile $WORK/ssh/sshd-h$k.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile $WORK/ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
MaxStartups 200
MaxSessions 200
LoginGraceTime 30
PrintMotd no
PrintLastLog no
X11Forwarding no
LogLevel INFO
SetEnv SHLVL=1
END
        # -D: sshd stays the process spawn started, so that it is tracked
        # and killed with the case's processes as well as by the teardown.
        SPAWN_OUT=/dev/null SPAWN_ERR=$WORK/ssh/sshd-h$k.err \
            spawn ip netns exec "${NETNS_NAMES[k]}" "$_NETNS_SSHD" -D -f "$cfg" -E "$WORK/ssh/sshd-h$k.log"
    done

    cat >"$WORK/ssh_config" <<END
# the client side of the test hosts' sshd (made by tests/netns.sh)
Host *
    User root
    IdentityFile $key
    IdentitiesOnly yes
    StrictHostKeyChecking no
    UserKnownHostsFile /dev/null
    GlobalKnownHostsFile /dev/null
    CheckHostIP no
    UpdateHostKeys no
    BatchMode yes
    LogLevel ERROR
    ConnectTimeout 5
    ConnectionAttempts 1
    # the default post-quantum key exchange costs a tenth of a second of CPU
    # per session; these sessions only carry tests
    KexAlgorithms curve25519-sha256
    ControlMaster no
    ControlPath none
    AddressFamily inet
    ForwardAgent no
    ForwardX11 no
    # a host that vanishes (its sshd killed) ends the session within 15 s
    ServerAliveInterval 5
    ServerAliveCountMax 3
END
    NETNS_SSH="ssh -F $WORK/ssh_config"
    CREST_RSH=$NETNS_SSH
    export NETNS_SSH CREST_RSH

    # Ready when a session works on every host: tried on all hosts at once,
    # again on those that failed, for at most 10 s.
    local deadline=$(($(now_us) + 10000000)) pids=()
    left=" ${!NETNS_ADDRS[*]} "
    while :; do
        for k in $left; do
            timeout -k 1 5 $NETNS_SSH "${NETNS_ADDRS[k]}" true </dev/null >/dev/null 2>&1 &
            pids[k]=$!
        done
        for k in $left; do
            wait "${pids[k]}" && left=${left/ $k / }
        done
        [ -z "${left// /}" ] && return 0
        [ "$(now_us)" -lt "$deadline" ] || break
        sleep 0.05
    done
    for k in $left; do
        show "$WORK/ssh/sshd-h$k.err"
        show "$WORK/ssh/sshd-h$k.log"
    done
    fail "netns_sshd_start: no ssh session to host(s)$left within 10 s"
}

# ---------------------------------------------------------------- teardown

netns_teardown() {
    local ns k f pid
    for ((k = 0; k < ${#NETNS_NAMES[@]}; k++)); do
        ns=${NETNS_NAMES[k]}
        [ -e "/run/netns/$ns" ] && _netns_kill_inside "$ns"
    done
    # The veths first: deleting one end deletes its peer at once, while the
    # interfaces of a deleted namespace go away later, in the background
    # (the check that nothing is left could see them).
    for ((k = 0; k < _NETNS_N; k++)); do
        ip link show "cr$$v$k" >/dev/null 2>&1 && ip link delete "cr$$v$k" 2>/dev/null
    done
    for ((k = 0; k < ${#NETNS_NAMES[@]}; k++)); do
        ns=${NETNS_NAMES[k]}
        [ -e "/run/netns/$ns" ] && ip netns delete "$ns" 2>/dev/null
    done
    # sshd processes started for this run that are no longer in a namespace
    # of ours (should not happen, but a leftover sshd would be a leak)
    for f in "${WORK:-/nonexistent}"/ssh/sshd-h*.pid; do
        [ -s "$f" ] || continue
        pid=$(cat "$f" 2>/dev/null)
        if [ -n "$pid" ] && grep -qsF "$WORK/ssh/sshd-h" "/proc/$pid/cmdline"; then
            kill -9 "$pid" 2>/dev/null
        fi
        rm -f "$f"
    done
    if [ -n "$_NETNS_BRIDGE" ]; then
        ip link show "$_NETNS_BRIDGE" >/dev/null 2>&1 && ip link delete "$_NETNS_BRIDGE" 2>/dev/null
    fi
    _netns_firewall_close
    rm -f "$_NETNS_STATE_DIR/$$"
    NETNS_NAMES=()
    NETNS_ADDRS=()
    _NETNS_N=0
    _NETNS_BRIDGE=
    return 0
}
