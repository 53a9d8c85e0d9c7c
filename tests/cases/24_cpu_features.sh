#!/bin/bash
# An image that needs a CPU feature this CPU lacks (an image rewritten to
# claim one, every checksum made right) is refused by `crest restart` with
# one line naming the feature, before anything runs; `crest info` still shows
# it. The untouched image restarts fine.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog compute) || fail "test program compute does not build"
F=$(prog forge_cpu) || fail "test program forge_cpu does not build"
make_expected "$P" 1500
start_crest_run "$P" 1500
pid=$RUN_PID
sleep_until "$RUN_T0" 0.5
checkpoint "$pid" "$WORK/images/good.img" --term || fail "checkpoint failed"
cp "$WORK/images/good.img" "$WORK/images/needs.img"
feature=$("$F" "$WORK/images/needs.img") || fail "cannot forge the image"
note "image now claims $feature"
"$CREST" info "$WORK/images/needs.img" >"$WORK/info.out" 2>&1 ||
    fail_soft "crest info refuses the image: $(head -n 1 "$WORK/info.out")"
grep -q "cpu features:.*\b$feature\b" "$WORK/info.out" || fail_soft "crest info does not list $feature"
REFUSAL_CWD=$WORK/restart-cwd expect_refusal restart-needs-cpu "$CREST" restart "$WORK/images/needs.img"
case $REFUSAL_ERR in
*"$feature"*) ;;
*) fail_soft "the refusal does not name $feature: $REFUSAL_ERR" ;;
esac
restart_and_compare "$WORK/images/good.img" restart-untouched
finish
