#!/bin/sh
# What `make run` does until the measurement engine exists: evaluates every
# available variant on 64 rows of n = 4096 seeded normal values against the
# MPFR reference, and writes the error summaries to OUT/accuracy.txt.
# usage: eval-demo.sh NORMBENCH OUT_DIR
set -eu
bin=$1
out=$2
mkdir -p "$out"
awk 'BEGIN {
    srand(42)
    for (r = 0; r < 64; r++) {
        line = ""
        for (i = 0; i < 4096; i++) {
            # Box-Muller: normal values
            u = rand(); v = rand(); if (u < 1e-12) u = 1e-12
            x = sqrt(-2 * log(u)) * cos(6.283185307179586 * v)
            line = line (i ? "," : "") sprintf("%.6g", x)
        }
        print line
    }
}' >"$out/x.csv"
awk 'BEGIN { srand(11); for (r = 0; r < 64; r++) { line = ""; for (i = 0; i < 4096; i++) line = line (i ? "," : "") sprintf("%.4g", rand() - 0.5); print line } }' >"$out/r.csv"
awk 'BEGIN { srand(7); line = ""; for (i = 0; i < 4096; i++) line = line (i ? "," : "") sprintf("%.4g", 1 + 0.25 * (rand() - 0.5)); print line }' >"$out/g.csv"
awk 'BEGIN { srand(9); line = ""; for (i = 0; i < 4096; i++) line = line (i ? "," : "") sprintf("%.4g", 0.1 * (rand() - 0.5)); print line }' >"$out/b.csv"
: >"$out/accuracy.txt"
"$bin" list 2>/dev/null | awk 'NR > 1 && $NF == "yes" && $3 != "ref" { print $1 }' |
while read -r k; do
    case $k in
    layernorm/*) set -- --b "$out/b.csv" ;;
    addrmsnorm/*) set -- --residual "$out/r.csv" ;;
    *) set -- ;;
    esac
    "$bin" eval --kernel "$k" --x "$out/x.csv" --g "$out/g.csv" "$@" --eps 1e-6 --out "$out/y.csv" 2>&1 |
        head -1 | tee -a "$out/accuracy.txt"
done
rm -f "$out/y.csv"
