#!/usr/bin/env bash
# restart_vs_read.sh — how long `crest restart` takes to bring back a process
# with MIB MiB of dirty heap, next to reading the image file with cat, both
# from a warm page cache.
#
# usage: bench/restart_vs_read.sh [DIR]
#   DIR     where the image goes (default: $TMPDIR, else /tmp)
#   MIB     heap size in MiB (environment; default 1024)
#   ROUNDS  rounds (environment; default 7, at least 5)
#
# The image is taken once (crest checkpoint --term) of bench/dirty_heap while
# it waits; the restored process sees crest_restart_count() > 0, touches one
# word per page of its heap, prints "done 1 CHECKSUM" and exits.  So the time
# of `crest restart IMAGE` runs from the command's start to the restored
# process's exit: checks, reading and verifying every page, rebuilding the
# process, and the process's exit (which frees MIB MiB).  The reference is
# `cat IMAGE > /dev/null`.  For information, two more commands are timed:
# `crest restart --copy IMAGE` (every page copied into fresh memory instead
# of long runs mapped from the image) and `crest info IMAGE` (reads the image
# and verifies every checksum, restoring nothing).  The image is read twice
# and one untimed round runs before the first timed one, so that all start
# from the same warm cache; the runs alternate, the order within a round
# rotating.
source "$(dirname "$0")/common.sh"

MIB=${MIB:-1024}
ROUNDS=${ROUNDS:-7}
[ "$ROUNDS" -ge 5 ] || bench_die "ROUNDS must be at least 5"
bench_init "${1:-}"
build_prog dirty_heap

echo "== restart_vs_read: $MIB MiB dirty heap, $ROUNDS rounds"
machine_info "$WORK"
echo "command:    MIB=$MIB ROUNDS=$ROUNDS bench/restart_vs_read.sh ${1:-}"

IMG="$WORK/x.img"
start_bg HEAP_PID "$WORK/heap.out" "$CREST" run "$WORK/dirty_heap" "$MIB" "$WORK/ready" "$WORK/go"
wait_for_file "$WORK/ready" 300 "$HEAP_PID" || bench_die "dirty_heap did not get ready (see $WORK/heap.out)"
timeout 300 "$CREST" checkpoint "$HEAP_PID" -o "$IMG" --term >"$WORK/cp.out" 2>&1 ||
    bench_die "crest checkpoint failed: $(cat "$WORK/cp.out")"
wait_gone "$HEAP_PID" 30
echo "image:      $(cat "$WORK/cp.out")"
"$CREST" info "$IMG" >"$WORK/info.out" 2>&1 || bench_die "crest info refuses the image: $(cat "$WORK/info.out")"
cat "$IMG" >/dev/null
cat "$IMG" >/dev/null
echo "page cache: $(awk '/^Cached:/ { printf "%.1f GiB cached", $2 / 1048576 }' /proc/meminfo) before the first round"

declare -A T=()
run_restart() { # run_restart VARIANT [--copy]
    local ms
    timed_ms ms timeout 300 "$CREST" restart "${@:2}" "$IMG" >"$WORK/restart.out" 2>"$WORK/restart.err" ||
        bench_die "crest restart ${*:2} failed: $(cat "$WORK/restart.err")"
    grep -q '^done 1 ' "$WORK/restart.out" ||
        bench_die "the restored process did not report its restart: $(cat "$WORK/restart.out" "$WORK/restart.err")"
    T[$1]+="$ms "
}
run_info() {
    local ms
    timed_ms ms "$CREST" info "$IMG" >"$WORK/info.out" 2>&1 ||
        bench_die "crest info failed: $(cat "$WORK/info.out")"
    T[info]+="$ms "
}
run_cat() {
    local ms
    timed_ms ms cat "$IMG" >/dev/null || bench_die "cannot read $IMG"
    T[cat]+="$ms "
}

run_restart restart; run_cat; run_restart copy --copy; run_info
T=()
for ((r = 0; r < ROUNDS; r++)); do
    case $((r % 4)) in
    0) run_restart restart; run_cat; run_restart copy --copy; run_info ;;
    1) run_cat; run_restart copy --copy; run_info; run_restart restart ;;
    2) run_restart copy --copy; run_info; run_restart restart; run_cat ;;
    3) run_info; run_restart restart; run_cat; run_restart copy --copy ;;
    esac
    printf 'round %d: restart %s ms, cat %s ms, restart --copy %s ms, info %s ms\n' $((r + 1)) \
        "$(awk '{ print $NF }' <<<"${T[restart]}")" "$(awk '{ print $NF }' <<<"${T[cat]}")" \
        "$(awk '{ print $NF }' <<<"${T[copy]}")" "$(awk '{ print $NF }' <<<"${T[info]}")"
done
if [ -s "$WORK/restart.err" ]; then
    echo "restart's stderr (last run):"
    sed 's/^/  /' "$WORK/restart.err"
fi

med=$(median ${T[restart]})
ref=$(median ${T[cat]})
mr=$(ratio "$med" "$ref")
rr=$(ratios "${T[restart]}" "${T[cat]}")
echo
echo "image: $(awk -v b="$(stat -c %s "$IMG")" 'BEGIN { printf "%.1f MiB", b / 1048576 }')"
echo
echo "| comparison                  | restart ms | cat ms    | ratio  | per-round      | target  | met  |"
echo "|-----------------------------|------------|-----------|--------|----------------|---------|------|"
printf '| restart vs cat (warm cache) | %10.1f | %9.1f | %6.3f | %6.3f..%6.3f | <= 1.2  | %-4s |\n' \
    "$med" "$ref" "$mr" "$(minimum $rr)" "$(maximum $rr)" \
    "$(awk -v r="$mr" 'BEGIN { print (r <= 1.2) ? "yes" : "NO" }')"
for v in copy info; do
    mi=$(median ${T[$v]})
    ri=$(ratios "${T[$v]}" "${T[cat]}")
    printf '| %-27s | %10.1f | %9.1f | %6.3f | %6.3f..%6.3f | -       | -    |\n' \
        "$([ $v = copy ] && echo "(info: restart --copy)" || echo "(info: crest info)")" \
        "$mi" "$ref" "$(ratio "$mi" "$ref")" "$(minimum $ri)" "$(maximum $ri)"
done
echo
echo "all times (ms):"
for v in restart cat copy info; do printf '  %-8s %s\n' "$v" "${T[$v]}"; done
load_now
