#!/bin/sh
# End-to-end: a small sweep whose CSV is checked, and sweep's bad input.
# Prints "sweep: N passed, N failed".
bin=${NB_BIN:-build/normbench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

cat >"$tmp/small.ini" <<'INI'
[suite]
name = small
[run]
kernels = rmsnorm/fused/scalar/f16-*,rmsnorm/fused/scalar/f32
hidden = 256
eps = 1e-8,1e-6
[sweep]
scales = 2^-14,1,2^6
dists = normal,zeros
rows = 2
INI
"$bin" sweep --config "$tmp/small.ini" --out "$tmp/sweep" 2>"$tmp/err" && ok || bad "small sweep: $(cat "$tmp/err")"
[ -s "$tmp/sweep/summary.md" ] && ok || bad "no summary.md"
python3 - "$tmp/sweep/sweep.csv" <<'PY' && ok || bad "sweep.csv content"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
# 4 variants (f16 up, nat, llama; f32) x (2 dists x 3 scales x 2 eps)
assert len(rows) == 4 * 2 * 3 * 2, len(rows)
cell = lambda v, dist, scale, eps: next(r for r in rows if r["variant"] == v and r["dist"] == dist and float(r["scale"]) == scale and float(r["eps"]) == eps)
z = cell("rmsnorm/fused/scalar/f16-nat", "zeros", 1, 1e-8)
assert int(z["nan"]) > 0 and z["within_bound"] == "no", z
# nat: reported, not bounded (no bound), unless it broke
n1 = cell("rmsnorm/fused/scalar/f16-nat", "normal", 1, 1e-6)
assert n1["bound_ulp"] == "" and n1["within_bound"] == "not bounded", n1
# scales 2^-14 to 2^6 of N(0,1) fit f16: no cell has lost inputs
assert all(r["inputs_lost"] == "0" for r in rows), [r for r in rows if r["inputs_lost"] != "0"][:1]
assert cell("rmsnorm/fused/scalar/f16-up", "zeros", 1, 1e-8)["within_bound"] == "yes"
big = cell("rmsnorm/fused/scalar/f16-nat", "normal", 64, 1e-6)
assert int(big["false_zero"]) + int(big["false_nonfinite"]) > 0, big
assert cell("rmsnorm/fused/scalar/f32", "normal", 64, 1e-6)["within_bound"] == "yes"
for r in rows:
    assert r["rows_checked"] == "2" and r["n"] == "256"
PY
grep -q 'first wrong NaN' "$tmp/sweep/summary.md" && ok || bad "summary lacks its table"

printf '[run]\nkernels = rmsnorm/*/*/*\nhidden = 8192,65536\n[sweep]\nscales = 2^-30..2^30\nrows = 4096\n' >"$tmp/huge.ini"
expect 2 "the grid is too large" "$bin" sweep --config "$tmp/huge.ini" --out "$tmp/huge"
[ ! -e "$tmp/huge" ] && ok || bad "a refused sweep created its directory"
# casting modes in a sweep: sweep.csv's up_ columns and summary's table
printf '[suite]\nname = cm\n[run]\nkernels = rmsnorm/fused/scalar/bf16-llama,rmsnorm/fused/scalar/bf16-up\nhidden = 64\n[sweep]\nscales = 2^-2..2^2/2\nrows = 2\n' >"$tmp/cm.ini"
"$bin" sweep --config "$tmp/cm.ini" --no-plots --out "$tmp/cm" >/dev/null 2>&1 && ok || bad "casting-mode sweep failed"
python3 - "$tmp/cm" <<'PY' && ok || bad "casting-mode sweep lacks its up figures"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/sweep.csv")))
assert len(rows) == 18, len(rows)
for r in rows:
    if r["variant"].endswith("-llama"):
        assert 0 < float(r["up_max_ulp"]) <= 2, r
    else:
        assert r["up_max_ulp"] == "" and r["up_equal_share"] == "", r
md = open(sys.argv[1] + "/summary.md").read()
assert "Casting modes" in md and "| rmsnorm/fused/scalar/bf16-llama | 64 | 1e-06 |" in md, md
PY
# a grid beyond every storage type's range is clamped, with a note
printf '[run]\nkernels = rmsnorm/fused/scalar/f32\nhidden = 16\n[sweep]\nscales = 2^-400..2^-148\nrows = 1\n' >"$tmp/far.ini"
"$bin" sweep --config "$tmp/far.ini" --no-plots --out "$tmp/far" >/dev/null 2>"$tmp/err" && ok || bad "clamped sweep: $(cat "$tmp/err")"
grep -q "^note: 250 scales of the grid .* were clamped to 2^-150 and 2^127" "$tmp/err" && ok || bad "no clamp note: $(cat "$tmp/err")"
[ "$(tail -n +2 "$tmp/far/sweep.csv" | wc -l)" = 3 ] && grep -q '^scales_clamped,' "$tmp/far/meta.csv" &&
    grep -q '^Note: 250 scales' "$tmp/far/summary.md" && ok || bad "clamped grid: $(cat "$tmp/far/sweep.csv")"
printf '[sweep]\nscales = 2^-24..2^16/17\n' >"$tmp/steps.ini"
expect 2 "steps.ini:2: scales: want 2^a..2^b, 2^a..2^b/K (K points an octave, 1 to 16" "$bin" sweep --config "$tmp/steps.ini"
printf '[sweep]\ndists = normal,cauchy\n' >"$tmp/dist.ini"
expect 2 "dist.ini:2: dists: unknown distribution 'cauchy'" "$bin" sweep --config "$tmp/dist.ini"
printf '[sweep]\nscales = 1\n[run]\nkernels = nothing/*\n' >"$tmp/none.ini"
expect 2 "none.ini:4: kernels: no variant matches 'nothing/*'" "$bin" sweep --config "$tmp/none.ini"
# a casting mode the norm does not have (llama is RMSNorm's only)
printf '[run]\nkernels = layernorm/twopass/scalar/bf16-llama\n[sweep]\nscales = 1\n' >"$tmp/mode.ini"
expect 2 "mode.ini:2: kernels: no variant matches 'layernorm/twopass/scalar/bf16-llama'" "$bin" sweep --config "$tmp/mode.ini"
printf '[run]\nkernels = rmsnorm/fused/scalar/f32\n' >"$tmp/nosweep.ini"
expect 2 "nosweep.ini: no [sweep] section" "$bin" sweep --config "$tmp/nosweep.ini"
printf '[sweep]\nscales = 2^5..2^1\n' >"$tmp/range.ini"
expect 2 "range.ini:2: scales:" "$bin" sweep --config "$tmp/range.ini"
expect 2 "--config F is required" "$bin" sweep

# SIGINT mid-sweep: exit 130, meta.csv says interrupted, no summary or
# sweep.csv that could pass for a whole study
"$bin" sweep --config configs/fp16-overflow.ini --no-plots --out "$tmp/int" >/dev/null 2>"$tmp/err" &
pid=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -e "$tmp/int" ] && break; sleep 0.1; done
sleep 0.3
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] && ok || bad "sweep SIGINT: exit $rc: $(cat "$tmp/err")"
grep -q '^status,interrupted$' "$tmp/int/meta.csv" 2>/dev/null && ok || bad "sweep SIGINT: meta.csv: $(cat "$tmp/int/meta.csv" 2>&1)"
[ -e "$tmp/int/summary.md" ] || [ -e "$tmp/int/sweep.csv" ] && bad "sweep SIGINT left a summary or sweep.csv" || ok

# sweep plots: scales labelled as powers of two, a colour per series
if command -v gnuplot >/dev/null; then
    "$bin" sweep --config configs/layernorm-cancellation.ini --out "$tmp/canc" >/dev/null 2>&1
    gp=$(ls "$tmp/canc/plots/"*.gp | head -1)
    # the variants' series (the grey one of lost inputs apart)
    colours=$(grep -o "lc rgb '#[0-9a-f]*'" "$gp" | grep -v c0c0c0 | sort -u | wc -l)
    series=$(($(grep -o "index [0-9]*" "$gp" | wc -l) - $(grep -c "inputs lost in storage" "$gp")))
    [ "$series" -le 12 ] && [ "$colours" = "$series" ] || [ "$colours" = 12 ] && ok || bad "sweep plot: $colours colours for $series series"
    "$bin" sweep --config configs/fp16-overflow.ini --out "$tmp/ovf" >/dev/null 2>&1
    grep -q "set format x '2^{%L}'" "$tmp/ovf/plots/sweep-0.gp" && ok || bad "sweep scale axis not labelled 2^k"
    grep -q "inputs lost in storage (not data)" "$tmp/ovf/plots/sweep-0.gp" && ok || bad "sweep plot: lost inputs not drawn apart"
fi
# inputs the storage type cannot hold are not data: f16 inputs of scale 2^16
# overflow, of 2^-24 flush to zero; bf16 holds both. Every scale reads 2^k.
[ -d "$tmp/ovf" ] || "$bin" sweep --config configs/fp16-overflow.ini --no-plots --out "$tmp/ovf" >/dev/null 2>&1
python3 - "$tmp/ovf" <<'PY' && ok || bad "fp16-overflow: lost inputs not reported as such"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/sweep.csv")))
at = lambda v, scale: next(r for r in rows if r["variant"] == v and float(r["scale"]) == scale and r["n"] == "768")
for v in ("rmsnorm/fused/scalar/f16-up", "rmsnorm/fused/scalar/f16-llama"):
    for scale in (2.0 ** 16, 2.0 ** -24):
        r = at(v, scale)
        assert int(r["inputs_lost"]) > 0 and r["within_bound"] == "inputs lost", r
    assert at(v, 1.0)["within_bound"] == "yes"
assert at("rmsnorm/fused/scalar/bf16-up", 2.0 ** 16)["inputs_lost"] == "0"
md = open(sys.argv[1] + "/summary.md").read()
line = next(l for l in md.splitlines() if l.startswith("| rmsnorm/fused/scalar/f16-up | 768 "))
# the grid is a quarter-octave: lost runs end between its points
assert "2^-24 to 2^-19.25, 2^14.25 to 2^16" in line and "within 2^-19 to 2^14" in line, line
assert "| 8 |" not in md and " 4: " not in md, "a scale not written as 2^k"
import os, re
links = re.findall(r"\]\((plots/[^)]+)\)", md)
assert links and all(os.path.exists(os.path.join(sys.argv[1], l)) for l in links) or not os.path.exists(sys.argv[1] + "/plots/sweep-0.svg"), links
PY

# break points: bisected to one f32 ULP. f16-nat RMSNorm at n = 256 breaks
# where its f16 sum of squares overflows (a scale near sqrt(65504 / 256) =
# 16); a sweep at that scale and the float just below it must show the
# break at the one and not at the other
printf '[suite]\nname = brk\n[run]\nkernels = rmsnorm/fused/scalar/f16-nat,rmsnorm/fused/scalar/f16-up\nhidden = 256\neps = 1e-6\n[sweep]\nscales = 2^-26..2^17\ndists = normal\nrows = 2\n' >"$tmp/brk.ini"
"$bin" sweep --config "$tmp/brk.ini" --no-plots --out "$tmp/brk" >/dev/null 2>&1 && ok || bad "break-point sweep failed"
python3 - "$tmp" "$bin" <<'PY' && ok || bad "the bisected break point is not where the kernel breaks"
import csv, struct, subprocess, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/brk/sweep.csv")))
nat = next(r for r in rows if r["variant"] == "rmsnorm/fused/scalar/f16-nat")
up = next(r for r in rows if r["variant"] == "rmsnorm/fused/scalar/f16-up")
b = float(nat["breaks_at"])
assert 8 < b < 32 and b != 16, b                       # bisected, not a grid point
assert up["breaks_at"] == "", up["breaks_at"]           # up holds wherever f16 holds the inputs
# where underflow starts to cost nat accuracy: a scale between the grid
# points, below 1; a bounded variant has none (its holds_from is that)
acc = float(nat["accurate_from"])
assert 2 ** -26 < acc < 1 and acc != 2 ** round(__import__("math").log2(acc)), acc
assert up["accurate_from"] == "", up
assert 2 ** -21 < float(up["kept_from"]) < 2 ** -18 and 2 ** 14 < float(up["lost_from"]) < 2 ** 15, up
b = struct.unpack("<f", struct.pack("<f", b))[0]        # the f32 the CSV's 9 digits name
below = struct.unpack("<f", struct.pack("<I", struct.unpack("<I", struct.pack("<f", b))[0] - 1))[0]
open(d + "/at.ini", "w").write(open(d + "/brk.ini").read().replace("2^-26..2^17", "%s,%s" % (below.hex(), b.hex()))
                               .replace("f16-nat,rmsnorm/fused/scalar/f16-up", "f16-nat"))
subprocess.run([sys.argv[2], "sweep", "--config", d + "/at.ini", "--no-plots",
                "--out", d + "/at"], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
at = {float(r["scale"]): r["within_bound"] for r in csv.DictReader(open(d + "/at/sweep.csv"))}
assert at[b] == "no" and at[below] == "not bounded", at
PY
grep -q "| rmsnorm/fused/scalar/f16-nat | 256 | 1e-06 | none in range | 1[0-9.]* |" "$tmp/brk/summary.md" && ok ||
    bad "summary.md lacks the break-point table"

finish sweep
