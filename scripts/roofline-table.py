#!/usr/bin/env python3
"""The roofline table of one run, per ISA family: for each norm, dtype, tier
and n at one thread, the fastest variant of the ISA (avx2 by default), its
GB/s, its share of the copy ceiling with the interval, x oneDNN (LayerNorm),
and for bf16-up and f16-up the time per row against the ISA's best f32,
both paired round by round from samples.csv.

    python3 scripts/roofline-table.py RUN_DIR [ISA]

ISA names a family: avx512 takes avx512bf16 and avx512fp16 along.
"""
import csv
import statistics
import sys


def samples_of(samples, row):
    key = (row["variant"], row["rows"], row["n"], row["eps"], row["threads"], row["cache"])
    got = {}
    for s in samples:
        if (s["variant"], s["rows"], s["n"], s["eps"], s["threads"], s["cache"]) == key:
            got[int(s["rep"])] = float(s["ns_per_call"])
    return [got[k] for k in sorted(got)]


def paired(samples, slow, fast, per_row=False):
    """median over rounds of time(slow) / time(fast), per row if asked"""
    a, b = samples_of(samples, slow), samples_of(samples, fast)
    if not a or len(a) != len(b) or slow["round_group"] != fast["round_group"]:
        return float("nan")
    ra = int(slow["rows"]) if per_row else 1
    rb = int(fast["rows"]) if per_row else 1
    return statistics.median((x / ra) / (y / rb) for x, y in zip(a, b))


def main():
    run = sys.argv[1]
    isa = sys.argv[2] if len(sys.argv) > 2 else "avx2"
    perf = [r for r in csv.DictReader(open(run + "/perf.csv")) if r["threads"] == "1"]
    samples = list(csv.DictReader(open(run + "/samples.csv")))
    shapes = []
    for r in perf:
        k = (r["norm"], r["dtype"], r["tier"], int(r["n"]))
        if k not in shapes and r["norm"] in ("rmsnorm", "layernorm", "prmsnorm"):
            shapes.append(k)
    print("| norm | dtype | tier | n | best %s variant | GB/s | share of copy | x oneDNN | per row x f32 |" % isa)
    print("|---|---|---|---|---|---|---|---|---|")
    for norm, dtype, tier, n in shapes:
        cands = [r for r in perf if (r["norm"], r["dtype"], r["tier"], int(r["n"])) == (norm, dtype, tier, n)
                 and r["isa"].startswith(isa)]
        if not cands:
            continue
        best = min(cands, key=lambda r: float(r["median_ns"]))
        share = "%.2f [%s, %s]" % (float(best["roofline_share"]), best["roofline_share_lo"][:4], best["roofline_share_hi"][:4])
        onednn = [r for r in perf if r["isa"] == "ext" and (r["norm"], r["dtype"], r["tier"], int(r["n"])) ==
                  (norm, dtype, tier, n)]
        xo = "%.2f" % paired(samples, onednn[0], best) if onednn else "n/a"
        per_row = "n/a"
        if dtype != "f32":
            f32 = [r for r in perf if (r["norm"], r["dtype"], r["tier"], int(r["n"])) == (norm, "f32", tier, n)
                   and r["isa"].startswith(isa)]
            if f32:
                bf = min(f32, key=lambda r: float(r["median_ns"]) / int(r["rows"]))
                per_row = "%.2f" % paired(samples, bf, best, per_row=True)
        print("| %s | %s | %s | %d | %s | %.1f | %s | %s | %s |" % (norm, dtype, tier, n, best["variant"],
                                                                  float(best["bandwidth_gbs"]), share, xo, per_row))


if __name__ == "__main__":
    main()
