#!/bin/bash
# The MPI library's TCP transport (src/mpi/transport_tcp.c) passes its unit
# tests without the rest of the library: tests/programs/unit_tcp forks 2, 4
# and 8 ranks that exchange addresses through shared memory in place of the
# runtime, and checks that every packet arrives exactly once, in order per
# sender, intact, 8-aligned, under all-to-all floods that fill the socket
# buffers (the send queues must be used) and simultaneous first sends both
# ways (two ranks dialing each other end with one connection); a
# checkpoint's disconnect/reconnect; ranks on "hosts" of their own
# (interface addresses, no 127.0.0.1); forged connections (garbage, a wrong
# token, a wrong job, a rank out of range, nothing at all) closed with one
# line each while the job goes on; a dead first address skipped while the
# other rank, whose dial lost the race, waits for the connection; the
# wrong process at an address (it refuses the hello, the dialer gives up
# with one line); a closed port; a port that drops connection requests
# (given up after the 5 s connect timeout); a low limit of descriptors
# (the soft one raised, the hard one reported); a peer that dies, whether
# it dialed or was dialed, noticed with a line naming the rank and its
# host.  A second build runs the traffic scenarios without the engine's
# pkt_place hook.  The loopback latency and bandwidth figures of a short
# run are printed, not judged (the machine may be busy); `unit_tcp DIR
# perf` runs the full measurement.
. "$(dirname "$0")/../lib.sh"
setup_work

# Runs unit program $1 with the scenarios that follow; its output is shown
# when it fails.
run_unit() {
    local name=$1 p rc
    shift
    p=$(prog "$name") || { fail_soft "tests/programs/unit_tcp.c does not build ($name)"; return; }
    mkdir -p "$WORK/$name" || fail "cannot create $WORK/$name"
    timeout --foreground -k 5 280 "$p" "$WORK/$name" "$@" >"$WORK/$name.out" 2>&1 </dev/null
    rc=$?
    if [ $rc -ne 0 ]; then
        fail_soft "$name exited $(describe_rc $rc)"
        show "$WORK/$name.out" 60
        return
    fi
    grep -E '^(ok|skip|perf)' "$WORK/$name.out" | sed "s/^/# $name: /"
}

run_unit unit_tcp
run_unit unit_tcp_noplace traffic nodes
finish
