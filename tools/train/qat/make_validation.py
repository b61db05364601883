#!/usr/bin/python3
"""A validation split for choosing training settings without the test set (issue 13, W4A4 QAT).

    /usr/bin/python3 tools/train/qat/make_validation.py /tmp/edgefold-val

Writes into the directory: a copy of the bundled train and calibration splits, a 5,000-image
validation split drawn from the Fashion-MNIST TRAIN file (500 per class, disjoint from both
bundled splits; per class numpy.random.RandomState(seed).permutation over the remaining train
indices, first 500 kept, union sorted), and fmnist.json with the splits train, calibration and
validation (no test split: nothing chosen with it can see the test set).
"""
import json
import os
import shutil
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import idx  # noqa: E402
from make_data import calib_indices, train_indices  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SEED = 20261204
PER_CLASS = 500


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/edgefold-val"
    os.makedirs(out, exist_ok=True)
    xtr, ytr = idx.load_fmnist("train")
    calib = calib_indices(ytr, 100, 20240601)
    train = train_indices(ytr, calib, 1000, 20261203)
    val = train_indices(ytr, np.concatenate([calib, train]), PER_CLASS, SEED)
    assert len(np.intersect1d(val, calib)) == 0 and len(np.intersect1d(val, train)) == 0
    bundled = json.load(open(os.path.join(REPO, "public", "data", "fmnist.json")))
    # the bundled splits must be the ones recomputed here
    for split, sel in (("calibration", calib), ("train", train)):
        got = idx.read_idx(os.path.join(REPO, "public", "data", bundled["splits"][split]["labels"]))
        assert np.array_equal(got, ytr[sel]), split
    manifest = {k: v for k, v in bundled.items() if k != "sha256"}
    manifest["splits"] = {k: bundled["splits"][k] for k in ("train", "calibration")}
    for k in ("train", "calibration"):
        for f in ("images", "labels"):
            shutil.copy(os.path.join(REPO, "public", "data", bundled["splits"][k][f]), out)
    idx.write_idx_gz(os.path.join(out, "fmnist-val-images-idx3-ubyte.gz"), xtr[val])
    idx.write_idx_gz(os.path.join(out, "fmnist-val-labels-idx1-ubyte.gz"), ytr[val])
    manifest["splits"]["validation"] = {
        "images": "fmnist-val-images-idx3-ubyte.gz",
        "labels": "fmnist-val-labels-idx1-ubyte.gz",
        "count": int(len(val)),
        "drawnFrom": "train",
        "seed": SEED,
        "perClass": PER_CLASS,
        "disjointFrom": ["calibration", "train"],
    }
    manifest["generatedBy"] = "/usr/bin/python3 tools/train/qat/make_validation.py"
    json.dump(manifest, open(os.path.join(out, "fmnist.json"), "w"), indent=2)
    print(f"{out}/fmnist.json: validation {len(val)} images")


if __name__ == "__main__":
    main()
