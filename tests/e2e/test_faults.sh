#!/bin/sh
# End-to-end: faults during a run. Signals, a full disk, memory, PAPI and
# hwloc failing (injected with tests/e2e/fault_shim.c through LD_PRELOAD:
# the faults come from the libraries, normbench has no test hooks), and no
# writes outside the output directory whatever the paths look like.
# Prints "faults: N passed, N failed".
bin=$(cd "$(dirname "${NB_BIN:-build/normbench}")" && pwd)/$(basename "${NB_BIN:-build/normbench}")
shim=$(pwd)/${NB_SHIM:-build/tests/fault_shim.so}
tmp=$(mktemp -d)
trap 'umount "$tmp/small" 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
case "$bin" in *-san) sanitized=1 ;; *) sanitized=0 ;; esac
# the ASan runtime wants to come first; the shim only forwards calls
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
tiny="--kernels rmsnorm/fused/scalar/f32 --hidden 64 --rows 4 --reps 3 --min-time 0.001 --no-report"

# ---- SIGINT and SIGTERM: rows kept, status interrupted, 130 / 143, and
# results/latest still names the last complete run ----
mkdir "$tmp/cwd"
cd "$tmp/cwd" || exit 1
interrupt() { # SIGNAL PASSES: start a long run, wait for its first row, signal it
    : >"$tmp/table"
    "$bin" run --kernels 'rmsnorm/*/scalar/f32' --hidden 64,128,256,512 --rows 4 --reps 10 --min-time 0.05 \
        --passes "$2" --no-report >"$tmp/table" 2>"$tmp/err" &
    pid=$!
    i=0
    while [ $i -lt 600 ] && ! grep -q '^rmsnorm/' "$tmp/table"; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -"$1" $pid
    wait $pid
}
# one pass: the shapes after the first row's are not measured at all
interrupt INT 1
rc=$?
[ $rc = 130 ] && ok || bad "SIGINT: exit $rc, want 130: $(tail -2 "$tmp/err")"
dir=$(ls -d results/*-default | head -1)
[ "$(meta "$dir" status)" = interrupted ] && ok || bad "SIGINT: meta.csv status '$(meta "$dir" status)'"
measured=$(meta "$dir" rows_measured | cut -d' ' -f1)
total=$(meta "$dir" rows_measured | cut -d' ' -f3)
rows=$(($(wc -l <"$dir/perf.csv") - 1))
[ "$measured" -ge 1 ] && [ "$measured" -lt "$total" ] && [ "$rows" = "$measured" ] && ok ||
    bad "SIGINT: $rows rows in perf.csv, meta says '$(meta "$dir" rows_measured)'"
ls "$dir" | grep -q '\.tmp' && bad "SIGINT: a temporary file was left" || ok
# a row of fewer rounds than asked for says so; no partial row passes for a whole one
python3 - "$dir/perf.csv" "$(meta "$dir" reps)" <<'PY' && ok || bad "SIGINT: a partial row does not say it was interrupted"
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if int(r["reps"]) < int(sys.argv[2]):
        assert "interrupted:" in r["counters_note"], r["counters_note"]
PY
[ -e results/latest ] && bad "SIGINT: results/latest points at an interrupted run" || ok
expect 2 "not complete (status interrupted)" "$bin" compare "$dir" "$dir"
"$bin" run $tiny >/dev/null 2>&1 && ok || bad "a run after the interrupted one failed"
complete=$(readlink results/latest)
[ -n "$complete" ] && [ "$(meta "results/$complete" status)" = complete ] && ok || bad "results/latest after a complete run: '$complete'"
# five passes: the first row comes in the last pass, so every shape has some
# rounds when the signal comes, and each row of fewer says so
interrupt TERM 5
rc=$?
[ $rc = 143 ] && ok || bad "SIGTERM: exit $rc, want 143"
dir=$(ls -td results/*-default* | head -1)
python3 - "$dir/perf.csv" <<'PY' && ok || bad "SIGTERM in the last pass: rows missing or a partial row unmarked"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 8, len(rows)   # 2 variants x 4 shapes, each with its rounds so far
for r in rows:
    assert int(r["reps"]) >= 8, r["reps"]   # four passes of two rounds at least
    if int(r["reps"]) < 10:
        assert "interrupted:" in r["counters_note"], r["counters_note"]
PY
[ "$(readlink results/latest)" = "$complete" ] && ok || bad "SIGTERM: results/latest moved to $(readlink results/latest)"
[ "$(ls -d results/*-default* | wc -l)" = 3 ] && ok || bad "three runs should have three directories: $(ls results)"
cd - >/dev/null || exit 1

# ---- a full disk: a file size limit (EFBIG), and a real full tmpfs where
# this machine lets us mount one ----
(ulimit -f 2; "$bin" run $tiny --out "$tmp/efbig" >/dev/null 2>"$tmp/err")
rc=$?
[ $rc = 3 ] && grep -q 'cannot write: File too large' "$tmp/err" && ok || bad "file size limit: exit $rc: $(cat "$tmp/err")"
[ -e "$tmp/efbig/perf.csv" ] && bad "file size limit: perf.csv left behind" || ok
[ ! -e "$tmp/efbig/meta.csv" ] || [ "$(meta "$tmp/efbig" status)" = failed ] && ok || bad "file size limit: meta.csv says '$(meta "$tmp/efbig" status)'"
mkdir "$tmp/small"
if mount -t tmpfs -o size=64k tmpfs "$tmp/small" 2>/dev/null; then
    # leave about 2 KiB: the run directory fits, its files do not
    dd if=/dev/zero of="$tmp/small/fill" bs=1k count=62 2>/dev/null
    "$bin" run $tiny --out "$tmp/small/run" >/dev/null 2>"$tmp/err"
    rc=$?
    [ $rc = 3 ] && grep -q 'No space left on device' "$tmp/err" && ok || bad "full tmpfs: exit $rc: $(cat "$tmp/err")"
    [ -e "$tmp/small/run/perf.csv" ] && bad "full tmpfs: perf.csv left behind" || ok
    ls "$tmp/small/run" 2>/dev/null | grep -q '\.tmp' && bad "full tmpfs: a temporary file was left" || ok
    umount "$tmp/small"
else
    echo "note: cannot mount a tmpfs here; the file size limit stands in for a full disk"
fi

# ---- memory: refused before allocating with the amount, or an allocation
# that fails anyway (an address-space limit) reported ----
expect 3 "GiB are available: refusing before allocating" "$bin" run --kernels rmsnorm/fused/scalar/f32 --hidden 67108864 --rows 1000000 --out "$tmp/huge"
if [ $sanitized = 0 ]; then # ASan reserves terabytes of shadow: no address-space limit there
    (ulimit -v 1000000; "$bin" run --kernels rmsnorm/fused/scalar/f32 --hidden 4096 --rows 100000 --reps 3 \
        --no-report --out "$tmp/oom" >/dev/null 2>"$tmp/err")
    rc=$?
    [ $rc = 3 ] && grep -q 'out of memory allocating [0-9.]* MiB' "$tmp/err" && ok || bad "failed allocation: exit $rc: $(cat "$tmp/err")"
    [ "$(meta "$tmp/oom" status)" = failed ] && ok || bad "failed allocation: status '$(meta "$tmp/oom" status)'"
fi

# ---- PAPI and hwloc failing: a warning, a run without that piece, and
# meta.csv says so ----
fault_run() { # FAULT DIR
    NB_FAULT=$1 LD_PRELOAD=$shim "$bin" run $tiny --events perf::TASK-CLOCK --out "$2" >"$tmp/out" 2>"$tmp/err"
}
fault_run papi_init "$tmp/f1" && ok || bad "PAPI init failure: exit $?: $(cat "$tmp/err")"
grep -q 'warning: PAPI_library_init' "$tmp/err" && ok || bad "PAPI init failure: no warning"
meta "$tmp/f1" papi_library | grep -q '^PAPI_library_init' && ok || bad "PAPI init failure not in meta.csv"
python3 - "$tmp/f1/perf.csv" <<'PY' && ok || bad "PAPI init failure: the counter column is not empty with a note"
import csv, sys
r = list(csv.DictReader(open(sys.argv[1])))[0]
assert r["perf_task_clock_per_call"] == "" and "PAPI_library_init" in r["counters_note"], r
assert float(r["median_ns"]) > 0
PY
fault_run papi_start "$tmp/f2" && ok || bad "PAPI_start failure: exit $?"
python3 - "$tmp/f2/perf.csv" <<'PY' && ok || bad "PAPI_start failure: the counter column is not empty with a note"
import csv, sys
r = list(csv.DictReader(open(sys.argv[1])))[0]
# under qemu-user no event is ever added, so PAPI_start is never reached
# (nor with PAPI's perf_event component disabled, as on Zen 5 with Debian 12)
note = r["counters_note"]
assert r["perf_task_clock_per_call"] == "" and ("PAPI_start" in note or "emulated" in note or "component is disabled" in note), r
PY
NB_FAULT=papi_no_perf_event LD_PRELOAD=$shim "$bin" run $tiny --events perf::TASK-CLOCK,PAPI_NOT_AN_EVENT \
    --out "$tmp/f5" >"$tmp/out" 2>"$tmp/err" && ok || bad "perf_event component disabled: exit $?: $(cat "$tmp/err")"
meta "$tmp/f5" papi_library | grep -q "perf_event component is disabled (Error libpfm4 no default PMU found.*: no event" &&
    ok || bad "perf_event component disabled not in meta.csv: $(meta "$tmp/f5" papi_library)"
python3 - "$tmp/f5/perf.csv" <<'PY' && ok || bad "perf_event component disabled: the counter columns are not empty with a note"
import csv, sys
r = list(csv.DictReader(open(sys.argv[1])))[0]
note = r["counters_note"]
assert r["perf_task_clock_per_call"] == "" and r["papi_not_an_event_per_call"] == "", r
# under qemu-user perf:: names are "emulated" first; PAPI_NOT_AN_EVENT is the component's
assert "PAPI_NOT_AN_EVENT: not counted: PAPI's perf_event component is disabled" in note, note
assert "perf::TASK-CLOCK: not counted: " in note, note
PY
fault_run hwloc_bind "$tmp/f3" && ok || bad "hwloc bind failure: exit $?"
grep -q 'the run is not pinned' "$tmp/err" && ok || bad "hwloc bind failure: no warning"
meta "$tmp/f3" binding | grep -q '^not pinned: hwloc cannot bind' && ok || bad "hwloc bind failure not in meta.csv"
fault_run hwloc_load "$tmp/f4" && ok || bad "hwloc load failure: exit $?"
meta "$tmp/f4" hwloc | grep -q '^failed: hwloc could not load' && ok || bad "hwloc load failure not in meta.csv"
if [ -n "${NB_EMULATED:-}" ]; then # aarch64's glibc has no cache sizes in sysconf
    [ "$(meta "$tmp/f4" l1d_bytes)" -ge 0 ] && ok || bad "hwloc load failure: l1d_bytes not a number"
else
    [ "$(meta "$tmp/f4" l1d_bytes)" -gt 0 ] && ok || bad "hwloc load failure: no cache sizes from sysconf"
fi
# the pool's threads: --threads 2 with binding refused
NB_FAULT=hwloc_bind LD_PRELOAD=$shim "$bin" run $tiny --threads 2 --out "$tmp/f5" >/dev/null 2>&1 && ok || bad "threads without binding: exit $?"
grep -q 'could not be bound' "$tmp/f5/perf.csv" && ok || bad "threads without binding: no note in perf.csv"

# ---- no writes outside the output directory; odd names work; no shell ----
odd="o u t 'q' \"d\" \$(touch pwned) ;x"
mkdir -p "$tmp/box/cwd" "$tmp/box/in $odd"
cp configs/eps-sensitivity.ini "$tmp/box/in $odd/study.ini"
sed -i 's/^hidden = .*/hidden = 64/; s/^rows = .*/rows = 2/' "$tmp/box/in $odd/study.ini"
printf '1,2,3\n-1,0.5,2\n' >"$tmp/box/in $odd/x.csv"
printf '1,1,1\n' >"$tmp/box/in $odd/g.csv"
touch "$tmp/box/stamp"
sleep 1
(
    cd "$tmp/box/cwd" || exit 1
    "$bin" run --kernels 'rmsnorm/fused/scalar/f32,layernorm/twopass/scalar/f32' --hidden 64 --rows 4 --reps 3 \
        --min-time 0.001 --out "$tmp/box/$odd/run" >/dev/null 2>"$tmp/err1" || echo "run failed: $(cat "$tmp/err1")"
    "$bin" sweep --config "$tmp/box/in $odd/study.ini" --out "$tmp/box/$odd/sweep" >/dev/null 2>"$tmp/err2" ||
        echo "sweep failed: $(cat "$tmp/err2")"
    "$bin" eval --kernel rmsnorm/fused/scalar/f32 --x "$tmp/box/in $odd/x.csv" --g "$tmp/box/in $odd/g.csv" \
        --eps 1e-6 --out "$tmp/box/$odd/y.csv" >/dev/null 2>"$tmp/err3" || echo "eval failed: $(cat "$tmp/err3")"
    "$bin" compare "$tmp/box/$odd/run" "$tmp/box/$odd/run" >/dev/null 2>&1
    "$bin" report "$tmp/box/$odd/run" >/dev/null 2>&1 || echo "report failed"
) >"$tmp/box-log"
[ -s "$tmp/box-log" ] && bad "odd paths: $(cat "$tmp/box-log")" || ok
[ -s "$tmp/box/$odd/run/report.md" ] && ls "$tmp/box/$odd/run/plots/"*.svg >/dev/null 2>&1 && ok ||
    bad "odd paths: no report or plots in the run directory"
outside=$(cd "$tmp/box" && find . -mindepth 1 -newer stamp ! -path "./$odd" ! -path "./$odd/*" ! -name stamp -print)
[ -z "$outside" ] && ok || bad "written outside the output directories: $outside"
find "$tmp" -name pwned | grep -q . && bad "a shell ran text from a path" || ok

finish faults
