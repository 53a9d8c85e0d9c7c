#!/bin/bash
# checkpoint --stop: when the command returns the process must be stopped
# (state T) and stay stopped, using no CPU, until SIGCONT; then it must
# finish with the right output.  The image must restart correctly.
. "$(dirname "$0")/../lib.sh"
setup_work
P=$(prog compute) || fail "test program compute does not build"
make_expected "$P" 1500
start_crest_run "$P" 1500
pid=$RUN_PID
sleep_until "$RUN_T0" 1.0
checkpoint "$pid" "$WORK/images/stop.img" --stop || fail "checkpoint --stop failed"
cpu_time() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat"; }
st=$(proc_state "$pid")
[ "$st" = T ] || fail_soft "right after checkpoint --stop the process is in state $st, not T"
c1=$(cpu_time)
sleep 1
st=$(proc_state "$pid")
c2=$(cpu_time)
[ "$st" = T ] || fail_soft "1 s after checkpoint --stop the process is in state $st, not T"
[ "$c1" = "$c2" ] || fail_soft "the stopped process used CPU: $c1 -> $c2 ticks"
for task in /proc/$pid/task/*; do
    s=$(cat "$task/stat"); s=${s##*) }; s=${s%% *}
    [ "$s" = T ] || [ "$s" = t ] || fail_soft "thread $(basename "$task") is in state $s while stopped"
done
kill -CONT "$pid"
if wait_exit "$pid" "$T_RUN"; then
    compare_output original "$WAIT_RC"
else
    fail_soft "the process did not finish after SIGCONT"
fi
restart_and_compare "$WORK/images/stop.img" restart
finish
