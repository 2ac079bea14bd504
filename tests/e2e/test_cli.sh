#!/bin/sh
# End-to-end: the binary's commands, exit statuses and one-line errors.
# Prints "cli: N passed, N failed".
bin=${NB_BIN:-build/normbench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

# bad input gets one line on stderr: checked after each exit-2 expectation
expect_one() {
    expect "$@"
    if [ "$1" = 2 ] && [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
        bad "$*: want one line on stderr, got: $(cat "$tmp/err")"
    fi
}

printf '3,-1,4,-2\n1,2,3,4\n' >"$tmp/x.csv"
printf '1,1,1,1\n' >"$tmp/g.csv"
printf '0.5,0,0,0\n' >"$tmp/b.csv"
printf '1,2,3,4\n5,6\n' >"$tmp/ragged.csv"
printf '1,2,3,4\n5,6,zz,8\n' >"$tmp/nan.csv"
printf '1,1,1\n' >"$tmp/g3.csv"

# list
expect_one 0 "available here" "$bin" list
count=$(grep -c '/' "$tmp/out")
[ "$count" -ge 50 ] && ok || bad "list shows $count variants, want >= 50"
expect_one 0 "" "$bin" list 'rmsnorm/*/avx2/*'
grep -v '^variant' "$tmp/out" | grep -qv 'avx2' && bad "glob matched a non-avx2 variant" || ok
expect_one 2 "no variant matches" "$bin" list 'nosuch*'
expect_one 2 "unknown option" "$bin" list --bogus
expect_one 0 "" "$bin" --version
expect_one 2 "unknown command" "$bin" frobnicate

# eval: good runs
expect_one 0 "correctly rounded" "$bin" eval --kernel rmsnorm/ref/mpfr/f32 --x "$tmp/x.csv" --g "$tmp/g.csv" --eps 0
head -1 "$tmp/out" | grep -q '^1.09544516,-0.365148365,1.46059346,-0.730296731$' && ok || bad "worked example: $(head -1 "$tmp/out")"
expect_one 0 "100.0% correctly rounded" "$bin" eval --kernel layernorm/ref/mpfr/bf16 --x "$tmp/x.csv" --g "$tmp/g.csv" --b "$tmp/b.csv" --eps 1e-5 --out "$tmp/y.csv"
[ "$(wc -l <"$tmp/y.csv")" = 2 ] && ok || bad "eval --out wrote $(wc -l <"$tmp/y.csv") rows"
# the output reads back exactly: evaluating the reference on its own output
# as x with eps 0 and g = 1 is a valid run, and the file parses
expect_one 0 "" "$bin" eval --kernel rmsnorm/fused/scalar/bf16-up --x "$tmp/y.csv" --g "$tmp/g.csv" --eps 0
expect_one 0 "not exact in f16" "$bin" eval --kernel rmsnorm/fused/scalar/f16-nat --x "$tmp/x.csv" --g "$tmp/g.csv" --eps 1e-8

# eval: bad input, one line, exit 2, naming the file and row
expect_one 2 "unknown kernel 'nosuch'" "$bin" eval --kernel nosuch --x "$tmp/x.csv" --g "$tmp/g.csv" --eps 0
expect_one 2 "missing.csv: No such file" "$bin" eval --kernel rmsnorm/fused/scalar/f32 --x "$tmp/missing.csv" --g "$tmp/g.csv" --eps 0
expect_one 2 "ragged.csv:2: 2 values, but row 1 has 4" "$bin" eval --kernel rmsnorm/fused/scalar/f32 --x "$tmp/ragged.csv" --g "$tmp/g.csv" --eps 0
expect_one 2 "nan.csv:2:3: not a number: 'zz'" "$bin" eval --kernel rmsnorm/fused/scalar/f32 --x "$tmp/nan.csv" --g "$tmp/g.csv" --eps 0
expect_one 2 "g3.csv: the gain must be one row of 4" "$bin" eval --kernel rmsnorm/fused/scalar/f32 --x "$tmp/x.csv" --g "$tmp/g3.csv" --eps 0
expect_one 2 "eps wants a finite number >= 0" "$bin" eval --kernel rmsnorm/fused/scalar/f32 --x "$tmp/x.csv" --g "$tmp/g.csv" --eps -1
expect_one 2 "eps wants a finite number >= 0" "$bin" eval --kernel rmsnorm/fused/scalar/f32 --x "$tmp/x.csv" --g "$tmp/g.csv" --eps nan
expect_one 2 "needs a bias" "$bin" eval --kernel layernorm/twopass/scalar/f32 --x "$tmp/x.csv" --g "$tmp/g.csv" --eps 0
expect_one 2 "needs a value" "$bin" eval --kernel
expect_one 2 "required" "$bin" eval --x "$tmp/x.csv"
printf '' >"$tmp/empty.csv"
expect_one 2 "empty.csv: no values" "$bin" eval --kernel rmsnorm/fused/scalar/f32 --x "$tmp/empty.csv" --g "$tmp/g.csv" --eps 0
expect_one 2 "wants a percentage" "$bin" eval --kernel prmsnorm/fused/scalar/f32 --x "$tmp/x.csv" --g "$tmp/g.csv" --eps 0 --p 0

# a variant this machine cannot run is refused, not run
NORMBENCH_DISABLE=avx512 "$bin" list 'rmsnorm/fused/avx512/f32' 2>/dev/null | grep -q 'no: disabled' && ok || bad "NORMBENCH_DISABLE not shown in list"
expect_one 3 "cannot run here" env NORMBENCH_DISABLE=avx2 "$bin" eval --kernel rmsnorm/fused/avx2/f32 --x "$tmp/x.csv" --g "$tmp/g.csv" --eps 0

finish cli
