#!/bin/bash
# W4A4 QAT settings measured on the 5,000-image validation split (training-set images, never the test set):
#   tools/train/qat/select.sh <out-dir> <name> <seed> <lr> [edgefold retrain options ...]   (from the repository root)
# e.g. tools/train/qat/select.sh /tmp/qat-val ema 1 0.003 --ranges ema
# Makes the split with make_validation.py when missing; appends "<name>-s<seed> <before> <after> <train s>" to <out-dir>/summary.txt.
set -eu
out=${1:?usage: select.sh <out-dir> <name> <seed> <lr> [options]}; name=$2; seed=$3; lr=$4; shift 4
val=$out/data
[ -s "$val/fmnist.json" ] || /usr/bin/python3 tools/train/qat/make_validation.py "$val"
run=$out/$name-s$seed
nice -n 10 node bin/edgefold.mjs retrain public/models/dscnn-fmnist.onnx --config tools/train/retrain/w4a4.json --qat --epochs 1 --lr "$lr" --seed "$seed" \
  --data "$val/fmnist.json" --split validation -o "$run.onnx" "$@" --json > "$run.json" 2> "$run.log"
node -e 'const j = require(require("path").resolve(process.argv[1])); console.log(process.argv[2], (100 * j.accuracy.before.top1).toFixed(2), (100 * j.accuracy.after.top1).toFixed(2), Math.round(j.trainSeconds) + "s")' \
  "$run.json" "$name-s$seed" | tee -a "$out/summary.txt"
