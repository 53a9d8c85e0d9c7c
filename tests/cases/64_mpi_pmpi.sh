#!/bin/bash
# The profiling interface of crest's MPI library:
# - every MPI_ function libmpi.so.12 exports is a weak symbol with its
#   PMPI_ twin exported too (nm -D), so a profiling library can replace it;
# - tests/programs/pmpi_wrap.c, a shared object defining MPI_Send,
#   MPI_Recv, MPI_Allreduce, MPI_Comm_dup and MPI_Finalize (counting, then
#   calling PMPI_*), sees exactly the application's calls of
#   tests/programs/mpi_pmpi.c and none the library makes inside other calls
#   (MPI_Sendrecv, MPI_Bcast, MPI_Comm_free, collectives' messages), at 1,
#   2, 4 and 8 ranks, linked ahead of libmpi and (at 4 ranks) LD_PRELOADed
#   into a program built without it; without it the program runs the same
#   and no counts appear.
. "$(dirname "$0")/../lib.sh"
setup_work
LIB=$BUILD/lib/libmpi.so.12
[ -f "$LIB" ] || fail "$LIB does not exist (make)"
W=$(prog pmpi_wrap) || fail "the wrapper library pmpi_wrap does not build"
L=$(prog mpi_pmpi_linked) || fail "mpi_pmpi linked against the wrapper does not build"
P=$(prog mpi_pmpi) || fail "test program mpi_pmpi does not build"
export CREST_RUNTIME_DIR=$WORK/rt CREST_NO_BOOT=1
mkdir -p -m 700 "$CREST_RUNTIME_DIR"

# ------------------------------------------------ the symbols
nm -D --defined-only "$LIB" | awk '$2 ~ /^[TWi]$/ && $3 ~ /^MPI_/ {print $3}' | sort >"$WORK/mpi.txt"
nm -D --defined-only "$LIB" | awk '$2 ~ /^[TWi]$/ && $3 ~ /^PMPI_/ {print substr($3, 2)}' | sort >"$WORK/pmpi.txt"
n=$(wc -l <"$WORK/mpi.txt")
[ "$n" -gt 150 ] || fail_soft "libmpi.so.12 exports only $n MPI_ functions"
missing=$(comm -23 "$WORK/mpi.txt" "$WORK/pmpi.txt" | tr '\n' ' ')
[ -z "$missing" ] || fail_soft "MPI_ functions without a PMPI_ twin: $missing"
orphans=$(comm -13 "$WORK/mpi.txt" "$WORK/pmpi.txt" | tr '\n' ' ')
[ -z "$orphans" ] || fail_soft "PMPI_ functions without their MPI_ name: $orphans"
strong=$(nm -D --defined-only "$LIB" | awk '$2 ~ /^[Ti]$/ && $3 ~ /^MPI_/ {print $3}' | tr '\n' ' ')
[ -z "$strong" ] || fail_soft "MPI_ functions that are not weak: $strong"

# ------------------------------------------------ the wrapper
WANT_COUNTS="MPI_Send 3 MPI_Recv 3 MPI_Allreduce 2 MPI_Comm_dup 1"
run() { # run LABEL NRANKS WRAPPED(0/1) MPIRUN-ARGS...
    local label=$1 n=$2 wrapped=$3
    shift 3
    timeout -k 5 60 "$MPIRUN" -np "$n" "$@" >"$WORK/$label.out" 2>"$WORK/$label.err"
    local rc=$? ok=1
    grep -qx "pmpi app ok ($n ranks)" "$WORK/$label.out" || ok=0
    local counted
    counted=$(grep -c "^pmpi rank [0-9]*: $WANT_COUNTS\$" "$WORK/$label.out")
    local any
    any=$(grep -c '^pmpi rank' "$WORK/$label.out")
    if [ "$wrapped" = 1 ]; then
        [ "$counted" -eq "$n" ] && [ "$any" -eq "$n" ] || ok=0
    else
        [ "$any" -eq 0 ] || ok=0
    fi
    if [ $rc -ne 0 ] || [ $ok = 0 ]; then
        show "$WORK/$label.out" 20
        show "$WORK/$label.err" 20
        fail_soft "$label: exit $(describe_rc $rc); want \"pmpi app ok ($n ranks)\" and" \
            "$([ "$wrapped" = 1 ] && echo "\"$WANT_COUNTS\" from each rank" || echo "no counts")"
    fi
}
for n in 1 2 4 8; do
    run "linked-$n" $n 1 "$L"
done
run preload-4 4 1 -x LD_PRELOAD="$W" "$P"
run plain-4 4 0 "$P"
finish
