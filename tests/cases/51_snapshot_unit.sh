#!/bin/bash
# Job snapshots (src/common/snapshot.c) on real images: unit_snapshot
# commits, prunes, round-trips the manifest, resolves paths and checks every
# refusal and its message; then `crest info` on a snapshot: the good one is
# printed and verified ("rank N: ok" for each, exit 0), the one with a
# damaged page in rank 1's image fails (exit 1, a rank 1 line naming the
# damage, one line on stderr), and passes with --no-verify (sizes and
# headers only).  A single image is still shown as before.
. "$(dirname "$0")/../lib.sh"
setup_work
require_crest
P=$(prog compute) || fail "test program compute does not build"
U=$(prog unit_snapshot) || fail "unit test program unit_snapshot does not build"

# two real images of one process (set-up, not the subject: up to 3 attempts)
img0=$WORK/images/a.img img1=$WORK/images/b.img
for attempt in 1 2 3; do
    start_crest_run "$P" 1500
    sleep_until "$RUN_T0" 0.3
    saved=$FAILURES
    checkpoint "$RUN_PID" "$img0" && checkpoint "$RUN_PID" "$img1" --term && break
    FAILURES=$saved
    note "attempt $attempt to make two images failed (see above); trying again"
    kill -9 "$RUN_PID" 2>/dev/null
    wait_exit "$RUN_PID" 5
    rm -f "$img0" "$img1"
done
[ -f "$img0" ] && [ -f "$img1" ] || fail "cannot make two images in 3 attempts"
wait_exit "$RUN_PID" 5

U_DIR=$WORK/unit
timeout --foreground -k 5 "$T_RUN" "$U" "$U_DIR" "$img0" "$img1" >"$WORK/unit.out" 2>&1 </dev/null
rc=$?
if [ $rc -ne 0 ]; then
    fail_soft "unit_snapshot exited $(describe_rc $rc)"
    show "$WORK/unit.out" 60
else
    grep '^ok ' "$WORK/unit.out" | sed 's/^/# /'
    note "unit_snapshot: $(tail -n 1 "$WORK/unit.out")"
fi

good=$U_DIR/ckpt/sub
bad=$U_DIR/v-flip/snapshot.000001
[ -d "$good/snapshot.000005" ] && [ -d "$bad" ] || fail "unit_snapshot left no snapshots to show"

# runs crest info "$@": sets INFO_RC, output in $WORK/info.out/.err
info() {
    timeout --foreground -k 5 "$T_RUN" "$CREST" info "$@" >"$WORK/info.out" 2>"$WORK/info.err" </dev/null
    INFO_RC=$?
}

for path in "$good" "$good/snapshot.000005" "$good/snapshot.000005/manifest"; do
    info "$path"
    if [ $INFO_RC -ne 0 ]; then
        fail_soft "crest info $path exited $(describe_rc $INFO_RC) on a good snapshot"
        show "$WORK/info.out"
        show "$WORK/info.err"
        continue
    fi
    for want in "snapshot:     $good/snapshot.000005" "sequence:     5" "job:          4242" \
        "taken:        2024-05-01 12:00:05 UTC" "rank 0: ok" "rank 1: ok" "checksums:    ok (2 images)" \
        "command line: ./prog 'with space' \$'new\\nline' 'back\\slash'" "GiB/s"; do
        grep -qF -- "$want" "$WORK/info.out" || { fail_soft "crest info $path: no '$want'"; show "$WORK/info.out" 40; }
    done
done
note "crest info on the good snapshot:"
sed 's/^/#   /' "$WORK/info.out"

info "$bad"
if [ $INFO_RC -ne 1 ]; then
    fail_soft "crest info on the damaged snapshot exited $(describe_rc $INFO_RC), not 1"
fi
grep -qx "rank 0: ok" "$WORK/info.out" || fail_soft "damaged snapshot: no 'rank 0: ok' line"
line=$(grep "^rank 1: " "$WORK/info.out")
case $line in
*rank-00001.img*"page data"*) note "damaged snapshot: $line" ;;
*) fail_soft "damaged snapshot: the rank 1 line does not name the damaged page: '$line'" ;;
esac
[ "$(wc -l <"$WORK/info.err")" -eq 1 ] || { fail_soft "damaged snapshot: stderr is not one line"; show "$WORK/info.err"; }
note "stderr: $(cat "$WORK/info.err")"

info "$bad" --no-verify
[ $INFO_RC -eq 0 ] || { fail_soft "crest info --no-verify must pass the damaged page (sizes and headers are right)"; show "$WORK/info.err"; }

mkdir -p "$WORK/empty"
expect_refusal info-empty-dir "$CREST" info "$WORK/empty"
case $REFUSAL_ERR in *"no committed snapshot"*) ;; *) fail_soft "empty directory: '$REFUSAL_ERR'" ;; esac

# a single image: unchanged
info "$img0"
[ $INFO_RC -eq 0 ] && grep -q "^checksums:    ok (header" "$WORK/info.out" ||
    fail_soft "crest info on a single image changed (exit $INFO_RC)"
finish
