#!/usr/bin/python3
"""Independent check of the exported ONNX model without onnxruntime.

    /usr/bin/python3 tools/train/verify_onnx.py

Parses public/models/dscnn-fmnist.onnx with the `onnx` package (Debian
python3-onnx), checks the graph (opset, input/output names, dynamic batch,
op types, no BatchNormalization), then runs it with a small numpy
interpreter (Conv, Relu, GlobalAveragePool, Flatten, Reshape, Gemm) on the
test split listed in public/data/fmnist.json, using the preprocessing from
the model's JSON. Reports top-1 and compares the logits with the PyTorch
folded model's logits saved by train.py (tools/train/out/folded_test_logits.npy,
if present).
"""
import argparse
import collections
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import idx  # noqa: E402


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def conv(x, w, b, a):
    group = a.get("group", 1)
    sh, sw = a.get("strides", [1, 1])
    pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
    assert a.get("dilations", [1, 1]) == [1, 1]
    n, c, h, wd = x.shape
    co, cig, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    ho = (h + pt + pb - kh) // sh + 1
    wo = (wd + pl + pr - kw) // sw + 1
    out = np.zeros((n, co, ho, wo), dtype=np.float32)
    for i in range(kh):
        for j in range(kw):
            xs = xp[:, :, i : i + sh * (ho - 1) + 1 : sh, j : j + sw * (wo - 1) + 1 : sw]
            if group == 1:
                out += np.einsum("oc,nchw->nohw", w[:, :, i, j], xs, optimize=True)
            elif group == c and cig == 1 and co == c:
                out += w[:, 0, i, j][None, :, None, None] * xs
            else:
                raise NotImplementedError(f"group={group}")
    if b is not None:
        out += b[None, :, None, None]
    return out


def run(model, x):
    g = model.graph
    env = {t.name: numpy_helper.to_array(t).astype(np.float32) if t.data_type == 1 else numpy_helper.to_array(t)
           for t in g.initializer}
    env[g.input[0].name] = x
    for node in g.node:
        a = attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            y = conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
        elif op == "Relu":
            y = np.maximum(ins[0], 0)
        elif op == "GlobalAveragePool":
            y = ins[0].mean(axis=(2, 3), keepdims=True)
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Reshape":
            shp = [ins[0].shape[k] if s == 0 else s for k, s in enumerate(ins[1].tolist())]
            y = ins[0].reshape(shp)
        elif op == "Gemm":
            A, B = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
        elif op == "Constant":
            y = numpy_helper.to_array(a["value"])
        else:
            raise NotImplementedError(op)
        env[node.output[0]] = y.astype(np.float32) if y.dtype == np.float64 else y
    return env[g.output[0].name]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(REPO, "public", "models", "dscnn-fmnist.onnx"))
    ap.add_argument("--data", default=os.path.join(REPO, "public", "data", "fmnist.json"))
    ap.add_argument("--torch-logits", default=os.path.join(HERE, "out", "folded_test_logits.npy"))
    args = ap.parse_args()

    model = onnx.load(args.model)
    onnx.checker.check_model(model)
    meta = json.load(open(os.path.splitext(args.model)[0] + ".json"))
    g = model.graph
    ops = collections.Counter(n.op_type for n in g.node)
    print("ir_version", model.ir_version, "opset", [(o.domain or "ai.onnx", o.version) for o in model.opset_import])
    print("producer", model.producer_name, model.producer_version)
    print("inputs", [(i.name, [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]) for i in g.input])
    print("outputs", [(o.name, [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim]) for o in g.output])
    print("ops", dict(ops))
    print("initializers", len(g.initializer), "params", sum(int(np.prod(t.dims)) for t in g.initializer))
    assert [i.name for i in g.input] == ["input"] and [o.name for o in g.output] == ["logits"]
    assert g.input[0].type.tensor_type.shape.dim[0].dim_param, "batch axis should be dynamic"
    assert "BatchNormalization" not in ops
    assert all(len(n.input) == 3 for n in g.node if n.op_type == "Conv"), "every Conv should have a bias"
    assert sum(int(np.prod(t.dims)) for t in g.initializer) == meta["params"]
    for n in g.node[:4]:
        print("  node", n.name, n.op_type, list(n.input), "->", list(n.output))

    man = json.load(open(args.data))
    base = os.path.dirname(args.data)
    sp = man["splits"]["test"]
    x_u8 = idx.read_idx(os.path.join(base, sp["images"]))
    y = idx.read_idx(os.path.join(base, sp["labels"])).astype(np.int64)
    pp = meta["preprocessing"]
    x = ((x_u8.astype(np.float32) * np.float32(pp["scale"]) - np.float32(pp["mean"][0]))
         / np.float32(pp["std"][0]))[:, None]
    logits = np.concatenate([run(model, x[i : i + 500]) for i in range(0, len(x), 500)])
    top1 = float((logits.argmax(1) == y).mean())
    print(f"numpy-ONNX top1 on {len(y)} test images: {top1:.4f} (model json trainedTop1 {meta['trainedTop1']})")
    if os.path.exists(args.torch_logits):
        tl = np.load(args.torch_logits)
        print(f"max |logit(onnx-numpy) - logit(torch folded)| = {np.abs(tl - logits).max():.3e}; "
              f"argmax mismatches {(tl.argmax(1) != logits.argmax(1)).sum()}")
    assert abs(top1 - meta["trainedTop1"]) <= 0.001, "ONNX and PyTorch accuracies disagree"
    print("OK")


if __name__ == "__main__":
    main()
