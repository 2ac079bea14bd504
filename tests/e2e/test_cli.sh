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
head -1 "$tmp/out" | grep -q '^1.095445156097412,-0.3651483654975891,1.4605934619903564,-0.7302967309951782$' && ok || bad "worked example: $(head -1 "$tmp/out")"
# every value eval writes reads back as the stored one: Python's float() of
# the f16 output is a float16 exactly, and eval fed its own output finds
# every input exact
expect_one 0 "" "$bin" eval --kernel rmsnorm/ref/mpfr/f16 --x "$tmp/x.csv" --g "$tmp/g.csv" --eps 0 --out "$tmp/y16.csv"
python3 -c '
import struct, sys
for line in open(sys.argv[1]):
    for f in line.strip().split(","):
        v = float(f)
        assert struct.unpack("<e", struct.pack("<e", v))[0] == v, f
' "$tmp/y16.csv" && ok || bad "f16 output does not read back exactly: $(cat "$tmp/y16.csv")"
expect_one 0 "" "$bin" eval --kernel rmsnorm/ref/mpfr/f16 --x "$tmp/y16.csv" --g "$tmp/g.csv" --eps 0
grep -q "^inputs: 0 of 12 values were not exact" "$tmp/err" && ok || bad "eval's own f16 output read back inexact: $(cat "$tmp/err")"
# --against: a second variant on the same inputs, output against output
expect_one 0 "" "$bin" eval --kernel rmsnorm/fused/scalar/bf16-llama --x "$tmp/x.csv" --g "$tmp/g.csv" --eps 0 \
    --against rmsnorm/fused/scalar/bf16-up
grep -q "^against rmsnorm/fused/scalar/bf16-up: max [0-9.e+-]* ULP, mean [0-9.e+-]* ULP, [0-9.]*% equal$" "$tmp/err" &&
    ok || bad "eval --against: $(cat "$tmp/err")"
"$bin" eval --kernel rmsnorm/fused/scalar/f32 --x "$tmp/x.csv" --g "$tmp/g.csv" --eps 0 \
    --against rmsnorm/fused/scalar/f32 2>"$tmp/err" >/dev/null
grep -q ": max 0 ULP, mean 0 ULP, 100.0% equal" "$tmp/err" && ok || bad "a variant against itself: $(cat "$tmp/err")"
expect 2 "--against: rmsnorm/fused/scalar/f16-up is not rmsnorm of" "$bin" eval --kernel rmsnorm/fused/scalar/bf16-up \
    --x "$tmp/x.csv" --g "$tmp/g.csv" --eps 0 --against rmsnorm/fused/scalar/f16-up
expect 2 "--against: unknown kernel 'nope'" "$bin" eval --kernel rmsnorm/fused/scalar/f32 --x "$tmp/x.csv" \
    --g "$tmp/g.csv" --eps 0 --against nope
expect_one 0 "" "$bin" eval --kernel rmsnorm/ref/mpfr/f32 --x "$tmp/x.csv" --g "$tmp/g.csv" --eps 0 --hex
head -1 "$tmp/out" | grep -q '^0x1\.186f18p+0,-0x1\.75e974p-2,' && ok || bad "--hex: $(head -1 "$tmp/out")"
# what spreadsheets write: a UTF-8 byte-order mark and CRLF line ends are data, not errors
printf '\357\273\2773,-1,4,-2\r\n1,2,3,4\r\n' >"$tmp/bom.csv"
expect_one 0 "" "$bin" eval --kernel rmsnorm/ref/mpfr/f32 --x "$tmp/bom.csv" --g "$tmp/g.csv" --eps 0
head -1 "$tmp/out" | grep -q '^1.095445156097412,' && ok || bad "BOM/CRLF input: $(head -1 "$tmp/out")"
expect_one 2 "--p is for prmsnorm" "$bin" eval --kernel rmsnorm/ref/mpfr/f32 --x "$tmp/x.csv" --g "$tmp/g.csv" --eps 0 --p 50
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
if [ -n "${NB_EMULATED:-}" ]; then # aarch64: SVE is the feature to switch off
    NORMBENCH_DISABLE=sve "$bin" list 'rmsnorm/fused/sve/f32' 2>/dev/null | grep -q 'no: disabled' && ok || bad "NORMBENCH_DISABLE not shown in list"
else
    NORMBENCH_DISABLE=avx512 "$bin" list 'rmsnorm/fused/avx512/f32' 2>/dev/null | grep -q 'no: disabled' && ok || bad "NORMBENCH_DISABLE not shown in list"
fi
expect_one 3 "cannot run here" env NORMBENCH_DISABLE=avx2 "$bin" eval --kernel rmsnorm/fused/avx2/f32 --x "$tmp/x.csv" --g "$tmp/g.csv" --eps 0

# --version on the tool and on every command; every long option a command
# accepts (its getopt table in src/cmd_NAME.c, and the shared suite options
# for run and ab) is named in its --help
expect 0 "" "$bin" --version
grep -q '^normbench [0-9]' "$tmp/out" && ok || bad "--version: $(cat "$tmp/out")"
for c in run topology report sweep compare ab list eval; do
    "$bin" $c --version >"$tmp/out" 2>"$tmp/err" && grep -q "^normbench $c [0-9]" "$tmp/out" && ok || bad "$c --version: $(cat "$tmp/out" "$tmp/err")"
    "$bin" $c --help >"$tmp/help" 2>&1 || bad "$c --help exited non-zero"
    src="src/cmd_$c.c"
    case $c in run|ab) src="$src src/suite_cli.c" ;; esac
    for opt in $(grep -ho '{"[a-z][a-z-]*", *\(no\|required\|optional\)_argument' $src | sed 's/{"\([a-z-]*\)".*/\1/' | sort -u); do
        [ "$opt" = help ] && continue
        grep -q -- "--$opt" "$tmp/help" && ok || bad "$c --help does not name --$opt"
    done
done

# the build: the version from the one VERSION file; the revision follows
# HEAD; plain make never installs packages; install and uninstall
"$bin" --version >"$tmp/out"
grep -q "^normbench $(cat VERSION) " "$tmp/out" && ok || bad "--version does not say VERSION's $(cat VERSION): $(cat "$tmp/out")"
if rev=$(git rev-parse --short HEAD 2>/dev/null); then
    # a build of uncommitted changes says so (the Makefile's git_revision)
    git diff --quiet HEAD -- 2>/dev/null || rev="$rev-dirty"
    grep -qF "($rev)" "$tmp/out" && ok || bad "--version names a stale revision: $(cat "$tmp/out"), HEAD is $rev"
fi
make -n all 2>/dev/null | grep -q install-deps && bad "plain make would run install-deps.sh" || ok
if [ -z "${NB_BIN:-}" ] || [ "$NB_BIN" = build/normbench ]; then
    make -s install DESTDIR="$tmp/inst" PREFIX=/usr >/dev/null 2>&1
    [ -x "$tmp/inst/usr/bin/normbench" ] && [ -f "$tmp/inst/usr/share/normbench/configs/fp16-overflow.ini" ] && ok ||
        bad "make install: $(find "$tmp/inst" | head -5)"
    make -s uninstall DESTDIR="$tmp/inst" PREFIX=/usr >/dev/null 2>&1
    [ -e "$tmp/inst/usr/bin/normbench" ] || [ -e "$tmp/inst/usr/share/normbench" ] && bad "make uninstall left files" || ok
fi

finish cli
