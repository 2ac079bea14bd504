#!/bin/sh
# End-to-end: compare on real runs, a planted slowdown, accuracy and
# instruction regressions, bad baselines, and the Google Benchmark JSON.
# Prints "compare: N passed, N failed". No timing is asserted: the planted
# slowdown is planted into a copy of the same run (the AVX2 kernel's times,
# every repetition, multiplied by 3), so every other row is identical and
# the verdicts do not depend on how noisy the machine is. The naive
# kernel's measurements under the AVX2 kernel's name (a real slower kernel)
# are compared too and reported: how much slower it is depends on the
# machine.
# Two separate runs are compared too, for the output's shape only: on a
# shared machine their verdicts are a measurement, not a test.
bin=${NB_BIN:-build/normbench}
# the vector kernel set against the naive one: AVX2, or NEON on aarch64
fast=${NB_FAST_KERNEL:-rmsnorm/fused/avx2/f32}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
run() {
    "$bin" run --kernels "rmsnorm/naive/scalar/f32,$fast,layernorm/twopass/scalar/f32" \
        --hidden 64,96,128,160,192,224,256 --rows 128 --reps 10 --min-time 0.002 --no-report --out "$1" >/dev/null 2>&1
}
run "$tmp/a" && run "$tmp/b" && ok || bad "runs failed"
# 128 rows: 64 KiB to 256 KiB of x and y, past an L1d of 48 KiB and within
# an L2 of 256 KiB, so every row is in L2 on the x86 and ARM parts we know
[ "$(grep -c ',L2,' "$tmp/a/perf.csv")" = 21 ] && ok || bad "want 21 rows in L2: $(cut -d, -f11 "$tmp/a/perf.csv" | sort | uniq -c)"

# a run against itself: every row the same, deterministically
"$bin" compare "$tmp/a" "$tmp/a" >"$tmp/out" 2>"$tmp/err" && grep -q '21 rows matched: 0 faster, 0 slower' "$tmp/out" &&
    ok || bad "self-comparison: $(tail -1 "$tmp/out")"

"$bin" compare "$tmp/a" "$tmp/b" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] || [ $rc = 1 ] && ok || bad "A/A exited $rc: $(cat "$tmp/err")"
grep -q '21 rows matched' "$tmp/out" && ok || bad "A/A: $(tail -1 "$tmp/out")"
echo "A/A of two runs here: $(tail -1 "$tmp/out")"

python3 scripts/plant-slowdown.py "$tmp/a" "$tmp/real" $fast rmsnorm/naive/scalar/f32
"$bin" compare "$tmp/a" "$tmp/real" >"$tmp/out" 2>"$tmp/err"
echo "naive kernel planted under the AVX2 kernel's name: exit $?, $(grep -c "^$fast .*regression" "$tmp/out") of 7 rows flagged"
# the exact slowdown is planted into a copy whose samples are made tight
# (each row's median, spread by 0.1% a repetition), so that how noisy this
# machine was while run a measured cannot decide the verdicts
cp -r "$tmp/a" "$tmp/tight"
python3 - "$tmp/tight" <<'PY'
import csv, sys
d = sys.argv[1]
perf = {(r["variant"], r["n"]): float(r["median_ns"]) for r in csv.DictReader(open(d + "/perf.csv"))}
rows = list(csv.DictReader(open(d + "/samples.csv")))
for r in rows:
    r["ns_per_call"] = repr(perf[(r["variant"], r["n"])] * (1 + 0.001 * (int(r["rep"]) - 5)))
w = csv.DictWriter(open(d + "/samples.csv", "w", newline=""), fieldnames=rows[0].keys(), lineterminator="\n")
w.writeheader(); w.writerows(rows)
PY
python3 scripts/plant-slowdown.py "$tmp/tight" "$tmp/planted" $fast x3
"$bin" compare "$tmp/tight" "$tmp/planted" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 1 ] && ok || bad "planted slowdown exited $rc"
[ "$(grep -c "^$fast .*regression" "$tmp/out")" = 7 ] && ok || bad "planted rows: $(grep "$fast" "$tmp/out")"
[ "$(grep regression "$tmp/out" | grep -v "^$fast " | grep -vc regressions)" = 0 ] && ok ||
    bad "other rows flagged: $(grep regression "$tmp/out" | grep -v "$fast")"
"$bin" compare --format md "$tmp/a" "$tmp/planted" >"$tmp/md" 2>/dev/null
grep -q '^| variant | rows | n |' "$tmp/md" && grep -q 'geometric mean change' "$tmp/md" && ok || bad "markdown output"

# accuracy: a larger max ULP than the baseline's, and new NaN outputs
cp -r "$tmp/a" "$tmp/acc"
python3 - "$tmp/acc/accuracy.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
rows[0]["max_ulp"] = str(float(rows[0]["max_ulp"]) + 3)
rows[1]["nan"] = "5"
w = csv.DictWriter(open(sys.argv[1], "w", newline=""), fieldnames=rows[0].keys(), lineterminator="\n")
w.writeheader(); w.writerows(rows)
PY
"$bin" compare "$tmp/a" "$tmp/acc" >"$tmp/out" 2>/dev/null
[ $? = 1 ] && grep -q 'accuracy regression: max ULP' "$tmp/out" && grep -q 'new non-finite' "$tmp/out" && ok ||
    bad "accuracy regression not caught: $(tail -2 "$tmp/out")"

# instruction counts: identical across two runs; an increase fails the gate
# (ASan and valgrind cannot run together: the sanitizer build skips this)
case "$bin${NB_EMULATED:+-emulated}" in *-san) skip_count=1 ;; *-emulated) skip_count=2 ;; *) skip_count=0 ;; esac
if [ "$skip_count" = 2 ]; then
    echo "skipped: instruction counts under qemu-user (valgrind runs on the host's architecture)"
elif [ "$skip_count" = 1 ]; then
    echo "skipped: instruction counts under valgrind with an AddressSanitizer binary"
elif command -v valgrind >/dev/null; then
    for k in 1 2; do
        "$bin" run --kernels "rmsnorm/fused/scalar/f32,$fast" --hidden 128 --rows 4 \
            --count instructions --no-report --out "$tmp/i$k" >/dev/null 2>&1
    done
    python3 - "$tmp/i1/perf.csv" "$tmp/i2/perf.csv" <<'PY' && ok || bad "instruction counts differ between runs"
import csv, sys
a, b = ([r["instructions_per_call"] for r in csv.DictReader(open(p))] for p in sys.argv[1:3])
assert a == b and all(float(x) > 0 for x in a), (a, b)
PY
    cp -r "$tmp/i1" "$tmp/ibase"
    python3 - "$tmp/ibase/perf.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
rows[0]["instructions_per_call"] = str(float(rows[0]["instructions_per_call"]) * 0.9)
w = csv.DictWriter(open(sys.argv[1], "w", newline=""), fieldnames=rows[0].keys(), lineterminator="\n")
w.writeheader(); w.writerows(rows)
PY
    "$bin" compare --metric instructions "$tmp/ibase" "$tmp/i2" >"$tmp/out" 2>/dev/null
    [ $? = 1 ] && grep -q 'slower (regression)' "$tmp/out" && ok || bad "instruction increase not caught"
    # counts are whole numbers under an instruction header, not µs with four digits
    head -1 "$tmp/out" | grep -q 'base_ins *new_ins' && ok || bad "instruction header: $(head -1 "$tmp/out")"
    awk 'NR > 1 && $1 ~ /\// && ($7 ~ /[.e]/ || $8 ~ /[.e]/) { exit 1 }' "$tmp/out" && ok || bad "fractional or exponent counts: $(head -3 "$tmp/out")"
    "$bin" compare --metric instructions "$tmp/i1" "$tmp/i2" >/dev/null 2>&1 && ok || bad "identical counts flagged"
    # a row valgrind could not count (AVX-512 there) is left to the time gate, and compare says which gate
    cp -r "$tmp/i1" "$tmp/inocount"
    python3 - "$tmp/inocount/perf.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
rows[0]["instructions_per_call"] = ""
w = csv.DictWriter(open(sys.argv[1], "w", newline=""), fieldnames=rows[0].keys(), lineterminator="\n")
w.writeheader(); w.writerows(rows)
PY
    "$bin" compare --metric instructions "$tmp/i1" "$tmp/inocount" >"$tmp/out" 2>/dev/null
    grep -q "not counted (the time gate, ab, times it" "$tmp/out" && ok || bad "uncounted row: $(grep -i 'not counted' "$tmp/out")"
fi

# bad baselines: exit 2 with the file named
mkdir "$tmp/trunc" && head -n 3 "$tmp/a/perf.csv" >"$tmp/trunc/perf.csv" && sed -n 4p "$tmp/a/perf.csv" | head -c 60 >>"$tmp/trunc/perf.csv"
expect 2 "trunc/perf.csv:4: " "$bin" compare "$tmp/trunc" "$tmp/b"
mkdir "$tmp/head" && head -n 1 "$tmp/a/perf.csv" >"$tmp/head/perf.csv"
expect 2 "no measurements" "$bin" compare "$tmp/head" "$tmp/b"
cp -r "$tmp/a" "$tmp/interrupted" && sed -i 's/^status,complete$/status,interrupted/' "$tmp/interrupted/meta.csv"
expect 2 "not complete (status interrupted)" "$bin" compare "$tmp/interrupted" "$tmp/b"
mkdir "$tmp/nocol" && printf 'variant,n\nx,1\n' >"$tmp/nocol/perf.csv"
expect 2 "no column 'rows'" "$bin" compare "$tmp/nocol" "$tmp/b"
expect 2 "no such run" "$bin" compare "$tmp/missing" "$tmp/b"
expect 2 "(run with --count instructions)" "$bin" compare --metric instructions "$tmp/a" "$tmp/b"
"$bin" run --kernels rmsnorm/fused/scalar/f32 --hidden 64 --rows 2 --reps 5 --min-time 0.001 --no-report --out "$tmp/other" >/dev/null 2>&1
expect 2 "no row in common" "$bin" compare "$tmp/a" "$tmp/other"
grep -Eq '^geomean +n/a$' "$tmp/out" && ok || bad "no row in common: the geometric mean is not n/a: $(grep geomean "$tmp/out")"
cp -r "$tmp/b" "$tmp/cpu" && sed -i 's/^cpu_model,.*/cpu_model,Some Other CPU/' "$tmp/cpu/meta.csv"
expect 2 "different CPU models" "$bin" compare "$tmp/a" "$tmp/cpu"
"$bin" compare --force "$tmp/a" "$tmp/cpu" >/dev/null 2>"$tmp/e"
grep -q "differ in cpu_model" "$tmp/e" && ok || bad "--force: provenance not reported"
expect 2 "want two runs" "$bin" compare "$tmp/a"
expect 2 "--metric wants" "$bin" compare --metric speed "$tmp/a" "$tmp/b"

# Google Benchmark's JSON: the schema compare.py and dashboards read
"$bin" run --kernels 'rmsnorm/fused/scalar/f32,layernorm/twopass/scalar/f32' --hidden 64,128 --rows 4 --reps 6 \
    --min-time 0.001 --no-report --out "$tmp/j" --json "$tmp/j.json" >/dev/null 2>&1 && ok || bad "run --json"
python3 - "$tmp/j.json" "$tmp/j/perf.csv" <<'PY' && ok || bad "JSON schema"
import csv, json, sys
d = json.load(open(sys.argv[1]))
perf = list(csv.DictReader(open(sys.argv[2])))
c = d["context"]
for k, t in (("date", str), ("host_name", str), ("executable", str), ("num_cpus", int), ("mhz_per_cpu", int),
             ("cpu_scaling_enabled", bool), ("caches", list), ("library_build_type", str), ("json_schema_version", int)):
    assert isinstance(c[k], t), (k, c[k])
assert c["json_schema_version"] == 1
for cache in c["caches"]:
    assert set(cache) == {"type", "level", "size", "num_sharing"}, cache
b = d["benchmarks"]
its = [x for x in b if x["run_type"] == "iteration"]
aggs = [x for x in b if x["run_type"] == "aggregate"]
assert len(its) == 6 * len(perf) and len(aggs) == 4 * len(perf), (len(its), len(aggs), len(perf))
for x in its:
    for k, t in (("name", str), ("family_index", int), ("per_family_instance_index", int), ("run_name", str),
                 ("repetitions", int), ("repetition_index", int), ("threads", int), ("iterations", int),
                 ("real_time", float), ("cpu_time", float), ("time_unit", str), ("bytes_per_second", float)):
        assert isinstance(x[k], t), (k, x)
    assert x["time_unit"] == "ns" and x["name"] == x["run_name"] and x["repetitions"] == 6
for x in aggs:
    assert x["aggregate_name"] in ("mean", "median", "stddev", "cv")
    assert x["aggregate_unit"] == ("percentage" if x["aggregate_name"] == "cv" else "time")
    assert x["name"] == x["run_name"] + "_" + x["aggregate_name"]
# the medians agree with perf.csv, under the documented name mapping
for r in perf:
    name = f'{r["variant"]}/rows:{r["rows"]}/n:{r["n"]}/eps:{r["eps"]}/threads:{r["threads"]}/cache:{r["cache"]}'
    med = next(x for x in aggs if x["run_name"] == name and x["aggregate_name"] == "median")
    assert abs(med["real_time"] - float(r["median_ns"])) <= 1e-9 * med["real_time"], name
families = {x["name"].split("/rows:")[0]: x["family_index"] for x in its}
assert sorted(families.values()) == list(range(len(families))), families
PY

# ---- thresholds: a share as 5% or 0.05; a bare 5 is ambiguous; alpha in (0, 1) ----
expect 2 "--threshold wants a share such as 5% or 0.05, not '5'" "$bin" compare --threshold 5 "$tmp/a" "$tmp/b"
expect 2 "--alpha wants a probability" "$bin" compare --alpha 2 "$tmp/a" "$tmp/b"
expect 2 "--threshold wants a share" "$bin" compare --threshold 0 "$tmp/a" "$tmp/b"
expect 2 "--ulp-slack wants a finite number" "$bin" compare --ulp-slack=nan "$tmp/a" "$tmp/b"
expect 2 "--drift-z wants a finite number" "$bin" compare --drift-z inf "$tmp/a" "$tmp/b"
"$bin" compare --threshold 5% "$tmp/a" "$tmp/a" >"$tmp/out" 2>"$tmp/err" && ok || bad "--threshold 5%: $(cat "$tmp/err")"
"$bin" compare --threshold 0.05 "$tmp/a" "$tmp/a" >"$tmp/out" 2>"$tmp/err" && ok || bad "--threshold 0.05: $(cat "$tmp/err")"
# times of two runs are unpaired: compare says so and points to ab
grep -q "not paired.*normbench ab" "$tmp/err" && ok || bad "no unpaired-times warning: $(cat "$tmp/err")"
head -1 "$tmp/out" | grep -q "base_us *new_us" && ok || bad "time header: $(head -1 "$tmp/out")"

finish compare
