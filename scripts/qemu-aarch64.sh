#!/bin/sh
# Runs a command with aarch64 binaries executable through qemu-user: a
# private binfmt_misc (Linux 6.7 and later give each user namespace its
# own) registers /usr/bin/qemu-aarch64 for aarch64 ELF files, so every
# aarch64 program the command starts, and every one they start (Criterion
# re-executes its test binaries), runs under qemu, and nothing outside the
# namespace changes. QEMU_CPU picks the CPU (default max: NEON, fp16, SVE,
# BF16); sve-default-vector-length=16/32/64 (bytes) sets SVE's vector length.
#   scripts/qemu-aarch64.sh COMMAND [ARGS...]
set -eu
if [ "${NB_IN_QEMU_NS:-}" != 1 ]; then
    command -v unshare >/dev/null || { echo "qemu-aarch64.sh: unshare (util-linux) not found" >&2; exit 3; }
    [ -x /usr/bin/qemu-aarch64 ] || { echo "qemu-aarch64.sh: /usr/bin/qemu-aarch64 not found (Debian's qemu-user)" >&2; exit 3; }
    NB_IN_QEMU_NS=1 exec unshare --user --map-root-user --mount sh "$0" "$@"
fi
if ! mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null; then
    echo "qemu-aarch64.sh: cannot mount a private binfmt_misc (needs Linux 6.7 or later and unprivileged user namespaces; this is $(uname -r))" >&2
    exit 3
fi
# the ELF header of an aarch64 executable (e_machine 0xb7) and its mask
magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
printf '%s' ":nb-aarch64:M::$magic:$mask:/usr/bin/qemu-aarch64:F" >/proc/sys/fs/binfmt_misc/register
export QEMU_CPU="${QEMU_CPU:-max}"
exec "$@"
