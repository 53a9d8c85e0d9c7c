# common.sh — shared by the benchmark scripts in bench/: sourced, not run.
#
# Gives each script a private work directory (removed on exit), the crest
# binaries of this tree, a C compiler wrapper for the small benchmark
# programs, wall-clock timing, medians, and a description of the machine.

set -u

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
CREST=${CREST:-$ROOT/build/bin/crest}
CC=${CC:-cc}

BENCH_PIDS=()   # processes a script started and must not leave behind
WORK=""

bench_die() {
    echo "$(basename "$0"): $*" >&2
    exit 1
}

bench_cleanup() {
    local pid
    for pid in "${BENCH_PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null
    done
    BENCH_PIDS=()
    if [ -n "$WORK" ] && [ -d "$WORK" ]; then
        rm -rf "$WORK"
    fi
}

# bench_init [DIR]: checks the build and makes the work directory under
# DIR, else $TMPDIR, else /tmp.
bench_init() {
    local base=${1:-${TMPDIR:-/tmp}}
    [ -x "$CREST" ] || bench_die "no crest at $CREST; run 'make -C $ROOT' first"
    [ -d "$base" ] || bench_die "$base is not a directory"
    WORK=$(mktemp -d "$base/crest-bench.XXXXXX") || bench_die "cannot make a directory in $base"
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
    # A private copy of the build: a rebuild of the tree during a long run
    # cannot mix two versions of crest and libcrest in one table.
    mkdir -p "$WORK/build/bin" "$WORK/build/lib"
    cp -p "$CREST" "$WORK/build/bin/crest" &&
        cp -p "$(dirname "$CREST")/../lib/libcrest.so" "$WORK/build/lib/libcrest.so" ||
        bench_die "cannot copy the build from $(dirname "$CREST")/.."
    CREST_TREE="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
    CREST="$WORK/build/bin/crest"
    # Control sockets of the benchmark's processes live in the work directory.
    export CREST_RUNTIME_DIR="$WORK/run"
}

# build_prog NAME: compiles bench/NAME.c into $WORK/NAME.
build_prog() {
    "$CC" -std=gnu11 -O2 -Wall -Wextra -pthread -o "$WORK/$1" "$BENCH_DIR/$1.c" ||
        bench_die "cannot compile $BENCH_DIR/$1.c"
}

# exec_clean CMD...: replaces the calling (sub)shell with CMD, with only
# stdin, stdout and stderr open, so that an image holds no pipe inherited
# from whatever started the benchmark.  Call it in the background
# (exec_clean CMD &): $! is then CMD's pid.
exec_clean() {
    local fd
    for fd in /proc/$BASHPID/fd/*; do
        fd=${fd##*/}
        if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
    done
    exec "$@"
}

# now_us: wall-clock microseconds.
now_us() {
    local t=$EPOCHREALTIME
    echo "${t/./}"
}

# timed_ms VAR CMD...: runs CMD (stdout and stderr as the caller redirected
# them), stores its wall time in milliseconds in VAR; returns CMD's status.
timed_ms() {
    local __var=$1 t0 t1 rc
    shift
    t0=${EPOCHREALTIME/./}  # read in place: a $(...) would fork inside the timed span
    "$@"
    rc=$?
    t1=${EPOCHREALTIME/./}
    printf -v "$__var" '%d.%03d' $(((t1 - t0) / 1000)) $(((t1 - t0) % 1000))
    return $rc
}

# median NUM...: the median (mean of the middle two for an even count).
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) { print "nan"; exit }
              if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2];
              else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

minimum() { printf '%s\n' "$@" | sort -g | head -n1; }
maximum() { printf '%s\n' "$@" | sort -g | tail -n1; }

# ratio A B: A / B to three decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "nan"; else printf "%.3f\n", a / b }'; }

# ratios LIST_A LIST_B: per-round ratios of two space-separated lists.
ratios() {
    local -a a=($1) b=($2)
    local i
    for i in "${!a[@]}"; do ratio "${a[$i]}" "${b[$i]}"; done
}

# wait_for_file FILE SECONDS [PID]: 0 once FILE exists; 1 on timeout or if
# PID (when given) has ended.
wait_for_file() {
    local file=$1 deadline=$(($(now_us) + $2 * 1000000)) pid=${3:-}
    while [ ! -e "$file" ]; do
        [ "$(now_us)" -lt "$deadline" ] || return 1
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
        sleep 0.05
    done
    return 0
}

# start_bg VAR OUTFILE CMD...: starts CMD in the background with only
# stdin/stdout/stderr open (stdout and stderr to OUTFILE), records its pid in
# VAR and in BENCH_PIDS.  It is disowned: the shell reaps it without printing
# a notice when a benchmark kills it on purpose.
start_bg() {
    local __var=$1 out=$2
    shift 2
    exec_clean "$@" >"$out" 2>&1 </dev/null &
    printf -v "$__var" '%s' "$!"
    BENCH_PIDS+=("$!")
    disown "$!"
}

# wait_gone PID SECONDS: waits until PID has ended, killing it after
# SECONDS; 0 if it ended by itself.
wait_gone() {
    local pid=$1 deadline=$(($(now_us) + $2 * 1000000)) rc=0 p
    while kill -0 "$pid" 2>/dev/null &&
        [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]; do
        if [ "$(now_us)" -ge "$deadline" ]; then
            kill -KILL "$pid" 2>/dev/null
            rc=1
            break
        fi
        sleep 0.02
    done
    local -a keep=()
    for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
    BENCH_PIDS=("${keep[@]}")
    return $rc
}

# machine_info DIR: the facts a reader needs to compare figures.
machine_info() {
    local dir=$1
    echo "machine:    $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(awk '/MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel:     $(uname -sr)"
    echo "filesystem: $(df -PT "$dir" | awk 'NR == 2 { print $2 " on " $1 " (mounted at " $7 ")" }') for $dir"
    echo "crest:      $("$CREST" --version), tree $CREST_TREE, built $(date -u -r "$WORK/build/lib/libcrest.so" '+%Y-%m-%d %H:%M UTC' 2>/dev/null)"
    echo "date:       $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "load:       $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the start"
}

# load_now: the load average, for the end of a run.
load_now() { echo "load:       $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the end"; }

# drop_dirty: writes back dirty pages of earlier runs (untimed), so that no
# run pays for the one before it.
drop_dirty() { sync; }
