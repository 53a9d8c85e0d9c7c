#!/usr/bin/env bash
# launch.sh — how fast crest's mpirun starts and tears down a job of a
# trivial program, next to Debian's MPICH (hydra) and Open MPI mpirun
# launching the same program on this host.
#
# usage: bench/launch.sh [DIR]
#   DIR        work directory (default: $TMPDIR, else /tmp)
#   ROUNDS     rounds (environment; default 15, at least 5)
#   RANKS      job sizes (environment; default "1 16 64")
#   LIMIT      seconds a launch may take before it counts as hung and its
#              processes are killed (environment; default 10)
#   MPIRUN     crest's mpirun (default: build/bin/mpirun of this tree; its
#              crestd is taken from the same directory)
#   MPICH_RUN  MPICH's launcher (default mpirun.mpich)
#   OMPI_RUN   Open MPI's launcher (default mpirun.openmpi)
#
# The job is N copies of bench/launch_hello (one line of output, no MPI
# call, so that every launcher can run it) on this host, oversubscribed when
# N exceeds the CPUs.  bench/launch_timer starts each launcher with its
# stdout on a pipe and measures, from just before its fork:
#   first line  the first complete line arriving on that pipe
#   teardown    the last process of the job gone: the launcher has exited
#               and so has everything it started (launch_timer is a child
#               subreaper, so orphans of the job are reaped by it, and any
#               process still there when the launcher exits is reported)
# After each launch, pgrep also looks for a launch_hello left anywhere on
# the machine (one that escaped the tree would not be seen otherwise).
# Each round runs every launcher once per N, the order rotating from round
# to round; one untimed round comes first.  A launch past LIMIT is killed,
# counted as hung and left out of the medians.  crest's mpirun runs with
# CREST_NO_BOOT=1 and a private CREST_RUNTIME_DIR: it starts its own crestd,
# as it does when no `crest boot` runs, and never joins another one.
source "$(dirname "$0")/common.sh"

ROUNDS=${ROUNDS:-15}
RANKS=${RANKS:-"1 16 64"}
LIMIT=${LIMIT:-10}
MPIRUN=${MPIRUN:-$ROOT/build/bin/mpirun}
MPICH_RUN=${MPICH_RUN:-mpirun.mpich}
OMPI_RUN=${OMPI_RUN:-mpirun.openmpi}
[ "$ROUNDS" -ge 5 ] || bench_die "ROUNDS must be at least 5"
for n in $RANKS; do [ "$n" -ge 1 ] 2>/dev/null || bench_die "RANKS must be numbers >= 1, got \"$RANKS\""; done
[ -x "$MPIRUN" ] || bench_die "no mpirun at $MPIRUN; run 'make -C $ROOT' first"
[ -x "$(dirname "$MPIRUN")/crestd" ] || bench_die "no crestd next to $MPIRUN"
bench_init "${1:-}"
# The private copy of the build, as for crest itself: mpirun runs the crestd
# of its own directory.
cp -p "$MPIRUN" "$WORK/build/bin/mpirun" && cp -p "$(dirname "$MPIRUN")/crestd" "$WORK/build/bin/crestd" ||
    bench_die "cannot copy mpirun and crestd from $(dirname "$MPIRUN")"
build_prog launch_hello
build_prog launch_timer
HELLO=$WORK/launch_hello
RTDIR=$(mktemp -d "$WORK/rt.XXXXXX") && chmod 0700 "$RTDIR" || bench_die "cannot make a runtime directory"

# Launchers, crest first; a missing one is skipped with one line.  ARGS[l]
# is what launch_timer gets before the program's -np: its -x settings, --,
# then the launcher and its options, one word per line so that paths with
# blanks stay whole.
NAMES=()
declare -A ARGS=() VERSION=()
add_launcher() { # add_launcher NAME WORD...
    NAMES+=("$1")
    ARGS[$1]=$(printf '%s\n' "${@:2}")
}
add_launcher crest -x CREST_NO_BOOT=1 -x "CREST_RUNTIME_DIR=$RTDIR" -- "$WORK/build/bin/mpirun"
VERSION[crest]="$("$WORK/build/bin/mpirun" --version)"
if command -v "$MPICH_RUN" >/dev/null; then
    add_launcher mpich -- "$(command -v "$MPICH_RUN")"
    VERSION[mpich]="hydra $("$MPICH_RUN" --version 2>&1 | awk '/^ *Version:/ { print $2; exit }')"
else
    echo "mpich: $MPICH_RUN not found, skipped (install Debian's mpich)"
fi
if command -v "$OMPI_RUN" >/dev/null; then
    # Open MPI refuses more processes than slots without --oversubscribe,
    # and refuses root without --allow-run-as-root.
    if [ "$(id -u)" -eq 0 ]; then
        add_launcher openmpi -- "$(command -v "$OMPI_RUN")" --oversubscribe --allow-run-as-root
    else
        add_launcher openmpi -- "$(command -v "$OMPI_RUN")" --oversubscribe
    fi
    VERSION[openmpi]="$("$OMPI_RUN" --version 2>&1 | head -n1)"
else
    echo "openmpi: $OMPI_RUN not found, skipped (install Debian's openmpi-bin)"
fi
# launcher_words LAUNCHER: sets WORDS to ARGS[LAUNCHER] as an array.
launcher_words() { mapfile -t WORDS <<<"${ARGS[$1]}"; }
# launcher_cmd LAUNCHER: the launcher's command line as printed (after the --).
launcher_cmd() { launcher_words "$1"; local i=0; while [ "${WORDS[$i]}" != -- ]; do i=$((i + 1)); done; echo "${WORDS[*]:i+1}"; }
OTHERS=("${NAMES[@]:1}")

echo "== launch: job start to first line and to teardown, ranks $RANKS, $ROUNDS rounds"
machine_info "$WORK"
for l in "${NAMES[@]}"; do printf 'launcher:   %-8s %s: %s -np N %s\n' "$l" "${VERSION[$l]}" "$(launcher_cmd "$l")" "$HELLO"; done
echo "            crest's with CREST_NO_BOOT=1 CREST_RUNTIME_DIR=$RTDIR"
echo "command:    ROUNDS=$ROUNDS RANKS=\"$RANKS\" LIMIT=$LIMIT bench/launch.sh ${1:-}"

declare -A F=() G=() X=() HUNG=() LEFT=()  # per "launcher,N": first line, teardown, launcher exit (ms)
NOTES=()
launch() { # launch LAUNCHER N: one timed start; appends to F, G, X ("nan" if hung)
    local l=$1 n=$2 out kv k v first='' ex='' gone='' lines='' status='' left='' alive='' names='' timeout='' stray
    launcher_words "$l"
    out=$("$WORK/launch_timer" -t "$LIMIT" -e "$WORK/err" "${WORDS[@]}" -np "$n" "$HELLO")
    for kv in $out; do
        k=${kv%%=*} v=${kv#*=}
        case $k in
        first_ms) first=$v ;; exit_ms) ex=$v ;; gone_ms) gone=$v ;; lines) lines=$v ;;
        status) status=$v ;; left) left=$v ;; left_alive) alive=$v ;; left_names) names=$v ;;
        timeout) timeout=$v ;;
        esac
    done
    [ -n "$timeout" ] || bench_die "launch_timer failed for $l -np $n: $(cat "$WORK/err")"
    stray=$(pgrep -f "^$HELLO" | tr '\n' ' ')
    if [ -n "$stray" ]; then
        NOTES+=("$l -np $n: launch_hello still running after teardown: pids $stray(killed)")
        for v in $stray; do kill -KILL "$v" 2>/dev/null; done
    fi
    if [ "$timeout" = 1 ]; then
        HUNG[$l,$n]=$((${HUNG[$l,$n]:-0} + 1))
        NOTES+=("$l -np $n: no exit within $LIMIT s ($lines of $n lines had arrived$([ "$lines" -gt 0 ] && echo ", the first after $first ms")); killed")
        F[$l,$n]+="nan " G[$l,$n]+="nan " X[$l,$n]+="nan "
        return
    fi
    [ "$status" = 0 ] && [ "$lines" = "$n" ] ||
        bench_die "$l -np $n: exit status $status, $lines of $n lines: $(head -c 2000 "$WORK/err")"
    if [ "$left" != 0 ]; then
        LEFT[$l,$n]=$((${LEFT[$l,$n]:-0} + 1))
        NOTES+=("$l -np $n: $left process(es) outlived the launcher ($alive not yet exited: $names); all gone $(awk -v g="$gone" -v x="$ex" 'BEGIN { printf "%.3f", g - x }') ms after its exit")
    fi
    F[$l,$n]+="$first " G[$l,$n]+="$gone " X[$l,$n]+="$ex "
}

# real LIST: the entries of LIST that are not "nan".
real() { local v; for v in $1; do [ "$v" = nan ] || printf '%s ' "$v"; done; }
# nth LIST I: entry I (from 0) of LIST.
nth() { local -a a=($1); echo "${a[$2]}"; }
# best_of ARRAY N ROUND: the smaller of the other launchers' times in ROUND (nan if none).
best_of() {
    local -n arr=$1
    local l v best=nan
    for l in "${OTHERS[@]}"; do
        v=$(nth "${arr[$l,$2]}" "$3")
        [ "$v" = nan ] && continue
        if [ "$best" = nan ] || awk -v a="$v" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$v; fi
    done
    echo "$best"
}

round() { # round R: every launcher once per N, the order rotating with R
    local r=$1 n i l line
    for n in $RANKS; do
        line="  -np $n:"
        for ((i = 0; i < ${#NAMES[@]}; i++)); do
            l=${NAMES[(i + r) % ${#NAMES[@]}]}
            launch "$l" "$n"
        done
        for l in "${NAMES[@]}"; do
            line+=" $l $(awk '{ print $NF }' <<<"${F[$l,$n]}")/$(awk '{ print $NF }' <<<"${G[$l,$n]}"),"
        done
        echo "${line%,} ms (first line/teardown)"
    done
}

echo
echo "warm-up (untimed)"
round 0 >/dev/null
F=() G=() X=() HUNG=() LEFT=() NOTES=()
for ((r = 0; r < ROUNDS; r++)); do
    echo "round $((r + 1)):"
    round "$r"
done

# cmp_row LABEL ARRAY N: crest's median against the faster of the others'.
cmp_row() {
    local -n arr=$2
    local n=$3 c l m best=nan who=- rr=() i cr br pr=- mr ok
    c=$(median $(real "${arr[crest,$n]}"))
    for l in "${OTHERS[@]}"; do
        [ -n "$(real "${arr[$l,$n]}")" ] || continue
        m=$(median $(real "${arr[$l,$n]}"))
        if [ "$best" = nan ] || awk -v a="$m" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$m who=$l; fi
    done
    if [ "$best" = nan ]; then
        printf '| %5s | %-11s | %9.2f | %9s | %-7s | %6s | %-13s | %-6s | %-4s |\n' "$n" "$1" "$c" - - - - - -
        return
    fi
    for ((i = 0; i < ROUNDS; i++)); do
        cr=$(nth "${arr[crest,$n]}" "$i")
        br=$(best_of "$2" "$n" "$i")
        [ "$cr" = nan ] || [ "$br" = nan ] || rr+=("$(ratio "$cr" "$br")")
    done
    [ ${#rr[@]} -gt 0 ] && pr="$(minimum "${rr[@]}")..$(maximum "${rr[@]}")"
    mr=$(ratio "$c" "$best")
    ok=$(awk -v r="$mr" 'BEGIN { print (r <= 1.0) ? "yes" : "NO" }')
    printf '| %5s | %-11s | %9.2f | %9.2f | %-7s | %6.3f | %-13s | <= 1.0 | %-4s |\n' \
        "$n" "$1" "$c" "$best" "$who" "$mr" "$pr" "$ok"
}

echo
echo "medians of the launches that ended (ms); hung: launches killed after $LIMIT s;"
echo "outlived: launches after whose exit some process of the job was still there"
echo
printf '| ranks | %-8s | %-13s | %-11s | %-16s | %-4s | %-8s |\n' launcher "first line ms" "teardown ms" "launcher exit ms" hung outlived
echo "|-------|----------|---------------|-------------|------------------|------|----------|"
for n in $RANKS; do
    for l in "${NAMES[@]}"; do
        if [ -z "$(real "${F[$l,$n]}")" ]; then
            printf '| %5s | %-8s | %13s | %11s | %16s | %4s | %8s |\n' "$n" "$l" - - - "${HUNG[$l,$n]:-0}" "${LEFT[$l,$n]:-0}"
            continue
        fi
        printf '| %5s | %-8s | %13.2f | %11.2f | %16.2f | %4s | %8s |\n' "$n" "$l" \
            "$(median $(real "${F[$l,$n]}"))" "$(median $(real "${G[$l,$n]}"))" "$(median $(real "${X[$l,$n]}"))" \
            "${HUNG[$l,$n]:-0}" "${LEFT[$l,$n]:-0}"
    done
done
echo
echo "crest against the faster of the others (by median); ratio: crest's median / theirs;"
echo "per-round: range of crest / the faster other launcher of the same round"
echo
echo "| ranks | metric      | crest ms  | other ms  | faster  | ratio  | per-round     | target | met  |"
echo "|-------|-------------|-----------|-----------|---------|--------|---------------|--------|------|"
for n in $RANKS; do
    cmp_row "first line" F "$n"
    cmp_row "teardown" G "$n"
done
echo
if [ ${#NOTES[@]} -gt 0 ]; then
    echo "notes:"
    printf '  %s\n' "${NOTES[@]}"
else
    echo "notes: every launch ended by itself; no process of any job outlived its launcher; no launch_hello was left"
fi
echo
echo "all times (ms, round order; nan: hung):"
for n in $RANKS; do
    for l in "${NAMES[@]}"; do
        printf '  -np %-3s %-8s first    %s\n' "$n" "$l" "${F[$l,$n]}"
        printf '  -np %-3s %-8s teardown %s\n' "$n" "$l" "${G[$l,$n]}"
    done
done
load_now
