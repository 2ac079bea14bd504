#!/bin/sh
# End-to-end: eval of backward variants (--dy), what it writes and refuses.
# Prints "backward: N passed, N failed".
bin=${NB_BIN:-build/normbench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

printf '1.5,-2,0.25,3\n0.5,0.5,-1,2\n' >"$tmp/x.csv"
printf '0.1,0.2,-0.3,0.4\n-1,2,0.5,0.25\n' >"$tmp/dy.csv"
printf '1,1.25,0.75,-0.5\n' >"$tmp/g.csv"
expect 0 "layernorm-bwd/fused/scalar/f32 on 2 x 4" "$bin" eval --kernel layernorm-bwd/fused/scalar/f32 --x "$tmp/x.csv" \
    --dy "$tmp/dy.csv" --g "$tmp/g.csv" --eps 1e-5 --out "$tmp/dx.csv" --dg-out "$tmp/dg.csv" --db-out "$tmp/db.csv"
grep -q "  db: max" "$tmp/err" && ok || bad "no db error line"
[ "$(wc -l <"$tmp/dx.csv")" = 2 ] && [ "$(wc -l <"$tmp/dg.csv")" = 1 ] && ok || bad "dx 2 rows, dg 1 row"
# db is the column sums of dy (stored in f32), correctly rounded to f32
python3 - "$tmp/dy.csv" "$tmp/db.csv" <<'PY' && ok || bad "db: $(cat "$tmp/db.csv")"
import struct, sys
from fractions import Fraction
f32 = lambda v: struct.unpack("f", struct.pack("f", v))[0]
dy = [[f32(float(t)) for t in line.split(",")] for line in open(sys.argv[1])]
db = [float(t) for t in open(sys.argv[2]).read().split(",")]
for i, got in enumerate(db):
    assert got == f32(float(sum(Fraction(r[i]) for r in dy))), (i, got)
PY
# dx of every row of LayerNorm sums to zero (up to rounding)
python3 - "$tmp/dx.csv" <<'PY' && ok || bad "layernorm dx rows do not sum to ~0"
import sys
for line in open(sys.argv[1]):
    v = [float(t) for t in line.split(",")]
    assert abs(sum(v)) < 1e-5 * sum(abs(t) for t in v), v
PY
expect 0 "rmsnorm-bwd/naive/scalar/f32" "$bin" eval --kernel rmsnorm-bwd/naive/scalar/f32 --x "$tmp/x.csv" --dy "$tmp/dy.csv" \
    --g "$tmp/g.csv" --eps 1e-5 --out "$tmp/dx2.csv"
expect 2 "needs the gradient of y" "$bin" eval --kernel rmsnorm-bwd/fused/scalar/f32 --x "$tmp/x.csv" --g "$tmp/g.csv" --eps 1e-5
expect 2 "dy must be 2 x 4" "$bin" eval --kernel rmsnorm-bwd/fused/scalar/f32 --x "$tmp/x.csv" --dy "$tmp/g.csv" --g "$tmp/g.csv" --eps 1e-5
expect 2 "for a backward variant" "$bin" eval --kernel rmsnorm/fused/scalar/f32 --x "$tmp/x.csv" --dy "$tmp/dy.csv" --g "$tmp/g.csv" --eps 1e-5
expect 2 "has no bias" "$bin" eval --kernel rmsnorm-bwd/fused/scalar/f32 --x "$tmp/x.csv" --dy "$tmp/dy.csv" --g "$tmp/g.csv" --eps 1e-5 --db-out "$tmp/db2.csv"
expect 2 "are for forward variants" "$bin" eval --kernel layernorm-bwd/fused/scalar/f32 --x "$tmp/x.csv" --dy "$tmp/dy.csv" --g "$tmp/g.csv" --b "$tmp/g.csv" --eps 1e-5
printf '1,2\n3\n' >"$tmp/ragged.csv"
expect 2 "ragged.csv" "$bin" eval --kernel layernorm-bwd/fused/scalar/f32 --x "$tmp/x.csv" --dy "$tmp/ragged.csv" --g "$tmp/g.csv" --eps 1e-5
[ ! -e "$tmp/db2.csv" ] && ok || bad "a refused eval wrote a file"
"$bin" list 'rmsnorm-bwd/*' 2>/dev/null | grep -q '^rmsnorm-bwd/fused/scalar/f32 .* yes$' && ok || bad "list lacks rmsnorm-bwd/fused/scalar/f32"
finish backward
