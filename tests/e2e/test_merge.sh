#!/bin/sh
# End-to-end: run and sweep --shard I/N, normbench merge, its refusals, and
# the report of two machines (the second simulated: a copy of a run whose
# meta.csv names another host and CPU). Prints "merge: N passed, N failed".
bin=${NB_BIN:-build/normbench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

suite="--kernels rmsnorm/fused/scalar/f32,rmsnorm/naive/scalar/f32,layernorm/twopass/scalar/f32 --hidden 64,256,257
       --rows 3,16 --reps 3 --passes 1 --min-time 0.0005 --no-report"
# shellcheck disable=SC2086 # $suite is a list of options
"$bin" run $suite --out "$tmp/whole" >/dev/null 2>"$tmp/err" && ok || bad "unsharded run: $(cat "$tmp/err")"
for i in 0 1 2 3; do
    # shellcheck disable=SC2086
    "$bin" run $suite --shard $i/4 --out "$tmp/s$i" >/dev/null 2>"$tmp/err" && ok || bad "shard $i/4: $(cat "$tmp/err")"
done
grep -q '^shard,2/4$' "$tmp/s2/meta.csv" && ok || bad "meta.csv lacks shard 2/4"
[ "$(grep job_list_hash "$tmp/s1/meta.csv")" = "$(grep job_list_hash "$tmp/whole/meta.csv")" ] && ok ||
    bad "a shard's job_list_hash differs from the unsharded run's"

expect 0 "merged 4 directories of 1 machine" "$bin" merge "$tmp/m" "$tmp/s3" "$tmp/s1" "$tmp/s0" "$tmp/s2"
# same rows as the unsharded run, in its order; accuracy identical
python3 - "$tmp/whole" "$tmp/m" <<'PY' && ok || bad "merged shards differ from the unsharded run"
import csv, sys
whole, merged = sys.argv[1], sys.argv[2]
def rows(d, f):
    return list(csv.DictReader(open(f"{d}/{f}")))
key = ("variant", "rows", "n", "eps", "threads", "cache", "round_group")
a, b = rows(whole, "perf.csv"), rows(merged, "perf.csv")
assert [tuple(r[k] for k in key) for r in a] == [tuple(r[k] for k in key) for r in b], "perf keys"
assert all(r["machine"] for r in b)
a, b = rows(whole, "accuracy.csv"), rows(merged, "accuracy.csv")
assert len(a) == len(b) and len(a) > 0
for x, y in zip(a, b):
    assert {k: y[k] for k in x} == x, (x, y)
a, b = rows(whole, "samples.csv"), rows(merged, "samples.csv")
assert [(r["variant"], r["n"], r["rows"], r["rep"]) for r in a] == [(r["variant"], r["n"], r["rows"], r["rep"]) for r in b]
meta = dict(r[:2] for r in csv.reader(open(f"{merged}/meta.csv")))
assert meta["status"] == "complete" and meta["machines"] == "1", meta
assert meta["rows_measured"] == f"{len(rows(whole, 'perf.csv'))} of {len(rows(whole, 'perf.csv'))}", meta["rows_measured"]
PY
expect 0 "wrote" "$bin" report "$tmp/m"
grep -q "^## Machine$" "$tmp/m/report.md" && ok || bad "a one-machine merge lacks the usual report"

# refusals: nothing written, exit 2, the reason named
expect 2 "missing shard 2/4" "$bin" merge "$tmp/bad" "$tmp/s0" "$tmp/s1" "$tmp/s3"
expect 2 "the same shard twice" "$bin" merge "$tmp/bad" "$tmp/s0" "$tmp/s1" "$tmp/s1" "$tmp/s2" "$tmp/s3"
expect 2 "split in different ways" "$bin" merge "$tmp/bad" "$tmp/s0" "$tmp/whole"
expect 2 "the same unsharded run twice" "$bin" merge "$tmp/bad" "$tmp/whole" "$tmp/whole"
# shellcheck disable=SC2086
"$bin" run $suite --reps 4 --shard 1/4 --out "$tmp/other1" >/dev/null 2>&1
expect 2 "shards of different job lists" "$bin" merge "$tmp/bad" "$tmp/s0" "$tmp/other1" "$tmp/s2" "$tmp/s3"
cp -r "$tmp/s2" "$tmp/cut"
sed -i 's/^status,complete$/status,interrupted/' "$tmp/cut/meta.csv"
expect 2 "status is interrupted" "$bin" merge "$tmp/bad" "$tmp/s0" "$tmp/s1" "$tmp/cut" "$tmp/s3"
expect 2 "a merged directory" "$bin" merge "$tmp/bad" "$tmp/m"
expect 2 "No such file" "$bin" merge "$tmp/bad" "$tmp/nothing"
expect 2 "want OUT and at least one DIR" "$bin" merge "$tmp/bad"
expect 2 "both the output and a source" "$bin" merge "$tmp/s0" "$tmp/s0"
[ ! -e "$tmp/bad" ] && ok || bad "a refused merge left $tmp/bad"
expect 2 "--shard wants I/N" "$bin" run $suite --shard 4/4 --out "$tmp/x"
expect 2 "--shard wants I/N" "$bin" run $suite --shard 1 --out "$tmp/x"
expect 2 "has no shape" "$bin" run $suite --shard 11/12 --out "$tmp/x"

# a job array spread over two hosts of one CPU model is one machine
for i in 0 1 2 3; do
    cp -r "$tmp/s$i" "$tmp/h$i"
    sed -i "s/^host_name,.*/host_name,node$((i % 2))/" "$tmp/h$i/meta.csv"
done
expect 0 "of 1 machine" "$bin" merge "$tmp/hosts" "$tmp/h0" "$tmp/h1" "$tmp/h2" "$tmp/h3"
grep -q "^machine,.*(2 hosts: node0, node1)" "$tmp/hosts/meta.csv" && ok || bad "the hosts of a sharded machine not named"

# two machines: the unsharded run, and the shards relabelled as another
for i in 0 1 2 3; do
    cp -r "$tmp/s$i" "$tmp/z$i"
    sed -i 's/^cpu_model,.*/cpu_model,Simulated CPU (test)/; s/^host_name,.*/host_name,simulated/' "$tmp/z$i/meta.csv"
done
expect 0 "of 2 machines" "$bin" merge "$tmp/two" "$tmp/whole" "$tmp/z0" "$tmp/z1" "$tmp/z2" "$tmp/z3"
expect 0 "wrote" "$bin" report "$tmp/two"
python3 - "$tmp/two/report.md" <<'PY' && ok || bad "cross-machine report"
import sys
md = open(sys.argv[1]).read()
for want in ("## Machines", "Simulated CPU (test)", "## Best variant per norm, dtype, tier and n",
             "## Share of each machine's copy ceiling, side by side", "| M1 | M2 | max/min |",
             "| rmsnorm/fused/scalar/f32 |"):
    assert want in md, want
assert "## Machine\n" not in md  # no per-machine table mixing the two
PY

# sweep: shards by line, merged equal to the unsharded sweep
cat >"$tmp/grid.ini" <<'INI'
[suite]
name = grid
[run]
kernels = rmsnorm/fused/scalar/f16-*,rmsnorm/naive/scalar/f32
hidden = 64,256
eps = 1e-6
[sweep]
scales = 2^-14..2^14/1
dists = normal,constant
rows = 2
INI
"$bin" sweep --config "$tmp/grid.ini" --no-plots --out "$tmp/sw" 2>"$tmp/err" && ok || bad "sweep: $(cat "$tmp/err")"
for i in 0 1 2; do
    "$bin" sweep --config "$tmp/grid.ini" --no-plots --shard $i/3 --out "$tmp/sw$i" 2>"$tmp/err" && ok ||
        bad "sweep shard $i/3: $(cat "$tmp/err")"
done
expect 0 "merged 3 directories" "$bin" merge "$tmp/swm" "$tmp/sw1" "$tmp/sw2" "$tmp/sw0"
python3 - "$tmp/sw" "$tmp/swm" <<'PY' && ok || bad "merged sweep differs from the unsharded one"
import csv, sys
a = list(csv.reader(open(sys.argv[1] + "/sweep.csv")))
b = list(csv.reader(open(sys.argv[2] + "/sweep.csv")))
assert b[0] == a[0] + ["machine"], b[0]
assert len(a) == len(b) and all(x == y[:-1] for x, y in zip(a, b))
# the summary again, but for the merge's note, its plots (the sweeps had
# --no-plots) and the reference line (each part's)
def summary(d):
    skip = ("![", "Note: merged", "Reference:")
    return [l for l in open(d + "/summary.md").read().split("\n") if l and not l.startswith(skip)]
assert summary(sys.argv[1]) == summary(sys.argv[2]), "summary tables"
PY
expect 2 "missing shard 1/3" "$bin" merge "$tmp/bad" "$tmp/sw0" "$tmp/sw2"
expect 2 "merge one kind at a time" "$bin" merge "$tmp/bad" "$tmp/sw0" "$tmp/s0"
expect 2 "has no line" "$bin" sweep --config "$tmp/grid.ini" --shard 20/21 --out "$tmp/x"
finish merge
