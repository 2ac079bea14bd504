#!/bin/sh
# End-to-end against a real Slurm: starts munge, slurmctld and slurmd on this
# machine (a generated slurm.conf in a temporary directory: one node with the
# machine's CPUs and memory), submits a 4-task job array of a small suite
# (scripts/slurm/normbench-array.sbatch) with sbatch --wait, then the merge
# job (normbench-merge.sbatch, after the array), and checks that the merged
# rows equal an unsharded run's. Every daemon it started is stopped by its
# pid. Without root or Slurm it says skipped and why.
# Prints "slurm: N passed, N failed" (or "slurm: skipped: why").
bin=${NB_BIN:-build/normbench}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/nb-slurm.XXXXXX)
. "$(dirname "$0")/lib.sh"

skip() {
    echo "slurm: skipped: $*"
    rm -rf "$tmp"
    exit 0
}
[ -z "${NB_EMULATED:-}" ] || skip "emulated ($NB_EMULATED): the daemons would run in its user namespace, whose root is not root"
[ "$(id -u)" = 0 ] || skip "not root (slurmd and munged need it)"
for p in munged slurmctld slurmd sbatch sinfo; do
    command -v $p >/dev/null 2>&1 || skip "$p not installed (scripts/install-deps.sh installs slurmctld, slurmd, slurm-client, munge)"
done

pids=""
# TERM, then up to 5 s for it to exit, then KILL (not a child of ours)
stop_pid() {
    kill "$1" 2>/dev/null || return 0
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$1" 2>/dev/null
}
# a child of this shell: wait reaps it (kill -0 would see its zombie)
stop_child() {
    kill "$1" 2>/dev/null || return 0
    (sleep 5 && kill -9 "$1" 2>/dev/null) &
    watchdog=$!
    wait "$1" 2>/dev/null
    kill "$watchdog" 2>/dev/null
}
stop_all() {
    for p in $pids; do stop_child "$p"; done
    # munged forks: its pid is in its pid file
    [ -f "$tmp/munged.pid" ] && stop_pid "$(cat "$tmp/munged.pid")"
    rm -rf "$tmp"
}
trap stop_all EXIT

# ports nobody listens on, so that a Slurm of the machine's own is left alone
port=$((20000 + $$ % 20000))
node=$(hostname -s)
cpus=$(getconf _NPROCESSORS_ONLN)
mem=$(awk '/MemTotal/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
mkdir -p "$tmp/state" "$tmp/spool" "$tmp/out"
chmod 755 "$tmp"

dd if=/dev/urandom of="$tmp/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$tmp/munge.key"
munged --force --key-file="$tmp/munge.key" --socket="$tmp/munge.sock" --pid-file="$tmp/munged.pid" \
    --log-file="$tmp/munged.log" --seed-file="$tmp/munged.seed" 2>"$tmp/munged.err" ||
    skip "munged does not start: $(head -c 300 "$tmp/munged.err")"

cat >"$tmp/slurm.conf" <<EOF
ClusterName=nbtest
SlurmctldHost=$node
SlurmUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge.sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
NodeName=$node CPUs=$cpus RealMemory=$mem Feature=nbtest State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$tmp/slurm.conf"
slurmctld -D -i -f "$SLURM_CONF" >"$tmp/slurmctld.out" 2>&1 &
pids="$pids $!"
slurmd -D -f "$SLURM_CONF" >"$tmp/slurmd.out" 2>&1 &
pids="$pids $!"
i=0
until sinfo -h -o '%T' 2>/dev/null | grep -q idle; do
    i=$((i + 1))
    if [ $i -gt 150 ]; then
        bad "Slurm did not come up in 30 s: $(tail -3 "$tmp/slurmctld.log" "$tmp/slurmd.log" 2>&1 | head -c 600)"
        finish slurm
        exit
    fi
    sleep 0.2
done
ok

suite="--kernels rmsnorm/fused/scalar/f32,rmsnorm/naive/scalar/f32,layernorm/twopass/scalar/f32 --hidden 64,256
       --rows 3,16 --reps 3 --passes 1 --min-time 0.0005"
cd "$tmp/out" || exit 1
# shellcheck disable=SC2086 # $suite is a list of options
# --constraint picks the machine type (this node's feature)
NB_BIN=$bin sbatch --wait --constraint=nbtest --array=0-3 "$here/scripts/slurm/normbench-array.sbatch" "$tmp/out/runs" run $suite \
    >"$tmp/sbatch.out" 2>&1 && ok || bad "the array job failed: $(cat "$tmp/sbatch.out" slurm-normbench-*.out 2>/dev/null | head -c 800)"
array=$(sed -n 's/^Submitted batch job //p' "$tmp/sbatch.out")
NB_BIN=$bin sbatch --constraint=nosuchtype --array=0-1 "$here/scripts/slurm/normbench-array.sbatch" "$tmp/out/none" run \
    >/dev/null 2>"$tmp/constraint.err" && bad "a constraint no node has was accepted" ||
    { grep -qi "feature\|constraint" "$tmp/constraint.err" && ok || bad "sbatch --constraint refusal: $(cat "$tmp/constraint.err")"; }
[ "$(ls -d "$tmp/out/runs"/shard-* 2>/dev/null | wc -l)" = 4 ] && ok || bad "want 4 shard directories: $(ls "$tmp/out/runs")"
grep -q '^binding,measuring thread pinned to CPU' "$tmp/out/runs/shard-0/meta.csv" && ok || bad "shard 0 not pinned"
NB_BIN=$bin sbatch --wait --dependency=afterok:"$array" "$here/scripts/slurm/normbench-merge.sbatch" "$tmp/out/runs" \
    >"$tmp/merge.out" 2>&1 && ok || bad "the merge job failed: $(cat "$tmp/merge.out" slurm-normbench-merge-*.out 2>/dev/null | head -c 800)"
[ -s "$tmp/out/runs/merged/report.md" ] && ok || bad "the merge job wrote no report"

# shellcheck disable=SC2086
"$bin" run $suite --no-report --out "$tmp/whole" >/dev/null 2>"$tmp/err" && ok || bad "unsharded run: $(cat "$tmp/err")"
python3 - "$tmp/whole" "$tmp/out/runs/merged" <<'PY' && ok || bad "the merged array's rows differ from the unsharded run's"
import csv, sys
def rows(d, f):
    return list(csv.DictReader(open(f"{d}/{f}")))
key = ("variant", "rows", "n", "eps", "threads", "cache", "round_group")
a, b = rows(sys.argv[1], "perf.csv"), rows(sys.argv[2], "perf.csv")
assert [tuple(r[k] for k in key) for r in a] == [tuple(r[k] for k in key) for r in b], "perf keys"
a, b = rows(sys.argv[1], "accuracy.csv"), rows(sys.argv[2], "accuracy.csv")
assert len(a) == len(b) > 0 and all({k: y[k] for k in x} == x for x, y in zip(a, b)), "accuracy"
PY
finish slurm
