#!/usr/bin/env bash
# The main job of crest, shown end to end: a program runs, is checkpointed,
# is killed, is restarted from its image elsewhere, and finishes with exactly
# the output of a run that was never interrupted.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
crest=$top/build/bin/crest
work=$(mktemp -d /tmp/crest-demo.XXXXXX)
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$work"' EXIT
cc -O2 -pthread -o "$work/demo" "$top/examples/demo_compute.c"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "an uninterrupted run"
"$work/demo" 6 > "$work/expected.txt"
cat "$work/expected.txt"

say "the same program under crest; checkpointed after 1.5 s, then killed"
(cd "$work" && exec "$crest" run ./demo 6 > "$work/first.txt") &
pid=$!
sleep 1.5
"$crest" checkpoint "$pid" -o "$work/demo.img"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
echo "process $pid killed; its output so far: $(wc -c < "$work/first.txt") bytes"

say "what the image holds"
"$crest" info "$work/demo.img" | sed -n '1,12p'

say "restarted from another directory"
(cd / && "$crest" restart "$work/demo.img") > "$work/restarted.txt"
cat "$work/restarted.txt"

say "compared with the uninterrupted run"
if cmp -s "$work/expected.txt" "$work/restarted.txt"; then
    echo "identical: the restarted process finished exactly as if never stopped"
else
    diff "$work/expected.txt" "$work/restarted.txt" || true
    exit 1
fi
