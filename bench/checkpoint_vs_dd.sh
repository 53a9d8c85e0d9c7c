#!/usr/bin/env bash
# checkpoint_vs_dd.sh — how long `crest checkpoint` takes to write the image
# of a process with MIB MiB of dirty heap, next to dd writing as many bytes
# to the same filesystem.
#
# usage: bench/checkpoint_vs_dd.sh [DIR]
#   DIR     where the images and dd's file go (default: $TMPDIR, else /tmp)
#   MIB     heap size in MiB (environment; default 1024)
#   ROUNDS  rounds (environment; default 7, at least 5)
#
# Four commands are timed, interleaved round by round (the order within a
# round alternates so that none always runs right after another):
#   crest          crest checkpoint PID -o DIR/x.img            (fdatasync, the default)
#   dd             dd if=/dev/zero of=DIR/dd.out bs=1M count=MIB conv=fdatasync
#   crest no-sync  crest checkpoint PID -o DIR/x.img --no-sync
#   dd no-sync     dd if=/dev/zero of=DIR/dd.out bs=1M count=MIB
# dd writes zeros from one buffer; crest reads every page of the process,
# checks which pages are in use and non-zero, checksums them and writes them
# with the process's metadata.  Files are removed and `sync` is run (untimed)
# before every timed command; one untimed warm-up round comes first.  Wall time is taken around the whole command.
source "$(dirname "$0")/common.sh"

MIB=${MIB:-1024}
ROUNDS=${ROUNDS:-7}
[ "$ROUNDS" -ge 5 ] || bench_die "ROUNDS must be at least 5"
bench_init "${1:-}"
build_prog dirty_heap

echo "== checkpoint_vs_dd: $MIB MiB dirty heap, $ROUNDS rounds"
machine_info "$WORK"
echo "command:    MIB=$MIB ROUNDS=$ROUNDS bench/checkpoint_vs_dd.sh ${1:-}"

start_bg HEAP_PID "$WORK/heap.out" "$CREST" run "$WORK/dirty_heap" "$MIB" "$WORK/ready" "$WORK/go"
wait_for_file "$WORK/ready" 300 "$HEAP_PID" || bench_die "dirty_heap did not get ready (see $WORK/heap.out)"

IMG="$WORK/x.img"
DD_OUT="$WORK/dd.out"
declare -A T=()      # T[variant] = space-separated times in ms
declare -A INNER=()  # crest's own report of its time, ms

run_crest() { # run_crest VARIANT [--no-sync]
    local ms line
    rm -f "$IMG"
    drop_dirty
    timed_ms ms timeout 300 "$CREST" checkpoint "$HEAP_PID" -o "$IMG" "${@:2}" >"$WORK/cp.out" 2>&1 ||
        bench_die "crest checkpoint failed: $(cat "$WORK/cp.out")"
    line=$(cat "$WORK/cp.out")
    [ -s "$IMG" ] || bench_die "no image after: $line"
    T[$1]+="$ms "
    INNER[$1]+="$(sed -n 's/.* in \([0-9.]*\) s .*/\1/p' <<<"$line" | awk '{ printf "%.3f", $1 * 1000 }') "
    SIZE_MIB=$(awk -v b="$(stat -c %s "$IMG")" 'BEGIN { printf "%.1f", b / 1048576 }')
    rm -f "$IMG"
}

run_dd() { # run_dd VARIANT [conv=fdatasync]
    local ms
    rm -f "$DD_OUT"
    drop_dirty
    timed_ms ms timeout 300 dd if=/dev/zero of="$DD_OUT" bs=1M count="$MIB" "${@:2}" 2>"$WORK/dd.err" ||
        bench_die "dd failed: $(cat "$WORK/dd.err")"
    T[$1]+="$ms "
    rm -f "$DD_OUT"
}

# One untimed round first: on a virtual machine the first use of guest
# memory for the page cache can cost several times a later one, and that
# would fall on whichever command ran first.
run_crest warmup; run_dd warmup conv=fdatasync; run_crest warmup --no-sync; run_dd warmup
T=(); INNER=()

for ((r = 0; r < ROUNDS; r++)); do
    if ((r % 2 == 0)); then
        run_crest crest; run_dd dd conv=fdatasync
        run_crest crest_nosync --no-sync; run_dd dd_nosync
    else
        run_dd dd conv=fdatasync; run_crest crest
        run_dd dd_nosync; run_crest crest_nosync --no-sync
    fi
    printf 'round %d: crest %s ms, dd %s ms, crest no-sync %s ms, dd no-sync %s ms\n' $((r + 1)) \
        "$(awk '{ print $NF }' <<<"${T[crest]}")" "$(awk '{ print $NF }' <<<"${T[dd]}")" \
        "$(awk '{ print $NF }' <<<"${T[crest_nosync]}")" "$(awk '{ print $NF }' <<<"${T[dd_nosync]}")"
done

touch "$WORK/go"
wait_gone "$HEAP_PID" 30 && grep -q '^done 0 ' "$WORK/heap.out" ||
    bench_die "dirty_heap did not end cleanly: $(cat "$WORK/heap.out")"
drop_dirty

row() { # row LABEL VARIANT REF TARGET
    local med ref mr lo hi ok best
    med=$(median ${T[$2]})
    ref=$(median ${T[$3]})
    mr=$(ratio "$med" "$ref")
    lo=$(minimum $(ratios "${T[$2]}" "${T[$3]}"))
    hi=$(maximum $(ratios "${T[$2]}" "${T[$3]}"))
    best=$(ratio "$(minimum ${T[$2]})" "$(minimum ${T[$3]})")
    ok=$(awk -v r="$mr" -v t="$4" 'BEGIN { print (r <= t) ? "yes" : "NO" }')
    printf '| %-22s | %9.1f | %9.1f | %6.3f | %5.3f..%5.3f | %6.3f | <= %-4s | %-4s |\n' \
        "$1" "$med" "$ref" "$mr" "$lo" "$hi" "$best" "$4" "$ok"
}

echo
echo "image: $SIZE_MIB MiB; dd: $MIB MiB"
echo "crest's own time (request to image committed), median: $(median ${INNER[crest]}) ms synced, $(median ${INNER[crest_nosync]}) ms no-sync"
echo
echo "crest ms, dd ms: medians; ratio: of the medians; per-round: range of the rounds' ratios;"
echo "best: ratio of the two fastest runs; met: the ratio of the medians against the target"
echo
echo "| comparison             | crest ms  | dd ms     | ratio  | per-round    | best   | target  | met  |"
echo "|------------------------|-----------|-----------|--------|--------------|--------|---------|------|"
row "durable (fdatasync)" crest dd 1.2
row "no sync" crest_nosync dd_nosync 1.2
echo
echo "all times (ms):"
for v in crest dd crest_nosync dd_nosync; do printf '  %-13s %s\n' "$v" "${T[$v]}"; done
load_now
