#!/bin/sh
# How the gate and the timings behave on this machine: N runs of the same
# build and suite, one after the other; the spread of repetitions (median
# CV per tier, per run); A/A comparisons of consecutive runs (no regression
# should be found); and each pair again with a real slowdown planted into
# the second run (a slower kernel's measurements under a faster one's name),
# which should be caught every time.
# usage: scripts/gate-study.sh [N [FAST SLOW [RUN OPTIONS...]]]
#   N     runs (default 11: 10 consecutive pairs)
#   FAST  the variant slowed down (default rmsnorm/fused/avx2/f32)
#   SLOW  whose measurements it gets (default rmsnorm/fused/scalar/f32)
# Writes results/gate-study/run-K/ and prints a summary.
set -u
n=${1:-11}
fast=${2:-rmsnorm/fused/avx2/f32}
slow=${3:-rmsnorm/fused/scalar/f32}
[ $# -ge 3 ] && shift 3 || shift $#
bin=${NB_BIN:-build/normbench}
out=results/gate-study
rm -rf "$out"
mkdir -p "$out"
k=1
while [ $k -le "$n" ]; do
    start=$(date +%s)
    "$bin" run --no-report --out "$out/run-$k" "$@" >/dev/null 2>"$out/run-$k.log" || {
        echo "run $k failed: $(tail -1 "$out/run-$k.log")"
        exit 3
    }
    echo "run $k: $(($(date +%s) - start)) s"
    k=$((k + 1))
done
python3 - "$out" "$n" <<'PY'
import csv, statistics, sys
out, n = sys.argv[1], int(sys.argv[2])
tiers = ("L1", "L2", "L3", "DRAM")
per_tier = {t: [] for t in tiers}
for k in range(1, n + 1):
    rows = list(csv.DictReader(open(f"{out}/run-{k}/perf.csv")))
    line = []
    for t in tiers:
        cvs = [float(r["cv"]) for r in rows if r["tier"] == t and r["cv"]]
        if cvs:
            per_tier[t].append(statistics.median(cvs))
            line.append(f"{t} {100 * statistics.median(cvs):.2f}%")
    print(f"run {k}: median CV of repetitions: " + ", ".join(line))
print("median over runs: " + ", ".join(f"{t} {100 * statistics.median(v):.2f}%" for t, v in per_tier.items() if v))
PY
aa_clean=0
caught=0
pairs=0
k=1
while [ $k -lt "$n" ]; do
    a="$out/run-$k"
    b="$out/run-$((k + 1))"
    "$bin" compare "$a" "$b" >"$out/aa-$k.txt" 2>&1
    rc=$?
    [ $rc = 0 ] && aa_clean=$((aa_clean + 1))
    echo "A/A $k-$((k + 1)): exit $rc: $(grep 'rows matched' "$out/aa-$k.txt")"
    python3 scripts/plant-slowdown.py "$b" "$out/planted-$k" "$fast" "$slow"
    "$bin" compare "$a" "$out/planted-$k" >"$out/planted-$k.txt" 2>&1
    rc=$?
    total=$(grep -c "^$fast " "$out/planted-$k.txt")
    flagged=$(grep "^$fast " "$out/planted-$k.txt" | grep -c regression)
    others=$(grep regression "$out/planted-$k.txt" | grep -v "^$fast " | grep -vc regressions)
    [ $rc = 1 ] && caught=$((caught + 1))
    echo "planted $k-$((k + 1)): exit $rc: $flagged of $total rows of $fast flagged, $others other rows flagged"
    pairs=$((pairs + 1))
    k=$((k + 1))
done
echo "A/A: $aa_clean of $pairs pairs without a regression; planted slowdown caught in $caught of $pairs"
