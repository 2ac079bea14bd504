#!/bin/sh
# Runs every test binary and the end-to-end scripts; prints one summary line
# ("N passed, N failed") and exits non-zero if anything failed.
# $1: the build suffix (empty, or -san for the sanitizer build).
# NB_VALGRIND=1 runs each test binary under valgrind memcheck.
suffix=${1:-}
passed=0
failed=0
failures=""
for t in build/tests$suffix/src/test_* build/tests$suffix/kernels/test_*; do
    [ -x "$t" ] || continue
    echo "== $t"
    if [ "${NB_VALGRIND:-0}" = 1 ]; then
        set -- valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            --trace-children=yes "$t" --jobs=1
    else
        set -- "$t"
    fi
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures="$failures $t"
    fi
done
# every fuzz corpus (seeds and past findings) through its target
for t in build/tests$suffix/fuzz/replay_*; do
    [ -x "$t" ] || continue
    name=${t##*/replay_}
    echo "== $t"
    if [ "${NB_VALGRIND:-0}" = 1 ]; then
        set -- valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "$t"
    else
        set -- "$t"
    fi
    if "$@" "tests/fuzz/corpus/$name"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures="$failures $t"
    fi
done
for t in tests/e2e/test_*.sh; do
    echo "== $t"
    if NB_BIN="build/normbench$suffix" NB_LIB="build/libnormbench-kernels$suffix.so" NB_SHIM="build/tests$suffix/fault_shim.so" sh "$t"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures="$failures $t"
    fi
done
[ -n "$failures" ] && echo "failed:$failures"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
