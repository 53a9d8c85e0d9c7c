#!/usr/bin/env bash
# image_size.sh — how big the image of a process with a large, mostly
# untouched reservation is.
#
# usage: bench/image_size.sh [DIR]
#   DIR     where the images go (default: $TMPDIR, else /tmp)
#   ROUNDS  images taken of each variant (environment; default 5)
#
# bench/sparse_reserve maps 4 GiB (private anonymous, MAP_NORESERVE) and
# writes non-zero, non-repeating data into 64 MiB of it; the second variant
# also writes a zero byte into every page of a further 1 GiB, so those pages
# are resident but all-zero.  Each round checkpoints a fresh process of each
# variant (crest checkpoint PID -o DIR/x.img --term), alternating the order.
# Target: image < 80 MiB for both.
source "$(dirname "$0")/common.sh"

ROUNDS=${ROUNDS:-5}
[ "$ROUNDS" -ge 1 ] || bench_die "ROUNDS must be at least 1"
bench_init "${1:-}"
build_prog sparse_reserve

echo "== image_size: 4 GiB reserved, 64 MiB written (+ 1 GiB of zero pages), $ROUNDS rounds"
machine_info "$WORK"
echo "command:    ROUNDS=$ROUNDS bench/image_size.sh ${1:-}"

IMG="$WORK/x.img"
declare -A SIZE=() MS=() RSS=()

take() { # take VARIANT ZERO_MIB
    local pid line rss
    rm -f "$WORK/ready" "$IMG"
    start_bg pid "$WORK/prog.out" "$CREST" run "$WORK/sparse_reserve" 4096 64 "$2" "$WORK/ready"
    wait_for_file "$WORK/ready" 120 "$pid" || bench_die "sparse_reserve did not get ready: $(cat "$WORK/prog.out")"
    rss=$(awk '/^Rss:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/smaps_rollup")
    timeout 300 "$CREST" checkpoint "$pid" -o "$IMG" --term >"$WORK/cp.out" 2>&1 ||
        bench_die "crest checkpoint failed: $(cat "$WORK/cp.out")"
    wait_gone "$pid" 30
    line=$(cat "$WORK/cp.out")
    SIZE[$1]+="$(awk -v b="$(stat -c %s "$IMG")" 'BEGIN { printf "%.2f", b / 1048576 }') "
    MS[$1]+="$(sed -n 's/.* in \([0-9.]*\) s .*/\1/p' <<<"$line" | awk '{ printf "%.1f", $1 * 1000 }') "
    RSS[$1]+="$rss "
    if [ "$1" = zero ]; then "$CREST" info "$IMG" >"$WORK/info.zero" 2>&1; fi
    rm -f "$IMG"
    drop_dirty
}

for ((r = 0; r < ROUNDS; r++)); do
    if ((r % 2 == 0)); then take data 0; take zero 1024; else take zero 1024; take data 0; fi
    printf 'round %d: image %s MiB (64 MiB written), %s MiB (+1 GiB zero pages)\n' $((r + 1)) \
        "$(awk '{ print $NF }' <<<"${SIZE[data]}")" "$(awk '{ print $NF }' <<<"${SIZE[zero]}")"
done

echo
echo "crest info of the last image with zero pages (memory part):"
sed -n '/^memory:/,/^files:/p' "$WORK/info.zero" | sed '$d' | sed 's/^/  /'
echo
echo "| variant                          | touched MiB | RSS MiB | image MiB | image / touched | checkpoint ms | target   | met  |"
echo "|----------------------------------|-------------|---------|-----------|-----------------|---------------|----------|------|"
row() { # row LABEL VARIANT TOUCHED_MIB
    local size
    size=$(median ${SIZE[$2]})
    printf '| %-32s | %11d | %7.1f | %9.2f | %15.3f | %13.1f | < 80 MiB | %-4s |\n' "$1" "$3" \
        "$(median ${RSS[$2]})" "$size" "$(ratio "$size" "$3")" "$(median ${MS[$2]})" \
        "$(awk -v s="$size" 'BEGIN { print (s < 80) ? "yes" : "NO" }')"
}
row "4 GiB reserved, 64 MiB data" data 64
row "same + 1 GiB of zero pages" zero 1088
echo
echo "all sizes (MiB): data: ${SIZE[data]}; zero: ${SIZE[zero]}"
load_now
