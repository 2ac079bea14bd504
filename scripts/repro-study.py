#!/usr/bin/env python3
"""How well normbench's ratios reproduce from run to run (issue 12's figures).

Runs the suite below RUNS times with each schedule, alternating which goes
first so that both see the same host conditions, and prints for every
paired ratio of every shape the spread (max over min across the runs) and,
for the interleaved schedule, how often one run's 95% interval covers the
other runs' estimates.

    python3 scripts/repro-study.py [RUNS] [OUT]    (default 5 runs, a temporary OUT)
"""
import csv
import itertools
import os
import subprocess
import sys
import tempfile

SUITE = ["--kernels", "rmsnorm/fused/avx2/f32,layernorm/twopass/avx2/f32,rmsnorm/naive/scalar/f32",
         "--hidden", "768,4096", "--rows", "16,256", "--reps", "10", "--accuracy-rows", "0", "--no-report"]
FUSED = "rmsnorm/fused/avx2/f32"
# (name, column of the fused RMSNorm row)
RATIOS = [("layernorm over rmsnorm", "speedup_rms_vs_layernorm"),
          ("naive over fused", "speedup_vs_naive"),
          ("fused share of the copy", "roofline_share")]


def run(binary, out, schedule):
    subprocess.run([binary, "run", *SUITE, "--schedule", schedule, "--out", out], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(out, "perf.csv")) as f:
        rows = [r for r in csv.DictReader(f) if r["variant"] == FUSED]
    est = {"clock": meta_clock(out)}
    for r in rows:
        for name, col in RATIOS:
            lo, hi = r.get(col + "_lo", ""), r.get(col + "_hi", "")
            est[(name, r["rows"], r["n"])] = (float(r[col]), float(lo) if lo else None, float(hi) if hi else None)
    return est


def meta_clock(out):
    """meta.csv's core clock before and after the rounds, or None (n/a)"""
    with open(os.path.join(out, "meta.csv")) as f:
        for row in csv.reader(f):
            if row and row[0] == "core_clock_ghz":
                words = row[1].replace(",", "").split()
                try:
                    return float(words[0]), float(words[4])
                except (IndexError, ValueError):
                    return None
    return None


def print_clocks(results, worst_key):
    """each interleaved run's clock beside its estimate of the ratio that
    spread most, to see whether a compute-bound over a memory-bound kernel
    follows the clock (on Zen 5 it did not: README, Paired ratios)"""
    print("interleaved runs: core clock before / after (GHz), and %s at %s x %s:" % worst_key)
    for i, r in enumerate(results["interleaved"]):
        c = r["clock"]
        print("  run %d  %s  %.3f" % (i, "%.2f / %.2f" % c if c else "n/a", r[worst_key][0]))


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    out = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp()
    binary = os.environ.get("NB_BIN", "build/normbench")
    results = {"interleaved": [], "sequential": []}
    for i in range(runs):
        order = ["interleaved", "sequential"] if i % 2 == 0 else ["sequential", "interleaved"]
        for sched in order:
            results[sched].append(run(binary, os.path.join(out, "%s-%d" % (sched, i)), sched))
    keys = sorted(k for k in results["interleaved"][0] if k != "clock")
    worst_key, worst_spread = None, 0.0
    print("%-26s %5s %5s  %12s %12s  %s" % ("ratio", "rows", "n", "interleaved", "sequential", "coverage"))
    worst = {"interleaved": 1.0, "sequential": 1.0}
    covered = total = 0
    for key in keys:
        spreads = {}
        for sched, res in results.items():
            vals = [r[key][0] for r in res]
            spreads[sched] = max(vals) / min(vals)
            worst[sched] = max(worst[sched], spreads[sched])
        if spreads["interleaved"] > worst_spread:
            worst_key, worst_spread = key, spreads["interleaved"]
        c = t = 0
        for a, b in itertools.permutations(results["interleaved"], 2):
            mid, lo, hi = a[key]
            if lo is None:
                continue
            t += 1
            c += lo <= b[key][0] <= hi
        covered += c
        total += t
        print("%-26s %5s %5s  %12.3f %12.3f  %d/%d" % (key[0], key[1], key[2], spreads["interleaved"],
                                                        spreads["sequential"], c, t))
    print("worst spread over %d runs: interleaved %.3f, sequential %.3f; intervals cover the other runs' "
          "estimates %d of %d (%.0f%%)" % (runs, worst["interleaved"], worst["sequential"], covered, total,
                                           100.0 * covered / max(total, 1)))
    print_clocks(results, worst_key)


if __name__ == "__main__":
    main()
