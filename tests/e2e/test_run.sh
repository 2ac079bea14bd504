#!/bin/sh
# End-to-end: a tiny run whose files are read back and checked, run's bad
# input, topology and report. No timing is asserted. Prints "run: N passed, N failed".
bin=${NB_BIN:-build/normbench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

# a tiny run, into a directory whose name has a space
out="$tmp/run one"
"$bin" run --kernels 'rmsnorm/naive/scalar/f32,rmsnorm/fused/*/f32,layernorm/twopass/scalar/f32' --hidden 64,100 \
    --rows 8 --reps 3 --min-time 0.001 --events perf::TASK-CLOCK,PAPI_TOT_CYC --out "$out" >"$tmp/table" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] && ok || bad "tiny run exited $rc: $(cat "$tmp/err")"
for f in perf.csv samples.csv accuracy.csv meta.csv report.md; do
    [ -s "$out/$f" ] && ok || bad "no $f"
done
grep -q '^status,complete$' "$out/meta.csv" && ok || bad "meta.csv status"
ls "$out" | grep -q '\.tmp\.' && bad "a temporary file was left" || ok
# consistency: one row per (variant, n); bandwidth = bytes / median; samples per row = reps
NB_EMULATED=${NB_EMULATED:-} PERF_EVENT_OFF=$perf_event_off python3 - "$out" <<'PY' && ok || bad "perf.csv consistency"
import csv, os, sys, math
d = sys.argv[1]
emulated = os.environ.get("NB_EMULATED", "") != ""
perf_event_off = os.environ.get("PERF_EVENT_OFF", "") != ""
perf = list(csv.DictReader(open(d + "/perf.csv")))
samples = list(csv.DictReader(open(d + "/samples.csv")))
acc = list(csv.DictReader(open(d + "/accuracy.csv")))
variants = {r["variant"] for r in perf}
assert len(perf) == len(variants) * 2, (len(perf), variants)
for r in perf:
    assert r["rows"] == "8" and r["reps"] == "3" and r["cache"] == "hot" and r["threads"] == "1"
    bw = float(r["bytes"]) / float(r["median_ns"])
    assert abs(bw - float(r["bandwidth_gbs"])) <= 1e-9 * bw, r
    assert float(r["min_ns"]) <= float(r["median_ns"]) <= max(float(s["ns_per_call"]) for s in samples if s["variant"] == r["variant"] and s["n"] == r["n"])
    assert abs(float(r["ns_per_row"]) * 8 - float(r["median_ns"])) <= 1e-6 * float(r["median_ns"])
    n = int(r["n"])
    assert float(r["bytes"]) == 8 * n * 4 * 2 + n * 4 * (2 if r["norm"] == "layernorm" else 1), r
    # under qemu-user, or with PAPI's perf_event component disabled, nothing
    # is counted, and the note says why
    if emulated:
        assert "emulated" in r["counters_note"], r
    elif perf_event_off:
        assert r["perf_task_clock_per_call"] == "" and "perf_event component is disabled" in r["counters_note"], r
    else:
        assert float(r["perf_task_clock_per_call"]) > 0, r
    assert r["papi_tot_cyc_per_call"] == "" or float(r["papi_tot_cyc_per_call"]) > 0, r
    if r["papi_tot_cyc_per_call"] == "":
        assert "PAPI_TOT_CYC: " in r["counters_note"], r["counters_note"]
    if r["algorithm"] == "naive":
        assert float(r["speedup_vs_naive"]) == 1.0
    elif any(o["norm"] == r["norm"] and o["algorithm"] == "naive" for o in perf):
        assert float(r["speedup_vs_naive"]) > 0
    else:
        assert r["speedup_vs_naive"] == "", r  # no naive ran: n/a, never a made-up 1
for r in perf:
    assert sum(1 for s in samples if s["variant"] == r["variant"] and s["n"] == r["n"]) == 3
assert len(acc) == len(perf)
for a in acc:
    assert int(a["rows_checked"]) >= 1 and a["nan"] == "0", a
    # the bound's measure: never above the plain ULP error, within the f32 bound
    assert float(a["max_ulp_terms"]) <= float(a["max_ulp"]) and a["bound_ulp"] == "6", a
    assert float(a["max_ulp_terms"]) <= 6, a
PY
grep -q 'rmsnorm/fused/scalar/f32' "$tmp/table" && ok || bad "console table lacks a row"
grep -q '## RMSNorm against LayerNorm' "$out/report.md" && ok || bad "report lacks the RMSNorm section"
grep -Eq '^\| core_clock_ghz \| ([0-9.]+ before the rounds|n/a)' "$out/report.md" && ok ||
    bad "report's machine table lacks the clock: $(grep -A24 '^## Machine' "$out/report.md")"
grep -Eq '^\| layernorm/twopass/scalar/f32 \| [0-9.e+]+ \| [0-9.e+]+ \| 6 \| yes \|' "$out/report.md" && ok ||
    bad "report's accuracy table: $(grep 'layernorm/twopass/scalar/f32 |' "$out/report.md")"

# the partial-RMSNorm section, on planted times: the best rmsnorm over the
# best prmsnorm of each shape, per tier
mkdir "$tmp/partial" && cp "$out/meta.csv" "$out/accuracy.csv" "$tmp/partial/"
python3 - "$out/perf.csv" "$tmp/partial/perf.csv" <<'PY' && ok || bad "planting prmsnorm rows"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
base = next(r for r in rows if r["variant"] == "rmsnorm/fused/scalar/f32")
out = []
for tier, rms, prms in (("L2", 130.0, 100.0), ("DRAM", 110.0, 100.0)):
    for variant, norm, med in (("rmsnorm/fused/scalar/f32", "rmsnorm", rms), ("rmsnorm/naive/scalar/f32", "rmsnorm", 5 * rms),
                               ("prmsnorm/fused/scalar/f32", "prmsnorm", prms)):
        out.append(dict(base, variant=variant, norm=norm, tier=tier, median_ns=str(med)))
w = csv.DictWriter(open(sys.argv[2], "w", newline=""), fieldnames=list(base))
w.writeheader()
w.writerows(out)
PY
"$bin" report "$tmp/partial" 2>"$tmp/err" >/dev/null && ok || bad "report on planted rows: $(cat "$tmp/err")"
grep -q '^| L2 | 1 | 1.30 | 1.30 | 1.30 |$' "$tmp/partial/report.md" && grep -q '^| DRAM | 1 | 1.10 | 1.10 | 1.10 |$' "$tmp/partial/report.md" &&
    grep -q 'median 1.30 in L2 against 1.10 in DRAM: the gain shrinks' "$tmp/partial/report.md" && ok ||
    bad "partial RMSNorm section: $(grep -A8 'Partial RMSNorm' "$tmp/partial/report.md")"
grep -q 'Partial RMSNorm' "$out/report.md" && bad "a partial section without prmsnorm rows" || ok

# every row is checked by default, against the fast reference: the same
# figures as MPFR alone (--reference mpfr), and meta.csv says which ran and
# what fell back; rows = 100 repeats the 64 generated rows
for m in fast mpfr; do
    "$bin" run --kernels 'rmsnorm/fused/scalar/bf16-up,layernorm/twopass/scalar/f32,addrmsnorm/fused/scalar/f16-up' \
        --hidden 96 --rows 100 --reps 2 --min-time 0.001 --reference $m --out "$tmp/ref-$m" >/dev/null 2>"$tmp/err" &&
        ok || bad "run --reference $m: $(cat "$tmp/err")"
done
python3 - "$tmp/ref-fast/accuracy.csv" "$tmp/ref-mpfr/accuracy.csv" <<'PY' && ok || bad "accuracy.csv of the fast reference differs from MPFR's"
import csv, sys
fast, mpfr = (list(csv.DictReader(open(p))) for p in sys.argv[1:3])
assert len(fast) == 3 and fast == mpfr, (fast, mpfr)
assert all(r["rows_checked"] == "100" for r in fast), fast
PY
grep -q '^reference,"fast; 0 of [0-9]* values unsure' "$tmp/ref-fast/meta.csv" && ok || bad "meta.csv reference: $(grep reference "$tmp/ref-fast/meta.csv")"
grep -q '^reference,mpfr; ' "$tmp/ref-mpfr/meta.csv" && ok || bad "meta.csv reference (mpfr): $(grep reference "$tmp/ref-mpfr/meta.csv")"
printf '[run]\nkernels = rmsnorm/fused/scalar/f32\n[accuracy]\nreference = exact\n' >"$tmp/badref.ini"
expect 2 "badref.ini:4: reference: want fast or mpfr, not 'exact'" "$bin" run --config "$tmp/badref.ini"
expect 2 "want fast or mpfr, not 'quad'" "$bin" run --kernels 'rmsnorm/fused/scalar/f32' --reference quad
expect 2 "--reference wants fast or mpfr" "$bin" eval --kernel rmsnorm/fused/scalar/f32 --x /dev/null --g /dev/null --eps 0 --reference x

# casting modes: llama rows carry their distance to the same ISA's up
# variant (at most two ULPs: each within about one of the exact value),
# other rows leave it empty; the report has the table
"$bin" run --kernels 'rmsnorm/fused/scalar/bf16-llama,rmsnorm/fused/scalar/f16-llama,rmsnorm/fused/scalar/f16-up' \
    --hidden 768 --rows 8 --reps 2 --min-time 0.001 --out "$tmp/llama" >/dev/null 2>"$tmp/err" && ok || bad "llama run: $(cat "$tmp/err")"
python3 - "$tmp/llama/accuracy.csv" <<'PY' && ok || bad "accuracy.csv up_ columns"
import csv, sys
rows = {r["variant"]: r for r in csv.DictReader(open(sys.argv[1]))}
for v in ("rmsnorm/fused/scalar/bf16-llama", "rmsnorm/fused/scalar/f16-llama"):
    r = rows[v]
    assert 0 < float(r["up_max_ulp"]) <= 2 and 0 < float(r["up_equal_share"]) < 1, r
assert rows["rmsnorm/fused/scalar/f16-up"]["up_max_ulp"] == "", rows
PY
grep -q '^| rmsnorm/fused/scalar/f16-llama | [0-9.]* | [0-9.]*% | [0-9.]* | [0-9.]*% |$' "$tmp/llama/report.md" && ok ||
    bad "report lacks the casting-mode table: $(grep -A4 'Casting' "$tmp/llama/report.md")"

# two thread counts in one run: each shape at both, the report compares
# them and keeps one count for the rest
"$bin" run --kernels 'rmsnorm/fused/scalar/f32,rmsnorm/naive/scalar/f32' --hidden 64 --rows 8 --reps 2 --min-time 0.001 \
    --threads 1,2 --out "$tmp/thr" >/dev/null 2>"$tmp/err" && ok || bad "run --threads 1,2: $(cat "$tmp/err")"
python3 - "$tmp/thr/perf.csv" <<'PY' && ok || bad "perf.csv of --threads 1,2"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert sorted((r["variant"], r["threads"]) for r in rows) == sorted((v, t) for v in ("rmsnorm/fused/scalar/f32", "rmsnorm/naive/scalar/f32") for t in ("1", "2")), rows
for r in rows:
    assert float(r["speedup_vs_naive"]) > 0, r  # naive of the same thread count
PY
grep -q '^threads,"1,2"$' "$tmp/thr/meta.csv" && ok || bad "meta.csv threads: $(grep threads "$tmp/thr/meta.csv")"
# the outputs do not depend on the thread count: checked and written once a shape
[ "$(tail -n +2 "$tmp/thr/accuracy.csv" | wc -l)" = 2 ] && ok || bad "accuracy.csv of --threads 1,2: $(cat "$tmp/thr/accuracy.csv")"
# no rows checked: the maxima are n/a (empty in the CSV), not 0
"$bin" run --kernels 'rmsnorm/fused/scalar/f32' --hidden 64 --rows 8 --reps 2 --min-time 0.001 --accuracy-rows 0 \
    --out "$tmp/unchecked" >/dev/null 2>"$tmp/err" && ok || bad "run --accuracy-rows 0: $(cat "$tmp/err")"
python3 - "$tmp/unchecked/accuracy.csv" <<'PY' && ok || bad "accuracy.csv with no rows checked"
import csv, sys
(a,) = list(csv.DictReader(open(sys.argv[1])))
assert a["rows_checked"] == "0" and a["max_ulp"] == a["max_rel"] == a["max_ulp_terms"] == a["exact_share"] == "", a
PY
grep -q '^| rmsnorm/fused/scalar/f32 | n/a | n/a | 6 | n/a | n/a | 0 | 0 |$' "$tmp/unchecked/report.md" && ok ||
    bad "report with no rows checked: $(grep 'rmsnorm/fused/scalar/f32 |' "$tmp/unchecked/report.md" | tail -1)"
grep -q '^## Threads$' "$tmp/thr/report.md" && grep -Eq '^\| 2 \| L1 \| 2 \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|$' "$tmp/thr/report.md" &&
    grep -Eq '^\| 2 \| rmsnorm \| f32 \| L1 \| 64 \| 1e-06 \| rmsnorm/[a-z]+/scalar/f32 \| [0-9.]+ \| [0-9.]+( \[[0-9.]+, [0-9.]+\])? \| [0-9.]+( \[[0-9.]+, [0-9.]+\])? \|$' "$tmp/thr/report.md" &&
    ok || bad "report of --threads 1,2: $(sed -n '/## Threads/,/^## [A-Z]/p' "$tmp/thr/report.md")"
# the best-variant table keeps one thread count: one row for the shape
[ "$(grep -c '^| rmsnorm | f32 | L1 | 64 |' "$tmp/thr/report.md")" = 1 ] && ok || bad "best table mixes thread counts"
grep -q '^## Threads$' "$out/report.md" && bad "a threads section in a one-count run" || ok

# the plots' scripts: a line per (variant, n) in the footprint plot (two n
# here: two blocks per variant), a speedup legend of the measured tiers only
if command -v gnuplot >/dev/null; then
    blocks=$(grep -c '^# rmsnorm/fused/scalar/f32 n=' "$out/plots/bw-rmsnorm-f32.dat")
    [ "$blocks" = 2 ] && ok || bad "footprint plot: $blocks blocks for rmsnorm/fused/scalar/f32, want one per n (2)"
    grep -q "title 'L2'\|title 'L3'\|title 'DRAM'" "$out/plots/speedup-rmsnorm-f32.gp" && bad "speedup legend names unmeasured tiers" || ok
    grep -q "set xrange" "$out/plots/bw-rmsnorm-f32.gp" && ok || bad "footprint plot has no room around its points"
fi

# the RMSNorm-against-LayerNorm text speaks only of what the run has: no
# LayerNorm here, so nothing to compare and no sentence about DRAM
"$bin" run --kernels 'rmsnorm/fused/scalar/f32' --hidden 64 --rows 2 --reps 2 --min-time 0.001 --out "$tmp/nolayer" >/dev/null 2>&1
grep -A3 '^## RMSNorm against LayerNorm' "$tmp/nolayer/report.md" | grep -q "nothing to compare" && ok || bad "RMSNorm/LayerNorm text without LayerNorm: $(grep -A3 'RMSNorm against LayerNorm' "$tmp/nolayer/report.md")"
grep -q "to DRAM" "$tmp/nolayer/report.md" && bad "the report speaks of DRAM, which the run did not measure" || ok
# a long run directory path (over 190 characters) still gets its plots
long="$tmp/$(printf 'a%.0s' $(seq 1 120))/$(printf 'b%.0s' $(seq 1 100))"
"$bin" run --kernels 'rmsnorm/naive/scalar/f32,rmsnorm/fused/scalar/f32' --hidden 64 --rows 2 --reps 2 --min-time 0.001 --out "$long" >/dev/null 2>&1
if command -v gnuplot >/dev/null; then
    [ -s "$long/plots/bw-rmsnorm-f32.svg" ] && ok || bad "no plots under a ${#long}-character path: $(grep -i note "$long/report.md")"
fi
"$bin" run --kernels rmsnorm/fused/scalar/f32 --hidden 64 --rows 4 --reps 2 --min-time 0.001 --threads 3 --no-report --out "$tmp/thr3" >/dev/null 2>"$tmp/err"
[ "$(nproc)" -lt 3 ] && { grep -q "3 threads on" "$tmp/err" && ok || bad "--threads 3 on $(nproc) PUs said nothing: $(cat "$tmp/err")"; }

# report on its own, and on a broken run directory
"$bin" report "$out" 2>"$tmp/err" && ok || bad "report: $(cat "$tmp/err")"
mkdir "$tmp/broken" && printf 'variant,n\nx,1\n' >"$tmp/broken/perf.csv" && printf 'key,value\n' >"$tmp/broken/meta.csv"
"$bin" report "$tmp/broken" 2>"$tmp/err"
[ $? = 2 ] && grep -q "no column 'norm'" "$tmp/err" && ok || bad "report on a broken perf.csv: $(cat "$tmp/err")"

# bad input: exit 2 or 3 with one line, before anything is measured
printf '[run]\nhidden = 768\nrows = lots\n' >"$tmp/bad.ini"
expect 2 "bad.ini:3: rows: want 'auto'" "$bin" run --config "$tmp/bad.ini"
# topology names every ISA feature the kernel lists in /proc/cpuinfo (it
# once stopped at os_zmm_state and left avx512_fp16 out)
if [ -z "${NB_EMULATED:-}" ]; then
    feats=$("$bin" topology --no-ceilings 2>/dev/null | sed -n 's/^features: *//p')
    for f in avx2 fma f16c avx512f avx512bw avx512vl avx512_bf16 avx512_fp16; do
        grep -qw -- "$f" /proc/cpuinfo || continue
        case " $feats " in *" $f "*) ok ;; *) bad "topology features lack $f: $feats" ;; esac
    done
fi
# the binary's own PAPI (under qemu-user an aarch64 one, whose component
# state the host's papi-tools do not tell)
if "$bin" topology --no-ceilings 2>/dev/null | grep -q "perf_event component is disabled"; then
    # no name resolves: none can be refused, each is recorded as not counted
    expect 0 "" "$bin" run --kernels rmsnorm/fused/scalar/f32 --hidden 64 --rows 1 --events PAPI_NOPE --no-report --out "$tmp/nope"
    grep -q "PAPI_NOPE: not counted: PAPI's perf_event component is disabled" "$tmp/nope/perf.csv" && ok ||
        bad "an event that cannot be checked is not recorded as not counted"
else
    expect 2 "unknown PAPI event 'PAPI_NOPE'" "$bin" run --kernels rmsnorm/fused/scalar/f32 --hidden 64 --rows 1 --events PAPI_NOPE
fi
expect 2 "there is no CPU 999" "$bin" run --kernels rmsnorm/fused/scalar/f32 --hidden 64 --rows 1 --cpu 999
expect 3 "GiB are available: refusing before allocating" "$bin" run --kernels rmsnorm/fused/scalar/f32 --hidden 67108864 --rows 1000000
expect 3 "cannot create the output directory" "$bin" run --kernels rmsnorm/fused/scalar/f32 --hidden 64 --rows 1 --out /proc/normbench-test
expect 2 "no variant matches 'nothing*'" "$bin" run --kernels 'nothing*'
expect 2 "unknown option" "$bin" run --frobnicate
expect 2 "--count wants 'instructions' or 'lines', not 'cycles'" "$bin" run --kernels rmsnorm/fused/scalar/f32 --count cycles
expect 2 "hidden: want sizes" "$bin" run --hidden 0
# first-day defects: each must fail the way it says
tiny="--kernels rmsnorm/fused/scalar/f32 --hidden 64 --rows 2 --reps 2 --min-time 0.001"
expect 2 "--hidden: want sizes" "$bin" run --hidden 768, $tiny
expect 2 "--min-time: want seconds" "$bin" run $tiny --min-time -1
expect 2 "--passes: want 1 to 100000" "$bin" run $tiny --passes 0
expect 2 "--max-footprint: want bytes (with K, M or G) above 0, or none, not '1T'" "$bin" run $tiny --max-footprint 1T
expect 2 "--max-footprint: want bytes" "$bin" run $tiny --max-footprint 0
printf '[run]\nhidden = 64\nmax_footprint = -5M\n' >"$tmp/badfp.ini"
expect 2 "badfp.ini:3: max_footprint: want bytes" "$bin" run --config "$tmp/badfp.ini"
# a footprint cap skips the tiers above it and says so (the DRAM tier is at
# least 128 MiB on any machine); rows given explicitly are not capped
expect 0 "skipped tier DRAM for n = 64: its footprint, " \
    "$bin" run --kernels rmsnorm/fused/scalar/f32 --hidden 64 --rows auto --reps 2 --min-time 0.001 --max-footprint 1M \
    --accuracy-rows 1 --no-report --out "$tmp/capped"
grep -q "is above max_footprint (1.0 MiB)" "$tmp/err" && ok || bad "--max-footprint 1M: $(head -c 300 "$tmp/err")"
grep -q '^tiers_skipped,".*DRAM [0-9.]* MiB (max_footprint 1.0 MiB)"$' "$tmp/capped/meta.csv" && ok ||
    bad "meta.csv does not say which tiers max_footprint skipped: $(grep tiers_skipped "$tmp/capped/meta.csv")"
"$bin" report "$tmp/capped" >/dev/null 2>&1 && grep -q "Not measured, their footprints being above" "$tmp/capped/report.md" && ok ||
    bad "report.md does not say which tiers were skipped"
python3 - "$tmp/capped/perf.csv" <<'PY' && ok || bad "--max-footprint 1M: a tier above 1 MiB was measured"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert rows and all(int(r["rows"]) * 64 * 8 + 256 <= 1 << 20 for r in rows), [(r["tier"], r["rows"]) for r in rows]
assert "DRAM" not in {r["tier"] for r in rows}
PY
# explicit rows whose footprint is at a cache's edge (3/4 of L2) are named
# on stderr, in meta.csv and in report.md
l2_kib=$("$bin" topology 2>/dev/null | sed -n 's/^caches: .* L2 \([0-9]*\) KiB.*/\1/p')
if [ -n "$l2_kib" ] && [ "$l2_kib" -gt 0 ]; then
    edge_rows=$((l2_kib * 1024 * 3 / 4 / 512))
    expect 0 "note: rows = $edge_rows, n = 64: the footprint" "$bin" run --kernels rmsnorm/fused/scalar/f32 --hidden 64 \
        --rows "$edge_rows" --reps 2 --min-time 0.001 --accuracy-rows 1 --out "$tmp/edge"
    grep -q "^edge_shapes,\"$edge_rows x 64 (.* MiB, L2 .* MiB)\"" "$tmp/edge/meta.csv" && grep -q "At a cache's edge" "$tmp/edge/report.md" &&
        ok || bad "an edge shape is not named in meta.csv and report.md: $(grep edge_shapes "$tmp/edge/meta.csv")"
else
    echo "skipped: this machine reports no L2 size"
fi
expect 0 "" "$bin" run --kernels rmsnorm/fused/scalar/f32 --hidden 64 --rows 4096 --reps 2 --min-time 0.001 --max-footprint 1K \
    --accuracy-rows 1 --no-report --out "$tmp/uncapped"
grep -q "max_footprint" "$tmp/err" && bad "explicit rows were capped: $(cat "$tmp/err")" || ok
# passes: at most reps, one under the sequential schedule; the rows are the
# same whatever the passes (each row has all its rounds)
for spec in "3 2 interleaved 2" "5 7 interleaved 5" "3 4 sequential 1"; do
    set -- $spec
    "$bin" run $tiny --reps "$1" --passes "$2" --schedule "$3" --out "$tmp/passes" >/dev/null 2>&1 && ok ||
        bad "run --reps $1 --passes $2 --schedule $3 failed"
    grep -q "^passes,$4\$" "$tmp/passes/meta.csv" && ok || bad "reps $1, passes $2, $3: meta says $(grep ^passes "$tmp/passes/meta.csv")"
    python3 - "$tmp/passes" "$1" <<'PY' && ok || bad "reps $1 in $2 passes: rows or rounds missing"
import csv, sys
perf = list(csv.DictReader(open(sys.argv[1] + "/perf.csv")))
samples = list(csv.DictReader(open(sys.argv[1] + "/samples.csv")))
assert perf and all(r["reps"] == sys.argv[2] for r in perf)
for r in perf:
    reps = sorted(int(s["rep"]) for s in samples if s["variant"] == r["variant"] and s["n"] == r["n"])
    assert reps == list(range(int(sys.argv[2]))), reps
PY
done
expect 2 "--threshold" "$bin" compare --threshold 5 "$out" "$out"
expect 2 "unexpected argument 'extra'" "$bin" topology extra
NORMBENCH_DISABLE=bogus "$bin" list 'rmsnorm/fused/scalar/f32' >/dev/null 2>"$tmp/err"
grep -q "NORMBENCH_DISABLE: unknown feature 'bogus'" "$tmp/err" && ok || bad "NORMBENCH_DISABLE=bogus: $(cat "$tmp/err")"
printf '[run]\nhidden = 64\nkernels = nothing/*\n' >"$tmp/none.ini"
expect 2 "none.ini:3: kernels: no variant matches" "$bin" run --config "$tmp/none.ini"
# an unwritable --json is found before measuring: no ceiling was measured, no run directory written
expect 3 "--json /proc/nope/x.json" "$bin" run $tiny --json /proc/nope/x.json --out "$tmp/jsonfail"
grep -q "^ceiling" "$tmp/err" && bad "--json was checked after measuring" || ok
[ -e "$tmp/jsonfail" ] && bad "--json failure left a run directory" || ok
# --out: a directory of other files is refused; a previous run's files are replaced, none left stale
mkdir "$tmp/notarun" && echo precious >"$tmp/notarun/notes.txt"
expect 2 "is not empty and holds no normbench run" "$bin" run $tiny --out "$tmp/notarun"
[ "$(cat "$tmp/notarun/notes.txt")" = precious ] && ok || bad "a foreign file was touched"
"$bin" run $tiny --out "$tmp/again" >/dev/null 2>&1 && [ -s "$tmp/again/report.md" ] && ok || bad "first run into again/"
"$bin" run $tiny --no-report --out "$tmp/again" >/dev/null 2>&1 && ok || bad "second run into again/"
[ -e "$tmp/again/report.md" ] && bad "a stale report.md of the first run stands beside the second run's perf.csv" || ok
# a variant beyond its ULP bound fails the run, named on stderr, and still gets its report
printf '[run]\nkernels = layernorm/onepass/scalar/f32,layernorm/twopass/scalar/f32\nhidden = 256\nrows = 8\nreps = 2\nmin_time = 0.001\nwarmup = 0.001\n[accuracy]\nrows = 4\ndist = offset\noffset = 10000\n' >"$tmp/cancel.ini"
expect 1 "accuracy check failed: layernorm/onepass/scalar/f32" "$bin" run --config "$tmp/cancel.ini" --out "$tmp/cancel"
grep -q "twopass" "$tmp/err" && bad "twopass named as failing: $(cat "$tmp/err")" || ok
[ -s "$tmp/cancel/report.md" ] && ok || bad "no report for a run whose accuracy check failed"
# p and the dtype filter are recorded
"$bin" run --kernels 'prmsnorm/fused/scalar/*' --dtype f32 --p 25 --hidden 64 --rows 2 --reps 2 --min-time 0.001 --no-report --out "$tmp/p25" >/dev/null 2>&1
grep -q '^prmsnorm_p,25$' "$tmp/p25/meta.csv" && grep -q '^dtype_filter,f32$' "$tmp/p25/meta.csv" && ok || bad "meta.csv lacks p or the dtype filter"
python3 -c 'import csv,sys; r=list(csv.DictReader(open(sys.argv[1]))); assert r and all(x["p"] == "25" for x in r), r; int(r[0]["bytes"])' "$tmp/p25/perf.csv" && ok || bad "perf.csv: p column or an integer bytes"

# an instruction-count run: counts in the report, under their own header, no
# claim that no naive ran, no gnuplot complaint, no nan on the console
# (valgrind cannot run an AddressSanitizer binary: skipped there)
case "$bin${NB_EMULATED:+-emulated}" in *-san) echo "skipped: instruction counts under the sanitizer build" ;;
*-emulated) echo "skipped: instruction counts under qemu-user (valgrind runs on the host's architecture)" ;; *)
"$bin" run --kernels 'rmsnorm/naive/scalar/f32,rmsnorm/fused/scalar/f32' --hidden 64 --rows 2 --count instructions \
    --out "$tmp/counted" >"$tmp/out" 2>"$tmp/err"
head -1 "$tmp/out" | grep -q "instr/call" && ok || bad "count run header: $(head -1 "$tmp/out")"
case "$(meta "$tmp/counted" instructions)" in callgrind*)
    meta "$tmp/counted" core_clock_ghz | grep -q '^n/a (under valgrind' && ok ||
        bad "clock under valgrind: $(meta "$tmp/counted" core_clock_ghz)" ;;
esac
grep -q "nan" "$tmp/out" && bad "nan on the console: $(cat "$tmp/out")" || ok
grep -qi "gnuplot\|warning: Skipping" "$tmp/err" && bad "gnuplot leaked to stderr: $(cat "$tmp/err")" || ok
grep -q "^## Instruction counts" "$tmp/counted/report.md" && grep -Eq '^\| rmsnorm/fused/scalar/f32 \| L1 \| 64 \| 2 \| 1e-06 \| [0-9]+ \| [0-9.]+ \| [0-9.]+ \|$' "$tmp/counted/report.md" &&
    ok || bad "count run report: $(sed -n '/## rmsnorm f32/,/^$/p' "$tmp/counted/report.md")"
grep -q "no naive variant" "$tmp/counted/report.md" && bad "count report claims no naive ran" || ok

# under valgrind topology times nothing: the emulator's figures would be
# printed as the machine's
HWLOC_COMPONENTS=-x86 valgrind -q "$bin" topology >"$tmp/out" 2>&1
grep -q "^compute: *n/a (under valgrind" "$tmp/out" && ! grep -q "GB/s\|GHz (a chain" "$tmp/out" && ok ||
    bad "topology under valgrind: $(cat "$tmp/out")"

# simulated cache lines (--count lines): deterministic, so exact enough to
# assert. 8 KiB fits every L1d: a hot call fetches almost nothing. At
# 16 x 16384 (2 MiB) every byte comes from beyond L2 once a call where L2
# is at most half that; and fused reads each 64 KiB row twice, the second
# time from L2 where L1d is smaller than the row and g.
"$bin" run --kernels 'rmsnorm/fused/scalar/f32' --hidden 64,16384 --rows 16 --count lines --out "$tmp/lines" \
    >"$tmp/out" 2>"$tmp/err"
meta "$tmp/lines" lines | grep -Eq '^L1d [0-9]+ KiB [0-9]+-way, L2 [0-9]+ KiB [0-9]+-way, [0-9]+-byte lines' && ok ||
    bad "meta lines: $(meta "$tmp/lines" lines) $(cat "$tmp/err")"
python3 - "$tmp/lines" "$(meta "$tmp/lines" line_bytes)" "$(meta "$tmp/lines" l1d_bytes)" "$(meta "$tmp/lines" l2_bytes)" <<'PY' && ok || bad "simulated lines: $(cat "$tmp/lines/perf.csv")"
import csv, sys
d, line, l1, l2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = {int(r["n"]): r for r in csv.DictReader(open(d + "/perf.csv"))}
def x(r, k): return float(r[k + "_lines_per_call"]) * line / float(r["bytes"])
small, big = rows[64], rows[16384]
assert x(small, "l1") < 0.05 and x(small, "l2") < 0.05, (x(small, "l1"), x(small, "l2"))
if l2 * 2 <= float(big["bytes"]):
    assert 0.95 < x(big, "l2") < 1.05, x(big, "l2")
if l1 < 2 * 16384 * 4:
    assert x(big, "l1") > 1.2, x(big, "l1")
PY
grep -q '| L1 lines per call | × data | L2 lines per call | × data |' "$tmp/lines/report.md" && ok ||
    bad "lines report: $(sed -n '/## rmsnorm f32/,/^$/p' "$tmp/lines/report.md")"
;; esac

# ceilings without AVX-512: a non-temporal copy (vmovntps) and a vector
# read still; without AVX2 the true reason, never nan
if [ -z "${NB_EMULATED:-}" ] && grep -q avx2 /proc/cpuinfo; then
    NORMBENCH_DISABLE=avx512 "$bin" topology >"$tmp/out" 2>&1
    grep -E '^  L1 ' "$tmp/out" | grep -q 'avx2 .*avx2' && ok || bad "AVX2-only ceilings: $(grep -A5 '^ceilings' "$tmp/out")"
    grep -qi nan "$tmp/out" && bad "nan in topology: $(cat "$tmp/out")" || ok
    NORMBENCH_DISABLE=avx512,avx2 "$bin" run --kernels rmsnorm/fused/scalar/f32 --hidden 64 --rows 2 --reps 2 --min-time 0.001 \
        --no-report --out "$tmp/noavx" >/dev/null 2>"$tmp/err"
    grep '^ceiling' "$tmp/err" | grep -q 'copy (non-temporal) n/a (needs AVX2)' && ok || bad "scalar-only ceilings: $(grep ceiling "$tmp/err")"
    grep -qi nan "$tmp/err" && bad "nan on the console: $(cat "$tmp/err")" || ok
fi

# the rounds time every copy the CPU has: when they timed the two fastest
# at the tier's footprint, where those nearly tie, the pair changed from
# process to process and so did an edge shape's ceiling
if [ -z "${NB_EMULATED:-}" ]; then
    want="memcpy"
    grep -qw avx2 /proc/cpuinfo && want="$want avx2"
    grep -qw avx512f /proc/cpuinfo && want="$want avx512"
    "$bin" run --kernels rmsnorm/fused/scalar/f32 --hidden 64 --rows 2 --reps 2 --min-time 0.001 --no-report \
        --out "$tmp/copies" >/dev/null 2>&1
    got=$(meta "$tmp/copies" ceiling_L1_round_copies)
    for c in $want; do
        case "$got" in *"$c"*) ok ;; *) bad "L1 round copies leave out $c: $got" ;; esac
    done
    case "$got" in *non-temporal*) bad "non-temporal copies timed in L1: $got" ;; *) ok ;; esac
    # in L3 the non-temporal copy is timed exactly where it beat the normal
    # copies at the tier's footprint (on Zen 3 it does, and the streaming
    # kernels' shares of the normal copy alone reached 1.48)
    # (meta.csv rounds to 0.01 GB/s: a tie there may go either way)
    l3=$(meta "$tmp/copies" ceiling_L3_round_copies)
    faster=$(awk -v c="$(meta "$tmp/copies" ceiling_L3_copy_gbs)" -v n="$(meta "$tmp/copies" ceiling_L3_copy_nt_gbs)" \
        'BEGIN { print (n + 0 > c + 0) ? "nt" : (n + 0 < c + 0) ? "copy" : "tie" }')
    case "$faster:$l3" in
    nt:"avx"*" non-temporal, "* | copy:* | tie:*) ok ;;
    *) bad "L3: the faster non-temporal copy not first in the rounds: $l3" ;;
    esac
    case "$faster:$l3" in copy:*non-temporal*) bad "L3: a slower non-temporal copy timed in the rounds: $l3" ;; *) ok ;; esac
    # the clock before and after the rounds, on the CPU the run measured on
    cpu=$(meta "$tmp/copies" binding | sed -n 's/.*pinned to CPU \([0-9]*\).*/\1/p')
    meta "$tmp/copies" core_clock_ghz | grep -Eq "^[0-9]+\.[0-9]{2} before the rounds, [0-9]+\.[0-9]{2} after \(dependent adds on CPU ${cpu:-x}, median of 3\)$" &&
        ok || bad "core_clock_ghz: $(meta "$tmp/copies" core_clock_ghz) (binding: $(meta "$tmp/copies" binding))"
fi

# the compute section: a clock, one line per vector ISA the CPU has (or
# why none), and the pair test on a machine of two PUs or more
"$bin" topology >"$tmp/out" 2>&1
grep -Eq '^  core clock  [0-9]+\.[0-9]{2} GHz \(a chain of dependent adds; samples [0-9.]+ to [0-9.]+\)$' "$tmp/out" &&
    ok || bad "topology's clock: $(grep -A4 '^compute' "$tmp/out")"
for isa in avx2 avx512; do
    flag=$isa; [ $isa = avx512 ] && flag=avx512f
    if [ -z "${NB_EMULATED:-}" ] && grep -qw $flag /proc/cpuinfo; then
        grep -Eq "^  $isa +[0-9.]+ multiplies and [0-9.]+ multiply-adds a cycle" "$tmp/out" && ok ||
            bad "no $isa rates: $(grep -A4 '^compute' "$tmp/out")"
    else
        grep -q "^  $isa " "$tmp/out" && bad "$isa rates on a CPU without it" || ok
    fi
done
if [ "$(nproc)" -gt 1 ]; then
    grep -Eq "^  CPU pair    with CPU 1 busy, CPU 0's clock is [0-9.]+ of its clock alone" "$tmp/out" && ok ||
        bad "no pair test: $(grep -A4 '^compute' "$tmp/out")"
fi
grep -qi nan "$tmp/out" && bad "nan in topology: $(cat "$tmp/out")" || ok

expect 0 "" "$bin" topology --no-ceilings
if [ -n "$perf_event_off" ] && [ -z "${NB_EMULATED:-}" ]; then
    grep -q "perf::TASK-CLOCK   not counted: PAPI's perf_event component is disabled" "$tmp/out" &&
        grep -q 'no event can be counted' "$tmp/out" && ok || bad "topology does not say why nothing counts: $(cat "$tmp/out")"
    grep -q "perf_event component is disabled" "$out/meta.csv" && ok || bad "meta.csv's papi_library does not say why nothing counts"
elif [ -z "${NB_EMULATED:-}" ]; then
    grep -q 'perf::TASK-CLOCK   counts here' "$tmp/out" && ok || bad "topology does not show the software event counting"
fi

# meta.csv's git_revision: a build of uncommitted changes must not pass for
# the commit (a roofline run of a dirty tree once named the clean HEAD)
if command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1; then
    git clone -q . "$tmp/rev" 2>/dev/null
    rev=$(git -C "$tmp/rev" rev-parse --short HEAD)
    make -s -C "$tmp/rev" build/gen/git-rev.h >/dev/null 2>&1
    grep -qx "#define NB_GIT_REV \"$rev\"" "$tmp/rev/build/gen/git-rev.h" && ok ||
        bad "clean clone: $(cat "$tmp/rev/build/gen/git-rev.h")"
    echo "an uncommitted line" >>"$tmp/rev/README.md"
    make -s -C "$tmp/rev" build/gen/git-rev.h >/dev/null 2>&1
    grep -qx "#define NB_GIT_REV \"$rev-dirty\"" "$tmp/rev/build/gen/git-rev.h" && ok ||
        bad "changed tree: $(cat "$tmp/rev/build/gen/git-rev.h")"
fi

finish run
