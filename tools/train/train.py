#!/usr/bin/python3
"""Train edgefold's default depthwise-separable CNN on Fashion-MNIST and export it.

Run from the repository root:

    /usr/bin/python3 tools/train/train.py

Reads the IDX files shipped by the Debian package `dataset-fashion-mnist`,
trains on CPU (torch 1.13), folds BatchNorm into the convolutions, checks the
folded model against the trained one, exports ONNX (opset 13) and writes:

    public/models/dscnn-fmnist.onnx
    public/models/dscnn-fmnist.json
    tools/train/out/  (log, checkpoint; git-ignored)
"""
import argparse
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import idx  # noqa: E402

# (kind, out_channels, stride) after the stem. "ds" = depthwise 3x3 + pointwise 1x1.
ARCH = [
    ("ds", 48, 1),   # 28x28
    ("ds", 96, 2),   # -> 14x14
    ("ds", 96, 1),
    ("ds", 192, 2),  # -> 7x7
    ("ds", 192, 1),
    ("ds", 256, 1),
]
STEM_CH = 24


# --------------------------------------------------------------------------- model
class ConvBNReLU(nn.Module):
    def __init__(self, cin, cout, k, stride, groups=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class DSBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.dw = ConvBNReLU(cin, cin, 3, stride, groups=cin)
        self.pw = ConvBNReLU(cin, cout, 1, 1)

    def forward(self, x):
        return self.pw(self.dw(x))


class DSCNN(nn.Module):
    def __init__(self, stem=STEM_CH, arch=ARCH, num_classes=10, dropout=0.0):
        super().__init__()
        self.stem = ConvBNReLU(1, stem, 3, 1)
        blocks, c = [], stem
        for kind, cout, s in arch:
            assert kind == "ds"
            blocks.append(DSBlock(c, cout, s))
            c = cout
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        x = torch.flatten(self.pool(x), 1)
        return self.fc(self.drop(x))


def fold_bn(model):
    """Return a copy of `model` where every ConvBNReLU's BN is folded into its conv
    (conv gets a bias; bn becomes Identity). Done by hand:
        W' = W * gamma / sqrt(var + eps)
        b' = beta + (b - mean) * gamma / sqrt(var + eps)
    """
    import copy

    folded = copy.deepcopy(model).eval()
    for m in folded.modules():
        if isinstance(m, ConvBNReLU) and isinstance(m.bn, nn.BatchNorm2d):
            conv, bn = m.conv, m.bn
            w = conv.weight.detach().double()
            b = conv.bias.detach().double() if conv.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
            scale = bn.weight.detach().double() / torch.sqrt(bn.running_var.double() + bn.eps)
            new = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                            conv.padding, groups=conv.groups, bias=True)
            new.weight.data = (w * scale.view(-1, 1, 1, 1)).float()
            new.bias.data = (bn.bias.detach().double() + (b - bn.running_mean.double()) * scale).float()
            m.conv = new
            m.bn = nn.Identity()
    folded.drop = nn.Identity()
    return folded


def layer_table(model, h=28, w=28):
    """Per-layer params / MACs via forward hooks (conv MACs = Cout*Hout*Wout*(Cin/groups)*kh*kw,
    FC MACs = in*out). BN/ReLU/pool not counted as MACs; BN params counted where present."""
    rows = []
    hooks = []

    def conv_hook(name):
        def f(mod, inp, out):
            _, cout, ho, wo = out.shape
            kh, kw = mod.kernel_size
            macs = cout * ho * wo * (mod.in_channels // mod.groups) * kh * kw
            params = sum(p.numel() for p in mod.parameters())
            kind = "dwconv3x3" if mod.groups > 1 else f"conv{kh}x{kw}"
            rows.append(dict(layer=name, kind=kind, cin=mod.in_channels, cout=cout,
                             stride=mod.stride[0], out=[cout, ho, wo], params=params, macs=macs))
        return f

    def fc_hook(name):
        def f(mod, inp, out):
            rows.append(dict(layer=name, kind="linear", cin=mod.in_features, cout=mod.out_features,
                             stride=1, out=[mod.out_features], params=sum(p.numel() for p in mod.parameters()),
                             macs=mod.in_features * mod.out_features))
        return f

    def bn_hook(name):
        def f(mod, inp, out):
            rows[-1]["params"] += sum(p.numel() for p in mod.parameters())
        return f

    for name, mod in model.named_modules():
        if isinstance(mod, nn.Conv2d):
            hooks.append(mod.register_forward_hook(conv_hook(name)))
        elif isinstance(mod, nn.Linear):
            hooks.append(mod.register_forward_hook(fc_hook(name)))
        elif isinstance(mod, nn.BatchNorm2d):
            hooks.append(mod.register_forward_hook(bn_hook(name)))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 1, h, w))
    model.train(was_training)
    for hk in hooks:
        hk.remove()
    return rows


# --------------------------------------------------------------------------- data
def normalize(u8, mean, std):
    x = torch.from_numpy(u8).float().unsqueeze(1) / 255.0
    return (x - mean) / std


def augment(xb, gen, pad=2):
    """Random crop with zero padding `pad` (in raw-pixel space, i.e. before
    normalisation) and random horizontal flip. xb: float [B,1,28,28] in [0,1]."""
    b, _, h, w = xb.shape
    xp = F.pad(xb, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    dx = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    rows = (torch.arange(h).view(1, h) + dy.view(b, 1)).view(b, h, 1)
    cols = (torch.arange(w).view(1, w) + dx.view(b, 1)).view(b, 1, w)
    out = xp[:, 0][torch.arange(b).view(b, 1, 1), rows, cols].unsqueeze(1)
    flip = torch.rand(b, generator=gen) < 0.5
    out = torch.where(flip.view(b, 1, 1, 1), out.flip(3), out)
    return out


@torch.no_grad()
def evaluate(model, x, y, bs=250, channels_last=False):
    model.eval()
    correct = 0
    logits = []
    for i in range(0, x.shape[0], bs):
        xb = x[i : i + bs]
        if channels_last:
            xb = xb.contiguous(memory_format=torch.channels_last)
        out = model(xb)
        logits.append(out)
        correct += (out.argmax(1) == y[i : i + bs]).sum().item()
    return correct / x.shape[0], torch.cat(logits)


# --------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=4e-3, help="OneCycle max LR (AdamW)")
    ap.add_argument("--wd", type=float, default=5e-2, help="AdamW weight decay (conv/linear weights only)")
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data-dir", default=idx.DEFAULT_DIR)
    ap.add_argument("--out-model", default=os.path.join(REPO, "public", "models", "dscnn-fmnist.onnx"))
    ap.add_argument("--work-dir", default=os.path.join(HERE, "out"))
    ap.add_argument("--max-steps", type=int, default=0, help="debug: stop each epoch after N steps")
    ap.add_argument("--no-export", action="store_true")
    args = ap.parse_args()

    t_start = time.time()
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.work_dir, exist_ok=True)
    log_f = open(os.path.join(args.work_dir, "train.log"), "w")

    def log(*a):
        s = " ".join(str(v) for v in a)
        print(s, flush=True)
        log_f.write(s + "\n")
        log_f.flush()

    log("argv:", " ".join(sys.argv))
    log("torch", torch.__version__, "threads", torch.get_num_threads())

    # ---- data
    xtr_u8, ytr_u8 = idx.load_fmnist("train", args.data_dir)
    xte_u8, yte_u8 = idx.load_fmnist("t10k", args.data_dir)
    f = xtr_u8.astype(np.float64) / 255.0
    mean, std = round(float(f.mean()), 4), round(float(f.std()), 4)
    del f
    log(f"train pixel stats: mean={mean} std={std} (rounded to 4 decimals)")
    xtr = torch.from_numpy(xtr_u8).float().unsqueeze(1) / 255.0  # raw [0,1]; normalised per batch
    ytr = torch.from_numpy(ytr_u8.astype(np.int64))
    xte = normalize(xte_u8, mean, std)
    yte = torch.from_numpy(yte_u8.astype(np.int64))

    # ---- model
    model = DSCNN()
    rows = layer_table(model)
    n_params = sum(p.numel() for p in model.parameters())
    macs = sum(r["macs"] for r in rows)
    log(f"model: params={n_params} (trained, incl. BN) MACs={macs}")

    decay, no_decay = [], []
    for n_, p in model.named_parameters():
        (decay if p.ndim > 1 else no_decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    n_train = xtr.shape[0]
    steps_per_epoch = n_train // args.batch_size  # drop last partial batch
    if args.max_steps:
        steps_per_epoch = min(steps_per_epoch, args.max_steps)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
                                                steps_per_epoch=steps_per_epoch, pct_start=0.25,
                                                div_factor=20, final_div_factor=200)
    crit = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    gen = torch.Generator().manual_seed(args.seed)  # data order + augmentation

    # channels_last is ~30% faster for these convs on CPU (oneDNN); the model is put
    # back to the default contiguous format before folding/export.
    model = model.to(memory_format=torch.channels_last)
    t_train = time.time()
    for ep in range(args.epochs):
        model.train()
        perm = torch.randperm(n_train, generator=gen)
        t0 = time.time()
        tot_loss, tot_ok, seen = 0.0, 0, 0
        for it in range(steps_per_epoch):
            idb = perm[it * args.batch_size : (it + 1) * args.batch_size]
            xb = augment(xtr[idb], gen)
            xb = ((xb - mean) / std).contiguous(memory_format=torch.channels_last)
            yb = ytr[idb]
            out = model(xb)
            loss = crit(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot_loss += loss.item() * yb.shape[0]
            tot_ok += (out.argmax(1) == yb).sum().item()
            seen += yb.shape[0]
        t_ep = time.time() - t0
        acc, _ = evaluate(model, xte, yte, channels_last=True)
        log(f"epoch {ep + 1:2d}/{args.epochs} loss {tot_loss / seen:.4f} train_acc {tot_ok / seen:.4f} "
            f"test_acc {acc:.4f} lr {sched.get_last_lr()[0]:.2e} train {t_ep:.1f}s eval {time.time() - t0 - t_ep:.1f}s")
    train_secs = time.time() - t_train
    torch.save(model.state_dict(), os.path.join(args.work_dir, "dscnn-fmnist.pt"))

    # ---- fold BN and verify
    model = model.to(memory_format=torch.contiguous_format).eval()
    acc_bn, logits_bn = evaluate(model, xte, yte)
    folded = fold_bn(model)
    acc_f, logits_f = evaluate(folded, xte, yte)
    maxdiff = (logits_bn - logits_f).abs().max().item()
    pred_mismatch = (logits_bn.argmax(1) != logits_f.argmax(1)).sum().item()
    log(f"BN model top1 {acc_bn:.4f}; folded top1 {acc_f:.4f}; max|dlogit| {maxdiff:.3e}; "
        f"argmax mismatches {pred_mismatch}")
    assert maxdiff < 1e-4, maxdiff
    frows = layer_table(folded)
    f_params = sum(p.numel() for p in folded.parameters())
    f_macs = sum(r["macs"] for r in frows)
    assert f_macs == macs
    log(f"folded model: params={f_params} MACs={f_macs}")
    for r in frows:
        log(f"  {r['layer']:16s} {r['kind']:10s} {r['cin']:4d}->{r['cout']:<4d} s{r['stride']} "
            f"out={'x'.join(map(str, r['out'])):9s} params={r['params']:7d} macs={r['macs']:9d}")
    with open(os.path.join(args.work_dir, "layers.json"), "w") as fo:
        json.dump(frows, fo, indent=1)
    np.save(os.path.join(args.work_dir, "folded_test_logits.npy"), logits_f.numpy())

    if args.no_export:
        return

    # ---- export
    os.makedirs(os.path.dirname(args.out_model), exist_ok=True)
    dummy = xte[:2].clone()
    torch.onnx.export(folded, dummy, args.out_model, opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                      do_constant_folding=True, export_params=True)
    log(f"exported {args.out_model} ({os.path.getsize(args.out_model)} bytes)")

    wall = time.time() - t_start
    cmd = "/usr/bin/python3 tools/train/train.py" + ("" if len(sys.argv) == 1 else " " + " ".join(sys.argv[1:]))
    meta = {
        "name": "dscnn-fmnist",
        "description": "Depthwise-separable CNN for Fashion-MNIST, BatchNorm folded into convs (trained by tools/train/train.py)",
        "file": os.path.basename(args.out_model),
        "format": "onnx",
        "opset": 13,
        "task": "classification",
        "input": {"name": "input", "shape": ["N", 1, 28, 28], "layout": "NCHW", "dtype": "float32"},
        "output": {"name": "logits", "shape": ["N", 10], "dtype": "float32"},
        "classes": idx.CLASSES,
        "preprocessing": {"scale": 1 / 255, "mean": [mean], "std": [std],
                          "formula": "x = (pixel * scale - mean) / std"},
        "params": f_params,
        "macs": f_macs,
        "ops": 2 * f_macs,
        "trainedTop1": round(acc_f, 4),
        "trainedTop1Images": int(xte.shape[0]),
        "trainedTop1Note": "PyTorch, BN-folded model, all 10,000 Fashion-MNIST test images",
        "seed": args.seed,
        "epochs": args.epochs,
        "batchSize": args.batch_size,
        "optimizer": f"AdamW(wd={args.wd}, no wd on BN/bias) + OneCycleLR(max_lr={args.lr}), "
                     f"label_smoothing={args.label_smoothing}",
        "augmentation": "random crop 28x28 from zero-padded 32x32 (pad 2) + random horizontal flip",
        "trainingCommand": cmd,
        "trainingWallTimeSeconds": round(wall, 1),
        "trainingLoopSeconds": round(train_secs, 1),
        "torchVersion": torch.__version__,
        "layers": frows,
    }
    meta_path = os.path.splitext(args.out_model)[0] + ".json"
    with open(meta_path, "w") as fo:
        json.dump(meta, fo, indent=2)
        fo.write("\n")
    log(f"wrote {meta_path}; total wall time {wall:.1f}s (training loop {train_secs:.1f}s)")


if __name__ == "__main__":
    main()
