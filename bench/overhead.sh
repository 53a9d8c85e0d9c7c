#!/usr/bin/env bash
# overhead.sh — what running under `crest run` costs a program that is never
# checkpointed: run time of a CPU-bound and of a malloc/mutex-heavy program,
# and the start-up time of a program that does nothing.
#
# usage: bench/overhead.sh [DIR]
#   DIR             work directory (default: $TMPDIR, else /tmp)
#   ROUNDS          rounds for the run-time comparisons (environment; default 7, at least 5)
#   STARTS          launches of each kind for start-up (environment; default 41, at least 5)
#   CPU_ITERS       iterations of bench/cpu_bound (default 1500000000)
#   LOCK_THREADS    threads of bench/alloc_lock (default 2)
#   LOCK_ITERS      iterations per thread of bench/alloc_lock (default 15000000)
#   LOCK1_ITERS     iterations of bench/alloc_lock with 1 thread (default 30000000)
#
# Each program runs plain (./prog) and under crest (crest run ./prog),
# alternating, the order swapping every round; one untimed round comes
# first.  alloc_lock also runs with one thread, where no mutex is contended,
# which shows the cost per call of libcrest's pthread_mutex_* wrappers.  Start-up compares ./trivial,
# crest run ./trivial and LD_PRELOAD=libcrest.so ./trivial (the library
# alone, without the crest command's exec), one launch of each in turn.
source "$(dirname "$0")/common.sh"

ROUNDS=${ROUNDS:-7}
STARTS=${STARTS:-41}
CPU_ITERS=${CPU_ITERS:-1500000000}
LOCK_THREADS=${LOCK_THREADS:-2}
LOCK_ITERS=${LOCK_ITERS:-15000000}
LOCK1_ITERS=${LOCK1_ITERS:-30000000}
[ "$ROUNDS" -ge 5 ] || bench_die "ROUNDS must be at least 5"
[ "$STARTS" -ge 5 ] || bench_die "STARTS must be at least 5"
bench_init "${1:-}"
build_prog cpu_bound
build_prog alloc_lock
build_prog trivial
LIB=$WORK/build/lib/libcrest.so

echo "== overhead: plain vs crest run (no checkpoint), $ROUNDS rounds; start-up $STARTS launches"
machine_info "$WORK"
echo "command:    ROUNDS=$ROUNDS STARTS=$STARTS CPU_ITERS=$CPU_ITERS LOCK_THREADS=$LOCK_THREADS LOCK_ITERS=$LOCK_ITERS LOCK1_ITERS=$LOCK1_ITERS bench/overhead.sh ${1:-}"

declare -A T=() C=()  # wall and CPU (user + system) times, ms
run() { # run VARIANT CMD...
    local TIMEFORMAT='%3R %3U %3S' real user sys
    { time timeout 600 "${@:2}" >"$WORK/out.$1" 2>&1; } 2>"$WORK/time.$1" ||
        bench_die "$* failed: $(cat "$WORK/out.$1")"
    read -r real user sys <"$WORK/time.$1"
    T[$1]+="$(awk -v r="$real" 'BEGIN { printf "%.3f", r * 1000 }') "
    C[$1]+="$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", (u + s) * 1000 }') "
}

# The programs' outputs must not differ under crest.
check_same() {
    cmp -s "$WORK/out.$1" "$WORK/out.$2" ||
        bench_die "output differs: $1: $(cat "$WORK/out.$1"); $2: $(cat "$WORK/out.$2")"
}

declare -A CMD=(
    [cpu]="$WORK/cpu_bound $CPU_ITERS"
    [lock]="$WORK/alloc_lock $LOCK_THREADS $LOCK_ITERS"
    [lock1]="$WORK/alloc_lock 1 $LOCK1_ITERS"
)
PROGS=(cpu lock lock1)
pair() { # pair PROG FIRST: PROG plain and under crest, FIRST (plain|crest) first
    local cmd=${CMD[$1]}
    if [ "$2" = plain ]; then
        run "$1_plain" $cmd; run "$1_crest" "$CREST" run $cmd
    else
        run "$1_crest" "$CREST" run $cmd; run "$1_plain" $cmd
    fi
}
echo "warm-up (untimed)"
for p in "${PROGS[@]}"; do pair "$p" plain; check_same "${p}_plain" "${p}_crest"; done
T=(); C=()
for ((r = 0; r < ROUNDS; r++)); do
    line="round $((r + 1)):"
    for p in "${PROGS[@]}"; do
        if ((r % 2 == 0)); then pair "$p" plain; else pair "$p" crest; fi
        line+=" $p $(awk '{ print $NF }' <<<"${T[${p}_plain]}") / $(awk '{ print $NF }' <<<"${T[${p}_crest]}") ms,"
    done
    echo "${line%,} (plain / crest)"
done
for p in "${PROGS[@]}"; do check_same "${p}_plain" "${p}_crest"; done

start() { # start VARIANT CMD...: one launch, stdout/stderr to /dev/null
    local ms
    timed_ms ms "${@:2}" >/dev/null 2>&1 || bench_die "$* failed"
    S[$1]+="$ms "
}
declare -A S=()
for ((i = 0; i < 5; i++)); do # warm-up: page cache, dynamic loader
    start plain "$WORK/trivial"; start crest "$CREST" run "$WORK/trivial"
    start preload env LD_PRELOAD="$LIB" "$WORK/trivial"; start env env "$WORK/trivial"
done
S=()
for ((i = 0; i < STARTS; i++)); do
    case $((i % 3)) in
    0) start plain "$WORK/trivial"; start crest "$CREST" run "$WORK/trivial"
       start env env "$WORK/trivial"; start preload env LD_PRELOAD="$LIB" "$WORK/trivial" ;;
    1) start crest "$CREST" run "$WORK/trivial"; start env env "$WORK/trivial"
       start preload env LD_PRELOAD="$LIB" "$WORK/trivial"; start plain "$WORK/trivial" ;;
    2) start env env "$WORK/trivial"; start preload env LD_PRELOAD="$LIB" "$WORK/trivial"
       start plain "$WORK/trivial"; start crest "$CREST" run "$WORK/trivial" ;;
    esac
done

echo
echo "| program                         | plain ms  | crest run ms | ratio  | per-round      | target      | met  |"
echo "|---------------------------------|-----------|--------------|--------|----------------|-------------|------|"
row() { # row LABEL PLAIN CREST [ARRAY]: ARRAY is T (wall, default) or C (CPU)
    local a b mr rr
    local -n times=${4:-T}
    a=$(median ${times[$2]})
    b=$(median ${times[$3]})
    mr=$(ratio "$b" "$a")
    rr=$(ratios "${times[$3]}" "${times[$2]}")
    printf '| %-31s | %9.1f | %12.1f | %6.3f | %6.3f..%6.3f | <= 1.010    | %-4s |\n' "$1" "$a" "$b" \
        "$mr" "$(minimum $rr)" "$(maximum $rr)" "$(awk -v r="$mr" 'BEGIN { print (r <= 1.01) ? "yes" : "NO" }')"
}
row "cpu_bound $CPU_ITERS" cpu_plain cpu_crest
row "alloc_lock $LOCK_THREADS x $LOCK_ITERS" lock_plain lock_crest
row "alloc_lock 1 x $LOCK1_ITERS" lock1_plain lock1_crest
echo
echo "The same runs, CPU time (user + system of the command and its children):"
echo
echo "| program                         | plain ms  | crest run ms | ratio  | per-round      | target      | met  |"
echo "|---------------------------------|-----------|--------------|--------|----------------|-------------|------|"
row "cpu_bound $CPU_ITERS" cpu_plain cpu_crest C
row "alloc_lock $LOCK_THREADS x $LOCK_ITERS" lock_plain lock_crest C
row "alloc_lock 1 x $LOCK1_ITERS" lock1_plain lock1_crest C
echo
p=$(median ${S[plain]}); c=$(median ${S[crest]}); l=$(median ${S[preload]}); e=$(median ${S[env]})
d=$(awk -v a="$c" -v b="$p" 'BEGIN { printf "%.2f", a - b }')
echo "| start-up of ./trivial                       | median ms | minus plain ms | target   | met  |"
echo "|---------------------------------------------|-----------|----------------|----------|------|"
printf '| ./trivial                                   | %9.2f |              - | -        | -    |\n' "$p"
printf '| crest run ./trivial                         | %9.2f | %14.2f | <= 10 ms | %-4s |\n' "$c" "$d" \
    "$(awk -v d="$d" 'BEGIN { print (d <= 10) ? "yes" : "NO" }')"
printf '| env ./trivial (an extra exec, for scale)    | %9.2f | %14.2f | -        | -    |\n' "$e" \
    "$(awk -v a="$e" -v b="$p" 'BEGIN { printf "%.2f", a - b }')"
printf '| env LD_PRELOAD=libcrest.so ./trivial        | %9.2f | %14.2f | -        | -    |\n' "$l" \
    "$(awk -v a="$l" -v b="$p" 'BEGIN { printf "%.2f", a - b }')"
echo
echo "all times (ms):"
for v in cpu_plain cpu_crest lock_plain lock_crest lock1_plain lock1_crest; do printf '  %-11s %s\n' "$v" "${T[$v]}"; done
echo "all CPU times (ms):"
for v in cpu_plain cpu_crest lock_plain lock_crest lock1_plain lock1_crest; do printf '  %-11s %s\n' "$v" "${C[$v]}"; done
for v in plain crest env preload; do printf '  start %-7s min %s max %s\n' "$v" "$(minimum ${S[$v]})" "$(maximum ${S[$v]})"; done
load_now
