#!/usr/bin/env bash
# ckpt_bench.sh — the performance targets of job-wide checkpoint/restart
# (issue 6), measured on this host:
#   quiesce   an NP_Q-rank job (default 8) exchanging messages without pause
#             (bench/ckpt/traffic.c) is checkpointed SAMPLES times (continue);
#             the manifest's quiesce_ns (the slowest rank's time from the
#             request to its channels drained and threads stopped) is
#             collected: median and max, target < 50 ms
#   snapshot  NP_S ranks (default 4) of bench/ckpt/dirty_rank.c, each with
#             MIB MiB (default 256) of dirty, non-repeating heap, waiting:
#             `crest checkpoint MPIRUN_PID` (wall time of the command, and the
#             manifest's total_ns) against `dd if=/dev/zero bs=1M
#             conv=fdatasync` writing as many MiB as the snapshot holds into
#             the same directory; ratio of medians, target <= 1.2
#   restart   the same job checkpointed with --term; its ranks, once restored,
#             find their GO file there, check one word of every page, meet
#             in one MPI_Allreduce and end: wall time of `crest restart
#             SNAPSHOT` against `cat IMAGES > /dev/null` (the images one after
#             the other), warm (images in the page cache) and, as root, cold
#             (`sync; echo 3 > /proc/sys/vm/drop_caches` before each command);
#             ratio of medians, target <= 1.2; for information also the
#             images read by NP_S cats at once
#   overhead  bench/ckpt/mix.c on 2 ranks (ping-pong of 8 bytes, Allreduce,
#             computation; then a 0-byte ping-pong latency test) under
#             `mpirun` (libcrest preloaded: the MPI library's checkpoint
#             critical sections in use) against `mpirun --no-checkpoint`;
#             ratio of medians of the workload's time, target <= 1.01; the
#             latency the same way
#
# usage: bench/ckpt_bench.sh [DIR]
#   DIR       work directory, where the snapshots and dd's file go
#             (default: $TMPDIR, else /tmp)
# environment:
#   QUICK=1   fewer repetitions, for a quick check (SAMPLES=10 ROUNDS=3
#             OROUNDS=3 STEPS=20000 unless set)
#   PARTS     which targets (default "quiesce snapshot restart overhead")
#   NP_Q      ranks of the quiesce job (default 8)
#   SAMPLES   checkpoints of the quiesce job (default 100)
#   GAP       seconds between them (default 0.2)
#   NP_S, MIB ranks and MiB per rank of the snapshot job (default 4, 256)
#   ROUNDS    rounds of snapshot vs dd and of restart vs read (default 9)
#   COLD      1: also cold-cache restarts (default 1 as root, else 0)
#   OROUNDS   rounds of the overhead comparison (default 25)
#   STEPS     steps of mix's workload (default 60000: 2-4 s here)
#   LAT_ITERS round trips per timed batch of mix's latency test (default 100000)
#   BIND      1: mix's ranks bind themselves to separate CPUs (default 1)
#   LIMIT     seconds any one command may take before it is killed (default 300)
#   MPIRUN    crest's mpirun (default build/bin/mpirun of this tree; crestd,
#             crest and lib/ are taken from the same tree)
#
# Every comparison is interleaved: round r runs A then B, round r+1 B then
# A.  One untimed run of each command comes before the timed ones (the first
# use of memory and of the disk is slow here).  Before every checkpoint and
# every dd the previous snapshot and dd's file are removed and `sync` runs,
# untimed.  Jobs run with CREST_NO_BOOT=1 and a private CREST_RUNTIME_DIR
# (0700) in the work directory, from a private copy of the build.
source "$(dirname "$0")/common.sh"

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
    SAMPLES=${SAMPLES:-10} ROUNDS=${ROUNDS:-3} OROUNDS=${OROUNDS:-3} STEPS=${STEPS:-20000}
fi
PARTS=${PARTS:-"quiesce snapshot restart overhead"}
NP_Q=${NP_Q:-8}
SAMPLES=${SAMPLES:-100}
GAP=${GAP:-0.2}
NP_S=${NP_S:-4}
MIB=${MIB:-256}
ROUNDS=${ROUNDS:-9}
OROUNDS=${OROUNDS:-25}
STEPS=${STEPS:-60000}
LAT_ITERS=${LAT_ITERS:-100000}
BIND=${BIND:-1}
LIMIT=${LIMIT:-300}
MPIRUN=${MPIRUN:-$ROOT/build/bin/mpirun}
if [ -z "${COLD:-}" ]; then
    if [ "$(id -u)" -eq 0 ]; then COLD=1; else COLD=0; fi
fi
for p in $PARTS; do
    case $p in quiesce | snapshot | restart | overhead) ;; *) bench_die "unknown part $p (quiesce snapshot restart overhead)" ;; esac
done
num() { [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge "$3" ] || bench_die "$1 must be a whole number >= $3, got \"$2\""; }
num NP_Q "$NP_Q" 2; num SAMPLES "$SAMPLES" 1; num NP_S "$NP_S" 1; num MIB "$MIB" 1; num ROUNDS "$ROUNDS" 1
num OROUNDS "$OROUNDS" 1; num STEPS "$STEPS" 1; num LAT_ITERS "$LAT_ITERS" 1; num LIMIT "$LIMIT" 10
[[ $GAP =~ ^[0-9]*\.?[0-9]+$ ]] || bench_die "GAP must be a number of seconds, got \"$GAP\""
if [ "$COLD" = 1 ] && ! [ -w /proc/sys/vm/drop_caches ]; then
    echo "cold restarts: /proc/sys/vm/drop_caches is not writable (root only), skipped"
    COLD=0
fi
[ -x "$MPIRUN" ] || bench_die "no mpirun at $MPIRUN; run 'make -C $ROOT' first"
CREST_BUILD=$(cd "$(dirname "$MPIRUN")/.." && pwd)
CREST=$CREST_BUILD/bin/crest
for f in bin/crestd bin/crest lib/libcrest.so lib/libmpi.so.12 include/mpi.h; do
    [ -e "$CREST_BUILD/$f" ] || bench_die "no $f in $CREST_BUILD; run 'make -C $ROOT' first"
done
command -v timeout >/dev/null || bench_die "timeout (coreutils) not found"
has_part() { [[ " $PARTS " == *" $1 "* ]]; }
bench_init "${1:-}"

# The private copy of the build: `crest restart` runs the mpirun next to it,
# mpirun the crestd next to it and preloads the libcrest of ../lib.
cp -p "$MPIRUN" "$WORK/build/bin/mpirun" && cp -p "$CREST_BUILD/bin/crestd" "$WORK/build/bin/crestd" &&
    cp -pP "$CREST_BUILD"/lib/libcrest.so* "$CREST_BUILD"/lib/libmpi.so* "$CREST_BUILD"/lib/libmpich.so* "$WORK/build/lib/" ||
    bench_die "cannot copy mpirun, crestd and the libraries from $CREST_BUILD"
MPIRUN=$WORK/build/bin/mpirun
export CREST_NO_BOOT=1 CREST_RUNTIME_DIR=$WORK/rt
mkdir -m 700 "$CREST_RUNTIME_DIR" || bench_die "cannot make $CREST_RUNTIME_DIR"
unset SLURM_JOB_ID SLURM_JOB_NODELIST CREST_RSH CREST_LAUNCHER LD_PRELOAD
CFLAGS_BENCH=(-std=gnu11 -O2 -Wall -Wextra -Wno-stringop-overflow)
for p in traffic dirty_rank mix; do
    "$CC" "${CFLAGS_BENCH[@]}" -I"$CREST_BUILD/include" -o "$WORK/$p" "$BENCH_DIR/ckpt/$p.c" \
        -L"$WORK/build/lib" -lmpi -Wl,-rpath,"$WORK/build/lib" || bench_die "cannot compile $BENCH_DIR/ckpt/$p.c"
done

echo "== checkpoint/restart of MPI jobs: parts $PARTS"
machine_info "$WORK"
echo "programs:   bench/ckpt/{traffic,dirty_rank,mix}.c, built with $CC ${CFLAGS_BENCH[*]} against crest's mpi.h and libmpi"
echo "command:    QUICK=$QUICK PARTS=\"$PARTS\" NP_Q=$NP_Q SAMPLES=$SAMPLES GAP=$GAP NP_S=$NP_S MIB=$MIB ROUNDS=$ROUNDS COLD=$COLD OROUNDS=$OROUNDS STEPS=$STEPS LAT_ITERS=$LAT_ITERS BIND=$BIND bench/ckpt_bench.sh ${1:-}"

# mf MANIFEST KEY: a top-level value of a snapshot's manifest.
mf() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }
# ns_ms NS: nanoseconds as milliseconds.
ns_ms() { awk -v n="$1" 'BEGIN { printf "%.3f", n / 1e6 }'; }
# pct P NUM...: the P-th percentile (nearest rank).
pct() {
    local p=$1
    shift
    printf '%s\n' "$@" | sort -g | awk -v p="$p" '{ v[NR] = $1 } END { i = int((p * NR + 99) / 100); if (i < 1) i = 1; print v[i] }'
}
count_over() { local lim=$1 n=0 v; shift; for v in "$@"; do awk -v a="$v" -v b="$lim" 'BEGIN { exit !(a > b) }' && n=$((n + 1)); done; echo $n; }
last() { awk '{ print $NF }' <<<"$1"; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r != "nan" && r <= t) ? "met" : "NOT met" }'; }
range() { local rr; rr=$(ratios "$1" "$2"); echo "$(minimum $rr)..$(maximum $rr)"; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }
# ranks_ready DIR N: all N ready files are there.
ranks_ready() { [ "$(find "$1" -name 'ready.*' | wc -l)" -ge "$2" ]; }

# ckpt PID OUTFILE [ARG...]: crest checkpoint of a job; dies on failure.
ckpt() {
    local pid=$1 out=$2
    shift 2
    timeout -k 5 "$LIMIT" "$CREST" checkpoint "$pid" "$@" >"$out" 2>"$out.err" ||
        bench_die "crest checkpoint $pid $* failed: $(tail -n 3 "$out.err")"
}

RESULTS=()   # the one line per target, printed at the end
NOTES=()     # failures that were run again
DETAILS=()   # all figures, printed after them

# ---------------------------------------------------------------- quiesce
if has_part quiesce; then
    echo
    echo "-- quiesce: $NP_Q ranks of traffic, $SAMPLES checkpoints (continue), $GAP s apart"
    QDIR=$WORK/ck-q
    start_bg QPID "$WORK/q.out" "$MPIRUN" -np "$NP_Q" --checkpoint-dir "$QDIR" --keep 1 \
        "$WORK/traffic" "$WORK/q.ready" "$WORK/q.stop"
    wait_for_file "$WORK/q.ready" 60 "$QPID" || bench_die "the traffic job did not start: $(head -c 2000 "$WORK/q.out")"
    sleep 0.5
    ckpt "$QPID" "$WORK/q.ck"   # untimed
    QQ=() QT=() QW=() QR=()
    for ((i = 0; i < SAMPLES; i++)); do
        sleep "$GAP"
        timed_ms w ckpt "$QPID" "$WORK/q.ck"
        m=$(cat "$WORK/q.ck")/manifest
        [ -s "$m" ] || bench_die "no manifest at $m"
        QQ+=("$(ns_ms "$(mf "$m" quiesce_ns)")")
        QT+=("$(ns_ms "$(mf "$m" total_ns)")")
        QW+=("$w")
        # the fastest rank's quiesce time, for the spread between ranks
        QR+=("$(awk '$1 == "rank" { for (i = 2; i < NF; i++) if ($i == "quiesce_ns") { v = $(i + 1); if (min == "" || v < min) min = v } }
            END { printf "%.3f", min / 1e6 }' "$m")")
        [ $(((i + 1) % 10)) -eq 0 ] && echo "  $((i + 1)) checkpoints; last: quiesce ${QQ[-1]} ms, total ${QT[-1]} ms ($(cut -d' ' -f1 /proc/loadavg) load)"
    done
    touch "$WORK/q.stop"
    wait_gone "$QPID" 60 || bench_die "the traffic job did not end after its stop file"
    grep -q '^traffic ok' "$WORK/q.out" || bench_die "the traffic job failed: $(head -c 2000 "$WORK/q.out")"
    med=$(median "${QQ[@]}") mx=$(maximum "${QQ[@]}") over=$(count_over 50 "${QQ[@]}")
    RESULTS+=("quiesce:  $NP_Q ranks under traffic, $SAMPLES checkpoints: median $med ms, 90th pct $(pct 90 "${QQ[@]}") ms, max $mx ms ($over of $SAMPLES over 50 ms); target < 50 ms: $(awk -v m="$med" 'BEGIN { print (m < 50) ? "met" : "NOT met" }') (median)$([ "$over" -gt 0 ] && echo ", max over")")
    DETAILS+=("quiesce: slowest rank (manifest quiesce_ns), ms: ${QQ[*]}"
        "quiesce: fastest rank, ms: ${QR[*]}"
        "quiesce: manifest total_ns, ms (median $(median "${QT[@]}")): ${QT[*]}"
        "quiesce: crest checkpoint wall, ms (median $(median "${QW[@]}")): ${QW[*]}"
        "quiesce: the job: $(cat "$WORK/q.out")")
fi

# ---------------------------------------------------------------- snapshot and restart
if has_part snapshot || has_part restart; then
    echo
    echo "-- snapshot: $NP_S ranks x $MIB MiB of dirty_rank"
    SDIR=$WORK/ck-s
    mkdir -p "$WORK/s.ready"
    start_bg SPID "$WORK/s.out" "$MPIRUN" -np "$NP_S" --checkpoint-dir "$SDIR" \
        "$WORK/dirty_rank" "$MIB" "$WORK/s.ready" "$WORK/s.go"
    deadline=$((SECONDS + LIMIT))
    until ranks_ready "$WORK/s.ready" "$NP_S"; do
        kill -0 "$SPID" 2>/dev/null && [ $SECONDS -lt $deadline ] ||
            bench_die "the dirty_rank job did not get ready: $(head -c 2000 "$WORK/s.out")"
        sleep 0.1
    done
    clear_dir() { rm -rf "$SDIR"/snapshot.* "$SDIR/dd.out"; sync; }
    ckpt "$SPID" "$WORK/s.ck"   # untimed: also tells the snapshot's size
    SNAP_BYTES=$(mf "$(cat "$WORK/s.ck")/manifest" bytes)
    DD_MIB=$(((SNAP_BYTES + 1048575) / 1048576))
    run_dd() {
        local ms
        timed_ms ms dd if=/dev/zero of="$SDIR/dd.out" bs=1M count="$DD_MIB" conv=fdatasync status=none ||
            bench_die "dd into $SDIR failed"
        SD+="$ms "
    }
    run_ck() {
        local ms m
        timed_ms ms ckpt "$SPID" "$WORK/s.ck"
        m=$(cat "$WORK/s.ck")/manifest
        SC+="$ms " SM+="$(ns_ms "$(mf "$m" total_ns)") " SQ+="$(ns_ms "$(mf "$m" quiesce_ns)") "
        SB+="$(mf "$m" bytes) "
    }
    echo "snapshot:   $(awk -v b="$SNAP_BYTES" 'BEGIN { printf "%.1f MiB", b / 1048576 }') in $NP_S images; dd writes $DD_MIB MiB"
    clear_dir
    SD="" SC="" SM="" SQ="" SB=""
    run_dd   # untimed
    if has_part snapshot; then
        SD="" SC="" SM="" SQ="" SB=""
        for ((r = 0; r < ROUNDS; r++)); do
            if [ $((r % 2)) -eq 0 ]; then clear_dir; run_ck; clear_dir; run_dd
            else clear_dir; run_dd; clear_dir; run_ck; fi
            echo "  round $((r + 1)): crest checkpoint $(last "$SC") ms (manifest $(last "$SM")), dd $(last "$SD") ms ($(cut -d' ' -f1 /proc/loadavg) load)"
        done
        mc=$(median $SC) mm=$(median $SM) md=$(median $SD)
        rc=$(ratio "$mc" "$md") rm_=$(ratio "$mm" "$md")
        RESULTS+=("snapshot: $NP_S x $MIB MiB ($(awk -v b="$SNAP_BYTES" 'BEGIN { printf "%.1f", b / 1048576 }') MiB), $ROUNDS rounds: crest checkpoint $mc ms (manifest total $mm ms) vs dd conv=fdatasync $md ms: ratio $rc (manifest $rm_), per-round $(range "$SC" "$SD"), fastest/fastest $(ratio "$(minimum $SC)" "$(minimum $SD)"); target <= 1.2: $(verdict "$rc" 1.2)")
        DETAILS+=("snapshot: crest checkpoint wall, ms: $SC"
            "snapshot: manifest total_ns, ms: $SM"
            "snapshot: manifest quiesce_ns, ms: $SQ"
            "snapshot: dd if=/dev/zero of=DIR/dd.out bs=1M count=$DD_MIB conv=fdatasync, ms: $SD"
            "snapshot: bytes: $SB")
    fi
    rm -f "$SDIR/dd.out"
fi

if has_part restart; then
    echo
    echo "-- restart: the snapshot of $NP_S x $MIB MiB, warm$([ "$COLD" = 1 ] && echo " and cold") cache"
    clear_dir
    ckpt "$SPID" "$WORK/s.ck" --term
    SNAP=$(cat "$WORK/s.ck")
    wait_gone "$SPID" 60 || bench_die "the dirty_rank job did not end after --term"
    touch "$WORK/s.go"
    IMGS=("$SNAP"/rank-*.img)
    [ ${#IMGS[@]} -eq "$NP_S" ] || bench_die "$SNAP holds ${#IMGS[@]} images, not $NP_S"
    echo "images:     $(du -cm "${IMGS[@]}" | awk 'END { print $1 }') MiB in ${#IMGS[@]} files in $SNAP"
    declare -A RT=()
    run_restart() { # run_restart STATE
        local ms
        [ "$1" = cold ] && drop_caches
        timed_ms ms timeout -k 5 "$LIMIT" "$CREST" restart "$SNAP" >"$WORK/r.out" 2>"$WORK/r.err" ||
            bench_die "crest restart $SNAP failed: $(tail -n 5 "$WORK/r.err")"
        grep -q '^done 1 ok' "$WORK/r.out" ||
            bench_die "the restarted job did not report a good restart: $(cat "$WORK/r.out" "$WORK/r.err" | head -c 2000)"
        [ -s "$WORK/r.err" ] && NOTE_RESTART_ERR=$(head -c 600 "$WORK/r.err")
        RT[restart,$1]+="$ms "
    }
    run_cat() { # run_cat STATE
        local ms
        [ "$1" = cold ] && drop_caches
        timed_ms ms cat "${IMGS[@]}" >/dev/null || bench_die "cannot read the images"
        RT[cat,$1]+="$ms "
    }
    run_pcat() { # run_pcat STATE: the images read by one cat each, all at once
        local ms
        [ "$1" = cold ] && drop_caches
        pcat() { local f; for f in "${IMGS[@]}"; do cat "$f" >/dev/null & done; wait; }
        timed_ms ms pcat
        RT[pcat,$1]+="$ms "
    }
    NOTE_RESTART_ERR=""
    run_restart warm; run_cat warm; run_pcat warm   # untimed
    RT=()
    STATES=warm
    [ "$COLD" = 1 ] && STATES="cold warm"
    for ((r = 0; r < ROUNDS; r++)); do
        line="  round $((r + 1)):"
        for st in $STATES; do
            if [ $((r % 2)) -eq 0 ]; then run_restart "$st"; run_cat "$st"; run_pcat "$st"
            else run_pcat "$st"; run_cat "$st"; run_restart "$st"; fi
            line+=" $st: restart $(last "${RT[restart,$st]}") ms, cat $(last "${RT[cat,$st]}") ms, parallel cat $(last "${RT[pcat,$st]}") ms;"
        done
        echo "$line ($(cut -d' ' -f1 /proc/loadavg) load)"
    done
    line="restart:  $NP_S x $MIB MiB snapshot, $ROUNDS rounds:"
    for st in $STATES; do
        mr=$(median ${RT[restart,$st]}) mcat=$(median ${RT[cat,$st]}) mp=$(median ${RT[pcat,$st]})
        rr=$(ratio "$mr" "$mcat")
        line+=" $st: crest restart $mr ms vs cat $mcat ms: ratio $rr, per-round $(range "${RT[restart,$st]}" "${RT[cat,$st]}"), target <= 1.2: $(verdict "$rr" 1.2) (vs $NP_S parallel cats $mp ms: $(ratio "$mr" "$mp"));"
        DETAILS+=("restart $st: crest restart, ms: ${RT[restart,$st]}"
            "restart $st: cat of the images, ms: ${RT[cat,$st]}"
            "restart $st: $NP_S cats at once, ms: ${RT[pcat,$st]}")
    done
    RESULTS+=("${line%;}")
    [ -n "$NOTE_RESTART_ERR" ] && DETAILS+=("restart: stderr of a restart: $NOTE_RESTART_ERR")
    DETAILS+=("restart: the restarted job printed: $(cat "$WORK/r.out")")
fi
if has_part snapshot || has_part restart; then
    rm -rf "$SDIR"
fi

# ---------------------------------------------------------------- overhead
if has_part overhead; then
    echo
    echo "-- overhead: mix $STEPS steps on 2 ranks$([ "$BIND" = 1 ] && echo ", bound to separate CPUs"), mpirun vs mpirun --no-checkpoint, $OROUNDS rounds"
    MIXARGS=("$WORK/mix" "$STEPS" "$LAT_ITERS")
    [ "$BIND" = 1 ] && MIXARGS+=(bind)
    declare -A OM=() OL=() OW=()
    CHECK=""
    run_mix() { # run_mix crest|plain
        local ms opt=() want=loaded v
        [ "$1" = plain ] && opt=(--no-checkpoint) want=absent
        # A failed job is run once more (other work on the machine has been
        # seen to end a job's crestd); the failure is listed under notes.
        if ! timed_ms ms timeout -k 5 "$LIMIT" "$MPIRUN" -np 2 "${opt[@]}" "${MIXARGS[@]}" >"$WORK/m.out" 2>"$WORK/m.err"; then
            NOTES+=("mix under mpirun ${opt[*]} failed, run again: $(head -c 300 "$WORK/m.err" | tr '\n' ' ')")
            timed_ms ms timeout -k 5 "$LIMIT" "$MPIRUN" -np 2 "${opt[@]}" "${MIXARGS[@]}" >"$WORK/m.out" 2>"$WORK/m.err" ||
                bench_die "mix under mpirun ${opt[*]} failed twice: $(head -c 1000 "$WORK/m.err")"
        fi
        grep -qx "libcrest $want" "$WORK/m.out" || bench_die "mix under mpirun ${opt[*]}: libcrest not $want: $(cat "$WORK/m.out")"
        v=$(awk '$1 == "check" { print $2 }' "$WORK/m.out")
        [ -z "$CHECK" ] && CHECK=$v
        [ "$v" = "$CHECK" ] || bench_die "mix computed $v under mpirun ${opt[*]}, $CHECK before"
        OM[$1]+="$(awk '$1 == "mix_ms" { print $2 }' "$WORK/m.out") "
        OL[$1]+="$(awk '$1 == "latency_us" { print $2 }' "$WORK/m.out") "
        OW[$1]+="$ms "
    }
    run_mix crest; run_mix plain   # untimed
    OM=() OL=() OW=()
    for ((r = 0; r < OROUNDS; r++)); do
        if [ $((r % 2)) -eq 0 ]; then run_mix crest; run_mix plain; else run_mix plain; run_mix crest; fi
        echo "  round $((r + 1)): workload $(last "${OM[crest]}") / $(last "${OM[plain]}") ms, latency $(last "${OL[crest]}") / $(last "${OL[plain]}") us (crest / no-checkpoint) ($(cut -d' ' -f1 /proc/loadavg) load)"
    done
    mc=$(median ${OM[crest]}) mp=$(median ${OM[plain]}) lc=$(median ${OL[crest]}) lp=$(median ${OL[plain]})
    ro=$(ratio "$mc" "$mp") rl=$(ratio "$lc" "$lp")
    RESULTS+=("overhead: mix on 2 ranks, $OROUNDS rounds: workload $mc ms with libcrest vs $mp ms --no-checkpoint: ratio $ro, per-round $(range "${OM[crest]}" "${OM[plain]}"), fastest/fastest $(ratio "$(minimum ${OM[crest]})" "$(minimum ${OM[plain]})"), target <= 1.01: $(verdict "$ro" 1.01); 0-byte latency $lc vs $lp us: ratio $rl, per-round $(range "${OL[crest]}" "${OL[plain]}"), fastest/fastest $(ratio "$(minimum ${OL[crest]})" "$(minimum ${OL[plain]})"), $(verdict "$rl" 1.01) within 1 %")
    DETAILS+=("overhead: workload with libcrest, ms: ${OM[crest]}"
        "overhead: workload --no-checkpoint, ms: ${OM[plain]}"
        "overhead: latency with libcrest, us: ${OL[crest]}"
        "overhead: latency --no-checkpoint, us: ${OL[plain]}"
        "overhead: mpirun wall with libcrest, ms (median $(median ${OW[crest]})): ${OW[crest]}"
        "overhead: mpirun wall --no-checkpoint, ms (median $(median ${OW[plain]})): ${OW[plain]}")
fi

echo
echo "== results (medians; ratio: crest / reference)"
printf '%s\n' "${RESULTS[@]}"
if [ ${#NOTES[@]} -gt 0 ]; then
    echo
    echo "notes:"
    printf '  %s\n' "${NOTES[@]}"
fi
echo
echo "all figures (in the order measured):"
printf '  %s\n' "${DETAILS[@]}"
load_now
