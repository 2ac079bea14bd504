#!/bin/sh
# Runs each libFuzzer target for a bounded time, one after the other, and
# prints how many inputs each executed and whether it found anything.
# usage: fuzz.sh SECONDS TARGET...   (make fuzz calls it)
# The growing corpus lives in build/fuzz-out/NAME/corpus (seeded from
# tests/fuzz/corpus/NAME); a crash, leak or timeout leaves its input in
# build/fuzz-out/NAME/ and the log there. Copy such an input into
# tests/fuzz/corpus/NAME/ with the fix: `make check` replays it from then on.
set -u
seconds=$1
shift
status=0
for t in "$@"; do
    out=build/fuzz-out/$t
    mkdir -p "$out/corpus"
    # -close_fd_mask=3: the target's own output (usage text, one-line
    # errors) would drown the fuzzer's; its reports still come through.
    build/fuzz-fuzz/fuzz_"$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$out/" \
        "$out/corpus" "tests/fuzz/corpus/$t" >"$out/log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log")
    cov=$(grep -o 'cov: [0-9]*' "$out/log" | tail -1)
    if [ "$rc" -eq 0 ]; then
        echo "fuzz $t: ${execs:-?} executions in ${seconds} s, $cov, no finding"
    else
        echo "fuzz $t: FINDING after ${execs:-?} executions (exit $rc): see $out/log"
        status=1
    fi
done
exit $status
