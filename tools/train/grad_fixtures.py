#!/usr/bin/python3
"""Gradient fixtures for edgefold's training graph, computed by PyTorch (not by the code under test).

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 tools/train/grad_fixtures.py

Every model is an ONNX file; this script runs it with a small ONNX interpreter written in
torch ops (below), so PyTorch and edgefold compute the same function from the same file.
For each case it writes test/fixtures/train-grad/<case>.json + .bin:

  - the batch (float32; for the default model: the first 128 images of the bundled train split,
    preprocessed as edgefold does, so only their indices are stored), one-hot labels, teacher
    logits when the loss distils;
  - the loss and every parameter gradient computed in float64 (stored as float32: its 6e-8
    relative rounding is far below the 1e-4 tolerance);
  - per parameter, PyTorch float32's own relative L2 error against float64 on the same batch
    (the yardstick the test scales by 10).

Small models (built here with onnx.helper, written to <case>.onnx; conv-paths: which path each
conv and pool rule takes, see its docstring): BatchNormalization in train
mode with a conv bias right before it (its gradient is 0), BatchNormalization frozen (running
statistics), Clip (ReLU6), stride-2 depthwise convs, a residual Add, a Concat, a fake-quant chain
(Div, Round with a straight-through gradient, Clip, Mul), max and average pooling, Gemm and
MatMul heads. Clip's gradient is torch.clamp's (min <= x <= max, inclusive).
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "test", "fixtures", "train-grad")
sys.path.insert(0, HERE)
import idx  # noqa: E402


def attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def run_onnx(model, feeds, params, bn_mode):
    """Evaluates the graph with torch ops; params are leaf tensors that require grad."""
    env = dict(feeds)
    for init in model.graph.initializer:
        if init.name in params:
            env[init.name] = params[init.name]
        else:
            arr = numpy_helper.to_array(init)
            env[init.name] = torch.tensor(arr) if arr.dtype.kind in "iu" else torch.tensor(arr, dtype=next(iter(params.values())).dtype)
    for node in model.graph.node:
        a = attrs(node)
        x = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            p = a.get("pads", [0, 0, 0, 0])
            assert p[0] == p[2] and p[1] == p[3]
            y = F.conv2d(x[0], x[1], x[2] if len(x) > 2 else None, stride=a.get("strides", 1), padding=(p[0], p[1]),
                         dilation=a.get("dilations", 1), groups=a.get("group", 1))
        elif op == "Relu":
            y = F.relu(x[0])
        elif op == "Clip":
            lo = float(x[1]) if len(x) > 1 and x[1] is not None else a.get("min")
            hi = float(x[2]) if len(x) > 2 and x[2] is not None else a.get("max")
            y = torch.clamp(x[0], lo, hi)
        elif op == "Transpose":
            y = x[0].permute(a.get("perm", list(range(x[0].dim() - 1, -1, -1))))
        elif op == "Round":
            y = x[0] + (torch.round(x[0]) - x[0]).detach()  # straight-through
        elif op in ("Add", "Sub", "Mul", "Div"):
            y = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div}[op](x[0], x[1])
        elif op == "Concat":
            y = torch.cat(x, dim=a["axis"])
        elif op == "GlobalAveragePool":
            y = x[0].mean(dim=(2, 3), keepdim=True)
        elif op == "AveragePool":
            p = a.get("pads", [0, 0, 0, 0])
            y = F.avg_pool2d(x[0], a["kernel_shape"], a.get("strides"), (p[0], p[1]), count_include_pad=bool(a.get("count_include_pad", 0)))
        elif op == "MaxPool":
            p = a.get("pads", [0, 0, 0, 0])
            y = F.max_pool2d(x[0], a["kernel_shape"], a.get("strides"), (p[0], p[1]))
        elif op == "Flatten":
            y = torch.flatten(x[0], a.get("axis", 1))
        elif op == "Reshape":
            y = torch.reshape(x[0], [int(d) for d in x[1]])
        elif op == "Gemm":
            A = x[0].t() if a.get("transA", 0) else x[0]
            B = x[1].t() if a.get("transB", 0) else x[1]
            y = a.get("alpha", 1.0) * (A @ B)
            if len(x) > 2 and x[2] is not None:
                y = y + a.get("beta", 1.0) * x[2]
        elif op == "MatMul":
            y = x[0] @ x[1]
        elif op == "BatchNormalization":
            y = F.batch_norm(x[0], x[3].clone(), x[4].clone(), x[1], x[2], training=(bn_mode == "train"), momentum=0.0, eps=a.get("epsilon", 1e-5))
        elif op in ("Identity", "Dropout"):
            y = x[0]
        else:
            raise NotImplementedError(op)
        env[node.output[0]] = y
    return env[model.graph.output[0].name]


PARAM_SLOTS = {"Conv": [1, 2], "Gemm": [1, 2], "MatMul": [1], "BatchNormalization": [1, 2]}


def param_names(model):
    inits = {i.name for i in model.graph.initializer}
    names = []
    for node in model.graph.node:
        for i in PARAM_SLOTS.get(node.op_type, []):
            if i < len(node.input) and node.input[i] in inits and node.input[i] not in names:
                names.append(node.input[i])
    return names


def loss_and_grads(model, x, onehot, teacher, kd, bn_mode, dtype):
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    params = {n: torch.tensor(inits[n].astype(np.float64), dtype=dtype, requires_grad=True) for n in param_names(model)}
    inp = {model.graph.input[0].name: torch.tensor(x, dtype=dtype)}
    z = run_onnx(model, inp, params, bn_mode)
    y = torch.tensor(onehot, dtype=dtype)
    n = z.shape[0]
    ce = -(y * F.log_softmax(z, dim=1)).sum() / n
    if kd:
        w, t = kd["weight"], kd["temperature"]
        tt = torch.tensor(teacher, dtype=dtype) / t
        kl = (F.softmax(tt, 1) * (F.log_softmax(tt, 1) - F.log_softmax(z / t, 1))).sum() / n
        loss = (1 - w) * ce + w * t * t * kl
    else:
        loss = ce
    grads = torch.autograd.grad(loss, list(params.values()))
    return float(loss), {k: g.detach().numpy().astype(np.float64) for k, g in zip(params, grads)}


def write_case(name, model, x, labels, classes, bn_mode="train", kd=None, teacher=None, data=None):
    onehot = np.eye(classes, dtype=np.float32)[labels]
    loss64, g64 = loss_and_grads(model, x, onehot, teacher, kd, bn_mode, torch.float64)
    loss32, g32 = loss_and_grads(model, x, onehot, teacher, kd, bn_mode, torch.float32)
    blobs = []
    offset = 0

    def put(arr):
        nonlocal offset
        a = np.ascontiguousarray(arr, dtype="<f4").ravel()
        blobs.append(a.tobytes())
        start = offset
        offset += a.size
        return {"offset": start, "length": int(a.size)}

    meta = {"case": name, "batchNorm": bn_mode, "classes": classes, "batch": int(x.shape[0]), "inputShape": list(x.shape),
            "loss64": loss64, "loss32": loss32, "labels": labels.tolist()}
    if data:
        meta["data"] = data
    else:
        meta["input"] = put(x)
    if kd:
        meta["kd"] = kd
        meta["teacher"] = put(teacher)
    meta["params"] = []
    for k, g in g64.items():
        norm = float(np.linalg.norm(g))
        rel32 = float(np.linalg.norm(g32[k] - g) / norm) if norm >= 1e-12 else None
        abs32 = float(np.abs(g32[k] - g).max())
        meta["params"].append({"name": k, "shape": list(g.shape), "norm64": norm, "torchFloat32RelError": rel32,
                               "torchFloat32MaxAbsError": abs32, **put(g)})
    with open(os.path.join(OUT, name + ".bin"), "wb") as f:
        f.write(b"".join(blobs))
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    worst = max((p["torchFloat32RelError"] or 0) for p in meta["params"])
    print(f"{name}: loss {loss64:.6f}, {len(g64)} params, float32-vs-float64 worst rel L2 {worst:.2e}, {offset * 4} bytes")


# ---- small models ------------------------------------------------------------------------

class Net:
    def __init__(self, seed):
        self.rng = np.random.RandomState(seed)
        self.nodes, self.inits, self.k = [], [], 0

    def t(self, base):
        self.k += 1
        return f"{base}_{self.k}"

    def init(self, base, arr):
        name = self.t(base)
        self.inits.append(numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name))
        return name

    def node(self, op, inputs, **kw):
        out = self.t(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out + "_node", **kw))
        return out

    def conv(self, x, cin, cout, k, stride=1, group=1, pad=None, bias=True, dilation=1):
        pad = dilation * (k // 2) if pad is None else pad
        w = self.init("w", self.rng.randn(cout, cin // group, k, k) * np.sqrt(2.0 / (cin // group * k * k)))
        ins = [x, w] + ([self.init("b", self.rng.randn(cout) * 0.1)] if bias else [])
        dil = {"dilations": [dilation, dilation]} if dilation != 1 else {}
        return self.node("Conv", ins, kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4, group=group, **dil)

    def bn(self, x, c, eps=1e-5):
        return self.node("BatchNormalization", [x, self.init("gamma", 1 + 0.2 * self.rng.randn(c)), self.init("beta", 0.1 * self.rng.randn(c)),
                                                 self.init("mean", 0.1 * self.rng.randn(c)), self.init("var", 0.5 + self.rng.rand(c))], epsilon=eps)

    def conv_raw(self, x, cin, cout, kernel, strides=(1, 1), pads=(0, 0, 0, 0), group=1, kernel_attr=True):
        """A conv with a non-square kernel, per-axis strides and pads, or no kernel_shape attribute."""
        w = self.init("w", self.rng.randn(cout, cin // group, *kernel) * np.sqrt(2.0 / (cin // group * kernel[0] * kernel[1])))
        ks = {"kernel_shape": list(kernel)} if kernel_attr else {}
        return self.node("Conv", [x, w, self.init("b", self.rng.randn(cout) * 0.1)], strides=list(strides), pads=list(pads), group=group, **ks)

    def clip(self, x, lo, hi):
        return self.node("Clip", [x, self.init("lo", np.array(lo)), self.init("hi", np.array(hi)) if hi is not None else ""])

    def model(self, x_name, shape, out, classes, opset=13):
        g = helper.make_graph(self.nodes, "g", [helper.make_tensor_value_info(x_name, TensorProto.FLOAT, ["N"] + shape)],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["N", classes])], self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="grad_fixtures")
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def bn_model():
    """Conv(+bias) -> BN -> ReLU -> depthwise s2 -> BN -> Clip(0,6) -> 1x1 -> BN -> ReLU -> GAP -> Gemm."""
    n = Net(1)
    h = n.node("Relu", [n.bn(n.conv("input", 3, 8, 3), 8)])
    h = n.clip(n.bn(n.conv(h, 8, 8, 3, stride=2, group=8), 8), 0.0, 6.0)
    h = n.node("Relu", [n.bn(n.conv(h, 8, 12, 1, bias=False), 12)])
    h = n.node("Flatten", [n.node("GlobalAveragePool", [h])], axis=1)
    out = n.node("Gemm", [h, n.init("fc_w", n.rng.randn(5, 12) * 0.3), n.init("fc_b", n.rng.randn(5) * 0.1)], transB=1)
    return n.model("input", [3, 11, 11], out, 5)


def residual_model():
    """Conv -> ReLU; depthwise + Clip + 1x1 + residual Add; Concat with a 1x1 branch; fake-quant;
    depthwise s2; max pool; average pool; Gemm head (KD loss)."""
    n = Net(2)
    a = n.node("Relu", [n.conv("input", 2, 8, 3)])
    r = n.conv(n.clip(n.conv(a, 8, 8, 3, group=8), 0.0, 6.0), 8, 8, 1)
    s = n.node("Relu", [n.node("Add", [a, r])])
    c = n.node("Concat", [s, n.node("Relu", [n.conv(s, 8, 4, 1)])], axis=1)
    q = n.node("Div", [c, n.init("scale", np.array(0.05))])
    q = n.node("Mul", [n.clip(n.node("Round", [q]), 0.0, 15.0), n.init("scale", np.array(0.05))])
    d = n.node("Relu", [n.conv(q, 12, 12, 3, stride=2, group=12)])
    p = n.node("MaxPool", [d], kernel_shape=[2, 2], strides=[2, 2])
    p = n.node("AveragePool", [p], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    h = n.node("Flatten", [n.node("GlobalAveragePool", [p])], axis=1)
    out = n.node("Gemm", [h, n.init("fc_w", n.rng.randn(6, 12) * 0.3), n.init("fc_b", n.rng.randn(6) * 0.1)], transB=1)
    return n.model("input", [2, 12, 12], out, 6)


def frozen_model():
    """BN frozen (running statistics), stride-2 dense conv, MatMul + Add head."""
    n = Net(3)
    h = n.node("Relu", [n.bn(n.conv("input", 1, 6, 3, stride=2), 6)])
    h = n.clip(n.bn(n.conv(h, 6, 6, 3, group=6, stride=2), 6), 0.0, 6.0)
    h = n.node("Flatten", [n.node("GlobalAveragePool", [h])], axis=1)
    out = n.node("Add", [n.node("MatMul", [h, n.init("fc_w", n.rng.randn(6, 4) * 0.4)]), n.init("fc_b", n.rng.randn(4) * 0.1)])
    return n.model("input", [1, 10, 10], out, 4)


def ops_model():
    """The rules' other branches: a dilated dense conv, Clip with only a min, a grouped stride-2 conv
    whose transposed conv needs output_padding 1, a dilated stride-1 depthwise conv, a depthwise
    multiplier (1 -> 2 channels per group, 1x1), Mul/Div/Sub of two activations with broadcasting
    (a per-channel [N, C, 1, 1] operand), an overlapping max pool (3x3, stride 1, pad 1), Transpose
    with and without perm, a 4-D x 2-D MatMul, Concat along H (axis -2), an average pool counting
    its padding, and a Gemm head with transA = 1, transB = 0, alpha 0.5, beta 2 and a [1, M] bias."""
    n = Net(4)
    a = n.clip(n.conv("input", 2, 4, 3, dilation=2), 0.0, None)
    g = n.node("Relu", [n.conv(a, 4, 4, 3, stride=2, group=2)])
    d = n.conv(g, 4, 4, 3, group=4, dilation=2)
    m = n.conv(d, 4, 8, 1, group=4)
    s = n.node("GlobalAveragePool", [m])
    gated = n.node("Mul", [m, n.node("Relu", [s])])
    q = n.node("Div", [gated, n.node("Add", [n.node("Mul", [s, s]), n.init("one", np.array(1.0))])])
    r = n.node("Sub", [q, n.node("MaxPool", [m], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])])
    r = n.node("Transpose", [n.node("Transpose", [r])])
    u = n.node("MatMul", [n.node("Transpose", [r], perm=[0, 2, 3, 1]), n.init("mm_w", n.rng.randn(8, 6) * 0.4)])
    u = n.node("Transpose", [u], perm=[0, 3, 1, 2])
    c = n.node("Concat", [u, n.node("Relu", [u])], axis=-2)
    p = n.node("AveragePool", [c], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1)
    h = n.node("Transpose", [n.node("Flatten", [p], axis=1)], perm=[1, 0])
    out = n.node("Gemm", [h, n.init("fc_w", n.rng.randn(90, 5) * 0.2), n.init("fc_b", n.rng.randn(1, 5) * 0.1)], transA=1, alpha=0.5, beta=2.0)
    return n.model("input", [2, 10, 10], out, 5)


def opset10_model():
    """Opset 10: Clip's limits are attributes (both, then only max), Identity and Dropout pass the
    gradient; a 1x1 stride-2 conv (not the 1x1 MatMul shortcut), BatchNormalization (train mode) on
    [N, C] features, Gemm with transB = 0 and with transA = transB = 1."""
    n = Net(5)
    h = n.node("Clip", [n.conv("input", 3, 4, 3)], min=-0.2, max=0.6)
    h = n.node("Dropout", [n.node("Identity", [h])])
    h = n.node("Clip", [n.conv(h, 4, 6, 1, stride=2)], max=0.3)
    h = n.bn(n.node("Flatten", [n.node("GlobalAveragePool", [h])], axis=1), 6)
    h = n.node("Relu", [n.node("Gemm", [h, n.init("g_w", n.rng.randn(6, 5) * 0.5), n.init("g_b", n.rng.randn(5) * 0.1)])])
    h = n.node("Transpose", [h], perm=[1, 0])
    out = n.node("Gemm", [h, n.init("fc_w", n.rng.randn(3, 5) * 0.5), n.init("fc_b", n.rng.randn(3) * 0.1)], transA=1, transB=1)
    return n.model("input", [3, 6, 6], out, 3, opset=10)


def conv_paths_model():
    """Which gradient path a conv or pool takes, at opset 11 on a 9x24 (not square) input:
    BatchNormalization with epsilon 0.1; a dilated dense conv whose input needs a gradient; an
    average pool (3x3, stride 2, padding not counted: windows at the border average 4 or 6 values);
    a stride-2 conv whose transposed conv needs output_padding 0 along H and 1 along W; a 1x3 kernel
    without padding; 1x1 convs that must not take the 1x1 MatMul shortcut (stride 2 only along W,
    pads only along H); a depthwise conv of stride 2 only along W (not the stride-1 fast path);
    Clip with only a max as an input (opset 11); a 3x1 kernel without padding and without a
    kernel_shape attribute; a grouped conv of 2 input channels and 1 output channel per group; a
    Gemm head whose bias has one element for all outputs."""
    n = Net(6)
    h = n.node("Relu", [n.bn(n.conv("input", 2, 4, 3), 4, eps=0.1)])
    h = n.node("Relu", [n.conv(h, 4, 4, 3, dilation=2)])
    h = n.node("AveragePool", [h], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    h = n.node("Relu", [n.conv(h, 4, 4, 3, stride=2)])
    h = n.node("Relu", [n.conv_raw(h, 4, 4, (1, 3))])
    h = n.conv_raw(h, 4, 4, (1, 1), strides=(1, 2))
    h = n.conv_raw(h, 4, 4, (3, 3), strides=(1, 2), pads=(1, 1, 1, 1), group=4)
    h = n.node("Clip", [h, "", n.init("hi", np.array(0.3))])
    h = n.conv_raw(h, 4, 4, (1, 1), pads=(1, 0, 1, 0))
    h = n.node("Relu", [n.conv_raw(h, 4, 4, (3, 1), kernel_attr=False)])
    h = n.node("Relu", [n.conv(h, 4, 2, 3, group=2)])
    h = n.node("Flatten", [n.node("GlobalAveragePool", [h])], axis=1)
    out = n.node("Gemm", [h, n.init("fc_w", n.rng.randn(3, 2) * 0.5), n.init("fc_b", np.array([0.2]))], transB=1)
    return n.model("input", [2, 9, 24], out, 3, opset=11)


def bn5d_model():
    """BatchNormalization (train mode) over a 5-D [N, C, D, H, W] input: batch statistics over N, D,
    H and W; then Flatten and a Gemm head."""
    n = Net(7)
    h = n.node("Flatten", [n.bn("input", 2)], axis=1)
    out = n.node("Gemm", [h, n.init("fc_w", n.rng.randn(3, 36) * 0.3), n.init("fc_b", n.rng.randn(3) * 0.1)], transB=1)
    return n.model("input", [2, 2, 3, 3], out, 3)


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(20261203)
    # Case names on the command line: write only those (the random draws of the others still happen, in order).
    only = set(sys.argv[1:])
    wanted = lambda name: not only or name in only  # noqa: E731

    # Default model: first 128 images of the bundled train split.
    manifest = json.load(open(os.path.join(REPO, "public", "data", "fmnist.json")))
    split = manifest["splits"]["train"]
    images = idx.read_idx(os.path.join(REPO, "public", "data", split["images"]))[:128]
    labels = idx.read_idx(os.path.join(REPO, "public", "data", split["labels"]))[:128].astype(np.int64)
    pp = manifest["preprocessing"]
    x = ((images.astype(np.float64) * pp["scale"] - pp["mean"][0]) / pp["std"][0]).astype(np.float32)[:, None]
    model = onnx.load(os.path.join(REPO, "public", "models", "dscnn-fmnist.onnx"))
    if wanted("dscnn-fmnist"):
        write_case("dscnn-fmnist", model, x, labels, 10, data={"manifest": "public/data/fmnist.json", "split": "train", "first": 128})

    for name, build, batch, bn_mode, kd in [
        ("bn-train", bn_model, 16, "train", None),
        ("residual-concat-kd", residual_model, 12, "train", {"weight": 0.7, "temperature": 4.0}),
        ("bn-frozen", frozen_model, 10, "frozen", None),
        ("ops-mix", ops_model, 8, "train", None),
        ("opset10-clip", opset10_model, 8, "train", None),
        ("conv-paths", conv_paths_model, 6, "train", None),
        ("bn-5d", bn5d_model, 5, "train", None),
    ]:
        m = build()
        shape = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim[1:]]
        classes = m.graph.output[0].type.tensor_type.shape.dim[1].dim_value
        xs = rng.randn(batch, *shape).astype(np.float32)
        ys = rng.randint(0, classes, size=batch)
        teacher = (rng.randn(batch, classes) * 2).astype(np.float32) if kd else None
        if not wanted(name):
            continue
        onnx.save(m, os.path.join(OUT, name + ".onnx"))
        write_case(name, m, xs, ys, classes, bn_mode=bn_mode, kd=kd, teacher=teacher)


if __name__ == "__main__":
    main()
