#!/usr/bin/env bash
# mpi_bench.sh — crest's MPI library next to Debian's MPICH 4.0 and Open MPI
# 4.1, measured by bench/mpi/osu_like.c on this host: point-to-point latency,
# bandwidth and bidirectional bandwidth over shared memory and over TCP, the
# collectives Allreduce, Bcast, Alltoall and Barrier at 2 ranks, and all of
# them at 4 ranks on the machine's cores (oversubscribed on 2 cores).
#
# usage: bench/mpi_bench.sh [DIR]
#   DIR        work directory (default: $TMPDIR, else /tmp)
#   ROUNDS     rounds (environment; default 5, at least 3)
#   BUDGET     milliseconds of timed iterations per message size and job
#              (environment; default 20; osu_like's -t)
#   MAXSIZE    largest message in bytes (environment; default 4194304)
#   CONFIGS    which configurations (environment; default "shm2 tcp2 coll2 np4"):
#                shm2   latency bw bibw, 2 ranks, each library's default
#                       (shared memory) path
#                tcp2   latency bw bibw, 2 ranks, TCP forced, over loopback
#                coll2  allreduce bcast alltoall barrier, 2 ranks
#                np4    latency bw allreduce bcast alltoall barrier, 4 ranks
#   LIMIT      seconds a job may take before it is killed (default 300)
#   MPIRUN     crest's mpirun (default: build/bin/mpirun of this tree; its
#              crestd and lib/ are taken from the same tree)
#   MPICH_CC, MPICH_RUN   MPICH's compiler and launcher (mpicc.mpich, mpirun.mpich)
#   OMPI_CC, OMPI_RUN     Open MPI's (mpicc.openmpi, mpirun.openmpi)
#
# osu_like is built once with MPICH's mpicc: the same binary runs on MPICH
# (under mpirun.mpich) and on crest's library (under crest's mpirun, which
# puts crest's lib/ first in LD_LIBRARY_PATH; the library each job loaded is
# checked from the program's first line).  Open MPI has another ABI, so a
# second copy is built with its mpicc.  Each round runs every configuration
# once per library, the order of the libraries rotating from round to
# round; one small job per library comes first, untimed, so that no timed
# job pays for loading a library from disk.  Each job prints a figure per
# message size (the median of 5 timed batches, see osu_like.c); the tables
# give the median over the rounds for each library and crest's ratio to the
# better of MPICH and Open MPI (and to MPICH alone at 4 ranks), with the
# range of the per-round ratios.
#
# A job that fails or is killed after LIMIT seconds loses only the sizes it
# had not printed yet; the failure is listed under "notes".
source "$(dirname "$0")/common.sh"

ROUNDS=${ROUNDS:-5}
BUDGET=${BUDGET:-20}
MAXSIZE=${MAXSIZE:-4194304}
CONFIGS=${CONFIGS:-"shm2 tcp2 coll2 np4"}
LIMIT=${LIMIT:-300}
MPIRUN=${MPIRUN:-$ROOT/build/bin/mpirun}
MPICH_CC=${MPICH_CC:-mpicc.mpich}
MPICH_RUN=${MPICH_RUN:-mpirun.mpich}
OMPI_CC=${OMPI_CC:-mpicc.openmpi}
OMPI_RUN=${OMPI_RUN:-mpirun.openmpi}
[ "$ROUNDS" -ge 3 ] 2>/dev/null || bench_die "ROUNDS must be a number >= 3"
[ "$BUDGET" -ge 1 ] 2>/dev/null || bench_die "BUDGET must be a number of milliseconds >= 1"
[ "$MAXSIZE" -ge 4 ] 2>/dev/null || bench_die "MAXSIZE must be a number of bytes >= 4"
[ "$LIMIT" -ge 10 ] 2>/dev/null || bench_die "LIMIT must be a number of seconds >= 10"
for c in $CONFIGS; do
    case $c in shm2 | tcp2 | coll2 | np4) ;; *) bench_die "unknown configuration $c (shm2 tcp2 coll2 np4)" ;; esac
done
[ -x "$MPIRUN" ] || bench_die "no mpirun at $MPIRUN; run 'make -C $ROOT' first"
CREST_BUILD=$(cd "$(dirname "$MPIRUN")/.." && pwd)
[ -x "$CREST_BUILD/bin/crestd" ] || bench_die "no crestd next to $MPIRUN"
[ -e "$CREST_BUILD/lib/libmpi.so.12" ] || bench_die "no libmpi.so.12 in $CREST_BUILD/lib; run 'make -C $ROOT' first"
command -v "$MPICH_CC" >/dev/null || bench_die "$MPICH_CC not found: the MPICH-ABI binary is built with it (install Debian's libmpich-dev)"
command -v timeout >/dev/null || bench_die "timeout (coreutils) not found"
bench_init "${1:-}"

# The private copy of the build, as for crest itself: mpirun runs the crestd
# of its own directory and gives the ranks the lib/ next to it.  The copy
# keeps a rebuild during the run out of the tables.
cp -p "$MPIRUN" "$WORK/build/bin/mpirun" && cp -p "$CREST_BUILD/bin/crestd" "$WORK/build/bin/crestd" &&
    cp -pP "$CREST_BUILD"/lib/libmpi.so* "$CREST_BUILD"/lib/libmpich.so* "$WORK/build/lib/" ||
    bench_die "cannot copy mpirun, crestd and libmpi from $CREST_BUILD"
RTDIR=$(mktemp -d "$WORK/rt.XXXXXX") && chmod 0700 "$RTDIR" || bench_die "cannot make a runtime directory"
SRC=$BENCH_DIR/mpi/osu_like.c
CFLAGS_BENCH=(-std=c11 -O2 -Wall -Wextra)
"$MPICH_CC" "${CFLAGS_BENCH[@]}" -o "$WORK/osu_mpich" "$SRC" || bench_die "cannot compile $SRC with $MPICH_CC"

NAMES=(crest)
declare -A VERSION=()
VERSION[crest]="$("$WORK/build/bin/mpirun" --version 2>&1 | head -n1)"
if command -v "$MPICH_RUN" >/dev/null; then
    NAMES+=(mpich)
    VERSION[mpich]="$(mpichversion 2>/dev/null | awk -F'\t' '/^MPICH Version/ { v = $NF } /^MPICH Device/ { d = $NF } END { print "MPICH " v ", device " d }')"
else
    echo "mpich: $MPICH_RUN not found, skipped (install Debian's mpich)"
fi
if command -v "$OMPI_RUN" >/dev/null && command -v "$OMPI_CC" >/dev/null; then
    if "$OMPI_CC" "${CFLAGS_BENCH[@]}" -o "$WORK/osu_ompi" "$SRC"; then
        NAMES+=(openmpi)
        VERSION[openmpi]="$("$OMPI_RUN" --version 2>&1 | head -n1)"
    else
        echo "openmpi: cannot compile $SRC with $OMPI_CC, skipped"
    fi
else
    echo "openmpi: $OMPI_RUN or $OMPI_CC not found, skipped (install Debian's openmpi-bin and libopenmpi-dev)"
fi
OTHERS=("${NAMES[@]:1}")
has() { local n; for n in "${NAMES[@]}"; do [ "$n" = "$1" ] && return 0; done; return 1; }

# What each configuration runs.
declare -A NP=([shm2]=2 [tcp2]=2 [coll2]=2 [np4]=4)
declare -A BENCHES=([shm2]="latency bw bibw" [tcp2]="latency bw bibw"
    [coll2]="allreduce bcast alltoall barrier" [np4]="latency bw allreduce bcast alltoall barrier")
declare -A TITLE=([shm2]="2 ranks, shared memory (each library's default path)"
    [tcp2]="2 ranks, TCP forced, loopback"
    [coll2]="2 ranks"
    [np4]="4 ranks on $(nproc) cores")

# job_cmd LIB CONFIG [ARG...]: sets CMD to the command line of one job
# (osu_like's arguments: ARGs, else those of CONFIG).
job_cmd() {
    local lib=$1 cfg=$2 np=${NP[$2]}
    local -a args=(-t "$BUDGET" -m "$MAXSIZE" ${BENCHES[$cfg]})
    [ $# -gt 2 ] && args=("${@:3}")
    case $lib in
    crest)
        CMD=(env CREST_NO_BOOT=1 "CREST_RUNTIME_DIR=$RTDIR" "$WORK/build/bin/mpirun" -np "$np")
        [ "$cfg" = tcp2 ] && CMD+=(-x CREST_MPI_TRANSPORT=tcp)
        CMD+=("$WORK/osu_mpich" "${args[@]}")
        ;;
    mpich)
        # Debian's MPICH is ch4:ucx.  NOLOCAL turns off MPICH's own
        # shared-memory module; UCX_TLS then leaves UCX only TCP (and self),
        # and UCX_NET_DEVICES the loopback interface.
        CMD=()
        [ "$cfg" = tcp2 ] && CMD=(env MPIR_CVAR_NOLOCAL=1 UCX_TLS=tcp,self UCX_NET_DEVICES=lo)
        CMD+=("$(command -v "$MPICH_RUN")" -np "$np" "$WORK/osu_mpich" "${args[@]}")
        ;;
    openmpi)
        # Open MPI refuses root without --allow-run-as-root and more ranks
        # than cores without --oversubscribe.  For TCP: the ob1 engine with
        # only the tcp and self transports (the default engine is UCX),
        # on the loopback interface (excluded by default).
        CMD=("$(command -v "$OMPI_RUN")")
        [ "$(id -u)" -eq 0 ] && CMD+=(--allow-run-as-root)
        [ "$np" -gt "$(nproc)" ] && CMD+=(--oversubscribe)
        [ "$cfg" = tcp2 ] && CMD+=(--mca pml ob1 --mca btl tcp,self --mca btl_tcp_if_include lo)
        CMD+=(-np "$np" "$WORK/osu_ompi" "${args[@]}")
        ;;
    esac
}

# What a job's first line must name: the library it really loaded.
declare -A EXPECT=([crest]="crest MPI" [mpich]="MPICH" [openmpi]="Open MPI")

echo "== MPI micro-benchmarks: crest vs MPICH vs Open MPI, $ROUNDS rounds, configurations: $CONFIGS"
machine_info "$WORK"
echo "libmpi:     crest's, built $(date -u -r "$WORK/build/lib/libmpi.so.12" '+%Y-%m-%d %H:%M UTC')"
for l in "${NAMES[@]}"; do printf 'library:    %-8s %s\n' "$l" "${VERSION[$l]}"; done
echo "program:    $SRC, built with $MPICH_CC ${CFLAGS_BENCH[*]} (crest and MPICH run the same binary)$(has openmpi && echo " and with $OMPI_CC (Open MPI)")"
for c in $CONFIGS; do
    for l in "${NAMES[@]}"; do
        job_cmd "$l" "$c"
        printf 'job:        %-5s %-8s %s\n' "$c" "$l" "${CMD[*]//$WORK/\$WORK}"
    done
done
echo "            (\$WORK: the private work directory; crest's mpirun, crestd and libmpi are copies of $CREST_BUILD)"
echo "command:    ROUNDS=$ROUNDS BUDGET=$BUDGET MAXSIZE=$MAXSIZE CONFIGS=\"$CONFIGS\" LIMIT=$LIMIT bench/mpi_bench.sh ${1:-}"

declare -A V=()        # "lib|cfg|bench|size|round" -> value
declare -A SIZES=()    # "cfg|bench" -> sizes seen, ascending
declare -A JOBSEC=()   # "lib|cfg" -> wall seconds of each job
NOTES=()

# kill_strays: ends any osu_like still running (a killed launcher may leave
# ranks behind); only this run's binaries are matched, by their path.
kill_strays() {
    local p stray
    stray=$(pgrep -f "^$WORK/osu_" | tr '\n' ' ')
    [ -n "$stray" ] || return 0
    for p in $stray; do kill -KILL "$p" 2>/dev/null; done
    NOTES+=("$1: osu_like processes left after the job: $stray(killed)")
}

# run_job LIB CONFIG ROUND: one job; its figures go to V.
run_job() {
    local lib=$1 cfg=$2 r=$3 out=$WORK/out err=$WORK/err rc b s v lib_line t0 t1
    job_cmd "$lib" "$cfg"
    t0=${EPOCHREALTIME/./}
    # timeout signals its whole process group: the launcher and what it
    # started in that group.
    timeout -k 5 "$LIMIT" "${CMD[@]}" >"$out" 2>"$err" </dev/null
    rc=$?
    t1=${EPOCHREALTIME/./}
    JOBSEC[$lib|$cfg]+="$(((t1 - t0) / 1000000)).$(((t1 - t0) / 100000 % 10)) "
    kill_strays "$lib $cfg round $((r + 1))"
    lib_line=$(grep -m1 '^# library:' "$out")
    if [ -n "$lib_line" ] && [[ $lib_line != *"${EXPECT[$lib]}"* ]]; then
        bench_die "the $lib job ran on another library: $lib_line"
    fi
    while read -r b s v _; do
        case $b in '#'* | '') continue ;; esac
        [[ $s =~ ^[0-9]+$ ]] || continue
        V[$lib|$cfg|$b|$s|$r]=$v
        [[ " ${SIZES[$cfg|$b]:-} " == *" $s "* ]] || SIZES[$cfg|$b]=$(printf '%s\n' ${SIZES[$cfg|$b]:-} "$s" | sort -n | tr '\n' ' ')
    done <"$out"
    if [ "$rc" -ne 0 ]; then
        local last
        last=$(grep -v '^#' "$out" | tail -n1)
        if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
            NOTES+=("$lib $cfg round $((r + 1)): killed after $LIMIT s; last figure: ${last:-none}")
        else
            NOTES+=("$lib $cfg round $((r + 1)): exit status $rc; last figure: ${last:-none}; stderr: $(grep -v '^\[' "$err" | head -c 600 | tr '\n' ' ')")
        fi
    fi
}

echo
echo "warm-up (untimed): one small job per library"
for l in "${NAMES[@]}"; do
    job_cmd "$l" coll2 -t 1 -m 1024 latency barrier
    timeout -k 5 "$LIMIT" "${CMD[@]}" >/dev/null 2>&1 </dev/null
    kill_strays "$l warm-up"
done
NOTES=()
for ((r = 0; r < ROUNDS; r++)); do
    line="round $((r + 1)):"
    for c in $CONFIGS; do
        for ((i = 0; i < ${#NAMES[@]}; i++)); do
            l=${NAMES[(i + r) % ${#NAMES[@]}]}
            run_job "$l" "$c" "$r"
        done
        line+=" $c"
    done
    echo "$line done ($(cut -d' ' -f1 /proc/loadavg) load)"
done

# ---------------------------------------------------------------- tables

# pretty SIZE: bytes with a binary unit.
pretty() {
    local s=$1
    if [ "$s" -ge 1048576 ] && [ $((s % 1048576)) -eq 0 ]; then echo "$((s / 1048576)) MiB"
    elif [ "$s" -ge 1024 ] && [ $((s % 1024)) -eq 0 ]; then echo "$((s / 1024)) KiB"
    else echo "$s B"; fi
}
# values LIB CFG BENCH SIZE: the figures of all rounds that have one.
values() { local r; for ((r = 0; r < ROUNDS; r++)); do [ -n "${V[$1|$2|$3|$4|$r]:-}" ] && printf '%s ' "${V[$1|$2|$3|$4|$r]}"; done; }
med() { local v; v=$(values "$@"); [ -n "$v" ] && median $v || echo nan; }
higher_better() { [ "$1" = bw ] || [ "$1" = bibw ]; }
# better A B BENCH: 0 if A is better than B for BENCH.
better() { if higher_better "$3"; then awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; else awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; fi; }

# The targets of the issue, per configuration and benchmark: against the
# better of MPICH and Open MPI, and at 4 ranks also against MPICH alone.
# "le X": crest / best <= X (times); "ge X": crest / best >= X (bandwidths).
target_best() {
    case $1 in
    shm2) if higher_better "$2"; then echo "ge 0.95"; else echo "le 1.1"; fi ;;
    tcp2) if higher_better "$2"; then echo "ge 0.909"; else echo "le 1.1"; fi ;;  # within 1.1x: 1/1.1 for bandwidth
    coll2) echo "le 1.1" ;;
    np4) if [ "$2" = latency ] || higher_better "$2"; then echo -; else echo "le 1.1"; fi ;;
    esac
}
target_mpich() {
    [ "$1" = np4 ] || { echo -; return; }
    if higher_better "$2"; then echo "ge 1.0"; else echo "le 1.0"; fi
}
meets() { # meets RATIO TARGET
    local op=${2% *} x=${2#* }
    [ "$1" != nan ] || return 1
    if [ "$op" = le ]; then awk -v a="$1" -v b="$x" 'BEGIN { exit !(a <= b) }'; else awk -v a="$1" -v b="$x" 'BEGIN { exit !(a >= b) }'; fi
}
show_target() { [ "$1" = - ] && echo - || { [ "${1% *}" = le ] && echo "<= ${1#* }" || echo ">= ${1#* }"; }; }

declare -A MISSED=() MET=() UNMEASURED=()  # "cfg|bench|which" -> sizes (with ratios)
table() { # table CFG BENCH
    local cfg=$1 b=$2 s l unit tb tm who best rb rmp pr rr i cr br v okb okm
    if higher_better "$b"; then unit="MB/s, higher is better; ratio crest/best: higher is better"
    else unit="us, lower is better; ratio crest/best: lower is better"; fi
    tb=$(target_best "$cfg" "$b")
    tm=$(target_mpich "$cfg" "$b")
    echo
    echo "### $b — ${TITLE[$cfg]} ($unit)"
    echo
    local head="| size |" rule="|-----:|"
    for l in "${NAMES[@]}"; do head+=" $l |"; rule+="------:|"; done
    head+=" best | crest/best | per-round | target |"
    rule+="------|------:|------|------|"
    if [ "$tm" != - ]; then head+=" crest/mpich | target |"; rule+="------:|------|"; fi
    echo "$head met |"
    echo "$rule------|"
    for s in ${SIZES[$cfg|$b]:-}; do
        local row="| $(pretty "$s") |"
        declare -A M=()
        for l in "${NAMES[@]}"; do
            M[$l]=$(med "$l" "$cfg" "$b" "$s")
            row+=" ${M[$l]} |"
        done
        best=nan who=-
        for l in "${OTHERS[@]}"; do
            [ "${M[$l]}" = nan ] && continue
            if [ "$best" = nan ] || better "${M[$l]}" "$best" "$b"; then best=${M[$l]} who=$l; fi
        done
        rb=nan pr=-
        if [ "${M[crest]}" != nan ] && [ "$best" != nan ]; then
            rb=$(ratio "${M[crest]}" "$best")
            # Per round: crest against the better other library of that round.
            rr=()
            for ((i = 0; i < ROUNDS; i++)); do
                cr=${V[crest|$cfg|$b|$s|$i]:-}
                br=
                for l in "${OTHERS[@]}"; do
                    v=${V[$l|$cfg|$b|$s|$i]:-}
                    [ -n "$v" ] || continue
                    if [ -z "$br" ] || better "$v" "$br" "$b"; then br=$v; fi
                done
                [ -n "$cr" ] && [ -n "$br" ] && rr+=("$(ratio "$cr" "$br")")
            done
            [ ${#rr[@]} -gt 0 ] && pr="$(minimum "${rr[@]}")..$(maximum "${rr[@]}")"
        fi
        row+=" $who | $rb | $pr | $(show_target "$tb") |"
        okb=- okm=-
        if [ "$tb" != - ]; then
            if [ "$rb" = nan ]; then okb="n/a"; UNMEASURED[$cfg|$b|best]+="$(pretty "$s"), "
            elif meets "$rb" "$tb"; then okb=yes; MET[$cfg|$b|best]+="x"
            else okb=NO; MISSED[$cfg|$b|best]+="$(pretty "$s") ($rb), "; fi
        fi
        if [ "$tm" != - ]; then
            rmp=nan
            [ "${M[crest]}" != nan ] && [ "${M[mpich]:-nan}" != nan ] && rmp=$(ratio "${M[crest]}" "${M[mpich]}")
            row+=" $rmp | $(show_target "$tm") |"
            if [ "$rmp" = nan ]; then okm="n/a"; UNMEASURED[$cfg|$b|mpich]+="$(pretty "$s"), "
            elif meets "$rmp" "$tm"; then okm=yes; MET[$cfg|$b|mpich]+="x"
            else okm=NO; MISSED[$cfg|$b|mpich]+="$(pretty "$s") ($rmp), "; fi
        fi
        if [ "$tm" = - ]; then row+=" $okb |"
        elif [ "$tb" = - ]; then row+=" $okm |"
        else row+=" $okb/$okm |"; fi
        echo "$row"
        unset M
    done
    [ -n "${SIZES[$cfg|$b]:-}" ] || echo "| (no figures: every job of this benchmark failed) |"
}

echo
echo "medians over $ROUNDS rounds of each job's figure (itself the median of 5 timed batches);"
echo "best: the better of the other libraries by median; per-round: range of crest / the better"
echo "other library of the same round; met: crest/best within the target (at 4 ranks: best/MPICH)"
for c in $CONFIGS; do
    echo
    echo "## ${TITLE[$c]} (np ${NP[$c]}, $c)"
    for b in ${BENCHES[$c]}; do table "$c" "$b"; done
done

echo
echo "## Summary of the targets"
echo
for c in $CONFIGS; do
    for b in ${BENCHES[$c]}; do
        for which in best mpich; do
            if [ "$which" = best ]; then t=$(target_best "$c" "$b") against="the better of MPICH and Open MPI"
            else t=$(target_mpich "$c" "$b") against="MPICH"; fi
            [ "$t" != - ] || continue
            n_met=${MET[$c|$b|$which]:-}
            n_met=${#n_met}
            miss=${MISSED[$c|$b|$which]:-}
            un=${UNMEASURED[$c|$b|$which]:-}
            n_all=$(wc -w <<<"${SIZES[$c|$b]:-}")
            line="- $c $b, crest vs $against $(show_target "$t"): met at $n_met of $n_all sizes"
            [ -n "$miss" ] && line+="; missed at ${miss%, }"
            [ -n "$un" ] && line+="; not measured at ${un%, }"
            echo "$line"
        done
    done
done

echo
if [ ${#NOTES[@]} -gt 0 ]; then
    echo "notes:"
    printf '  %s\n' "${NOTES[@]}"
else
    echo "notes: every job ended by itself with status 0"
fi
echo
echo "job wall times (s, round order):"
for c in $CONFIGS; do
    for l in "${NAMES[@]}"; do printf '  %-5s %-8s %s\n' "$c" "$l" "${JOBSEC[$l|$c]:-}"; done
done
echo
echo "all figures (round order; -: none):"
for c in $CONFIGS; do
    for b in ${BENCHES[$c]}; do
        for s in ${SIZES[$c|$b]:-}; do
            for l in "${NAMES[@]}"; do
                line=$(printf '  %-5s %-9s %8s %-8s' "$c" "$b" "$s" "$l")
                for ((r = 0; r < ROUNDS; r++)); do line+=" ${V[$l|$c|$b|$s|$r]:--}"; done
                echo "$line"
            done
        done
    done
done
load_now
