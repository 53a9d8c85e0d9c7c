#!/bin/bash
# mpirun inside a Slurm allocation, with a real Slurm (slurmctld, two
# slurmd, munge; tests/slurm.sh) whose compute nodes are network-namespace
# hosts.  Under `salloc -N 2`, mpirun without -H takes its hosts from the
# allocation (SLURM_JOB_NODELIST, SLURM_TASKS_PER_NODE) and starts crestd
# on each node with srun: the ranks report both nodes' names and addresses,
# their daemon is crestd and its parent slurmstepd, and while the job runs
# the allocation has one step per node; output and exit code arrive, and
# after the job no step, no crestd and no rank is left.  A rank exiting
# with code 3 on the second node gives mpirun code 3 and one line naming
# rank and host.  The runtime's key/value exchange works at 8 ranks on the
# two nodes, and so does crest's MPI point-to-point test at 4.  mpirun in a
# shell that is itself a job step (srun --pty bash) still spans the whole
# allocation, and so does mpirun in a batch job, where it runs on the
# first node.  About 10 s.
. "$(dirname "$0")/../lib.sh"
. "$TESTS_DIR/netns.sh"
. "$TESTS_DIR/slurm.sh"
setup_work
slurm_require 2

[ -x "$MPIRUN" ] || fail "$MPIRUN does not exist (make)"
X=$(prog rt_exchange) || fail "test program rt_exchange does not build"
P=$(prog mpi_p2p) || fail "test program mpi_p2p does not build"
t0=$(now_us)
slurm_setup 2
note "Slurm cluster of 2 nodes up in $(elapsed_since "$t0") s"
export CREST_RUNTIME_DIR=$WORK/rt CREST_NO_BOOT=1
mkdir -p -m 700 "$CREST_RUNTIME_DIR"
# srun must be chosen because of SLURM_JOB_ID alone
unset CREST_RSH CREST_LAUNCHER
A=("${NETNS_ADDRS[@]}")
N=("${SLURM_NODES[@]}")

# What a job runs inside its allocation (salloc's command): the job's
# command with its output in $WORK/LABEL.out/.err and its exit code in
# LABEL.rc; then, once it has ended, whatever of it is still there:
# the allocation's steps (LABEL.steps) and the processes on the nodes
# other than slurmd (LABEL.left), waited for at most 5 s, since a step ends
# a little after its srun.
{
    echo '#!/bin/bash'
    echo '# the command of a test allocation (tests/cases/49_slurm_launch.sh)'
    declare -p SLURM_NODES NETNS_NAMES
    declare -f slurm_left
    cat <<'END'
o=$1
shift
env | grep '^SLURM_' | sort >"$o.env"
timeout -k 5 20 "$@" >"$o.out" 2>"$o.err" </dev/null
echo $? >"$o.rc"
for i in $(seq 1 50); do
    steps=$(squeue -h -s -j "$SLURM_JOB_ID" -o '%i %j %N' 2>&1)
    left=$(slurm_left)
    [ -z "$steps$left" ] && break
    sleep 0.1
done
printf '%s' "$steps" >"$o.steps"
printf '%s' "$left" >"$o.left"
END
} >"$WORK/inside.sh"
chmod 755 "$WORK/inside.sh"

# in_alloc LABEL SALLOC-ARGS... -- CMD...: runs CMD in a new allocation
# (salloc's own messages in LABEL.salloc); checks that it ran and left
# nothing, in the allocation and, once salloc is done, in Slurm and in this
# namespace.
in_alloc() {
    local label=$1 o args=() i job left
    shift
    o=$WORK/job-$label
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        args+=("$1")
        shift
    done
    shift
    rm -f "$o".*
    timeout -k 5 30 "$SLURM_IN" - salloc "${args[@]}" "$WORK/inside.sh" "$o" "$@" \
        </dev/null >"$o.salloc" 2>&1
    i=$?
    if [ ! -s "$o.rc" ]; then
        show "$o.salloc"
        fail_soft "$label: salloc ${args[*]} exited $(describe_rc $i) and the command did not run to its end"
        return 1
    fi
    [ -s "$o.steps" ] && fail_soft "$label: after mpirun, steps remain in the allocation: $(cat "$o.steps")"
    [ -s "$o.left" ] && fail_soft "$label: after mpirun, processes remain on the nodes: $(cat "$o.left")"
    # The job itself ends with salloc; in this namespace nothing of it
    # (srun, mpirun, crestd) is left beside slurmctld and munged.
    job=$(sed -n 's/^SLURM_JOB_ID=//p' "$o.env")
    for i in $(seq 1 50); do
        left=$(slurm_strays)
        [ -z "$left" ] && [ -z "$(squeue -h -j "$job" -o %i 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    [ -n "$(squeue -h -j "$job" -o %i 2>/dev/null)" ] && fail_soft "$label: job $job is still in squeue 5 s after salloc"
    [ -n "$left" ] && fail_soft "$label: processes remain after salloc: $left"
    return 0
}

# Each rank's view: rank, host name, address, its daemon (its parent
# process) and the daemon's parent; rank 0 also lists the allocation's
# steps while the job runs.
cat >"$WORK/whoami.sh" <<'END'
#!/bin/sh
d=$PPID
set -- $(cat /proc/$d/stat)
printf 'rank %s host %s addr %s daemon %s under %s\n' "$CREST_RANK" "$(hostname)" \
    "$(ip -4 -o addr show eth0 | awk '{ print $4 }')" "$(cat /proc/$d/comm)" "$(cat /proc/$4/comm)"
if [ "$CREST_RANK" = 0 ]; then
    squeue -h -s -j "$SLURM_JOB_ID" -o '%j %N' | sort | sed 's/^/step /'
fi
END
chmod 755 "$WORK/whoami.sh"

# 1. Four ranks, two slots on each node: hosts from the allocation,
#    daemons started by srun.
t0=$(now_us)
in_alloc whoami -N 2 --ntasks-per-node=2 -- "$MPIRUN" -np 4 "$WORK/whoami.sh"
note "4 ranks on 2 nodes in an allocation: $(elapsed_since "$t0") s"
o=$WORK/job-whoami
if [ -s "$o.rc" ]; then
    [ "$(cat "$o.rc")" = 0 ] || { show "$o.err"; fail_soft "4 ranks on 2 nodes: mpirun exited $(cat "$o.rc")"; }
    grep -qx "SLURM_JOB_NODELIST=cnode\[1-2\]" "$o.env" && grep -qx "SLURM_TASKS_PER_NODE=2(x2)" "$o.env" ||
        { show "$o.env"; fail_soft "the allocation is not cnode[1-2] with 2 tasks on each"; }
    want=$(for r in 0 1 2 3; do
        echo "rank $r host ${N[r / 2]} addr ${A[r / 2]}/24 daemon crestd under slurmstepd"
    done
        echo "step crestd ${N[0]}"
        echo "step crestd ${N[1]}")
    got=$(sort "$o.out")
    [ "$got" = "$(echo "$want" | sort)" ] || {
        show "$o.out"
        show "$o.err"
        fail_soft "4 ranks on 2 nodes: want ranks 0,1 on ${N[0]} and 2,3 on ${N[1]}, each under a crestd started by slurmstepd, and one step per node"
    }
    [ -s "$o.err" ] && { show "$o.err"; fail_soft "4 ranks on 2 nodes: mpirun wrote on stderr"; }
fi

# 2. A rank exiting with code 3 on the second node ends the job.
in_alloc code -N 2 --ntasks-per-node=2 -- "$MPIRUN" -np 4 bash -c \
    '[ "$CREST_RANK" = 3 ] && { sleep 0.3; exit 3; }; exec -a crest-sl-sleeper sleep 30'
o=$WORK/job-code
if [ -s "$o.rc" ]; then
    [ "$(cat "$o.rc")" = 3 ] || { show "$o.err"; fail_soft "a rank exiting 3 on ${N[1]}: mpirun exited $(cat "$o.rc")"; }
    lines=$(grep -c "rank 3 on host ${N[1]} exited with code 3" "$o.err")
    [ "$lines" = 1 ] && [ "$(wc -l <"$o.err")" = 1 ] ||
        { show "$o.err"; fail_soft "want one line, naming rank 3, host ${N[1]} and code 3"; }
fi

# 3. The runtime's key/value exchange: 8 ranks, 4 on each node.
in_alloc exchange -N 2 --ntasks-per-node=4 -- "$MPIRUN" -np 8 sh -c \
    'echo "$(hostname) $('"$X"')"'
o=$WORK/job-exchange
if [ -s "$o.rc" ]; then
    [ "$(cat "$o.rc")" = 0 ] || { show "$o.err"; fail_soft "the exchange at 8 ranks: mpirun exited $(cat "$o.rc")"; }
    want=$(for r in 0 1 2 3 4 5 6 7; do echo "${N[r / 4]} exchange ok $r 8"; done)
    [ "$(sort -k4n "$o.out")" = "$want" ] ||
        { show "$o.out"; show "$o.err"; fail_soft "the exchange at 8 ranks on 2 nodes: not every rank printed exchange ok"; }
fi

# 4. crest's MPI, point to point, across the two nodes (TCP).
in_alloc p2p -N 2 --ntasks-per-node=2 -- "$MPIRUN" -np 4 "$P"
o=$WORK/job-p2p
if [ -s "$o.rc" ]; then
    [ "$(cat "$o.rc")" = 0 ] && grep -qx "p2p ok (4 ranks)" "$o.out" ||
        { show "$o.out"; show "$o.err"; fail_soft "mpi_p2p at 4 ranks on 2 nodes: exit $(cat "$o.rc")"; }
fi

# 5. mpirun in a shell that srun started as a job step on the first node
#    (as `srun --pty bash` gives): SLURM_TASKS_PER_NODE is then the
#    step's ("1"), the allocation's CPUs per node give the slots; without
#    -np, one rank per slot.  Ranks on the first node are under the crestd
#    mpirun forked, those on the second under one that srun started from
#    within the step.
in_alloc step -N 2 --ntasks-per-node=2 -- srun --quiet -N 1 -n 1 --nodelist="${N[0]}" \
    bash -c 'echo "SLURM_TASKS_PER_NODE=$SLURM_TASKS_PER_NODE"; exec "$0" "$@"' "$MPIRUN" "$WORK/whoami.sh"
o=$WORK/job-step
if [ -s "$o.rc" ]; then
    want=$(echo "SLURM_TASKS_PER_NODE=1"
        for r in 0 1 2 3; do
            echo "rank $r host ${N[r / 2]} addr ${A[r / 2]}/24 daemon crestd under $([ $r -lt 2 ] && echo mpirun || echo slurmstepd)"
        done
        echo "step bash ${N[0]}"
        echo "step crestd ${N[1]}")
    [ "$(cat "$o.rc")" = 0 ] && [ "$(sort "$o.out")" = "$(echo "$want" | sort)" ] || {
        show "$o.out"
        show "$o.err"
        fail_soft "mpirun in a job step (exit $(cat "$o.rc")): want 4 ranks, 0,1 on ${N[0]} under mpirun's crestd, 2,3 on ${N[1]} under one that slurmstepd started"
    }
fi

# 6. A batch job: mpirun runs on the first node, in the batch step; the
#    ranks there are under the crestd that mpirun forked, those of the
#    second node under a crestd that srun started.
cat >"$WORK/batch.sh" <<END
#!/bin/bash
# a test batch job (tests/cases/49_slurm_launch.sh)
timeout -k 5 20 "$MPIRUN" -np 4 "$WORK/whoami.sh" >"$WORK/job-batch.out" 2>"$WORK/job-batch.err"
echo \$? >"$WORK/job-batch.rc"
END
chmod 755 "$WORK/batch.sh"
job=$(timeout -k 5 20 "$SLURM_IN" - sbatch --parsable -N 2 --ntasks-per-node=2 --chdir="$WORK" \
    -o "$WORK/job-batch.log" "$WORK/batch.sh" </dev/null 2>"$WORK/job-batch.sbatch")
[ -n "$job" ] || { show "$WORK/job-batch.sbatch"; fail "sbatch did not submit the batch job"; }
# Its end: gone from squeue (sbatch --wait would poll every few seconds).
for i in $(seq 1 300); do
    [ -z "$(squeue -h -j "$job" -o %i 2>/dev/null)" ] && break
    sleep 0.1
done
want=$(for r in 0 1 2 3; do
    echo "rank $r host ${N[r / 2]} addr ${A[r / 2]}/24 daemon crestd under $([ $r -lt 2 ] && echo mpirun || echo slurmstepd)"
done
    echo "step batch ${N[0]}"
    echo "step crestd ${N[1]}")
rc=$(cat "$WORK/job-batch.rc" 2>/dev/null)
if [ "$rc" != 0 ] || [ "$(sort "$WORK/job-batch.out")" != "$(echo "$want" | sort)" ]; then
    show "$WORK/job-batch.log"
    show "$WORK/job-batch.out"
    show "$WORK/job-batch.err"
    fail_soft "a batch job (mpirun exited ${rc:-nothing: the job did not end within 30 s}): want ranks 0,1 on ${N[0]} under mpirun's crestd, 2,3 on ${N[1]} under one that slurmstepd started"
fi
for i in $(seq 1 50); do
    left=$(squeue -h -o %i; slurm_left; slurm_strays)
    [ -z "$left" ] && break
    sleep 0.1
done
[ -z "$left" ] || fail_soft "5 s after the batch job, jobs or processes remain: $left"
finish
