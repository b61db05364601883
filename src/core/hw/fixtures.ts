/**
 * Hand-built layer views for tests, the benchmark and docs/hardware-results.md.
 * `referenceLikeLayers` is a depthwise-separable CNN sized like the reference paper's compressed
 * model (Meng et al. 2024: ~0.08 M parameters, ~8 M MACs, 8-bit); it is constructed by hand
 * because the pruning engine is not wired in yet, and is NOT the paper's exact network.
 */
import type { LayerInfo } from '../graph/layer.ts';

type Conv = { name: string; kind: 'conv' | 'pointwise' | 'depthwise'; cin: number; cout: number; h: number; k: number; s: number };

function conv({ name, kind, cin, cout, h, k, s }: Conv): LayerInfo {
  const pad = (k - 1) >> 1;
  const ho = Math.floor((h + 2 * pad - k) / s) + 1;
  const groups = kind === 'depthwise' ? cin : 1;
  const weights = cout * (cin / groups) * k * k;
  return {
    name,
    op: 'Conv',
    kind,
    inputShape: [null, cin, h, h],
    outputShape: [null, cout, ho, ho],
    kernel: [k, k],
    stride: [s, s],
    pads: [pad, pad, pad, pad],
    dilation: [1, 1],
    groups,
    params: weights + cout,
    macs: weights * ho * ho,
    hasBias: true,
  };
}

function gap(name: string, c: number, h: number): LayerInfo {
  return {
    name,
    op: 'GlobalAveragePool',
    kind: 'pool',
    poolType: 'global-avg',
    inputShape: [null, c, h, h],
    outputShape: [null, c, 1, 1],
    kernel: [h, h],
    stride: [1, 1],
    pads: [0, 0, 0, 0],
    dilation: [1, 1],
    groups: 1,
    params: 0,
    macs: 0,
    hasBias: false,
  };
}

function fc(name: string, cin: number, cout: number): LayerInfo {
  return {
    name,
    op: 'Gemm',
    kind: 'fc',
    inputShape: [null, cin],
    outputShape: [null, cout],
    kernel: [1, 1],
    stride: [1, 1],
    pads: [0, 0, 0, 0],
    dilation: [1, 1],
    groups: 1,
    params: cin * cout + cout,
    macs: cin * cout,
    hasBias: true,
  };
}

/** 28x28x1 input, widths 32-64-128-128-256: 0.067 M parameters, 8.88 M MACs. */
export function referenceLikeLayers(): LayerInfo[] {
  return [
    conv({ name: 'conv0', kind: 'conv', cin: 1, cout: 32, h: 28, k: 3, s: 1 }),
    conv({ name: 'dw1', kind: 'depthwise', cin: 32, cout: 32, h: 28, k: 3, s: 1 }),
    conv({ name: 'pw1', kind: 'pointwise', cin: 32, cout: 64, h: 28, k: 1, s: 1 }),
    conv({ name: 'dw2', kind: 'depthwise', cin: 64, cout: 64, h: 28, k: 3, s: 2 }),
    conv({ name: 'pw2', kind: 'pointwise', cin: 64, cout: 128, h: 14, k: 1, s: 1 }),
    conv({ name: 'dw3', kind: 'depthwise', cin: 128, cout: 128, h: 14, k: 3, s: 1 }),
    conv({ name: 'pw3', kind: 'pointwise', cin: 128, cout: 128, h: 14, k: 1, s: 1 }),
    conv({ name: 'dw4', kind: 'depthwise', cin: 128, cout: 128, h: 14, k: 3, s: 2 }),
    conv({ name: 'pw4', kind: 'pointwise', cin: 128, cout: 256, h: 7, k: 1, s: 1 }),
    gap('gap', 256, 7),
    fc('fc', 256, 10),
  ];
}

/** A small inverted-residual block (expand 1x1, depthwise 3x3, project 1x1, Add) for residual tests. */
export function residualLayers(): LayerInfo[] {
  const add: LayerInfo = {
    ...conv({ name: 'x', kind: 'pointwise', cin: 16, cout: 16, h: 8, k: 1, s: 1 }),
    name: 'add',
    op: 'Add',
    kind: 'elementwise',
    params: 0,
    macs: 0,
    hasBias: false,
  };
  return [
    conv({ name: 'stem', kind: 'conv', cin: 3, cout: 16, h: 8, k: 3, s: 1 }),
    conv({ name: 'expand', kind: 'pointwise', cin: 16, cout: 64, h: 8, k: 1, s: 1 }),
    conv({ name: 'dw', kind: 'depthwise', cin: 64, cout: 64, h: 8, k: 3, s: 1 }),
    conv({ name: 'project', kind: 'pointwise', cin: 64, cout: 16, h: 8, k: 1, s: 1 }),
    add,
    gap('gap', 16, 8),
    fc('fc', 16, 10),
  ];
}

/** MobileNet-v1 (width 1.0, 224x224x3, 1000 classes): 4.2 M parameters, 569 M MACs. For the power check. */
export function mobileNetV1Layers(): LayerInfo[] {
  const out: LayerInfo[] = [conv({ name: 'conv0', kind: 'conv', cin: 3, cout: 32, h: 224, k: 3, s: 2 })];
  const blocks: [number, number, number][] = [
    [32, 64, 1],
    [64, 128, 2],
    [128, 128, 1],
    [128, 256, 2],
    [256, 256, 1],
    [256, 512, 2],
    [512, 512, 1],
    [512, 512, 1],
    [512, 512, 1],
    [512, 512, 1],
    [512, 512, 1],
    [512, 1024, 2],
    [1024, 1024, 1],
  ];
  let h = 112;
  blocks.forEach(([cin, cout, s], i) => {
    out.push(conv({ name: `dw${i + 1}`, kind: 'depthwise', cin, cout: cin, h, k: 3, s }));
    h = Math.floor((h + 2 - 3) / s) + 1;
    out.push(conv({ name: `pw${i + 1}`, kind: 'pointwise', cin, cout, h, k: 1, s: 1 }));
  });
  out.push(gap('gap', 1024, h), fc('fc', 1024, 1000));
  return out;
}
