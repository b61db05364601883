#!/bin/bash
# The retraining runs of docs/retraining-results.md: each recipe x seeds, one at a time, niced.
#   tools/train/retrain/run.sh <out-dir> [recipe ...]      (from the repository root)
# Writes <out-dir>/<recipe>-s<seed>.json (edgefold retrain --json) and .onnx; skips finished runs.
set -u
out=${1:?usage: run.sh <out-dir> [recipe ...]}; shift
mkdir -p "$out"
here=tools/train/retrain
recipe() { # name config epochs lr extra
  case $1 in
    prune25-kd-3ep)        echo "prune25.json 3 0.003" ;;
    prune25-kd-10ep)       echo "prune25.json 10 0.003" ;;
    prune50-kd-10ep)       echo "prune50.json 10 0.003" ;;
    w4a4-qat-1ep)          echo "w4a4.json 1 0.001 --qat --ranges fixed" ;;
    w4a4-qat-1ep-lr3e-3)   echo "w4a4.json 1 0.003 --qat --ranges fixed" ;;
    w4a4-qat-1ep-ema)      echo "w4a4.json 1 0.003 --qat --ranges ema" ;;
    w4a4-qat-1ep-learned)  echo "w4a4.json 1 0.003 --qat --ranges learned" ;;
    prune25-w8a8-qat-3ep)  echo "prune25-w8a8.json 3 0.003 --qat --ranges fixed" ;;
  esac
}
names=${*:-prune25-kd-3ep w4a4-qat-1ep prune25-w8a8-qat-3ep prune25-kd-10ep prune50-kd-10ep}
for seed in 1 2 3; do
  for name in $names; do
    set -- $(recipe "$name")
    cfg=$1; epochs=$2; lr=$3; shift 3
    json="$out/$name-s$seed.json"
    [ -s "$json" ] && continue
    nice -n 10 node bin/edgefold.mjs retrain public/models/dscnn-fmnist.onnx --config "$here/$cfg" -o "$out/$name-s$seed.onnx" \
      --epochs "$epochs" --lr "$lr" --seed "$seed" "$@" --json > "$json.tmp" 2> "$out/$name-s$seed.log" && mv "$json.tmp" "$json"
  done
done
