#!/bin/sh
# End-to-end: normbench ab on real kernel libraries. Structure and exit
# codes only, no timing: an A/A comparison may be 0 or 1 (a timing result),
# never anything else, and every file it writes is checked. Bad libraries
# (not a file, not a shared object, not normbench's, another kernel ABI,
# fewer variants, variants this CPU cannot run) get a one-line message with
# exit 2 or 3 and leave no run directory behind.
bin=${NB_BIN:-build/normbench}
lib=${NB_LIB:-build/libnormbench-kernels.so}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
quick="--kernels rmsnorm/fused/scalar/f32,rmsnorm/naive/scalar/f32,layernorm/twopass/*/f32 --hidden 256 --rows 8 --reps 8 --min-time 0.001"

# ---- A/A: the same library twice, and against the binary's own kernels ----
"$bin" ab "$lib" "$lib" $quick --out "$tmp/aa" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] || [ $rc = 1 ] && ok || bad "A/A: exit $rc: $(cat "$tmp/err")"
for f in ab.csv meta.csv base/perf.csv base/samples.csv new/perf.csv new/samples.csv; do
    [ -s "$tmp/aa/$f" ] && ok || bad "A/A: no $f"
done
head -1 "$tmp/aa/ab.csv" | grep -q '^variant,rows,n,eps,threads,cache,tier,rounds,base_median_ns,new_median_ns,change,change_lo,change_hi,p_value,verdict,accepted$' \
    && ok || bad "ab.csv header: $(head -1 "$tmp/aa/ab.csv")"
rows=$(($(wc -l <"$tmp/aa/ab.csv") - 1))
[ "$rows" -ge 3 ] && ok || bad "A/A: $rows rows in ab.csv"
# every verdict is one of the four, every row has 8 rounds on both sides
awk -F, 'NR > 1 && ($15 !~ /^(same|faster|slower|noisy)$/ || $8 != 8) { exit 1 }' "$tmp/aa/ab.csv" && ok || bad "ab.csv verdicts or rounds: $(cat "$tmp/aa/ab.csv")"
[ "$(grep -c ',hot,8,' "$tmp/aa/base/samples.csv")" = "$(grep -c ',hot,8,' "$tmp/aa/new/samples.csv")" ] && ok || bad "sides have different samples"
grep -q '^status,complete$' "$tmp/aa/meta.csv" && ok || bad "meta.csv status: $(grep status "$tmp/aa/meta.csv")"
grep -q '^ab_base,' "$tmp/aa/meta.csv" && grep -q '^ab_new,' "$tmp/aa/meta.csv" && ok || bad "meta.csv lacks the sides"
# ab measures no ceilings, and says which footprint autont kernels stream above
grep -Eq '^nt_threshold,"?([0-9]+ bytes: the last-level cache .*DRAM not measured|never: the last-level cache size is unknown)' "$tmp/aa/meta.csv" \
    && ok || bad "meta.csv nt_threshold: $(grep nt_threshold "$tmp/aa/meta.csv")"
grep -q 'variants measured in both' "$tmp/out" && ok || bad "no summary line: $(tail -2 "$tmp/out")"
"$bin" ab "$lib" $quick --format md --out "$tmp/aa-md" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] || [ $rc = 1 ] && ok || bad "A/A built-in: exit $rc: $(cat "$tmp/err")"
grep -q '^| variant | rows | n | eps | threads | base µs | new µs | change \[95%\] | p | verdict |$' "$tmp/out" && ok || bad "md table: $(head -3 "$tmp/out")"

# ---- bad input: one line, exit 2 (3 for the environment), nothing written ----
printf 'not a library\n' >"$tmp/text.so"
expect 2 "text.so: not a loadable shared library" "$bin" ab "$tmp/text.so" $quick --out "$tmp/bad1"
expect 2 "no-such.so: No such file" "$bin" ab "$tmp/no-such.so" $quick --out "$tmp/bad2"
expect 2 "not a regular file" "$bin" ab "$tmp" $quick --out "$tmp/bad3"
# the C library of the binary's own architecture (arm64's may be installed beside it)
triplet=$([ -n "${NB_EMULATED:-}" ] && echo aarch64-linux-gnu || echo "$(uname -m)-linux-gnu")
libm=$(ls /lib/$triplet/libm.so.6 /usr/lib/$triplet/libm.so.6 2>/dev/null | head -1)
if [ -n "$libm" ]; then
    expect 2 "not a normbench kernel library" "$bin" ab "$libm" $quick --out "$tmp/bad4"
fi
fixture() { # NAME ABI: a library of one variant, rmsnorm/fused/scalar/f32
    cat >"$tmp/$1.c" <<EOC
#include "library.h"
static void zero(const struct nb_args *a) { float *y = a->y; for (size_t i = 0; i < a->rows * a->n; i++) y[i] = 0; }
static const struct nb_library_entry one[] = {{"rmsnorm/fused/scalar/f32", zero}};
const struct nb_kernel_library nb_kernel_library = {NB_KERNEL_LIBRARY_MAGIC, $2, 1, one, "fixture"};
EOC
    ${NB_CC:-cc} -shared -fPIC -Ikernels "$tmp/$1.c" -o "$tmp/$1.so"
}
fixture wrongabi 999
expect 2 "built for kernel ABI 999" "$bin" ab "$tmp/wrongabi.so" $quick --out "$tmp/bad5"
fixture one NB_KERNEL_ABI
expect 2 "" "$bin" ab "$lib" --kernels 'layernorm/*/f32' --hidden 256 --rows 8 --reps 6 --min-time 0.001 "$tmp/one.so" --out "$tmp/bad6"
grep -q "no variant matches" "$tmp/err" && ok || bad "one-variant library: $(cat "$tmp/err")"
grep -q "layernorm/twopass/scalar/f32 *removed (only in $lib)" "$tmp/out" && ok || bad "removed variants not listed: $(head -3 "$tmp/out")"
"$bin" ab "$lib" "$tmp/one.so" $quick --out "$tmp/fewer" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] || [ $rc = 1 ] && ok || bad "fewer variants: exit $rc: $(cat "$tmp/err")"
[ "$(($(wc -l <"$tmp/fewer/ab.csv") - 1))" = 1 ] && ok || bad "fewer variants: want one row measured: $(cat "$tmp/fewer/ab.csv")"
if [ -z "${NB_EMULATED:-}" ]; then # x86 ISAs: an aarch64 library has none
    NORMBENCH_DISABLE=avx2,avx512 expect 3 "none of the" "$bin" ab "$lib" --kernels 'layernorm/twopass/avx*/f32' --hidden 256 --rows 8 --out "$tmp/bad7"
fi
expect 2 "--threshold wants a share" "$bin" ab "$lib" --threshold 5 --out "$tmp/bad8"
expect 2 "want one or two kernel libraries" "$bin" ab --out "$tmp/bad9"
printf 'rmsnorm/*\n' >"$tmp/accept"
expect 2 "accept:1: want 'GLOB reason'" "$bin" ab "$lib" $quick --accept "$tmp/accept" --out "$tmp/bad10"
for d in bad1 bad2 bad3 bad4 bad5 bad6 bad7 bad8 bad9 bad10; do
    [ -e "$tmp/$d" ] && bad "$d: a run directory was left" || ok
done
finish ab
