#!/bin/sh
# The time gate's false-alarm rate (issue 12), measured, not tested: N runs
# of the CI gate's time gate exactly as CI runs it (scripts/ci-gate.sh with
# NB_GATE_ONLY=time), with the base revision HEAD itself, so both sides are
# the same code built twice (worktree and tree) and every regression it
# reports is a false alarm. Prints per run the first process's verdict
# (and the second's when the first flagged), then the counts.
# Usage: sh scripts/time-gate-study.sh [N]   (default 20)
set -u
cd "$(dirname "$0")/.."
runs=${1:-20}
log=$(mktemp)
first=0 failed=0
for i in $(seq "$runs"); do
    NB_GATE_ONLY=time NB_BASE_REF=HEAD sh scripts/ci-gate.sh >"$log" 2>&1
    rc=$?
    worst=$(awk '$1 ~ /^[a-z]+\// && $8 ~ /%$/ { c = $8 + 0; a = c < 0 ? -c : c;
        if (a > m + 0) { m = a; w = $1 " " $8 } } END { print w }' "$log")
    grep -q "confirming in a second process" "$log" && first=$((first + 1))
    [ $rc = 1 ] && failed=$((failed + 1))
    [ $rc -gt 1 ] && { echo "run $i: the gate could not run (exit $rc):"; tail -3 "$log"; exit "$rc"; }
    printf 'run %d: exit %d, largest change %s%s\n' "$i" "$rc" "$worst" \
        "$(grep -q 'confirming' "$log" && echo ' (first process flagged; second decided)')"
done
rm -f "$log"
echo "time gate A/A (HEAD against HEAD built twice): $first of $runs first processes flagged a regression," \
     "$failed of $runs gate runs failed"
