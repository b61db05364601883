#!/usr/bin/python3
"""Write edgefold's Fashion-MNIST evaluation data to public/data/ (deterministic).

    /usr/bin/python3 tools/train/make_data.py

Outputs (IDX format, gzip level 9, mtime=0 and no embedded file name, so the
files are byte-reproducible):

    fmnist-test-images-idx3-ubyte.gz   10,000 test images  (unchanged order)
    fmnist-test-labels-idx1-ubyte.gz   10,000 test labels
    fmnist-calib-images-idx3-ubyte.gz  1,000 calibration images from the TRAIN split
    fmnist-calib-labels-idx1-ubyte.gz  1,000 calibration labels
    fmnist-train-images-idx3-ubyte.gz  10,000 fine-tuning images from the TRAIN split
    fmnist-train-labels-idx1-ubyte.gz  10,000 fine-tuning labels
    fmnist.json                        manifest (paths relative to the manifest)

Calibration split: stratified, 100 images per class. For each class c the
train indices with label c (ascending) are permuted with
numpy.random.RandomState(seed).permutation, the first 100 are kept; the
1,000 chosen indices are then sorted ascending (so they keep the original
train-file order).

Training split (for fine-tuning / QAT): stratified, 1,000 images per class,
disjoint from the calibration split. For each class c the train indices with
label c that are NOT calibration indices (ascending) are permuted with
numpy.random.RandomState(train_seed).permutation, the first 1,000 are kept;
the union is sorted ascending.
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import idx  # noqa: E402


def calib_indices(labels, per_class, seed):
    rng = np.random.RandomState(seed)
    chosen = []
    for c in range(10):
        cls = np.flatnonzero(labels == c)
        chosen.append(cls[rng.permutation(len(cls))[:per_class]])
    return np.sort(np.concatenate(chosen))


def train_indices(labels, exclude, per_class, seed):
    rng = np.random.RandomState(seed)
    excluded = np.zeros(len(labels), dtype=bool)
    excluded[exclude] = True
    chosen = []
    for c in range(10):
        cls = np.flatnonzero((labels == c) & ~excluded)
        chosen.append(cls[rng.permutation(len(cls))[:per_class]])
    return np.sort(np.concatenate(chosen))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=idx.DEFAULT_DIR)
    ap.add_argument("--out-dir", default=os.path.join(REPO, "public", "data"))
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--per-class", type=int, default=100)
    ap.add_argument("--train-seed", type=int, default=20261203)
    ap.add_argument("--train-per-class", type=int, default=1000)
    args = ap.parse_args()

    xtr, ytr = idx.load_fmnist("train", args.data_dir)
    xte, yte = idx.load_fmnist("t10k", args.data_dir)
    f = xtr.astype(np.float64) / 255.0
    mean, std = round(float(f.mean()), 4), round(float(f.std()), 4)

    sel = calib_indices(ytr, args.per_class, args.seed)
    xc, yc = xtr[sel], ytr[sel]
    assert len(sel) == 10 * args.per_class and np.all(np.bincount(yc, minlength=10) == args.per_class)

    tsel = train_indices(ytr, sel, args.train_per_class, args.train_seed)
    xt, yt = xtr[tsel], ytr[tsel]
    assert len(np.intersect1d(tsel, sel)) == 0
    assert np.all(np.bincount(yt, minlength=10) == args.train_per_class)

    os.makedirs(args.out_dir, exist_ok=True)
    files = {
        "fmnist-test-images-idx3-ubyte.gz": xte,
        "fmnist-test-labels-idx1-ubyte.gz": yte,
        "fmnist-calib-images-idx3-ubyte.gz": xc,
        "fmnist-calib-labels-idx1-ubyte.gz": yc,
        "fmnist-train-images-idx3-ubyte.gz": xt,
        "fmnist-train-labels-idx1-ubyte.gz": yt,
    }
    sha = {}
    for name, arr in files.items():
        p = os.path.join(args.out_dir, name)
        idx.write_idx_gz(p, arr)
        back = idx.read_idx(p)
        assert back.dtype == arr.dtype and np.array_equal(back, arr), name
        sha[name] = hashlib.sha256(open(p, "rb").read()).hexdigest()
        print(f"{p}: {arr.shape} {os.path.getsize(p)} bytes sha256={sha[name]}")

    manifest = {
        "name": "Fashion-MNIST",
        "source": "Debian package dataset-fashion-mnist (Zalando Research, MIT)",
        "license": "MIT (Expat), Copyright 2017 Zalando SE; see README.md",
        "format": "idx",
        "compression": "gzip",
        "generatedBy": "/usr/bin/python3 tools/train/make_data.py",
        "splits": {
            "test": {
                "images": "fmnist-test-images-idx3-ubyte.gz",
                "labels": "fmnist-test-labels-idx1-ubyte.gz",
                "count": int(len(yte)),
                "drawnFrom": "test",
                "note": "the complete official Fashion-MNIST test set (t10k), original order",
            },
            "calibration": {
                "images": "fmnist-calib-images-idx3-ubyte.gz",
                "labels": "fmnist-calib-labels-idx1-ubyte.gz",
                "count": int(len(yc)),
                "drawnFrom": "train",
                "seed": args.seed,
                "perClass": args.per_class,
                "selection": "stratified: per class numpy.random.RandomState(seed).permutation over that "
                             "class's train indices (classes 0..9 in order, one RandomState), first perClass "
                             "kept, union sorted ascending",
            },
            "train": {
                "images": "fmnist-train-images-idx3-ubyte.gz",
                "labels": "fmnist-train-labels-idx1-ubyte.gz",
                "count": int(len(yt)),
                "drawnFrom": "train",
                "seed": args.train_seed,
                "perClass": args.train_per_class,
                "disjointFrom": ["calibration"],
                "selection": "stratified: per class numpy.random.RandomState(seed).permutation over that "
                             "class's train indices that are not calibration indices (classes 0..9 in order, "
                             "one RandomState), first perClass kept, union sorted ascending; for fine-tuning "
                             "and quantization-aware training",
            },
        },
        "shape": [1, 28, 28],
        "layout": "NCHW",
        "dtype": "uint8",
        "classes": idx.CLASSES,
        "preprocessing": {"scale": 1 / 255, "mean": [mean], "std": [std],
                          "formula": "x = (pixel * scale - mean) / std",
                          "note": "mean/std: Fashion-MNIST train-split pixel statistics (after scaling), rounded to 4 decimals"},
        "sha256": sha,
    }
    mp = os.path.join(args.out_dir, "fmnist.json")
    with open(mp, "w") as fo:
        json.dump(manifest, fo, indent=2)
        fo.write("\n")
    print(f"{mp} written; calibration indices (first 10): {sel[:10].tolist()}")


if __name__ == "__main__":
    main()
