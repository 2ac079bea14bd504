#!/bin/sh
# eval on NumPy .npy files: arrays numpy.save wrote go in (f32, f16, bf16 as
# uint16 bit patterns), --out y.npy comes back readable by numpy.load with
# the same values as the CSV path gives; every malformed file is a one-line
# error naming it, exit 2, and no output file. Prints "npy: N passed, N failed".
bin=${NB_BIN:-build/normbench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

require_numpy npy
"$py" - "$tmp" <<'PY'
import sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(7)
x = rng.normal(size=(3, 40))
g = 1 + 0.1 * rng.normal(size=40)
np.save(d + "/x32.npy", x.astype(np.float32))
np.save(d + "/g32.npy", g.astype(np.float32))
np.save(d + "/x16.npy", x.astype(np.float16))
np.save(d + "/g16.npy", g.astype(np.float16))
bf = lambda a: (a.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)   # truncated: exact bf16 values
np.save(d + "/xbf.npy", bf(x))
np.save(d + "/gbf.npy", bf(g))
np.save(d + "/row.npy", x[0].astype(np.float32))                          # 1-D: one row
for name, a in (("x32", x.astype(np.float32)), ("g32", g.astype(np.float32)), ("x16", x.astype(np.float16)),
                ("g16", g.astype(np.float16))):
    np.savetxt(d + "/" + name + ".csv", np.atleast_2d(a.astype(np.float64)), delimiter=",", fmt="%.17g")
# malformed
np.save(d + "/f64.npy", x)                                      # wrong dtype
np.save(d + "/be.npy", x.astype(">f4"))                         # big-endian
np.save(d + "/fortran.npy", np.asfortranarray(x.astype(np.float32)))
np.save(d + "/cube.npy", np.zeros((2, 2, 2), np.float32))
np.save(d + "/empty.npy", np.zeros((0, 4), np.float32))
raw = open(d + "/x32.npy", "rb").read()
open(d + "/short.npy", "wb").write(raw[:-7])
open(d + "/long.npy", "wb").write(raw + b"\0\0\0\0")
open(d + "/magic.npy", "wb").write(b"PK\3\4" + raw[4:])
open(d + "/header.npy", "wb").write(raw[:10] + raw[10:20].replace(b"descr", b"dexcr") + raw[20:])
PY
e=1e-5
for dt in 32:f32 16:f16-up bf:bf16-up; do
    s=${dt%%:*}
    t=${dt#*:}
    "$bin" eval --kernel "rmsnorm/fused/scalar/$t" --x "$tmp/x$s.npy" --g "$tmp/g$s.npy" --eps $e --out "$tmp/y$s.npy" \
        2>"$tmp/err" && ok || bad "eval $t from .npy: $(cat "$tmp/err")"
done
"$bin" eval --kernel rmsnorm/fused/scalar/f32 --x "$tmp/x32.csv" --g "$tmp/g32.csv" --eps $e --out "$tmp/y32.csv" 2>/dev/null
"$bin" eval --kernel rmsnorm/fused/scalar/f16-up --x "$tmp/x16.csv" --g "$tmp/g16.csv" --eps $e --out "$tmp/y16.csv" 2>/dev/null
"$bin" eval --kernel rmsnorm/fused/scalar/f32 --x "$tmp/row.npy" --g "$tmp/g32.npy" --eps $e --out "$tmp/yrow.npy" \
    2>/dev/null && ok || bad "eval of a 1-D .npy"
"$py" - "$tmp" <<'PY' && ok || bad "the .npy outputs differ from the CSV ones or do not load"
import sys
import numpy as np
d = sys.argv[1]
for s, dt in (("32", np.float32), ("16", np.float16)):
    y = np.load(d + "/y%s.npy" % s)
    assert y.dtype == dt and y.shape == (3, 40), (y.dtype, y.shape)
    c = np.loadtxt(d + "/y%s.csv" % s, delimiter=",")
    assert np.array_equal(y.astype(np.float64), c), s
yb = np.load(d + "/ybf.npy")
assert yb.dtype == np.uint16 and yb.shape == (3, 40)
f = (yb.astype(np.uint32) << 16).view(np.float32)
assert np.all(np.isfinite(f)) and np.abs(f).max() > 0.5
row = np.load(d + "/yrow.npy")
assert row.shape == (1, 40) and np.array_equal(row[0], np.load(d + "/y32.npy")[0])
PY
for bad in "f64:dtype '<f8', but a f32 variant reads '<f4'" "be:big-endian" "fortran:Fortran order" \
           "cube:3 dimensions" "empty:shape with no values" "short:truncated: " "long:bytes after the" \
           "magic:not a .npy file" "header:header is not a dict"; do
    f=${bad%%:*}
    msg=${bad#*:}
    expect 2 "$tmp/$f.npy: $msg" "$bin" eval --kernel rmsnorm/fused/scalar/f32 --x "$tmp/$f.npy" --g "$tmp/g32.npy" \
        --eps $e --out "$tmp/out-$f.npy"
    [ -e "$tmp/out-$f.npy" ] && bad "$f.npy: an output was written" || ok
done
expect 2 "g16.npy: dtype '<f2', but a f32 variant reads '<f4'" "$bin" eval --kernel rmsnorm/fused/scalar/f32 \
    --x "$tmp/x32.npy" --g "$tmp/g16.npy" --eps $e
finish npy
