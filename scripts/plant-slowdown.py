#!/usr/bin/env python3
"""Plants a real slowdown for testing the gate: copies run directory SRC to
DST, replacing the perf.csv and samples.csv rows of variant FAST by the
measurements of the slower variant SLOW at the same shape, under FAST's name.
usage: plant-slowdown.py SRC DST FAST SLOW"""
import csv, shutil, sys

src, dst, fast, slow = sys.argv[1:5]
shutil.copytree(src, dst)
for name, key in (("perf.csv", ("rows", "n", "eps", "threads", "cache")),
                  ("samples.csv", ("rows", "n", "eps", "threads", "cache", "rep"))):
    with open(f"{src}/{name}", newline="") as f:
        reader = csv.DictReader(f)
        rows, fields = list(reader), reader.fieldnames
    slow_rows = {tuple(r[k] for k in key): r for r in rows if r["variant"] == slow}
    out = []
    for r in rows:
        if r["variant"] == fast and tuple(r[k] for k in key) in slow_rows:
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
