#!/bin/sh
# Installs the Debian packages normbench builds and tests against.
# Called by the Makefile only when a probe for a dependency fails, so a
# machine that has everything never touches apt. Safe to run again.
set -eu

PACKAGES="build-essential pkg-config
libmpfr-dev libgmp-dev
libpapi-dev papi-tools
libhwloc-dev hwloc
libcsv-dev
libinih-dev
libcriterion-dev
libjson-c-dev
libdnnl-dev
gnuplot-nox
valgrind
python3-numpy
slurmctld slurmd slurm-client munge"
# `make fuzz` only: libFuzzer comes with clang's runtime
if [ "${1:-}" = --fuzz ]; then
    PACKAGES="$PACKAGES clang-14 libclang-rt-14-dev"
fi

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    SUDO=sudo
else
    SUDO=
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
$SUDO apt-get install -y -qq --no-install-recommends $missing
