#!/usr/bin/env python3
"""Writes MobileNet-v1 (width 1.0, 224 x 224 x 3, 1000 classes; Howard et al. 2017,
arXiv:1704.04861, Table 1) as ONNX, built with PyTorch and seeded random weights: a real
network file of the published shape for the hardware estimate, not a trained model.

Layer order as in finn-examples build/mobilenet-v1 (conv0, 13 x (depthwise, pointwise),
global average pool, FC); BatchNorm is folded into the convolutions by the exporter.
Usage: /usr/bin/python3 tools/models/mobilenet_v1_onnx.py OUT.onnx
"""
import sys

import torch
from torch import nn

# (input channels, output channels, depthwise stride) of the 13 depthwise-separable blocks.
BLOCKS = [
    (32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2),
    (512, 512, 1), (512, 512, 1), (512, 512, 1), (512, 512, 1), (512, 512, 1),
    (512, 1024, 2), (1024, 1024, 1),
]


def conv_bn_relu(cin, cout, kernel, stride, groups):
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class MobileNetV1(nn.Module):
    def __init__(self):
        super().__init__()
        layers = [conv_bn_relu(3, 32, 3, 2, 1)]
        for cin, cout, stride in BLOCKS:
            layers.append(conv_bn_relu(cin, cin, 3, stride, cin))
            layers.append(conv_bn_relu(cin, cout, 1, 1, 1))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(1024, 1000)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: mobilenet_v1_onnx.py OUT.onnx")
    torch.manual_seed(0)
    model = MobileNetV1().eval()
    # BatchNorm statistics as a trained network has them, not the defaults: with the defaults every
    # folded bias is zero, the exporter stores equal biases once behind Identity nodes, and a tool
    # that edits weights (pruning) cannot reach them.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    torch.onnx.export(
        model,
        torch.zeros(1, 3, 224, 224),
        sys.argv[1],
        input_names=["input"],
        output_names=["logits"],
        # Any batch size: evaluation and sweeps run batches of several images.
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=13,
        do_constant_folding=True,
    )


if __name__ == "__main__":
    main()
