#!/bin/sh
# The nat summation orders as README "Compute modes" specifies them: numpy
# float16 code written from that text must give every f16-nat output of the
# sequential, the eight-lane and the eight-multiply-add-lane (hardware fp16)
# kernels bit for bit, and the orders must differ somewhere (else the test
# could not tell them apart). No timing.
# Prints "nat-numpy: N passed, N failed".
bin=${NB_BIN:-build/normbench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

require_numpy nat-numpy
# rows of 300 values at scales 1 and 12 (the second's f16 sum of squares is
# near 2^15, where the orders' roundings part); gains 1 + 0.1 N(0,1); biases
python3 - "$tmp" <<'PY'
import random, sys
random.seed(3)
d = sys.argv[1]
rows = [[random.gauss(0, s) for _ in range(300)] for s in (1, 12, 0.01)]
# a multiply-add that lands just above an fp16 midpoint: 2^-14 in lane 0,
# then 47^2 = 2209, halfway between 2208 and 2210 (README "Compute modes")
rows.append([2.0 ** -7 if j == 0 else 47.0 if j == 8 else 0.0 for j in range(300)])
open(d + "/x.csv", "w").write("\n".join(",".join(repr(v) for v in r) for r in rows) + "\n")
open(d + "/g.csv", "w").write(",".join(repr(1 + 0.1 * random.gauss(0, 1)) for _ in range(300)) + "\n")
open(d + "/b.csv", "w").write(",".join(repr(0.1 * random.gauss(0, 1)) for _ in range(300)) + "\n")
PY
for v in rmsnorm/fused rmsnorm/lanes rmsnorm/fmalanes layernorm/twopass layernorm/lanes; do
    b=; case $v in layernorm/*) b="--b $tmp/b.csv" ;; esac
    "$bin" eval --kernel "$v/scalar/f16-nat" --x "$tmp/x.csv" --g "$tmp/g.csv" $b --eps 1e-5 --hex \
        --out "$tmp/$(echo "$v" | tr / -).csv" 2>/dev/null && ok || bad "eval $v/scalar/f16-nat failed"
done
"$py" - "$tmp" <<'PY' && ok || bad "numpy float16 does not reproduce the nat kernels bit for bit"
import sys
import numpy as np
h = np.float16
d = sys.argv[1]
read = lambda f: [[float.fromhex(v) if "0x" in v else float(v) for v in line.split(",")] for line in open(d + f)]
X = [[h(v) for v in r] for r in read("/x.csv")]
G = [h(v) for v in read("/g.csv")[0]]
B = [h(v) for v in read("/b.csv")[0]]
eps = h(1e-5)

def total(terms, lanes):          # README "Compute modes": the two orders
    if not lanes:
        s = h(0)
        for t in terms:
            s = h(s + t)
        return s
    L = [h(0)] * 8
    for j, t in enumerate(terms):
        L[j % 8] = h(L[j % 8] + t)
    return h(h(h(L[0] + L[1]) + h(L[2] + L[3])) + h(h(L[4] + L[5]) + h(L[6] + L[7])))

def rmsnorm(x, lanes):
    mean = h(total([h(v * v) for v in x], lanes) / h(len(x)))
    r = h(h(1) / h(np.sqrt(h(mean + eps))))
    return [h(h(v * r) * g) for v, g in zip(x, G)]

def layernorm(x, lanes):
    n = h(len(x))
    mu = h(total(x, lanes) / n)
    var = h(total([h(h(v - mu) * h(v - mu)) for v in x], lanes) / n)
    r = h(h(1) / h(np.sqrt(h(var + eps))))
    return [h(h(h(h(v - mu) * r) * g) + b) for v, g, b in zip(x, G, B)]

def fma(a, b, c):  # rounded once: exact in float64 unless a b is far below c's fp16 half-ulp
    return h(np.float64(a) * np.float64(b) + np.float64(c))

def rmsnorm_fma_lanes(x, unused):  # the order of hardware fp16: eight lanes of multiply-adds
    body = len(x) - len(x) % 8
    L = [h(0)] * 8
    for j in range(body):
        L[j % 8] = fma(x[j], x[j], L[j % 8])
    s = h(h(h(L[0] + L[4]) + h(L[1] + L[5])) + h(h(L[2] + L[6]) + h(L[3] + L[7])))
    for v in x[body:]:
        s = fma(v, v, s)
    r = h(h(1) / h(np.sqrt(h(h(s / h(len(x))) + eps))))
    return [h(h(v * r) * g) for v, g in zip(x, G)]

out = {}
for name, f, lanes in (("rmsnorm-fused", rmsnorm, 0), ("rmsnorm-lanes", rmsnorm, 1),
                       ("rmsnorm-fmalanes", rmsnorm_fma_lanes, 0),
                       ("layernorm-twopass", layernorm, 0), ("layernorm-lanes", layernorm, 1)):
    got = read("/%s.csv" % name)
    out[name] = got
    for i, x in enumerate(X):
        want = f(x, lanes)
        for j, (a, b) in enumerate(zip(got[i], want)):
            assert a == float(b) or (a != a and b != b), (name, i, j, a, float(b))
for a, b in (("rmsnorm-fused", "rmsnorm-lanes"), ("rmsnorm-lanes", "rmsnorm-fmalanes"),
             ("layernorm-twopass", "layernorm-lanes")):
    assert out[a] != out[b], a + " and " + b + " agree everywhere: the test cannot tell the orders apart"
PY
finish nat-numpy
