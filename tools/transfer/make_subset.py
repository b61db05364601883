#!/usr/bin/python3
"""Build a transfer-learning dataset from a subset of Fashion-MNIST classes, as an .npz.

    /usr/bin/python3 tools/transfer/make_subset.py [--out tools/transfer/out/fmnist-tops.npz]

Reads the IDX files of the Debian package `dataset-fashion-mnist` (the official t10k test
split by default, which the default model never trained on), keeps the five upper-body
garment classes (the hardest to tell apart) and relabels them 0..4:

    0 T-shirt/top (was 0)   1 Pullover (was 2)   2 Dress (was 3)   3 Coat (was 4)   4 Shirt (was 6)

With --scheme groups it instead relabels all ten classes into three new ones:

    0 top (T-shirt/top, Pullover, Coat, Shirt)   1 footwear (Sandal, Sneaker, Ankle boot)
    2 other (Trouser, Dress, Bag)

Writes x (uint8, N x 28 x 28), y (int64, N) and classes (unicode) with numpy.savez_compressed.
Deterministic: images keep the order of the source file.
"""
import argparse
import gzip
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
ALL = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
KEEP = [0, 2, 3, 4, 6]
GROUPS = {"top": [0, 2, 4, 6], "footwear": [5, 7, 9], "other": [1, 3, 8]}


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=DEFAULT_DIR)
    ap.add_argument("--split", default="t10k", choices=["t10k", "train"])
    ap.add_argument("--scheme", default="tops", choices=["tops", "groups"])
    ap.add_argument("--out", default=None, help="default: tools/transfer/out/fmnist-<scheme>.npz")
    args = ap.parse_args()
    args.out = args.out or os.path.join(HERE, "out", f"fmnist-{args.scheme}.npz")
    x = read_idx(os.path.join(args.data_dir, f"{args.split}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(args.data_dir, f"{args.split}-labels-idx1-ubyte.gz"))
    if args.scheme == "tops":
        relabel = {old: new for new, old in enumerate(KEEP)}
        classes = np.array([ALL[c] for c in KEEP])
    else:
        relabel = {old: new for new, members in enumerate(GROUPS.values()) for old in members}
        classes = np.array(list(GROUPS))
    mask = np.isin(y, list(relabel))
    xs = x[mask]
    ys = np.array([relabel[int(v)] for v in y[mask]], dtype=np.int64)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    np.savez_compressed(args.out, x=xs, y=ys, classes=classes)
    print(f"wrote {args.out}: {len(ys)} images, classes {[str(c) for c in classes]}, per class {np.bincount(ys).tolist()}")


if __name__ == "__main__":
    main()
