#!/usr/bin/env bash
# scripts/dev.sh demo|test — everything a fresh Debian 12 machine needs:
# installs the build dependencies (as root, or through sudo), builds crest,
# then runs the demo or the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# gcc/make/libc headers to build, binutils for the restorer's build check,
# procps/util-linux/psmisc for the tests (pgrep, setpriv, fuser); the
# runtime's tests make hosts of network namespaces (iproute2) reached by
# ssh (openssh-server, openssh-client); a Slurm cluster of such hosts
# (slurmctld, slurmd, slurm-client, munge) tests the srun launcher;
# libmpich-dev holds the MPICH header our mpi.h is checked against, and the
# mpicc.mpich that builds the binaries the library must run unchanged.
PACKAGES=(gcc make libc6-dev binutils procps util-linux psmisc iproute2 openssh-server openssh-client
          slurmctld slurmd slurm-client munge libmpich-dev)

install_dependencies() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    echo "dev.sh: installing ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

case "${1:-}" in
demo)
    install_dependencies
    make -s -j2
    bash scripts/demo.sh
    ;;
test)
    install_dependencies
    make -s -j2
    make -s sanitize
    # Pass 1: the suite as built. Pass 2: the same cases with the crest
    # command, mpirun and crestd built with AddressSanitizer and
    # UndefinedBehaviorSanitizer (libcrest, the restorer's last stage and
    # libmpi, which run inside uninstrumented programs, are not).
    log1=$(mktemp) log2=$(mktemp)
    trap 'rm -f "$log1" "$log2"' EXIT
    bash tests/run.sh "${@:2}" | tee "$log1" || true
    echo "== the same cases with crest, mpirun and crestd built with -fsanitize=address,undefined"
    # The MPI library's own cases (unit harnesses, collectives at many
    # sizes, checkpoints in every state of the library) exercise little
    # instrumented code and run once; the point-to-point, multi-host and
    # migration cases stay, for the instrumented runtime under them.
    CREST_BIN=$PWD/build-asan/bin/crest CREST_LIB=$PWD/build/lib/libcrest.so \
        MPIRUN_BIN=$PWD/build-asan/bin/mpirun \
        UBSAN_OPTIONS=print_stacktrace=1 bash tests/run.sh -n -x _unit -x mpi_coll -x mpi_channel -x mpi_job -x mpi_ckpt \
        -x mpi_mpich -x mpi_abi "${@:2}" | tee "$log2" || true
    total() { # sums "N passed, N failed[, N skipped]" lines
        awk '/^[0-9]+ passed, [0-9]+ failed/ { p += $1; f += $3; s += $5 }
             END { printf "%d passed, %d failed", p, f; if (s) printf ", %d skipped", s; print "" }' "$@"
    }
    summary=$(total "$log1" "$log2")
    echo "$summary"
    case $summary in *" 0 failed"*) exit 0 ;; *) exit 1 ;; esac
    ;;
*)
    echo "usage: scripts/dev.sh demo|test" >&2
    exit 2
    ;;
esac
