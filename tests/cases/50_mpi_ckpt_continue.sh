#!/bin/bash
# An MPI job checkpointed (continue mode) several times while its ranks
# compute, block in Recv/Wait/Waitany, wait in ANY_SOURCE receives, move
# large rendezvous messages, sit in skewed collectives or unmatched
# synchronous sends, use split communicators and exchange sequence-numbered
# traffic (tests/programs/mpi_ckpt.c): every rank is checkpointed at the
# same moment with `crest checkpoint PID` (libcrest preloaded), so that the
# MPI library's callback drains, closes and reconnects the channels.  The
# job must print exactly what an uninterrupted run prints.  At 2 and 8
# ranks over shared memory, 4 over TCP; and at 3 ranks computing after
# MPI_Finalize (the library takes part in the checkpoint's fences with its
# channels closed).
. "$(dirname "$0")/../lib.sh"
setup_work
require_crest
P=$(prog mpi_ckpt) || fail "test program mpi_ckpt does not build"
export CREST_RUNTIME_DIR=$WORK/rt CREST_NO_BOOT=1
mkdir -p -m 700 "$CREST_RUNTIME_DIR"
LIBCREST=$BUILD/lib/libcrest.so
CKPTS=${CKPTS:-3}

# The ranks of the job whose mpirun is $1: children of its crestd.
ranks_of() {
    local d
    d=$(pgrep -P "$1" -x crestd) || return 1
    pgrep -P "$d" | sort -n
}

for cfg in "2" "8" "4 tcp" "3 shm post"; do
    set -- $cfg
    n=$1
    extra=()
    [ "${2:-}" = tcp ] && extra=(-x CREST_MPI_TRANSPORT=tcp)
    label=$n${2:+-$2}${3:+-$3}
    # rounds, large message size (MiB) and compute per step by size: a few
    # seconds each on two cores
    case $n in
    2) args=(all 1 64 60) ;;
    3) args=(post 1 8 100) ;;
    4) args=(all 1 32 40) ;;
    *) args=(all 1 16 20) ;;
    esac
    t0=$(now_us)
    timeout -k 5 "$T_RUN" "$MPIRUN" -np "$n" "${extra[@]}" "$P" "${args[@]}" >"$WORK/$label.expected" 2>"$WORK/$label.experr"
    rc=$?
    secs=$(elapsed_since "$t0")
    if [ $rc -ne 0 ] || ! grep -qx "mpi_ckpt ok" "$WORK/$label.expected"; then
        show "$WORK/$label.expected"
        show "$WORK/$label.experr"
        fail_soft "$label: uninterrupted run: exit $(describe_rc $rc)"
        continue
    fi
    # checkpoints spread over the first 70% of the uninterrupted run's time
    gap=$(awk -v s="$secs" -v k="$CKPTS" 'BEGIN { printf "%.2f", s * 0.7 / (k + 1) }')
    SPAWN_OUT=$WORK/$label.out SPAWN_ERR=$WORK/$label.err \
        spawn timeout -k 5 "$T_RUN" "$MPIRUN" -np "$n" "${extra[@]}" -x LD_PRELOAD="$LIBCREST" "$P" "${args[@]}"
    job=$SPAWN_PID
    # mpirun is the child of timeout
    mp=""
    for i in $(seq 100); do
        mp=$(pgrep -P "$job" -x mpirun) && break
        sleep 0.05
    done
    done_ckpts=0
    for k in $(seq "$CKPTS"); do
        sleep "$gap"
        pids=$(ranks_of "$mp") || break
        [ "$(echo "$pids" | wc -l)" -eq "$n" ] || break
        cps=()
        r=0
        for pid in $pids; do
            timeout -k 5 "$T_CKPT" "$CREST" checkpoint "$pid" -o "$WORK/images/$label-r$r.img" \
                >"$WORK/$label.ckpt$k.r$r" 2>&1 &
            cps+=($!)
            r=$((r + 1))
        done
        bad=0
        for c in "${cps[@]}"; do
            wait "$c" || bad=1
        done
        if [ $bad -ne 0 ]; then
            cat "$WORK/$label".ckpt$k.r* | sed 's/^/  | /'
            fail_soft "$label: checkpoint $k of the $n ranks failed"
            break
        fi
        done_ckpts=$((done_ckpts + 1))
        rm -f "$WORK/images/$label"-r*.img
    done
    wait_exit "$job" "$T_RUN"
    rc=$WAIT_RC
    if [ "$rc" -ne 0 ] || ! cmp -s "$WORK/$label.out" "$WORK/$label.expected"; then
        diff "$WORK/$label.expected" "$WORK/$label.out" | head -20 | sed 's/^/  | /'
        show "$WORK/$label.err"
        fail_soft "$label: with $done_ckpts checkpoint(s): exit $(describe_rc "$rc"), output differs or incomplete"
        continue
    fi
    [ "$done_ckpts" -ge 1 ] || fail_soft "$label: the job ended before any checkpoint (${secs}s uninterrupted)"
    note "$label: $done_ckpts checkpoints of every rank, output identical (uninterrupted ${secs}s)"
done
finish
