# slurm.sh — a small Slurm cluster on this one machine for the runtime's
# tests (sourced by a case after lib.sh and netns.sh).
#
# The compute nodes are network-namespace hosts (tests/netns.sh), each
# with its own slurmd; slurmctld runs in the root namespace and listens on
# the hosts' bridge address; one munged, whose socket is a file and so is
# reachable from every namespace, serves them all.  Slurm's own commands
# (salloc, srun, squeue) work as on a cluster, and what srun starts on a
# node runs under that node's slurmstepd, inside its namespace.
#
#   slurm_require N      skip the case (exit 77) unless a cluster of N
#                        nodes can be made here
#   slurm_setup N        make it; sets SLURM_NODES[0..N-1] (node names),
#                        SLURM_DIR and SLURM_IN, and exports SLURM_CONF for
#                        Slurm's commands; the nodes' addresses are
#                        NETNS_ADDRS
#   "$SLURM_IN" - CMD... run CMD as a process of the cluster, in which the
#                        cluster's names resolve (a program: it goes after
#                        timeout, spawn or ip netns exec)
#   slurm_left           what runs on the nodes besides slurmd (one
#                        "node pid command" line each)
#   slurm_strays         what of this run is left in the root namespace
#                        besides slurmctld and munged (one "pid command"
#                        line each)
#   slurm_teardown       end everything this case started (idempotent; also
#                        run by the EXIT trap, before netns_teardown)
#
# Names: node K is cnode<K+1> (Slurm's node list for both is cnode[1-2])
# with NodeAddr its namespace's address; slurmctld's host is crestctl, at
# NETNS_ROOT_ADDR.  Slurm is given every address, but a program in an
# allocation gets node names in SLURM_JOB_NODELIST and must find the nodes
# by them, as on a cluster.  So
# that no file of the machine changes, /etc/hosts is not edited: every
# process of the cluster runs in a mount namespace of its own in which
# $SLURM_DIR/hosts (the machine's /etc/hosts plus the cluster's names) is
# bound over /etc/hosts.  That binding lives and dies with those
# processes; nothing is left to undo.  Each slurmd also has a UTS
# namespace with the node's name as host name, and slurmctld one with
# crestctl: each daemon believes it is on its own machine.
#
# Files: configuration, state, spool directories, pid files and logs are
# all under $SLURM_DIR ($WORK/slurm).  Processes: each one started here
# (and what salloc, srun and mpirun start in the root namespace) carries
# CREST_SLURM_TEST_OWNER=<the case's PID> in its environment; the teardown
# kills those, netns_teardown kills everything inside the namespaces, and
# the next slurm_setup kills the leftovers of a run that was SIGKILLed.

SLURM_NODES=()
SLURM_DIR=
SLURM_IN=
_SLURM_TRAPPED=0
_SLURM_PREV_EXIT=
_SLURM_CTLD_PID=
_SLURM_MUNGED_PID=
_SLURM_HOSTS=

slurm_require() {
    local n=${1:-2} t
    [ "$(id -u)" -eq 0 ] || skip "a Slurm cluster of test hosts needs root"
    for t in slurmctld slurmd slurmstepd salloc srun squeue sinfo scontrol; do
        command -v "$t" >/dev/null 2>&1 ||
            skip "a Slurm cluster of test hosts needs '$t' (packages slurmctld, slurmd, slurm-client)"
    done
    for t in munged mungekey munge; do
        command -v "$t" >/dev/null 2>&1 || skip "a Slurm cluster of test hosts needs '$t' (package munge)"
    done
    command -v unshare >/dev/null 2>&1 || skip "a Slurm cluster of test hosts needs 'unshare' (package util-linux)"
    # The private /etc/hosts and host names (see the top of this file).
    unshare --uts --mount -- sh -c 'hostname crest-probe && mount --bind /dev/null /etc/hosts' 2>/dev/null ||
        skip "cannot make UTS and mount namespaces with a bind mount here (unshare --uts --mount)"
    netns_require "$n"
}

# Writes $SLURM_IN ($SLURM_DIR/in-cluster).  unshare, bash and the command
# exec one another: the PID is the command's, as spawn wants it.
_slurm_write_in_cluster() {
    SLURM_IN=$SLURM_DIR/in-cluster
    cat >"$SLURM_IN" <<END
#!/bin/bash
# in-cluster NAME|- CMD...: runs CMD with the test cluster's hosts file as
# /etc/hosts, and with host name NAME unless it is - (tests/slurm.sh)
if [ "\${1:-}" != --inside ]; then
    uts=()
    [ "\${1:--}" = - ] || uts=(--uts)
    exec unshare --mount "\${uts[@]}" -- "\$0" --inside "\$@"
fi
[ "\$2" = - ] || hostname "\$2" || exit 126
mount --bind '$_SLURM_HOSTS' /etc/hosts || exit 126
shift 2
# the mark of this run's processes (slurm_teardown)
export CREST_SLURM_TEST_OWNER=$$
exec "\$@"
END
    chmod 755 "$SLURM_IN"
}

# PIDs of the processes (not this shell) whose environment names owner $1.
_slurm_owned_by() {
    local p
    for p in $(grep -lsxzF "CREST_SLURM_TEST_OWNER=$1" /proc/[0-9]*/environ 2>/dev/null); do
        p=${p#/proc/}
        p=${p%/environ}
        [ "$p" = "$$" ] || echo "$p"
    done
}

# Kills the processes of runs that ended without their teardown (SIGKILL).
_slurm_cleanup_stale() {
    local p owner cmd
    for p in $(grep -lsz '^CREST_SLURM_TEST_OWNER=' /proc/[0-9]*/environ 2>/dev/null); do
        p=${p#/proc/}
        p=${p%/environ}
        owner=$(tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | sed -n 's/^CREST_SLURM_TEST_OWNER=//p')
        [ -n "$owner" ] || continue
        [ "$owner" = "$$" ] && continue
        _netns_owner_alive "$owner" && continue
        cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)
        kill -9 "$p" 2>/dev/null && note "slurm: killed stale process $p ($cmd)"
    done
}

_slurm_chain_exit_trap() {
    [ "$_SLURM_TRAPPED" = 1 ] && return 0
    local prev
    prev=$(trap -p EXIT)
    _SLURM_PREV_EXIT=
    if [ -n "$prev" ]; then
        local -a words
        eval "words=($prev)"
        _SLURM_PREV_EXIT=${words[2]}
    fi
    trap _slurm_on_exit EXIT
    _SLURM_TRAPPED=1
}

_slurm_on_exit() {
    [ "$BASHPID" = "$$" ] || return 0
    # The root namespace's part first (slurmctld, munged, salloc, srun,
    # mpirun); then netns_teardown (in the chained trap) ends everything
    # on the nodes, slurmd and slurmstepd included.
    slurm_teardown
    [ -n "$_SLURM_PREV_EXIT" ] && eval "$_SLURM_PREV_EXIT"
}

# _slurm_wait TENTHS CMD...: waits (at most TENTHS tenths of a second)
# until CMD succeeds.
_slurm_wait() {
    local limit=$1 i=0
    shift
    while ! "$@" >/dev/null 2>&1; do
        [ $i -ge "$limit" ] && return 1
        sleep 0.1
        i=$((i + 1))
    done
    return 0
}

_slurm_ctld_up() { scontrol ping | grep -q ' is UP'; }

# True when every node is idle: registered, and taken into service.
_slurm_all_idle() {
    [ "$(sinfo -h -N -o '%N %t' | sort -u)" = "$(printf '%s idle\n' "${SLURM_NODES[@]}")" ]
}

_slurm_logs() {
    local f
    for f in "$SLURM_DIR"/*.log "$SLURM_DIR"/*.err; do
        [ -e "$f" ] && show "$f" 15
    done
}

slurm_setup() {
    local n=${1:?slurm_setup N} k d=$WORK/slurm state
    [ -d "$WORK" ] || fail "slurm_setup: no $WORK (setup_work first)"
    # slurm.conf takes no quoting
    [[ $WORK != *[[:space:]]* ]] || fail "slurm_setup: \$WORK ($WORK) must not contain spaces"
    netns_setup "$n"
    # after netns_setup: its trap is the one this chains to
    _slurm_chain_exit_trap
    _slurm_cleanup_stale
    # Variables of an allocation this runs in, if any, or users' defaults
    # for Slurm's commands, are not for the test cluster.
    local v
    for v in $(compgen -e | grep -E '^(SLURM|SALLOC_|SBATCH_|SRUN_|SQUEUE_|SINFO_|SCONTROL_)'); do
        unset "$v"
    done
    SLURM_DIR=$d
    mkdir -p "$d/state" "$d/munge" "$d/munge-key" || fail "cannot create $d"
    # munged wants its key private and its socket's directory open to all
    chmod 755 "$d" "$d/munge" && chmod 700 "$d/munge-key" || fail "cannot set the modes of $d"

    SLURM_NODES=()
    _SLURM_HOSTS=$d/hosts
    {
        cat /etc/hosts
        echo "# the test cluster (tests/slurm.sh)"
        echo "$NETNS_ROOT_ADDR crestctl"
        for ((k = 0; k < n; k++)); do
            SLURM_NODES+=("cnode$((k + 1))")
            echo "${NETNS_ADDRS[k]} cnode$((k + 1))"
        done
    } >"$_SLURM_HOSTS" || fail "cannot write $_SLURM_HOSTS"
    _slurm_write_in_cluster

    # munge: a key of this run, so that no other munged can vouch for it
    mungekey -c -k "$d/munge-key/munge.key" >/dev/null 2>&1 || fail "mungekey cannot create a key"
    SPAWN_ERR=$d/munged.log spawn "$SLURM_IN" - munged -F -S "$d/munge/socket" --key-file="$d/munge-key/munge.key" \
        --pid-file="$d/munge/munged.pid" --seed-file="$d/munge-key/seed" --num-threads=4
    _SLURM_MUNGED_PID=$SPAWN_PID
    _slurm_wait 50 munge -S "$d/munge/socket" -n || { _slurm_logs; fail "munged did not answer within 5 s"; }

    : >"$d/plugstack.conf"
    # Everything under $d; root runs it all; no cgroups (proctrack/linuxproc,
    # task/none), no accounting.  The nodes declare 4 CPUs each whatever
    # the machine has (config_overrides).  NoCtldInAddrAny: slurmctld listens
    # on the bridge address only, so that the port cannot collide with
    # another run's cluster (each has its own bridge); and not on Slurm's
    # default port, where a slurmctld of the machine's own may listen on
    # every address.  Each slurmd has its namespace to itself.
    # Short timeouts: a node that dies is noticed within seconds, and jobs'
    # records go soon after they end.
    cat >"$d/slurm.conf" <<END
# the test cluster of tests/slurm.sh (made by $0)
ClusterName=crest
SlurmctldHost=crestctl($NETNS_ROOT_ADDR)
SlurmctldPort=16817
SlurmdPort=6818
CommunicationParameters=NoCtldInAddrAny
AuthType=auth/munge
AuthInfo=socket=$d/munge/socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool-%n
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd-%n.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$d/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
SlurmctldTimeout=10
SlurmdTimeout=10
MessageTimeout=5
InactiveLimit=0
KillWait=2
MinJobAge=2
MailProg=/bin/true
END
    for ((k = 0; k < n; k++)); do
        echo "NodeName=${SLURM_NODES[k]} NodeAddr=${NETNS_ADDRS[k]} CPUs=4 RealMemory=1000 State=UNKNOWN"
    done >>"$d/slurm.conf"
    echo "PartitionName=crest Nodes=ALL Default=YES MaxTime=INFINITE State=UP" >>"$d/slurm.conf"
    export SLURM_CONF=$d/slurm.conf
    # slurmd 22.05 loads a cgroup plugin even when nothing uses cgroups, and
    # the default (autodetect) fails on a node: `ip netns exec` mounts a
    # sysfs of the namespace's own, with nothing on /sys/fs/cgroup.  Named
    # outright, the plugin is loaded without looking at the file system.
    echo "CgroupPlugin=cgroup/v1" >"$d/cgroup.conf"

    SPAWN_ERR=$d/slurmctld.err spawn "$SLURM_IN" crestctl slurmctld -D -i -f "$SLURM_CONF"
    _SLURM_CTLD_PID=$SPAWN_PID
    _slurm_wait 100 _slurm_ctld_up || { _slurm_logs; fail "slurmctld did not answer within 10 s"; }
    for ((k = 0; k < n; k++)); do
        mkdir -p "$d/spool-${SLURM_NODES[k]}"
        SPAWN_ERR=$d/slurmd-${SLURM_NODES[k]}.err \
            spawn ip netns exec "${NETNS_NAMES[k]}" "$SLURM_IN" "${SLURM_NODES[k]}" \
            slurmd -D -f "$SLURM_CONF" -N "${SLURM_NODES[k]}"
    done
    if ! _slurm_wait 200 _slurm_all_idle; then
        state=$(sinfo -h -N -o '%N %t' 2>&1 | tr '\n' ' ')
        _slurm_logs
        fail "the Slurm nodes did not become idle within 20 s: $state"
    fi
}

slurm_left() {
    local k p comm
    for k in "${!SLURM_NODES[@]}"; do
        for p in $(ip netns pids "${NETNS_NAMES[k]}" 2>/dev/null); do
            comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
            [ "$comm" = slurmd ] && continue
            echo "${SLURM_NODES[k]} $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
        done
    done
}

# Processes of this run in the root namespace other than slurmctld and
# munged (salloc, srun, mpirun, crestd...): one "pid command" line each.
slurm_strays() {
    local p c
    for p in $(_slurm_owned_by $$); do
        [ "$p" = "$_SLURM_CTLD_PID" ] || [ "$p" = "$_SLURM_MUNGED_PID" ] && continue
        # the nodes' processes are slurm_left's
        [ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$(readlink /proc/$$/ns/net)" ] || continue
        c=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) && [ -n "$c" ] && echo "$p $c"
    done
}

slurm_teardown() {
    local pids i
    [ -n "$SLURM_DIR" ] || return 0
    for i in $(seq 1 30); do
        pids=$(_slurm_owned_by $$ | tr '\n' ' ')
        [ -n "${pids// /}" ] || break
        # shellcheck disable=SC2086 # one PID a word
        kill -9 $pids 2>/dev/null
        sleep 0.05
    done
    [ -z "${pids// /}" ] || echo "slurm: processes still there after SIGKILL: $pids" >&2
    SLURM_DIR=
    SLURM_IN=
    return 0
}
