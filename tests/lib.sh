# lib.sh — helpers shared by tests/run.sh and tests/cases/*.sh (sourced).
#
# A case script sources this file, calls the helpers, and ends with
# `finish`.  Exit status: 0 pass, 77 skipped, anything else failed.
# Every wait is bounded; every process a case starts is recorded and killed
# when the case exits.

set -u

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$TESTS_DIR/.." && pwd)
BUILD=${CREST_BUILD:-$REPO/build}
CREST=${CREST_BIN:-$BUILD/bin/crest} # CREST_BIN: another build of the command (sanitizers)
MPIRUN=${MPIRUN_BIN:-$BUILD/bin/mpirun} # MPIRUN_BIN: the same for mpirun (and the crestd next to it)
TBIN=$BUILD/tests
CASE_NAME=${CASE_NAME:-$(basename "$0" .sh)}
# Work directory of this case: under the run's directory when started by
# run.sh (TEST_RUN_DIR), else a directory of its own; several runs can go on
# at the same time without touching each other's files.
if [ -n "${TEST_RUN_DIR:-}" ]; then
    WORK=$TEST_RUN_DIR/$CASE_NAME
else
    WORK=$BUILD/test-tmp/$CASE_NAME.$$
fi

T_RUN=${T_RUN:-60}         # one uninterrupted run of a test program
T_CKPT=${T_CKPT:-60}       # one `crest checkpoint`
T_RESTART=${T_RESTART:-60} # one restarted run to its end
T_START=${T_START:-10}     # a started process to become checkpointable

FAILURES=0

# Descriptors inherited from whatever started the tests would be inherited by
# the test programs and end up in their images: close them (bash keeps the
# script itself on 255).
close_inherited_fds() {
    local fd
    for fd in $(ls /proc/$$/fd 2>/dev/null); do
        if [ "$fd" -gt 2 ] && [ "$fd" -lt 255 ]; then
            eval "exec $fd>&-" 2>/dev/null
        fi
    done
}
close_inherited_fds

# ---------------------------------------------------------------- reporting

note() { echo "# $*"; }

# A failed check: reported, the case goes on, and fails at `finish`.
fail_soft() {
    echo "FAIL: $*"
    FAILURES=$((FAILURES + 1))
}

# A failed check after which the case cannot go on.
fail() {
    echo "FAIL: $*"
    FAILURES=$((FAILURES + 1))
    exit 1
}

skip() {
    echo "SKIP: $*"
    exit 77
}

finish() {
    if [ "$FAILURES" -ne 0 ]; then
        echo "$FAILURES check(s) failed; files kept in $WORK"
        exit 1
    fi
    rm -rf "$WORK"
    exit 0
}

# Shows a file's content, indented, at most $2 lines (default 20).
show() {
    local f=$1 n=${2:-20}
    if [ -s "$f" ]; then
        echo "  --- $(basename "$f") (last $n lines):"
        tail -n "$n" "$f" | sed 's/^/  | /'
    else
        echo "  --- $(basename "$f"): empty"
    fi
}

# Describes an exit status the way a shell reports it.
describe_rc() {
    local rc=$1
    if [ "$rc" -eq 124 ]; then
        echo "124 (timed out)"
    elif [ "$rc" -gt 128 ]; then
        echo "$rc (killed by signal $((rc - 128)))"
    else
        echo "$rc"
    fi
}

# ---------------------------------------------------------------- processes

# PIDs this case started; all killed (SIGKILL) when the case ends.
CASE_PIDS=()
track() { CASE_PIDS+=("$1"); }

cleanup_processes() {
    local p
    for p in "${CASE_PIDS[@]}"; do
        kill -9 "$p" 2>/dev/null
    done
}
trap cleanup_processes EXIT
trap 'exit 143' TERM INT HUP

alive() { kill -0 "$1" 2>/dev/null && [ "$(proc_state "$1")" != Z ]; }

# Process state letter from /proc/PID/stat (R, S, D, T, t, Z...), or "-".
proc_state() {
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo -; return; }
    s=${s##*) }
    echo "${s%% *}"
}

# Starts "$@" in the background: stdin from $SPAWN_IN, stdout to $SPAWN_OUT,
# stderr to $SPAWN_ERR (default /dev/null each), in directory $SPAWN_DIR
# (default: the current one), without the shell's descriptors 3-9.  Sets
# SPAWN_PID to the command's own PID (it may exec, it stays the same).  A
# small subshell waits for it and keeps its exit status for wait_exit, so
# that the case's shell never reports "Killed" for the processes the tests
# kill on purpose.
declare -A SPAWN_RC_FILE=()
SPAWN_SEQ=0
spawn() {
    local dir=$WORK/.spawn in=${SPAWN_IN:-/dev/null} out=${SPAWN_OUT:-/dev/null}
    local err=${SPAWN_ERR:-/dev/null} cwd=${SPAWN_DIR:-$PWD} i=0
    SPAWN_SEQ=$((SPAWN_SEQ + 1))
    local id=$dir/$SPAWN_SEQ
    mkdir -p "$dir"
    rm -f "$id.pid" "$id.rc"
    (
        exec 2>/dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
        cd "$cwd" || exit 1
        "$@" <"$in" >"$out" 2>"$err" &
        child=$!
        echo $child >"$id.pid.tmp" && mv "$id.pid.tmp" "$id.pid"
        wait $child
        echo $? >"$id.rc.tmp" && mv "$id.rc.tmp" "$id.rc"
    ) &
    track $!
    while [ ! -s "$id.pid" ]; do
        [ $i -ge 200 ] && fail "could not start $*"
        sleep 0.01
        i=$((i + 1))
    done
    SPAWN_PID=$(cat "$id.pid")
    SPAWN_RC_FILE[$SPAWN_PID]=$id.rc
    track "$SPAWN_PID"
}

# Waits (at most $2 s) for background process $1 (started with spawn or
# with &) to end; sets WAIT_RC.  Returns 1 if it did not end in time (it is
# then killed).
wait_exit() {
    local pid=$1 limit=$2 i=0 rcf=${SPAWN_RC_FILE[$1]:-}
    while kill -0 "$pid" 2>/dev/null && [ "$(proc_state "$pid")" != Z ]; do
        if [ $i -ge $((limit * 20)) ]; then
            kill -9 "$pid" 2>/dev/null
            [ -z "$rcf" ] && wait "$pid" 2>/dev/null
            WAIT_RC=124
            return 1
        fi
        sleep 0.05
        i=$((i + 1))
    done
    if [ -n "$rcf" ]; then
        i=0
        while [ ! -s "$rcf" ] && [ $i -lt 100 ]; do
            sleep 0.02
            i=$((i + 1))
        done
        WAIT_RC=$(cat "$rcf" 2>/dev/null || echo 255)
    else
        wait "$pid" 2>/dev/null
        WAIT_RC=$?
    fi
    return 0
}

# Waits until /proc/$1/maps has a line matching $2 (grep -F), at most $3 s.
wait_maps() {
    local pid=$1 what=$2 limit=${3:-$T_START} i=0
    while ! grep -qF -- "$what" "/proc/$pid/maps" 2>/dev/null; do
        alive "$pid" || return 1
        [ $i -ge $((limit * 20)) ] && return 1
        sleep 0.05
        i=$((i + 1))
    done
    return 0
}

# Microseconds since the epoch.
now_us() {
    local t=${EPOCHREALTIME/./}
    echo $((10#$t))
}

# Sleeps until $2 seconds (decimal) after the time $1 (from now_us).
sleep_until() {
    local start=$1 secs=$2 target rest
    target=$((start + $(awk -v s="$secs" 'BEGIN { printf "%d", s * 1000000 }')))
    rest=$((target - $(now_us)))
    if [ $rest -gt 0 ]; then
        sleep "$(printf '%d.%06d' $((rest / 1000000)) $((rest % 1000000)))"
    fi
}

elapsed_since() { # seconds with 2 decimals since now_us value $1
    local d=$(($(now_us) - $1))
    printf '%d.%02d' $((d / 1000000)) $(((d % 1000000) / 10000))
}

# ---------------------------------------------------------------- building

require_crest() {
    [ -x "$CREST" ] || fail "$CREST does not exist: run make -C $REPO"
}

# Compiles tests/programs/$1.c into $TBIN/$1 if missing or older than the
# source (or, for programs using libcrest, than the library).
build_prog() {
    local name=$1 src=$TESTS_DIR/programs/$1.c out=$TBIN/$1
    local flags=(-O2 -g -pthread -Wall -Wextra -std=gnu11) extra=() cc=gcc
    case $name in
    openmp) extra=(-fopenmp) ;;
    api | ckpt_hold)
        [ -e "$BUILD/lib/libcrest.so" ] || { echo "$BUILD/lib/libcrest.so does not exist"; return 1; }
        extra=(-I"$REPO/include" -L"$BUILD/lib" -lcrest -Wl,-rpath,"$BUILD/lib")
        ;;
    imgtool | forge_cpu)
        [ -e "$REPO/src/common/image_format.h" ] || { echo "src/common/image_format.h does not exist"; return 1; }
        extra=(-I"$REPO/src/common")
        ;;
    unit_sha256 | unit_hosts)
        # the module under test is compiled in: rebuilt when it changes too
        local module=$REPO/src/runtime/${name#unit_}
        extra=(-I"$REPO/src/runtime" "$module.c")
        { [ "$out" -nt "$module.c" ] && [ "$out" -nt "$module.h" ]; } || rm -f "$out"
        ;;
    unit_schema)
        # the schema parser and the host parsing it uses, compiled in
        local rt=$REPO/src/runtime f
        extra=(-I"$rt" "$rt/schema.c" "$rt/hosts.c")
        for f in "$rt/schema.c" "$rt/schema.h" "$rt/hosts.c" "$rt/hosts.h"; do
            [ "$out" -nt "$f" ] || rm -f "$out"
        done
        ;;
    unit_snapshot)
        # the snapshot module and the image reader it uses, compiled in
        local c=$REPO/src/common f
        local mods=("$c/snapshot.c" "$c/image_reader.c" "$c/crc32c.c")
        extra=(-D_GNU_SOURCE -msse4.2 -Wno-unused-parameter -I"$c" -I"$REPO/include" "${mods[@]}")
        for f in "${mods[@]}" "$c/snapshot.h" "$c/image_reader.h" "$c/image_format.h"; do
            [ "$out" -nt "$f" ] || rm -f "$out"
        done
        ;;
    unit_tcp | unit_tcp_noplace)
        # the MPI library's TCP transport compiled in, the library around it
        # played by the program; _noplace: without the engine's pkt_place
        local mpi=$REPO/src/mpi
        src=$TESTS_DIR/programs/unit_tcp.c
        extra=(-D_GNU_SOURCE -Wno-unused-parameter -I"$REPO/include" -I"$mpi" -I"$REPO/src/runtime"
               "$mpi/transport_tcp.c")
        [ "$name" = unit_tcp_noplace ] && extra+=(-DUNIT_TCP_NO_PLACE)
        { [ "$out" -nt "$mpi/transport_tcp.c" ] && [ "$out" -nt "$mpi/mpi_impl.h" ]; } || rm -f "$out"
        ;;
    rt_exchange)
        # a rank using the runtime's client side, as the MPI library does
        local rt=$REPO/src/runtime
        extra=(-I"$rt" "$rt/rank_client.c" "$rt/wire.c")
        { [ "$out" -nt "$rt/rank_client.c" ] && [ "$out" -nt "$rt/wire.c" ]; } || rm -f "$out"
        ;;
    unit_dtype)
        # the MPI library's datatypes and reductions, compiled in; the test
        # program stands in for the rest of the library
        local m=$REPO/src/mpi f
        local mods=("$m/datatype.c" "$m/dtype_pack.c" "$m/op.c" "$m/api_datatype.c" "$m/api_op.c")
        extra=(-D_GNU_SOURCE -I"$REPO/include" -I"$m" "${mods[@]}")
        for f in "${mods[@]}" "$m/dtype.h" "$m/op.h" "$m/status.h" "$m/mpi_impl.h" "$REPO/include/mpi.h"; do
            [ "$out" -nt "$f" ] || rm -f "$out"
        done
        ;;
    unit_shm)
        # the shared memory transport compiled in; the harness stands in
        # for the runtime's exchange and the engine
        local m=$REPO/src/mpi
        extra=(-D_GNU_SOURCE -Wno-unused-parameter -I"$REPO/include" -I"$m" -I"$REPO/src/runtime" "$m/transport_shm.c")
        { [ "$out" -nt "$m/transport_shm.c" ] && [ "$out" -nt "$m/shm_ring.h" ] && [ "$out" -nt "$m/mpi_impl.h" ]; } ||
            rm -f "$out"
        ;;
    unit_coll)
        # the collectives compiled in; the harness stands in for the rest of
        # the library (point-to-point, datatypes, operations, errors)
        local m=$REPO/src/mpi f
        extra=(-D_GNU_SOURCE -Wno-unused-parameter -I"$REPO/include" -I"$m" "$m"/coll_*.c "$m/api_coll.c")
        for f in "$m"/coll_*.c "$m"/coll*.h "$m/api_coll.c" "$m/mpi_impl.h" "$REPO/include/mpi.h"; do
            [ "$out" -nt "$f" ] || rm -f "$out"
        done
        ;;
    pmpi_wrap)
        # the profiling-interface test's wrapper library: a shared object
        # (named like the programs, without lib/.so), built with crest's mpicc
        cc=$BUILD/bin/mpicc
        [ -x "$cc" ] || { echo "$cc does not exist (make)"; return 1; }
        extra=(-shared -fPIC)
        ;;
    mpi_pmpi_linked)
        # mpi_pmpi.c linked against the wrapper ahead of libmpi
        build_prog pmpi_wrap || return 1
        cc=$BUILD/bin/mpicc
        src=$TESTS_DIR/programs/mpi_pmpi.c
        extra=("$TBIN/pmpi_wrap")
        [ "$out" -nt "$TBIN/pmpi_wrap" ] || rm -f "$out"
        ;;
    mpi_*)
        # MPI programs: crest's mpicc (crest's mpi.h and libmpi)
        cc=$BUILD/bin/mpicc
        [ -x "$cc" ] || { echo "$cc does not exist (make)"; return 1; }
        extra=(-Wno-stringop-overflow)
        ;;
    esac
    mkdir -p "$TBIN"
    if [ -x "$out" ] && [ "$out" -nt "$src" ]; then
        if [ "$name" != api ] || [ "$out" -nt "$BUILD/lib/libcrest.so" ]; then
            return 0
        fi
    fi
    local tmp
    tmp=$(mktemp "$out.XXXXXX") || return 1
    if ! "$cc" "${flags[@]}" -o "$tmp" "$src" "${extra[@]}" -lm 2>"$tmp.log"; then
        echo "cannot compile $src:"
        cat "$tmp.log"
        rm -f "$tmp" "$tmp.log"
        return 1
    fi
    rm -f "$tmp.log"
    mv -f "$tmp" "$out"
}

# Prints the path of test program $1, compiled if needed; returns non-zero
# when it does not build.  Use: P=$(prog NAME) || fail "..."
prog() {
    build_prog "$1" >&2 || return 1
    echo "$TBIN/$1"
}

# Fresh work directory for this case.
setup_work() {
    rm -rf "$WORK"
    mkdir -p "$WORK/run-cwd" "$WORK/restart-cwd" "$WORK/images" || fail "cannot create $WORK"
}

# ---------------------------------------------------------------- running

# Runs "$@" uninterrupted (no crest) in $WORK/run-cwd; its stdout becomes the
# reference: $WORK/expected.out and $WORK/expected.rc.  Prints the time taken.
# stdin: $EXPECTED_STDIN (default /dev/null).
make_expected() {
    local t0 rc stdin=${EXPECTED_STDIN:-/dev/null}
    t0=$(now_us)
    (cd "$WORK/run-cwd" && exec timeout --foreground -k 5 "$T_RUN" "$@" \
        >"$WORK/expected.out" 2>"$WORK/expected.err" <"$stdin")
    rc=$?
    echo "$rc" >"$WORK/expected.rc"
    EXPECTED_SECS=$(elapsed_since "$t0")
    note "uninterrupted run: $EXPECTED_SECS s, exit $rc, $(wc -l <"$WORK/expected.out") line(s)"
    [ "$rc" -eq 124 ] && fail "uninterrupted run of $* timed out"
    [ -s "$WORK/expected.out" ] || { show "$WORK/expected.err"; fail "uninterrupted run of $* printed nothing"; }
}

# Starts `crest run "$@"` in the background in $WORK/run-cwd, stdout/stderr
# into $WORK/$LABEL.out/.err (LABEL defaults to "original"); waits until
# libcrest is loaded in it.  Sets RUN_PID and RUN_T0.  stdin: $RUN_STDIN
# (default /dev/null).
start_crest_run() {
    local label=${LABEL:-original} stdin=${RUN_STDIN:-/dev/null}
    require_crest
    SPAWN_DIR=$WORK/run-cwd SPAWN_IN=$stdin SPAWN_OUT=$WORK/$label.out SPAWN_ERR=$WORK/$label.err \
        spawn "$CREST" run "$@"
    RUN_PID=$SPAWN_PID
    RUN_T0=$(now_us)
    if ! wait_maps "$RUN_PID" libcrest "$T_START"; then
        show "$WORK/$label.err"
        fail "crest run $* did not start with libcrest loaded within ${T_START}s (state $(proc_state "$RUN_PID"))"
    fi
}

# Runs `crest checkpoint PID -o IMAGE ARGS...` and checks its result: exit 0,
# exactly one line on stdout naming the image (stderr is shown if any), the image
# present and accepted by `crest info`.  Sets CKPT_SECS.  Returns non-zero
# (after reporting) when the checkpoint failed.
checkpoint() {
    local pid=$1 img=$2 rc t0 base
    shift 2
    base=$(basename "$img")
    t0=$(now_us)
    timeout --foreground -k 5 "$T_CKPT" "$CREST" checkpoint "$pid" -o "$img" "$@" \
        >"$img.ckpt.out" 2>"$img.ckpt.err" </dev/null
    rc=$?
    CKPT_SECS=$(elapsed_since "$t0")
    if [ $rc -ne 0 ] && ! alive "$pid" && grep -q "no process $pid" "$img.ckpt.err"; then
        # the program ended between the caller's check and the checkpoint
        CKPT_GONE=1
        return 2
    fi
    if [ $rc -ne 0 ]; then
        fail_soft "crest checkpoint $pid -o $base $* exited $(describe_rc $rc) after $CKPT_SECS s"
        show "$img.ckpt.out"
        show "$img.ckpt.err"
        return 1
    fi
    local ok=1
    if [ "$(wc -l <"$img.ckpt.out")" -ne 1 ] || ! grep -qF -- "$base" "$img.ckpt.out"; then
        fail_soft "crest checkpoint should print one line naming $base"
        show "$img.ckpt.out"
        ok=0
    fi
    if [ -s "$img.ckpt.err" ]; then
        note "crest checkpoint wrote on stderr:"
        show "$img.ckpt.err"
    fi
    if [ ! -f "$img" ]; then
        fail_soft "crest checkpoint exited 0 but $img does not exist"
        return 1
    fi
    if ! timeout --foreground -k 5 "$T_CKPT" "$CREST" info "$img" >"$img.info.out" 2>"$img.info.err"; then
        fail_soft "crest info $base rejects a fresh image"
        show "$img.info.err"
        ok=0
    fi
    note "checkpoint $base: $CKPT_SECS s, $(stat -c %s "$img") bytes: $(head -c 200 "$img.ckpt.out")"
    [ $ok -eq 1 ]
}

# Compares $WORK/$1.out and exit status $2 with the reference.
compare_output() {
    local label=$1 rc=$2 want_rc
    want_rc=$(cat "$WORK/expected.rc")
    local ok=1
    if ! cmp -s "$WORK/expected.out" "$WORK/$label.out"; then
        fail_soft "$label: stdout differs from the uninterrupted run"
        diff -u "$WORK/expected.out" "$WORK/$label.out" | head -n 40 | sed 's/^/  /'
        ok=0
    fi
    if [ "$rc" != "$want_rc" ]; then
        fail_soft "$label: exit status $(describe_rc "$rc"), uninterrupted run: $want_rc"
        ok=0
    fi
    if [ $ok -eq 0 ]; then
        show "$WORK/$label.err"
        return 1
    fi
    note "$label: output identical to the uninterrupted run"
}

# A restarted process must resume, not run the program again from its
# start: the test programs write START_MARK on stderr first thing, so it
# must not be in $WORK/$1.err (checked when the uninterrupted run wrote it).
START_MARK="crest-test: program started"
check_resumed() {
    local label=$1
    if grep -qxF "$START_MARK" "$WORK/expected.err" 2>/dev/null &&
        grep -qxF "$START_MARK" "$WORK/$label.err" 2>/dev/null; then
        fail_soft "$label: the restarted process ran the program again from its start ('$START_MARK' on its stderr)"
        return 1
    fi
}

# Restarts IMAGE in the foreground from $WORK/restart-cwd (stdin: $RESTART_STDIN,
# default /dev/null), checks that it resumed, and compares its output with
# the reference.
restart_and_compare() {
    local img=$1 label=$2 rc t0 stdin=${RESTART_STDIN:-/dev/null}
    require_crest
    t0=$(now_us)
    (cd "$WORK/restart-cwd" && exec timeout --foreground -k 5 "$T_RESTART" "$CREST" restart "$img" \
        >"$WORK/$label.out" 2>"$WORK/$label.err" <"$stdin")
    rc=$?
    note "$label: crest restart $(basename "$img") ran $(elapsed_since "$t0") s, exit $(describe_rc $rc)"
    check_resumed "$label"
    compare_output "$label" "$rc"
}

# Snapshot helpers for programs whose files change during the run: the
# content of $1 is copied while the process is stopped at a checkpoint and
# put back (same inodes, same mtimes) before restarting that image.
snapshot_dir() {
    rm -rf "$2"
    cp -a "$1" "$2" || fail "cannot copy $1"
}

restore_dir() {
    local from=$1 to=$2 f
    for f in "$to"/*; do
        [ -e "$from/$(basename "$f")" ] || rm -rf "$f"
    done
    for f in "$from"/*; do
        [ -f "$f" ] || continue
        cat "$f" >"$to/$(basename "$f")" || fail "cannot restore $f"
        touch -r "$f" "$to/$(basename "$f")"
    done
}

# Turns a list of times into seconds: "N%" is N percent of the duration of
# the uninterrupted run ($EXPECTED_SECS, from make_expected), so that the
# checkpoints fall inside the run however loaded the machine is; "+N" (N in
# seconds or N%) is kept and means that long after the previous checkpoint
# ended.
resolve_times() {
    local t out="" plus
    for t in $1; do
        plus=""
        case $t in +*) plus=+; t=${t#+} ;; esac
        case $t in
        *%) t=$(awk -v p="${t%\%}" -v d="${EXPECTED_SECS:?make_expected first}" 'BEGIN { printf "%.2f", p * d / 100 }') ;;
        esac
        out="$out $plus$t"
    done
    echo $out
}

# The standard test.  Usage:
#   ckpt_restart_case [--times "T1 T2 ..."] [--files DIR] [--term-last] -- PROG ARGS...
# Expects make_expected to have produced the reference.  Starts PROG under
# crest run, checkpoints it at each time (seconds after start, or N% of the
# uninterrupted run's duration, or +T after the end of the previous
# checkpoint; default "15% 45% 75%") into
# $WORK/images/ckpt-N.img, then lets it finish (its output must match: the
# checkpoints must not disturb it) or, with --term-last, takes the last
# checkpoint with --term (it must be gone after).  Then restarts every image
# in turn from another directory and compares each output with the
# reference.  --files DIR: the program changes files in DIR; checkpoints are
# taken with --stop, DIR is copied, then the process is continued; DIR is
# put back to that copy before each restart.
ckpt_restart_case() {
    local times="15% 45% 75%" files="" term_last=0
    while [ $# -gt 0 ]; do
        case $1 in
        --times) times=$2; shift 2 ;;
        --files) files=$2; shift 2 ;;
        --term-last) term_last=1; shift ;;
        --) shift; break ;;
        *) fail "ckpt_restart_case: unknown option $1" ;;
        esac
    done
    times=$(resolve_times "$times")
    note "checkpoints at $times s after start"
    start_crest_run "$@"
    local pid=$RUN_PID i=0 t n last imgs=() ended_early=0
    n=$(echo $times | wc -w)
    local prev_end=$RUN_T0
    for t in $times; do
        i=$((i + 1))
        case $t in
        +*) sleep_until "$prev_end" "${t#+}" ;;
        *) sleep_until "$RUN_T0" "$t" ;;
        esac
        if ! alive "$pid"; then
            wait_exit "$pid" 1
            if [ ${#imgs[@]} -ge 2 ] && [ $term_last -eq 0 ]; then
                # a run faster than the reference run (a noisy machine): the
                # images already taken are still checked, every one of them
                note "the program ended before the checkpoint at ${t}s; going on with ${#imgs[@]} images"
                ended_early=1
                break
            fi
            show "$WORK/original.err"
            fail "the program ended ($(describe_rc $WAIT_RC)) before the checkpoint at ${t}s: give it more work"
        fi
        local img=$WORK/images/ckpt-$i.img mode=()
        last=0
        [ $i -eq "$n" ] && last=1
        if [ $last -eq 1 ] && [ $term_last -eq 1 ]; then
            mode=(--term)
        elif [ -n "$files" ]; then
            mode=(--stop)
        fi
        CKPT_GONE=0
        if ! checkpoint "$pid" "$img" "${mode[@]}"; then
            if [ $CKPT_GONE -eq 1 ]; then
                wait_exit "$pid" 1
                if [ ${#imgs[@]} -ge 2 ] && [ $term_last -eq 0 ]; then
                    note "the program ended just before the checkpoint at ${t}s; going on with ${#imgs[@]} images"
                    ended_early=1
                    break
                fi
                fail "the program ended ($(describe_rc $WAIT_RC)) before the checkpoint at ${t}s: give it more work"
            fi
            [ -n "$files" ] && kill -CONT "$pid" 2>/dev/null
            continue
        fi
        note "checkpoint $i taken at $(elapsed_since "$RUN_T0") s after start"
        prev_end=$(now_us)
        imgs+=("$i")
        if [ -n "$files" ]; then
            if [ "${mode[*]}" = --stop ]; then
                local st
                st=$(proc_state "$pid")
                [ "$st" = T ] || fail_soft "after checkpoint --stop the process is in state $st, not T (stopped)"
            fi
            snapshot_dir "$files" "$WORK/images/files-$i"
            kill -CONT "$pid" 2>/dev/null
        fi
    done
    if [ "$ended_early" -eq 1 ]; then
        compare_output original "$WAIT_RC"
    elif [ $term_last -eq 1 ]; then
        wait_exit "$pid" 1 || fail_soft "the process still runs 1 s after checkpoint --term returned"
        [ "$WAIT_RC" -eq 137 ] || fail_soft "after checkpoint --term the process ended with $(describe_rc "$WAIT_RC"), not SIGKILL"
    else
        if wait_exit "$pid" "$T_RUN"; then
            compare_output original "$WAIT_RC"
        else
            fail_soft "the checkpointed original did not finish within ${T_RUN}s (state $(proc_state "$pid"))"
            show "$WORK/original.err"
        fi
    fi
    [ ${#imgs[@]} -gt 0 ] || fail "no checkpoint succeeded"
    for i in "${imgs[@]}"; do
        [ -n "$files" ] && restore_dir "$WORK/images/files-$i" "$files"
        restart_and_compare "$WORK/images/ckpt-$i.img" "restart-$i"
    done
}

# Second generation.  Usage: second_generation T1 T2 -- PROG ARGS...
# Checkpoint the original at T1 s, kill it, restart the image in the
# background, checkpoint the restarted process T2 s after its restart, kill
# it, restart the second image and compare its output.
second_generation() {
    local t1=$1 t2=$2
    shift 3
    local name
    name=$(basename "$1")
    start_crest_run "$@"
    local pid=$RUN_PID
    sleep_until "$RUN_T0" "$t1"
    alive "$pid" || fail "the program ended before the first checkpoint"
    checkpoint "$pid" "$WORK/images/gen1.img" || fail "first-generation checkpoint failed"
    kill -9 "$pid"
    wait_exit "$pid" 5

    SPAWN_DIR=$WORK/restart-cwd SPAWN_OUT=$WORK/gen1.out SPAWN_ERR=$WORK/gen1.err \
        spawn "$CREST" restart "$WORK/images/gen1.img"
    local rpid=$SPAWN_PID t0
    t0=$(now_us)
    if ! wait_maps "$rpid" "$TBIN/$name" "$T_START"; then
        show "$WORK/gen1.err"
        fail "the restarted process (pid $rpid) did not map $name within ${T_START}s (state $(proc_state "$rpid"))"
    fi
    sleep_until "$t0" "$t2"
    alive "$rpid" || { show "$WORK/gen1.err"; fail "the restarted process ended before the second checkpoint"; }
    checkpoint "$rpid" "$WORK/images/gen2.img" || fail "checkpoint of the restarted process failed"
    kill -9 "$rpid"
    wait_exit "$rpid" 5

    restart_and_compare "$WORK/images/gen2.img" restart-gen2
    # the first image still restarts as well after being used once
    restart_and_compare "$WORK/images/gen1.img" restart-gen1-again
}

# ---------------------------------------------------------------- refusals

# Runs "$@" in a session of its own and checks that it is refused cleanly:
# non-zero exit (not a timeout or a signal), exactly one non-empty line on
# stderr, and no process left in its session or carrying
# its marker.  $1 is a label for the report.  Sets REFUSAL_ERR to the line.
# Runs in $REFUSAL_CWD (default $WORK).
expect_refusal() {
    local label=$1
    shift
    local out=$WORK/refusal-$label mark="crest-test-mark-$$-$RANDOM$RANDOM" rc
    (cd "${REFUSAL_CWD:-$WORK}" && exec timeout --foreground -k 5 60 env CREST_TEST_MARK="$mark" \
        sh -c 'echo $$ >"$0"; exec setsid "$@"' "$out.sid" "$@" >"$out.out" 2>"$out.err" </dev/null)
    rc=$?
    REFUSAL_ERR=$(head -n 1 "$out.err")
    local ok=1
    if [ $rc -eq 0 ]; then
        fail_soft "$label: '$*' succeeded; it must be refused"
        ok=0
    elif [ $rc -eq 124 ] || [ $rc -gt 128 ]; then
        fail_soft "$label: '$*' exited $(describe_rc $rc): must exit with an error status"
        ok=0
    fi
    if [ "$(wc -l <"$out.err")" -ne 1 ] || [ -z "$REFUSAL_ERR" ]; then
        fail_soft "$label: stderr must be exactly one line, it has $(wc -l <"$out.err")"
        ok=0
    fi
    sleep 0.2
    local sid left="" p
    sid=$(cat "$out.sid" 2>/dev/null)
    if [ -n "$sid" ]; then
        left=$(ps -eo pid=,sid= | awk -v s="$sid" '$2 == s { print $1 }')
    fi
    for p in $(grep -lsF "$mark" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); do
        left="$left $p"
    done
    left=$(echo $left | tr ' ' '\n' | sort -un | tr '\n' ' ')
    if [ -n "${left// /}" ]; then
        fail_soft "$label: processes left behind: $left"
        for p in $left; do
            ps -o pid=,stat=,args= -p "$p" 2>/dev/null | sed 's/^/  /'
            kill -9 "$p" 2>/dev/null
        done
        ok=0
    fi
    if [ $ok -eq 1 ]; then
        note "$label: refused with exit $rc: $REFUSAL_ERR"
        [ -s "$out.out" ] && note "$label: (and $(wc -l <"$out.out") line(s) on stdout)"
    else
        show "$out.out"
        show "$out.err"
        return 1
    fi
}
