#!/bin/sh
# The reference's fast path against MPFR on more values than make check
# (issue 15): N values of every norm and dtype (default 100 million each,
# 1.5 billion in all; about 12 minutes on 2 cores here).
#     sh scripts/reference-check.sh [N]
set -e
make --no-print-directory build/tests/src/test_reference_fast
NB_REF_VALUES=${1:-100000000} build/tests/src/test_reference_fast --verbose 2>&1 |
    grep -E 'values,|values/s|PASS|FAIL|Assert|Synthesis'
