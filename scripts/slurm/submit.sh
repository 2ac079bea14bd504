#!/bin/sh
# Submits a normbench run or sweep as a Slurm job array of N shards and a
# merge job that waits for all of them; prints both job ids.
#
#   sh scripts/slurm/submit.sh OUT N run --config configs/roofline.ini [sbatch options after --]
#   sh scripts/slurm/submit.sh OUT N sweep --config F -- --constraint=zen3
#
# run shards get a node each (--exclusive; NB_SHARED=1 lets them share):
# two shards timed on one node would share its caches and memory bandwidth.
set -eu
[ $# -ge 4 ] || { echo "usage: $0 OUT N run|sweep OPTIONS... [-- SBATCH_OPTIONS...]" >&2; exit 2; }
here=$(dirname "$0")
out=$1
n=$2
cmd=$3
shift 3
nb_args=""
while [ $# -gt 0 ] && [ "$1" != -- ]; do
    nb_args="$nb_args $1"
    shift
done
[ "${1:-}" = -- ] && shift
exclusive=
[ "$cmd" = run ] && [ "${NB_SHARED:-0}" != 1 ] && exclusive=--exclusive
# shellcheck disable=SC2086 # the option lists are split on purpose
array=$(sbatch --parsable $exclusive "$@" --array=0-$((n - 1)) "$here/normbench-array.sbatch" "$out" "$cmd" $nb_args)
array=${array%%;*}
merge=$(sbatch --parsable "$@" --dependency=afterok:"$array" "$here/normbench-merge.sbatch" "$out")
echo "array job $array ($n shards), merge job $merge: results in $out/merged"
