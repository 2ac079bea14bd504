#!/usr/bin/env python3
"""Plants a slowdown for testing the gate: copies run directory SRC to DST
and makes variant FAST slower there, in one of two ways:
  SLOW  a slower variant: FAST's perf.csv and samples.csv rows are replaced
        by SLOW's measurements at the same shape, under FAST's name (a real
        slowdown, as large as the two kernels differ on this machine);
  xF    FAST's times (every repetition, and the statistics) multiplied by F
        (a slowdown of exactly F, independent of the machine's noise).
usage: plant-slowdown.py SRC DST FAST SLOW|xF"""
import csv, shutil, sys

src, dst, fast, how = sys.argv[1:5]
factor = float(how[1:]) if how.startswith("x") else None
shutil.copytree(src, dst)
TIMES = ("min_ns", "median_ns", "mean_ns", "stddev_ns", "mad_ns", "ns_per_row", "ns_per_call")
RATES = ("bandwidth_gbs", "roofline_share")
for name, key in (("perf.csv", ("rows", "n", "eps", "threads", "cache")),
                  ("samples.csv", ("rows", "n", "eps", "threads", "cache", "rep"))):
    with open(f"{src}/{name}", newline="") as f:
        reader = csv.DictReader(f)
        rows, fields = list(reader), reader.fieldnames
    slow_rows = {tuple(r[k] for k in key): r for r in rows if r["variant"] == how}
    out = []
    for r in rows:
        if r["variant"] == fast and factor is not None:
            planted = dict(r)
            for col in TIMES:
                if planted.get(col):
                    planted[col] = repr(float(planted[col]) * factor)
            for col in RATES:
                if planted.get(col):
                    planted[col] = repr(float(planted[col]) / factor)
            out.append(planted)
        elif r["variant"] == fast and tuple(r[k] for k in key) in slow_rows:
            planted = dict(slow_rows[tuple(r[k] for k in key)])
            for col in ("variant", "norm", "algorithm", "isa", "dtype"):
                if col in r:
                    planted[col] = r[col]
            out.append(planted)
        else:
            out.append(r)
    with open(f"{dst}/{name}", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(out)
