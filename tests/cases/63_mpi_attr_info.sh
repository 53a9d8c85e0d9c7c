#!/bin/bash
# Attributes, MPI_Info and the smaller parts of crest's MPI library at 1, 2,
# 4 and 8 ranks over shared memory (and 4 over TCP):
# - tests/programs/mpi_attr.c: keyvals of communicators (MPI-2 and MPI-1
#   names), datatypes and windows; copy callbacks at MPI_Comm_dup and
#   MPI_Type_dup, delete callbacks at replacement, delete and free; keyvals
#   freed while attributes remain; the predefined attributes; every
#   MPI_Info call, its limits and MPI_INFO_ENV; MPI_COMM_SELF's attributes
#   deleted at the start of MPI_Finalize (one line per rank);
# - tests/programs/mpi_misc.c: MPI_Comm_split_type, MPI_Comm_create_group,
#   the group constructors, external32 packing, MPI_Status_set_*,
#   MPI_Get_count's MPI_UNDEFINED, MPI_Pcontrol, MPI_Get_version;
# - attributes, info objects and split_type across a checkpoint (continue,
#   then --term and a restart) at 4 ranks;
# - configure-style probes: mpi.h's MPI_VERSION/MPI_SUBVERSION agree with
#   MPI_Get_version (in mpi_misc), and what is not implemented (one-sided,
#   MPI-IO, dynamic processes, MPI_T) does not link, while a program that
#   does not call it links and runs.
. "$(dirname "$0")/../lib.sh"
setup_work
A=$(prog mpi_attr) || fail "test program mpi_attr does not build"
M=$(prog mpi_misc) || fail "test program mpi_misc does not build"
export CREST_RUNTIME_DIR=$WORK/rt CREST_NO_BOOT=1
mkdir -p -m 700 "$CREST_RUNTIME_DIR"

run() { # run LABEL WANT MPIRUN-ARGS...: the job must print WANT and exit 0
    local label=$1 want=$2
    shift 2
    timeout -k 5 60 "$MPIRUN" "$@" >"$WORK/$label.out" 2>"$WORK/$label.err"
    local rc=$?
    if [ $rc -ne 0 ] || ! grep -qx "$want" "$WORK/$label.out"; then
        show "$WORK/$label.out" 20
        show "$WORK/$label.err" 20
        fail_soft "$label: exit $(describe_rc $rc), want \"$want\""
        return 1
    fi
}

for n in 1 2 4 8; do
    if run "attr-$n" "attr ok ($n ranks)" -np $n "$A" arg1 arg2; then
        # every rank's MPI_COMM_SELF attribute was deleted in MPI_Finalize
        got=$(grep -c '^rank [0-9]*: self attribute deleted$' "$WORK/attr-$n.out")
        [ "$got" -eq $n ] || fail_soft "attr-$n: $got of $n ranks ran the delete callback of MPI_COMM_SELF"
    fi
    run "misc-$n" "misc ok ($n ranks)" -np $n "$M"
done
run attr-tcp-4 "attr ok (4 ranks)" -np 4 -x CREST_MPI_TRANSPORT=tcp "$A" arg1 arg2
run misc-tcp-4 "misc ok (4 ranks)" -np 4 -x CREST_MPI_TRANSPORT=tcp "$M"

# Attributes, an info, a datatype attribute and a split_type communicator
# through a checkpoint that continues and one that ends the job
# (--term), then a restart: the job finishes with everything intact.
require_crest
CK=$WORK/ck
SPAWN_OUT=$WORK/ckpt.out SPAWN_ERR=$WORK/ckpt.err SPAWN_DIR=$WORK/run-cwd \
    spawn "$MPIRUN" -np 4 --checkpoint-dir "$CK" "$A" ckpt 3
mp=$SPAWN_PID
for i in $(seq 100); do grep -q 'attributes set' "$WORK/ckpt.out" 2>/dev/null && break; sleep 0.05; done
sleep 0.3
"$CREST" checkpoint "$mp" >/dev/null 2>"$WORK/ck1.err" || { show "$WORK/ck1.err"; fail_soft "checkpoint (continue) failed"; }
sleep 0.3
"$CREST" checkpoint "$mp" --term >/dev/null 2>"$WORK/ck2.err" || { show "$WORK/ck2.err"; fail_soft "checkpoint --term failed"; }
if wait_exit "$mp" 30 && [ "$WAIT_RC" = 85 ]; then
    (cd "$WORK/restart-cwd" && timeout -k 5 60 "$CREST" restart "$CK/latest" >"$WORK/restart.out" 2>"$WORK/restart.err")
    rc=$?
    [ $rc = 0 ] && grep -qx 'ckpt ok (4 ranks)' "$WORK/restart.out" ||
        { show "$WORK/restart.out"; show "$WORK/restart.err"; fail_soft "restarted job: exit $(describe_rc $rc), no \"ckpt ok\""; }
else
    show "$WORK/ckpt.out"; show "$WORK/ckpt.err"
    fail_soft "the job did not end with the checkpoint's --term (exit ${WAIT_RC:-none})"
fi

# What is not implemented is absent from the library: a program calling it
# fails to link, naming the function (docs/mpi.md).
MPICC=$BUILD/bin/mpicc
probe() { # probe NAME CALL: a program making CALL must not link
    printf '#include <mpi.h>\nint main(int c, char **v) { MPI_Init(&c, &v); %s; MPI_Finalize(); return 0; }\n' \
        "$2" >"$WORK/probe-$1.c"
    if "$MPICC" -o "$WORK/probe-$1" "$WORK/probe-$1.c" >"$WORK/probe-$1.log" 2>&1; then
        fail_soft "a program calling $1 links: it is implemented now (update this test and docs/mpi.md)"
    elif ! grep -q "undefined reference to \`$1'" "$WORK/probe-$1.log"; then
        show "$WORK/probe-$1.log"
        fail_soft "a program calling $1 fails to build for another reason"
    fi
}
probe MPI_Win_create 'MPI_Win w; MPI_Win_create(0, 0, 1, MPI_INFO_NULL, MPI_COMM_WORLD, &w)'
probe MPI_File_open 'MPI_File f; MPI_File_open(MPI_COMM_WORLD, "x", MPI_MODE_RDONLY, MPI_INFO_NULL, &f)'
probe MPI_Comm_spawn 'MPI_Comm ic; MPI_Comm_spawn("x", MPI_ARGV_NULL, 1, MPI_INFO_NULL, 0, MPI_COMM_SELF, &ic, MPI_ERRCODES_IGNORE)'
probe MPI_T_init_thread 'int p; MPI_T_init_thread(MPI_THREAD_SINGLE, &p)'
# ... while the library itself needs nothing outside the C library, and a
# program that does not call those links and runs
undef=$(nm -D --undefined-only "$BUILD/lib/libmpi.so.12" | awk '{print $2}' | grep -v -E '@(GLIBC|GCC)_' | grep -v -E '^(__gmon_start__|_ITM_.*|__cxa_finalize)$')
[ -z "$undef" ] || fail_soft "libmpi.so.12 refers to symbols outside the C library: $undef"
printf '#include <mpi.h>\n#include <stdio.h>\nint main(int c, char **v) { int a, b; MPI_Init(&c, &v); MPI_Get_version(&a, &b); if (a != MPI_VERSION || b != MPI_SUBVERSION) return 1; MPI_Finalize(); puts("linked"); return 0; }\n' >"$WORK/plain.c"
if "$MPICC" -o "$WORK/plain" "$WORK/plain.c" >"$WORK/plain.log" 2>&1; then
    [ "$(timeout -k 5 30 "$WORK/plain" 2>&1)" = linked ] || fail_soft "a plain MPI program does not run"
else
    show "$WORK/plain.log"
    fail_soft "a plain MPI program does not link"
fi
finish
