#!/usr/bin/python3
"""PyTorch reference for the training benchmark (tools/bench/train.bench.ts runs it).

Same model (the ONNX file, run by the torch-op interpreter of tools/train/grad_fixtures.py, NCHW,
BN folded as in the file), same batch (128 bundled train images), softmax cross-entropy, no KD,
forward + backward + torch.optim.AdamW step; float32; torch.set_num_threads(threads).
Prints one JSON line: images/s over `steps` timed steps after `warmup` steps.

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 tools/bench/train_torch.py [threads] [steps]
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

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tools", "train"))
import idx  # noqa: E402
from grad_fixtures import param_names, run_onnx  # noqa: E402


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    warmup = 3
    batch = 128
    torch.set_num_threads(threads)
    model = onnx.load(os.path.join(REPO, "public", "models", "dscnn-fmnist.onnx"))
    manifest = json.load(open(os.path.join(REPO, "public", "data", "fmnist.json")))
    split = manifest["splits"]["train"]
    images = idx.read_idx(os.path.join(REPO, "public", "data", split["images"]))[:batch]
    labels = torch.tensor(idx.read_idx(os.path.join(REPO, "public", "data", split["labels"]))[:batch].astype(np.int64))
    pp = manifest["preprocessing"]
    x = torch.tensor(((images.astype(np.float32) * pp["scale"] - pp["mean"][0]) / pp["std"][0])[:, None])
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    params = {n: torch.tensor(inits[n].copy(), requires_grad=True) for n in param_names(model)}
    opt = torch.optim.AdamW(params.values(), lr=1e-3, weight_decay=1e-4)
    name = model.graph.input[0].name

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(run_onnx(model, {name: x}, params, "train"), labels)
        loss.backward()
        opt.step()

    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    dt = time.perf_counter() - t0
    print(json.dumps({"imagesPerSecond": batch * steps / dt, "threads": threads, "steps": steps, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
