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
# ---- run: backward variants measured like forward ones ----
bwd="--kernels rmsnorm-bwd/naive/scalar/f32,rmsnorm-bwd/fused/*/f32,layernorm-bwd/fused/*/f32,layernorm-bwd/naive/scalar/f32,rmsnorm-bwd/fused/scalar/bf16-*"
expect 0 "complete:" "$bin" run $bwd --hidden 48 --rows 8 --reps 6 --min-time 0.001 --out "$tmp/run" --json "$tmp/run.json"
# bytes: x, dy read and dx written per row, g read and dg (and db) written once
python3 - "$tmp/run/perf.csv" <<'PY' && ok || bad "backward bytes in perf.csv: $(cut -d, -f1,6,7,20 "$tmp/run/perf.csv")"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
seen = 0
for r in rows:
    if "-bwd/" not in r["variant"]:
        continue
    es = 4 if r["dtype"] == "f32" else 2
    rows_, n = int(r["rows"]), int(r["n"])
    vectors = 3 if r["variant"].startswith("layernorm-bwd/") else 2
    assert int(r["bytes"]) == (3 * rows_ * n + vectors * n) * es, r
    assert float(r["roofline_share"]) > 0 and float(r["bandwidth_gbs"]) > 0, r
    seen += 1
assert seen >= 6, seen
# naive is the baseline of its pass; fused rmsnorm-bwd is paired with fused layernorm-bwd
by = {r["variant"]: r for r in rows}
assert float(by["rmsnorm-bwd/naive/scalar/f32"]["speedup_vs_naive"]) == 1
assert float(by["rmsnorm-bwd/fused/scalar/f32"]["speedup_vs_naive"]) > 0
assert float(by["rmsnorm-bwd/fused/scalar/f32"]["speedup_rms_vs_layernorm"]) > 0
assert by["rmsnorm-bwd/fused/scalar/bf16-up"]["speedup_rms_vs_layernorm"] == ""  # no layernorm-bwd bf16 here
PY
# accuracy: the gradients' split, n/a where a gradient does not exist
python3 - "$tmp/run/accuracy.csv" <<'PY' && ok || bad "accuracy.csv gradients: $(cat "$tmp/run/accuracy.csv")"
import csv, sys
rows = {r["variant"]: r for r in csv.DictReader(open(sys.argv[1]))}
ln, rms = rows["layernorm-bwd/fused/scalar/f32"], rows["rmsnorm-bwd/fused/scalar/f32"]
assert all(ln[k] != "" for k in ("dx_max_ulp_terms", "dg_max_ulp_terms", "db_max_ulp_terms")), ln
assert rms["db_max_ulp_terms"] == "" and rms["dg_max_ulp_terms"] != "", rms
assert float(rms["max_ulp_terms"]) == max(float(rms["dx_max_ulp_terms"]), float(rms["dg_max_ulp_terms"]))
assert float(rms["max_ulp_terms"]) <= float(rms["bound_ulp"])
nat = rows["rmsnorm-bwd/fused/scalar/bf16-nat"]
assert nat["bound_ulp"] == "" and float(nat["dx_max_ulp_terms"]) > 0.5, nat
PY
grep -q '^## RMSNorm against LayerNorm, backward' "$tmp/run/report.md" && ok || bad "report.md: no backward RMSNorm-against-LayerNorm section"
grep -q '^## rmsnorm-bwd f32' "$tmp/run/report.md" && grep -q '^## layernorm-bwd f32' "$tmp/run/report.md" && ok || bad "report.md: no backward tables"
grep -q '"name":"layernorm-bwd/fused/scalar/f32/rows:8/n:48' "$tmp/run.json" && ok || bad "run.json lacks the backward rows"
# compare carries them: a run against itself has every backward row
expect 0 "" "$bin" compare "$tmp/run" "$tmp/run"
[ "$(grep -c '^[a-z]*-bwd/' "$tmp/out")" -ge 6 ] && ok || bad "compare lacks the backward rows: $(cat "$tmp/out")"
# ab: the kernel library holds the backward variants too
if [ -f "${NB_LIB:-build/libnormbench-kernels.so}" ]; then
    "$bin" ab "${NB_LIB:-build/libnormbench-kernels.so}" --kernels 'rmsnorm-bwd/fused/scalar/f32,layernorm-bwd/fused/scalar/f32' \
        --hidden 48 --rows 8 --reps 8 --min-time 0.001 --out "$tmp/ab" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    { [ $rc = 0 ] || [ $rc = 1 ]; } && [ "$(grep -c '^[a-z]*-bwd/fused/scalar/f32,' "$tmp/ab/ab.csv")" = 2 ] && ok ||
        bad "ab of backward variants: exit $rc: $(cat "$tmp/err") $(cat "$tmp/ab/ab.csv" 2>/dev/null)"
else
    bad "no kernel library for ab"
fi

# ---- sweep: the study's grid, small ----
cat >"$tmp/bwd.ini" <<'INI'
[run]
kernels = rmsnorm-bwd/fused/scalar/*,layernorm-bwd/fused/scalar/f16-*
hidden = 32
eps = 0,1e-5
[sweep]
scales = 2^-20..2^4/1
dists = normal,zeros
rows = 4
INI
expect 0 "complete:" "$bin" sweep --config "$tmp/bwd.ini" --out "$tmp/sweep"
python3 - "$tmp/sweep/sweep.csv" <<'PY' && ok || bad "backward sweep rows: $(head -3 "$tmp/sweep/sweep.csv")"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert rows and all("-bwd/" in r["variant"] for r in rows)
# an all-zero row with eps = 0 has no gradient: the reference is NaN, so no
# kernel output there counts as a false NaN
z = [r for r in rows if r["dist"] == "zeros" and float(r["eps"]) == 0]
assert z and all(int(r["false_nonfinite"]) == 0 for r in z), z[:2]
# f16 in nat mode loses the small scales (x^2 underflows): NaN or Inf where the reference is finite
nat = [r for r in rows if r["variant"] == "layernorm-bwd/fused/scalar/f16-nat" and r["dist"] == "normal" and float(r["eps"]) == 0]
assert any(int(r["false_nonfinite"]) > 0 for r in nat), nat
PY

finish backward
