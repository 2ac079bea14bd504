#!/bin/sh
# The time gate's figures (issue 12), measured, not tested:
#  - A/A: N runs of `ab` with the same library on both sides, the CI gate's
#    settings (configs/ci.ini, 30 rounds): how many runs flag any regression;
#  - planted slowdowns: a copy of HEAD whose layernorm/twopass/avx2/f32
#    first sums n/DIV values of each row serially, on the row's critical
#    path (a vectorised extra pass over the row hides behind the memory
#    traffic here: a whole extra pass costs under 5%), built as a second
#    library; a long run in the gate's own context (the whole CI suite, 300
#    rounds) measures the slowdown, then M gate runs report how often it is
#    flagged, whether any other variant is, and how far each run's estimate
#    is from the long one.
# Usage: sh scripts/ab-study.sh [N [M [DIV...]]]   (default N 20 A/A runs,
# M 10 runs per slowdown, DIV 14 (about 10% here) and 20 (about 5%))
# Prints one line per study; keeps everything in $NB_STUDY_DIR (default a
# temporary directory, removed at the end).
set -eu
cd "$(dirname "$0")/.."
runs=${1:-20}
slow_runs=${2:-10}
shift 2 2>/dev/null || true
divs=${*:-14 20}
bin=build/normbench
lib=build/libnormbench-kernels.so
work=${NB_STUDY_DIR:-$(mktemp -d)}
make -s lib >/dev/null
make -s >/dev/null
rounds=${NB_AB_ROUNDS:-50}
gate="--config configs/ci.ini --reps $rounds"

flagged() { # AB.CSV VARIANT: 1 if VARIANT is slower, then how many others are
    awk -F, -v v="$2" 'NR > 1 { if ($1 == v) self = ($15 == "slower"); else if ($15 == "slower") others++ }
        END { printf "%d %d\n", self, others + 0 }' "$1"
}
change_of() { # AB.CSV VARIANT: the change in percent
    awk -F, -v v="$2" 'NR > 1 && $1 == v { printf "%.2f\n", $11 * 100 }' "$1"
}

any=0
for i in $(seq "$runs"); do
    "$bin" ab "$lib" "$lib" $gate --out "$work/aa-$i" >/dev/null 2>&1 || true
    n=$(awk -F, 'NR > 1 && $15 == "slower"' "$work/aa-$i/ab.csv" | wc -l)
    [ "$n" -gt 0 ] && any=$((any + 1))
    printf 'A/A run %d: %d rows slower, changes %s\n' "$i" "$n" \
        "$(awk -F, 'NR > 1 { printf "%+.1f ", $11 * 100 }' "$work/aa-$i/ab.csv")"
done
echo "A/A: $any of $runs runs flagged a regression (13 rows each, $rounds rounds, threshold 5%, alpha 0.05 / 13)"

victim=layernorm/twopass/avx2/f32
for div in $divs; do
    tree="$work/patched-$div"
    rm -rf "$tree"
    git worktree add --detach "$tree" HEAD >/dev/null 2>&1
    python3 - "$tree/kernels/layernorm_avx2.c" "$div" <<'EOP'
import sys
path, div = sys.argv[1], sys.argv[2]
s = open(path).read()
old = "        const float mean = sum8(x, n, dt, 0) / (float)n;"
new = ("        float nb_study_sink = 0; /* planted: a serial sum on the row's critical path */\n"
       "        for (size_t q = 0; q < n / %s; q++)\n"
       "            nb_study_sink += nb_load(x, q, dt);\n"
       "        const float mean = sum8(x, n, dt, 0) / (float)n + 0.0f * nb_study_sink;" % div)
assert old in s
open(path, "w").write(s.replace(old, new))
EOP
    grep -q nb_study_sink "$tree/kernels/layernorm_avx2.c"
    make -s -C "$tree" lib >/dev/null
    "$bin" ab "$lib" "$tree/build/libnormbench-kernels.so" --config configs/ci.ini --reps 300 \
        --out "$work/long-$div" >/dev/null 2>&1 || true
    long=$(change_of "$work/long-$div/ab.csv" "$victim")
    hits=0 others=0 worst=0
    for i in $(seq "$slow_runs"); do
        "$bin" ab "$lib" "$tree/build/libnormbench-kernels.so" $gate --out "$work/slow-$div-$i" >/dev/null 2>&1 || true
        set -- $(flagged "$work/slow-$div-$i/ab.csv" "$victim")
        hits=$((hits + $1))
        others=$((others + $2))
        c=$(change_of "$work/slow-$div-$i/ab.csv" "$victim")
        worst=$(awk -v a="$c" -v b="$long" -v w="$worst" 'BEGIN { d = a - b; if (d < 0) d = -d; print (d > w ? d : w) }')
        printf 'n/%s run %d: %s%% %s\n' "$div" "$i" "$c" "$([ "$1" = 1 ] && echo flagged || echo not-flagged)"
    done
    echo "serial sum of n/$div values a row: long run +$long%; flagged in $hits of $slow_runs runs; other rows flagged: $others; largest distance from the long run's estimate: $worst points"
    git worktree remove --force "$tree" >/dev/null 2>&1 || true
done
[ -n "${NB_STUDY_DIR:-}" ] || rm -rf "$work"
