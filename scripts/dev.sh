#!/usr/bin/env bash
# scripts/dev.sh demo|test — everything a fresh Debian 12 machine needs:
# installs the build dependencies (as root, or through sudo), builds crest,
# then runs the demo or the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# gcc/make/libc headers to build, binutils for the restorer's build check,
# procps/util-linux/psmisc for the tests (pgrep, setpriv, fuser).
PACKAGES=(gcc make libc6-dev binutils procps util-linux psmisc)

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
    bash tests/run.sh "${@:2}"
    ;;
*)
    echo "usage: scripts/dev.sh demo|test" >&2
    exit 2
    ;;
esac
