#!/bin/bash
# The libcrest API in a program linked with -lcrest (not started by crest
# run): two callbacks (a third registered then unregistered), critical
# sections (a checkpoint requested inside one, or from a callback, fails
# with EDEADLK; the image of a checkpoint requested while another thread is
# inside a section is taken only after that section is left), and
# crest_checkpoint() on itself in CONTINUE mode.  The original must print
# "continued" and the events checkpoint,checkpoint then continue for each
# callback; restarting the image (twice) must print the same lines with
# "restarted", restart events and restart_count 1.
. "$(dirname "$0")/../lib.sh"
setup_work
require_crest
P=$(prog api) || fail "test program api does not build (is build/lib/libcrest.so there?)"
img=$WORK/images/api.img

(cd "$WORK/run-cwd" && exec timeout --foreground -k 5 "$T_RUN" "$P" "$img" \
    >"$WORK/original.out" 2>"$WORK/original.err" </dev/null)
rc=$?
[ $rc -eq 0 ] || fail_soft "the api program exited $(describe_rc $rc)"
result=$(grep '^result ' "$WORK/original.out")
[ -n "$result" ] || { show "$WORK/original.out"; show "$WORK/original.err"; fail "the api program printed no result"; }

cat >"$WORK/want-original.out" <<END
active 1
register ok
unregister 0
checkpoint inside a section: EDEADLK
checkpoint from a callback: EDEADLK
image taken after the section was left: yes
callbacks in their own thread: yes
unregistered callback called: no
before: 1 2
after: 1:continue 2:continue
continued
restart_count 0
$result
END
if ! cmp -s "$WORK/want-original.out" "$WORK/original.out"; then
    fail_soft "the original's output is not what the API promises"
    diff -u "$WORK/want-original.out" "$WORK/original.out" | sed 's/^/  /'
    show "$WORK/original.err"
fi
[ -f "$img" ] || fail "crest_checkpoint did not leave $img"
grep -q 'note:' "$WORK/original.err" && note "$(grep 'note:' "$WORK/original.err")"
timeout --foreground 60 "$CREST" info "$img" >"$WORK/info.out" 2>"$WORK/info.err" ||
    { show "$WORK/info.err"; fail_soft "crest info rejects the image crest_checkpoint wrote"; }

sed -e 's/^after: 1:continue 2:continue$/after: 1:restart 2:restart/' \
    -e 's/^continued$/restarted/' -e 's/^restart_count 0$/restart_count 1/' \
    "$WORK/want-original.out" >"$WORK/expected.out"
echo 0 >"$WORK/expected.rc"
restart_and_compare "$img" restart-1
restart_and_compare "$img" restart-2
finish
