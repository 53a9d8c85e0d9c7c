#!/bin/bash
# Damaged images are refused by `crest info` and by `crest restart`: exit
# status non-zero, exactly one line on stderr, nothing on stdout, no process
# left behind.  Variants: empty file, 100 bytes, header only, half, all but
# the last byte; one byte inverted in the page data, in the header (a field
# only the header checksum covers), in the records; the format version
# increased (with a correct header checksum, so only the version check can
# catch it; the message must mention the version); not an image at all; a
# path that does not exist.
. "$(dirname "$0")/../lib.sh"
setup_work
require_crest
P=$(prog compute) || fail "test program compute does not build"
T=$(prog imgtool) || fail "test program imgtool does not build"

# an undamaged image to start from (making it is set-up, not the subject
# here: up to 5 attempts, each failure is reported in the log)
good=$WORK/images/good.img
for attempt in 1 2 3 4 5; do
    start_crest_run "$P" 1500
    sleep_until "$RUN_T0" 0.5
    saved=$FAILURES
    checkpoint "$RUN_PID" "$good" --term && break
    FAILURES=$saved
    note "attempt $attempt to make a valid image failed (see above); trying again"
    kill -9 "$RUN_PID" 2>/dev/null
    wait_exit "$RUN_PID" 5
    rm -f "$good"
done
[ -f "$good" ] || fail "cannot make a valid image to damage in 5 attempts"
wait_exit "$RUN_PID" 5
size=$(stat -c %s "$good")
hsize=$("$T" field "$good" header_size) || fail "cannot read the header of $good"
data=$("$T" field "$good" data_bytes)
roff=$("$T" field "$good" records_offset)
rsize=$("$T" field "$good" records_size)
version=$("$T" field "$good" version)
cns=$("$T" field "$good" created_ns_offset)
note "image: $size bytes, header $hsize, data $data, records at $roff ($rsize bytes), version $version"
[ "$data" -gt 0 ] || fail "the image has no page data"
[ "$roff" -gt "$hsize" ] && [ "$rsize" -gt 0 ] || fail "unexpected layout"
"$T" header-crc-ok "$good" || fail_soft "the header checksum is not CRC32C of the header with header_crc = 0 (as image_format.h says)"

variant() { # name: makes $WORK/images/NAME.img from the good image
    cp "$good" "$WORK/images/$1.img"
    echo "$WORK/images/$1.img"
}
declare -A made
img=$(variant empty); truncate -s 0 "$img"; made[empty]=$img
img=$(variant trunc-100); truncate -s 100 "$img"; made[trunc-100]=$img
img=$(variant trunc-header); truncate -s "$hsize" "$img"; made[trunc-header]=$img
img=$(variant trunc-half); truncate -s $((size / 2)) "$img"; made[trunc-half]=$img
img=$(variant trunc-last-byte); truncate -s $((size - 1)) "$img"; made[trunc-last-byte]=$img
img=$(variant flip-data); "$T" flip "$img" $((hsize + data / 2)) || fail "flip"; made[flip-data]=$img
img=$(variant flip-header); "$T" flip "$img" $((cns + 2)) || fail "flip"; made[flip-header]=$img
img=$(variant flip-records); "$T" flip "$img" $((roff + rsize / 2)) || fail "flip"; made[flip-records]=$img
img=$(variant version); "$T" set-version "$img" $((version + 1)) || fail "set-version"; made[version]=$img
img=$(variant not-an-image); head -c 100000 /dev/urandom >"$img"; made[not-an-image]=$img
made[missing]=$WORK/images/does-not-exist.img

# the good image itself is accepted
timeout --foreground 60 "$CREST" info "$good" >/dev/null 2>"$WORK/good.err" ||
    { show "$WORK/good.err"; fail_soft "crest info rejects the undamaged image"; }

for v in empty trunc-100 trunc-header trunc-half trunc-last-byte flip-data flip-header \
    flip-records version not-an-image missing; do
    expect_refusal "info-$v" "$CREST" info "${made[$v]}"
    if [ $v = version ] && ! echo "$REFUSAL_ERR" | grep -qi version; then
        fail_soft "info-version: the message does not mention the version: $REFUSAL_ERR"
    fi
    REFUSAL_CWD=$WORK/restart-cwd expect_refusal "restart-$v" "$CREST" restart "${made[$v]}"
    if [ $v = version ] && ! echo "$REFUSAL_ERR" | grep -qi version; then
        fail_soft "restart-version: the message does not mention the version: $REFUSAL_ERR"
    fi
done
finish
