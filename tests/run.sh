#!/bin/bash
# run.sh — builds crest and the test programs, then runs the test cases.
#
# usage: tests/run.sh [-t SECONDS] [-k] [-n] [PATTERN...]
#   PATTERN   run only the cases whose name contains one of the patterns
#             (shell glob characters allowed), e.g. "tids" or "1?_"
#   -t SECS   time limit per case (default 180)
#   -k        keep the work directories of passing cases too
#   -n        do not run make (use the build as it is)
#   -l        list the cases and exit
#   -x PAT    leave out the cases whose name contains PAT (repeatable)
# Prints "PASS name (secs)", "SKIP name: reason" or "FAIL name" followed by
# the case's output, and as the last line "N passed, N failed[, N skipped]".
# Logs and the files of failed cases stay in build/test-tmp/run-PID/.
# Exit status: 0 when no case failed.

set -u
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$TESTS_DIR/.." && pwd)
BUILD=${CREST_BUILD:-$REPO/build}
export CREST_BUILD=$BUILD

case_timeout=180
keep=0
do_make=1
list=0
excludes=()
while getopts "t:knlx:h" opt; do
    case $opt in
    t) case_timeout=$OPTARG ;;
    k) keep=1 ;;
    n) do_make=0 ;;
    l) list=1 ;;
    x) excludes+=("$OPTARG") ;;
    *)
        awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
        exit 2
        ;;
    esac
done
shift $((OPTIND - 1))
patterns=("$@")

selected=()
for f in "$TESTS_DIR"/cases/*.sh; do
    name=$(basename "$f" .sh)
    if [ ${#patterns[@]} -gt 0 ]; then
        hit=0
        for p in "${patterns[@]}"; do
            # shellcheck disable=SC2053
            [[ $name == *$p* ]] && hit=1
        done
        [ $hit -eq 1 ] || continue
    fi
    out=0
    for p in ${excludes[@]+"${excludes[@]}"}; do
        # shellcheck disable=SC2053
        [[ $name == *$p* ]] && out=1
    done
    [ $out -eq 0 ] || continue
    selected+=("$f")
done
if [ $list -eq 1 ]; then
    for f in "${selected[@]}"; do basename "$f" .sh; done
    exit 0
fi
if [ ${#selected[@]} -eq 0 ]; then
    echo "no test case matches: ${patterns[*]}"
    echo "0 passed, 0 failed"
    exit 1
fi

if [ $do_make -eq 1 ]; then
    if ! make_log=$(make -C "$REPO" 2>&1); then
        echo "$make_log" | tail -n 40
        echo "make -C $REPO failed"
        echo "0 passed, ${#selected[@]} failed"
        exit 1
    fi
fi

# shellcheck source=lib.sh
CASE_NAME=run . "$TESTS_DIR/lib.sh"
trap - EXIT
# This run's files: $BUILD/test-tmp/run-PID/ (a log per case, and the work
# directory of each case that failed).  Directories of earlier runs that
# have ended are removed, except the newest two.
mkdir -p "$BUILD/test-tmp"
old_runs=()
for d in $(ls -dt "$BUILD"/test-tmp/run-* 2>/dev/null); do
    p=${d##*/run-}
    if [ -d "/proc/$p" ] && grep -q run.sh "/proc/$p/cmdline" 2>/dev/null; then
        continue # still running
    fi
    old_runs+=("$d")
done
for d in "${old_runs[@]:2}"; do
    rm -rf "$d"
done
export TEST_RUN_DIR=$BUILD/test-tmp/run-$$
rm -rf "$TEST_RUN_DIR"
mkdir -p "$TEST_RUN_DIR/logs"
for src in "$TESTS_DIR"/programs/*.c; do
    name=$(basename "$src" .c)
    if ! msg=$(build_prog "$name" 2>&1); then
        echo "note: test program $name does not build (cases using it will fail):"
        echo "$msg" | head -n 20 | sed 's/^/  /'
    fi
done

passed=0
failed=0
skipped=0
failed_names=()
for f in "${selected[@]}"; do
    name=$(basename "$f" .sh)
    log=$TEST_RUN_DIR/logs/$name.log
    t0=$(now_us)
    CASE_NAME=$name timeout -k 10 "$case_timeout" bash "$f" >"$log" 2>&1
    rc=$?
    secs=$(elapsed_since "$t0")
    if [ $rc -eq 0 ]; then
        echo "PASS $name ($secs s)"
        passed=$((passed + 1))
        [ $keep -eq 1 ] || rm -rf "${TEST_RUN_DIR:?}/$name"
    elif [ $rc -eq 77 ]; then
        echo "SKIP $name: $(grep -m1 '^SKIP' "$log" | sed 's/^SKIP: //')"
        skipped=$((skipped + 1))
    else
        if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
            echo "FAIL $name (timed out after ${case_timeout}s)"
        else
            echo "FAIL $name ($secs s)"
        fi
        sed 's/^/    /' "$log"
        failed=$((failed + 1))
        failed_names+=("$name")
    fi
done

[ $failed -gt 0 ] && echo "failed: ${failed_names[*]} (logs and files in $TEST_RUN_DIR)"
summary="$passed passed, $failed failed"
[ $skipped -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ $failed -eq 0 ]
