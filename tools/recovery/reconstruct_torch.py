"""PyTorch reproduction of edgefold's layer-wise least-squares reconstruction (issue 13).

Prunes the default model with the channels edgefold keeps (JSON from kept-channels.ts), then,
front to back, re-solves every pointwise conv and the final Gemm whose inputs were pruned by
ridge least squares (lambda = ridge * mean diag(X^T X), intercept not penalised, float64) so its
pre-activation output on the 1,000 calibration images matches the unpruned model's, using the
re-solved pruned model's own inputs; measures top-1 on all 10,000 test images. Forward passes in
float32 (torch, 2 threads), normal equations in float64.

  node --import tsx tools/recovery/kept-channels.ts --ratio 0.25 > /tmp/kept-0.25.json
  OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 tools/recovery/reconstruct_torch.py /tmp/kept-0.25.json
"""
import json
import os
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "train"))
from idx import read_idx  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
torch.set_num_threads(2)


def load_split(manifest, split):
    s = manifest["splits"][split]
    x = read_idx(os.path.join(ROOT, "public/data", s["images"])).astype(np.float32)
    y = read_idx(os.path.join(ROOT, "public/data", s["labels"])).astype(np.int64)
    p = manifest["preprocessing"]
    x = (x * p["scale"] - p["mean"][0]) / p["std"][0]
    return torch.from_numpy(x[:, None]), torch.from_numpy(y)


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class Net:
    """The ONNX graph (Conv / Relu / GlobalAveragePool / Flatten / Gemm chain) as torch ops."""

    def __init__(self, model, kept=None):
        inits = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
        self.nodes = []
        keep = {}  # tensor -> kept channel indices (absent: all)
        for n in model.graph.node:
            a = attrs(n)
            k_in = keep.get(n.input[0])
            if n.op_type == "Conv":
                w, b = inits[n.input[1]].clone(), inits[n.input[2]].clone()
                group = a.get("group", 1)
                out = kept.get(n.name) if kept else None
                if group == 1 and k_in is not None:
                    w = w[:, k_in]
                if out is not None:
                    w, b = w[out], b[out]
                    keep[n.output[0]] = out
                if group > 1:
                    group = w.shape[0]
                self.nodes.append(dict(op="Conv", name=n.name, w=w, b=b, stride=a.get("strides", [1, 1]), pad=a.get("pads", [0] * 4)[:2], group=group, i=n.input[0], o=n.output[0], pruned_in=k_in is not None and group == 1))
            elif n.op_type == "Gemm":
                w, b = inits[n.input[1]].clone(), inits[n.input[2]].clone()
                assert a.get("transB", 0) == 1
                if k_in is not None:
                    w = w[:, k_in]
                self.nodes.append(dict(op="Gemm", name=n.name, w=w, b=b, i=n.input[0], o=n.output[0], pruned_in=k_in is not None))
            else:
                if k_in is not None:
                    keep[n.output[0]] = k_in
                self.nodes.append(dict(op=n.op_type, name=n.name, i=n.input[0], o=n.output[0]))

    def run(self, x, stop_at=None, want="output"):
        """Runs up to node `stop_at`: want 'input' returns its input, 'output' its output."""
        for n in self.nodes:
            if n["name"] == stop_at and want == "input":
                return x
            if n["op"] == "Conv":
                x = F.conv2d(x, n["w"], n["b"], stride=n["stride"], padding=n["pad"], groups=n["group"])
            elif n["op"] == "Relu":
                x = F.relu(x)
            elif n["op"] == "GlobalAveragePool":
                x = x.mean(dim=(2, 3), keepdim=True)
            elif n["op"] == "Flatten":
                x = x.flatten(1)
            elif n["op"] == "Gemm":
                x = x @ n["w"].T + n["b"]
            if n["name"] == stop_at:
                return x
        return x


def rows(t):
    return t.permute(0, 2, 3, 1).reshape(-1, t.shape[1]) if t.dim() == 4 else t


def top1(net, x, y):
    with torch.no_grad():
        return sum((net.run(x[i:i + 500]).argmax(1) == y[i:i + 500]).sum().item() for i in range(0, len(x), 500)) / len(x)


def main():
    kept = {k: torch.tensor(v) for k, v in json.load(open(sys.argv[1])).items()}
    ridge = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-3
    manifest = json.load(open(os.path.join(ROOT, "public/data/fmnist.json")))
    calib_x, _ = load_split(manifest, "calibration")
    test_x, test_y = load_split(manifest, "test")
    model = onnx.load(os.path.join(ROOT, "public/models/dscnn-fmnist.onnx"))
    full, net = Net(model), Net(model, kept)
    print(f"float {100 * top1(full, test_x, test_y):.2f} %, pruned {100 * top1(net, test_x, test_y):.2f} %")
    t0 = time.time()
    with torch.no_grad():
        for n in [n for n in net.nodes if n.get("pruned_in") and (n["op"] == "Gemm" or n["w"].shape[2:] == (1, 1))]:
            out = kept.get(n["name"])
            cin = n["w"].shape[1]
            g = torch.zeros(cin + 1, cin + 1, dtype=torch.float64)
            r = torch.zeros(cin + 1, n["w"].shape[0], dtype=torch.float64)
            for i in range(0, len(calib_x), 100):
                xb = calib_x[i:i + 100]
                xr = rows(net.run(xb, n["name"], "input")).double()
                yr = rows(full.run(xb, n["name"], "output")).double()
                if out is not None:
                    yr = yr[:, out]
                xa = torch.cat([xr, torch.ones(len(xr), 1, dtype=torch.float64)], 1)
                g += xa.T @ xa
                r += xa.T @ yr
            lam = ridge * torch.diagonal(g)[:cin].mean()
            g[range(cin), range(cin)] += lam
            theta = torch.linalg.solve(g, r)
            w = theta[:cin].T.float()
            n["w"] = w.reshape(n["w"].shape)
            n["b"] = theta[cin].float()
    seconds = time.time() - t0
    print(f"reconstructed (ridge {ridge}): {100 * top1(net, test_x, test_y):.2f} % on {len(test_x)} test images; {seconds:.1f} s")


if __name__ == "__main__":
    main()
