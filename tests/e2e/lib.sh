# Shared by the end-to-end scripts: counters, and `expect STATUS PATTERN
# COMMAND...`, which checks a command's exit status and that stderr holds
# PATTERN (a fixed string; empty: anything). Each script sets bin and tmp.
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
expect() {
    want=$1 pattern=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" != "$want" ]; then
        bad "$* exited $got, want $want: $(head -c 300 "$tmp/err")"
    elif [ -n "$pattern" ] && ! grep -qF -- "$pattern" "$tmp/err"; then
        bad "$*: stderr lacks '$pattern': $(head -c 300 "$tmp/err")"
    else
        ok
    fi
}
# Why PAPI's perf_event component is disabled on this machine, in
# papi-tools' own words, or empty. Disabled (e.g. Debian 12's libpfm4 on
# AMD Zen 5), no event counts, software ones included, and each says why.
perf_event_off=$(papi_component_avail 2>/dev/null | sed -n '/^Name: *perf_event /{n;s/.*Disabled: //p;}')
finish() {
    echo "$1: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# py: the python that has numpy (Debian's python3-numpy is for Debian's
# python3, which need not be first in PATH); without one the suite NAME
# fails here and ends.
require_numpy() {
    py=
    for p in python3 /usr/bin/python3; do
        "$p" -c 'import numpy' 2>/dev/null && py=$p && return
    done
    bad "python3-numpy is missing (scripts/install-deps.sh installs it)"
    finish "$1"
    exit
}

meta() { # DIR KEY: a value of DIR/meta.csv
    python3 -c 'import csv, sys
for row in csv.reader(open(sys.argv[1] + "/meta.csv")):
    if row[0] == sys.argv[2]: print(row[1])' "$1" "$2" 2>/dev/null
}
