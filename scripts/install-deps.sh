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
# `make check-aarch64` only: the cross compiler, qemu-user and the arm64
# -dev package of every dependency (multiarch; oneDNN left out, the build
# works without it). Criterion cannot be installed for two architectures
# (libnanomsg5 is not Multi-Arch: arm64's would remove the host's
# Criterion), so its arm64 packages are unpacked into build/aarch64-sysroot
# instead, after its co-installable runtime dependencies.
AARCH64_SYSROOT=build/aarch64-sysroot
if [ "${1:-}" = --aarch64 ]; then
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        [ "$(id -u)" = 0 ] && dpkg --add-architecture arm64 || sudo dpkg --add-architecture arm64
        NB_FORCE_UPDATE=1
    fi
    # pkgconf:arm64 gives aarch64-linux-gnu-pkg-config (a machine without it
    # links the cross build against nothing: undefined hwloc symbols)
    PACKAGES="gcc-aarch64-linux-gnu pkgconf:arm64 qemu-user util-linux libc6-dev:arm64 libmpfr-dev:arm64 libgmp-dev:arm64
libpapi-dev:arm64 libhwloc-dev:arm64 libcsv-dev:arm64 libinih-dev:arm64 libjson-c-dev:arm64
libgit2-1.5:arm64 libffi8:arm64"
fi

# Criterion for arm64, unpacked (see above); needs the packages installed first
unpack_criterion_arm64() {
    [ -f "$AARCH64_SYSROOT/usr/lib/aarch64-linux-gnu/libcriterion.so" ] && return 0
    d=$(mktemp -d)
    chmod 777 "$d" # apt downloads as _apt
    (cd "$d" && apt-get download -qq libcriterion3:arm64 libcriterion-dev:arm64 libnanomsg5:arm64)
    mkdir -p "$AARCH64_SYSROOT"
    for f in "$d"/*.deb; do dpkg-deb -x "$f" "$AARCH64_SYSROOT"; done
    rm -rf "$d"
    echo "install-deps: Criterion for arm64 unpacked into $AARCH64_SYSROOT"
}

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ] && [ -z "${NB_FORCE_UPDATE:-}" ]; then
    echo "install-deps: all packages present"
    [ "${1:-}" = --aarch64 ] && unpack_criterion_arm64
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
[ "${1:-}" = --aarch64 ] && unpack_criterion_arm64
exit 0
