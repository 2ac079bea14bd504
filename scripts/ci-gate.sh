#!/bin/sh
# The CI gate in one line: counts each kernel's instructions on the CI suite
# (configs/ci.ini; callgrind where the machine has no instruction counter)
# and compares them, and the accuracy, with the committed baseline.
# Exit 0 no regression, 1 regression, 2 or 3 when it cannot run.
# Refresh the baseline on purpose with `make baseline`.
set -eu
cd "$(dirname "$0")/.."
bin=${NB_BIN:-build/normbench}
baseline=${NB_BASELINE:-results/baselines/ci}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bin" run --config configs/ci.ini --count instructions --no-report --out "$out/run" >/dev/null
"$bin" compare --metric instructions "$baseline" "$out/run"
