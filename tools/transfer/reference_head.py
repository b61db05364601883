#!/usr/bin/python3
"""PyTorch reference for edgefold's head re-fit: train a linear softmax head on the SAME features.

    npx edgefold refit-head public/models/dscnn-fmnist.onnx --data tools/transfer/out/fmnist-tops.npz \
        -o tools/transfer/out/tops.onnx --dump-features tools/transfer/out/features
    /usr/bin/python3 tools/transfer/reference_head.py tools/transfer/out/features

Reads train_x.npy / train_y.npy / val_x.npy / val_y.npy (features entering the model's last
Gemm, extracted by edgefold with onnxruntime) and meta.json (weight decay, edgefold's accuracy).
Minimises the same objective as edgefold (src/core/transfer/softmax.ts):

    mean cross-entropy + weight_decay / 2 * |W|^2     (bias not decayed)

on features standardised with the training mean / std (population std; std < 1e-8 -> 1), in
float64 with torch.optim.LBFGS (strong Wolfe line search), or with Adam (--optimizer adam) as an
independent check. Prints both accuracies and exits 1 when they differ by more than --tolerance
percentage points (default 0.5).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F


def load(dir_, name):
    return np.load(os.path.join(dir_, name))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("features", help="directory written by edgefold refit-head --dump-features")
    ap.add_argument("--weight-decay", type=float, default=None, help="default: the value in meta.json")
    ap.add_argument("--optimizer", choices=["lbfgs", "adam"], default="lbfgs")
    ap.add_argument("--epochs", type=int, default=300, help="Adam epochs (full batch)")
    ap.add_argument("--tolerance", type=float, default=0.5, help="allowed |TS - PyTorch| in percentage points")
    args = ap.parse_args()

    meta = json.load(open(os.path.join(args.features, "meta.json")))
    lam = meta["weightDecay"] if args.weight_decay is None else args.weight_decay
    xtr, ytr = load(args.features, "train_x.npy").astype(np.float64), load(args.features, "train_y.npy")
    xva, yva = load(args.features, "val_x.npy").astype(np.float64), load(args.features, "val_y.npy")
    k = len(meta["classes"])

    mean = xtr.mean(axis=0)
    std = xtr.std(axis=0)
    std[std < 1e-8] = 1.0
    ztr = torch.from_numpy((xtr - mean) / std)
    zva = torch.from_numpy((xva - mean) / std)
    ttr = torch.from_numpy(ytr.astype(np.int64))
    tva = torch.from_numpy(yva.astype(np.int64))

    torch.manual_seed(0)
    w = torch.zeros(k, ztr.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(k, dtype=torch.float64, requires_grad=True)

    def objective():
        return F.cross_entropy(ztr @ w.T + b, ttr) + 0.5 * lam * (w * w).sum()

    if args.optimizer == "lbfgs":
        opt = torch.optim.LBFGS([w, b], lr=1, max_iter=5000, history_size=10, tolerance_grad=1e-9,
                                tolerance_change=1e-14, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = objective()
            loss.backward()
            return loss

        opt.step(closure)
    else:
        opt = torch.optim.Adam([w, b], lr=0.01)
        for _ in range(args.epochs):
            opt.zero_grad()
            loss = objective()
            loss.backward()
            opt.step()

    with torch.no_grad():
        obj = float(objective())
        acc_tr = float(((ztr @ w.T + b).argmax(1) == ttr).double().mean())
        acc_va = float(((zva @ w.T + b).argmax(1) == tva).double().mean())
    ts_va = meta.get("tsValAccuracyOnnx") or meta.get("tsValAccuracy")
    diff = abs(acc_va - ts_va) * 100
    result = {
        "optimizer": args.optimizer,
        "weightDecay": lam,
        "train": len(ytr),
        "validation": len(yva),
        "objective": obj,
        "edgefoldObjective": meta.get("tsObjective"),
        "pytorchTrainAccuracy": acc_tr,
        "pytorchValAccuracy": acc_va,
        "edgefoldValAccuracy": ts_va,
        "differencePP": diff,
        "torch": torch.__version__,
    }
    print(json.dumps(result, indent=2))
    print(f"PyTorch head: validation top-1 {100 * acc_va:.2f} %   edgefold head: {100 * ts_va:.2f} %   "
          f"difference {diff:.2f} pp (tolerance {args.tolerance} pp)")
    sys.exit(0 if diff <= args.tolerance else 1)


if __name__ == "__main__":
    main()
