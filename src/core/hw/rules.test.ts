/**
 * Mapping rules of the hardware view and the estimate's bookkeeping (issue 14): which engine
 * chain each layer gets (FINN's convert_to_hw_layers.py), which layers cannot be mapped and why,
 * per-layer bits, skip inputs, unknown budgets and overflow. Expected values are read off the
 * rules by hand.
 */
import { describe, expect, it } from 'vitest';
import { residualModel } from '../../../test/rtl-models.ts';
import { loadModel } from '../graph/index.ts';
import type { LayerInfo } from '../graph/layer.ts';
import { getDevice, validateDevice } from './devices.ts';
import { allowedFoldings, divisors, validateFolding } from './folding.ts';
import { hwLayersFromLayerView } from './layers.ts';
import { estimate } from './pipeline.ts';

function layer(p: Partial<LayerInfo> & Pick<LayerInfo, 'name' | 'kind'>): LayerInfo {
  return {
    op: 'Conv',
    inputShape: [null, 8, 8, 8],
    outputShape: [null, 8, 8, 8],
    kernel: [1, 1],
    stride: [1, 1],
    pads: [0, 0, 0, 0],
    dilation: [1, 1],
    groups: 1,
    params: 0,
    macs: 0,
    hasBias: false,
    ...p,
  };
}
const kinds = (l: LayerInfo[], bits?: Parameters<typeof hwLayersFromLayerView>[1]) => hwLayersFromLayerView(l, bits).map((h) => (h.mappable ? h.engines.map((e) => e.kind) : h.reason));

describe('engine chains per layer kind', () => {
  const fc = layer({ name: 'fc', kind: 'fc', op: 'Gemm', inputShape: [null, 8], outputShape: [null, 4], macs: 32 });

  it('pointwise: a DownSampler in front only when strided; padded 1x1 is refused', () => {
    const pw = layer({ name: 'pw', kind: 'pointwise', macs: 8 * 8 * 64 });
    const strided = layer({ name: 's', kind: 'pointwise', stride: [2, 2], outputShape: [null, 8, 4, 4], macs: 8 * 8 * 16 });
    expect(kinds([pw, strided, fc])).toEqual([['mvau', 'thresholding'], ['downsampler', 'mvau', 'thresholding'], ['mvau']]);
    expect(kinds([layer({ name: 'p', kind: 'pointwise', pads: [0, 0, 1, 0] }), fc])[0]).toBe('padded 1x1 convolution is not supported');
    expect(kinds([layer({ name: 'p', kind: 'pointwise', stride: [2, 1] }), fc])[0]).toMatch(/needs a square input and equal strides/);
    expect(kinds([layer({ name: 'p', kind: 'pointwise', stride: [2, 2], inputShape: [null, 8, 8, 6] }), fc])[0]).toMatch(/square input/);
  });

  it('conv and depthwise: FMPadding only when padded; depthwise with a channel multiplier is refused', () => {
    const conv = layer({ name: 'c', kind: 'conv', kernel: [3, 3], pads: [1, 1, 1, 1] });
    const valid = layer({ name: 'v', kind: 'conv', kernel: [3, 3], outputShape: [null, 8, 6, 6] });
    const dw = layer({ name: 'd', kind: 'depthwise', kernel: [3, 3], pads: [0, 1, 0, 1], groups: 8, outputShape: [null, 8, 6, 8] });
    expect(kinds([conv, valid, dw, fc])).toEqual([
      ['fmpadding', 'sliding-window', 'mvau', 'thresholding'],
      ['sliding-window', 'mvau', 'thresholding'],
      ['fmpadding', 'sliding-window', 'vvau', 'thresholding'],
      ['mvau'],
    ]);
    const hw = hwLayersFromLayerView([conv, dw, fc]);
    // conv: PE folds 8 output channels, SIMD folds k*k*Cin = 72; depthwise: PE 8 channels, SIMD k*k = 9
    expect(hw[0].fold).toEqual({ pe: 8, peLabel: 'output channels', simd: 72, simdLabel: 'k*k*Cin' });
    expect(hw[1].fold).toEqual({ pe: 8, peLabel: 'channels', simd: 9, simdLabel: 'k*k' });
    expect(hw[0].main).toBe(2);
    expect(hw[2].main).toBe(0);
    // the sliding window sees the padded map: 8 + 1 + 1 = 10
    expect(hw[0].engines[1]).toMatchObject({ kind: 'sliding-window', ifmDim: [10, 10], ofmDim: [8, 8], depthwise: false });
    expect(hw[1].engines[1]).toMatchObject({ ifmDim: [8, 10], depthwise: true });
    const mult = layer({ name: 'm', kind: 'depthwise', kernel: [3, 3], outputShape: [null, 16, 6, 6], groups: 8 });
    expect(kinds([mult, fc])[0]).toBe('depthwise convolution with channel multiplier 2 has no FINN engine (VVAU needs Cout = Cin)');
  });

  it('pools: StreamingMaxPool when the window tiles the map, sliding window + Pool otherwise, refusals with reasons', () => {
    const pool = (p: Partial<LayerInfo>) => layer({ name: 'p', kind: 'pool', op: 'MaxPool', poolType: 'max', kernel: [2, 2], stride: [2, 2], outputShape: [null, 8, 4, 4], ...p });
    expect(kinds([pool({})])).toEqual([['streaming-maxpool']]);
    expect(kinds([pool({ stride: [1, 1], outputShape: [null, 8, 7, 7] })])).toEqual([['sliding-window', 'pool']]);
    expect(kinds([pool({ pads: [1, 1, 1, 1], outputShape: [null, 8, 5, 5] })])).toEqual([['fmpadding', 'sliding-window', 'pool']]);
    // 7 x 7 does not tile into 2 x 2 windows in either direction: generic pool
    expect(kinds([pool({ inputShape: [null, 8, 7, 7], outputShape: [null, 8, 3, 3] })])).toEqual([['sliding-window', 'pool']]);
    // 7 x 8: the width tiles, which is enough
    expect(kinds([pool({ inputShape: [null, 8, 7, 8], outputShape: [null, 8, 3, 4] })])).toEqual([['streaming-maxpool']]);
    expect(kinds([pool({ poolType: 'avg', op: 'AveragePool' })])).toEqual([['sliding-window', 'pool']]);
    expect(kinds([pool({ poolType: 'avg', op: 'AveragePool', pads: [1, 1, 1, 1] })])[0]).toMatch(/padded average pooling/);
    expect(kinds([pool({ stride: [3, 3] })])[0]).toMatch(/stride larger than the kernel/);
    expect(kinds([pool({ kernel: [2, 1], stride: [2, 2] })])[0]).toMatch(/stride larger than the kernel/);
    expect(kinds([pool({ poolType: 'lp' as LayerInfo['poolType'] })])[0]).toBe('pool type lp is not supported');
    expect(kinds([pool({ poolType: 'global-avg', outputShape: [null, 8, 1, 1] })])).toEqual([['global-acc-pool']]);
    expect(kinds([pool({ poolType: 'global-max', outputShape: [null, 8, 1, 1] })])).toEqual([['streaming-maxpool']]);
    const gmax = hwLayersFromLayerView([pool({ poolType: 'global-max', outputShape: [null, 8, 1, 1] })])[0];
    expect(gmax.engines[0]).toMatchObject({ imgDim: [8, 8], poolDim: [8, 8] });
  });

  it('unsupported, grouped, unknown shapes and non-Add elementwise ops are not mapped, with the reason', () => {
    expect(kinds([layer({ name: 'u', kind: 'unsupported', op: 'Erf', reason: 'Erf is not supported' })])[0]).toBe('Erf is not supported');
    expect(kinds([layer({ name: 'u', kind: 'unsupported', op: 'Erf' })])[0]).toBe('operator Erf is not supported');
    expect(kinds([layer({ name: 'g', kind: 'grouped', groups: 4 })])[0]).toMatch(/groups=4/);
    expect(kinds([layer({ name: 'n', kind: 'conv', inputShape: [null, 8, null, 8] })])[0]).toBe('input or output shape is not fully known');
    expect(kinds([layer({ name: 'n', kind: 'conv', outputShape: [null] })])[0]).toBe('input or output shape is not fully known');
    expect(kinds([layer({ name: 'm', kind: 'elementwise', op: 'Mul' })])[0]).toMatch(/elementwise Mul of two activations/);
    expect(kinds([layer({ name: 'f', kind: 'fc', op: 'MatMul', inputShape: [null, null], outputShape: [null, 4] })])[0]).toBe('input or output shape is not fully known');
  });

  it('FC: rows from MACs (a MatMul over a sequence), thresholds after every compute layer but the last', () => {
    const seq = layer({ name: 'seq', kind: 'fc', op: 'MatMul', inputShape: [null, 5, 8], outputShape: [null, 5, 4], macs: 5 * 8 * 4 });
    const hw = hwLayersFromLayerView([seq, fc]);
    expect(hw[0].engines).toEqual([
      { kind: 'mvau', mw: 8, mh: 4, numVectors: 5 },
      // 8 inputs of 8 x 8 bits: alpha = 3 + 15 = 18 -> ceil(18 + log2(1 + 2^-18) + 1) = ceil(19.000006) = 20; output 8 bits
      { kind: 'thresholding', channels: 4, numVectors: 5, thresholdBits: 20, outBits: 8 },
    ]);
    expect(hw[1].engines).toEqual([{ kind: 'mvau', mw: 8, mh: 4, numVectors: 1 }]);
  });

  it('per-layer bits, by name or by position; the threshold outputs the next layer\'s activation bits', () => {
    const a = layer({ name: 'a', kind: 'pointwise' });
    const b = layer({ name: 'b', kind: 'pointwise' });
    const byName = hwLayersFromLayerView([a, b, fc], { b: { actBits: 4, weightBits: 3 } });
    expect(byName[0].bits).toEqual({ weightBits: 8, actBits: 8 });
    expect(byName[1].bits).toMatchObject({ weightBits: 3, actBits: 4 });
    expect(byName[0].engines[1]).toMatchObject({ kind: 'thresholding', outBits: 4 });
    // 8 inputs of 3 x 4 bits: alpha = 3 + 3 + 4 - 1 = 9 -> ceil(9 + 0.0028 + 1) = 11-bit thresholds
    expect(byName[1].engines[1]).toMatchObject({ kind: 'thresholding', thresholdBits: 11, outBits: 8 });
    const byIndex = hwLayersFromLayerView([a, b, fc], [undefined, { actBits: 6 }]);
    expect(byIndex[0].engines[1]).toMatchObject({ outBits: 6 });
    expect(byIndex[1].bits.actBits).toBe(6);
  });

  it('an Add takes its skip input from the nearest earlier layer (before its direct input) with the same shape', () => {
    const stem = layer({ name: 'stem', kind: 'pointwise' });
    const expand = layer({ name: 'expand', kind: 'pointwise', outputShape: [null, 16, 8, 8] });
    const project = layer({ name: 'project', kind: 'pointwise', inputShape: [null, 16, 8, 8] });
    const add = layer({ name: 'add', kind: 'elementwise', op: 'Add' });
    const hw = hwLayersFromLayerView([stem, expand, project, add, fc]);
    expect(hw[3].skipFrom).toBe(0);
    expect(hw[3].engines).toEqual([
      { kind: 'add-streams', channels: 8, numVectors: 64 },
      // the sum of two 8-bit activations needs 9 bits
      { kind: 'thresholding', channels: 8, numVectors: 64, thresholdBits: 9, outBits: 8 },
    ]);
    expect(hwLayersFromLayerView([expand, add, fc])[1].skipFrom).toBe(-1);
  });
});

describe('estimate bookkeeping', () => {
  const fc = layer({ name: 'fc', kind: 'fc', op: 'Gemm', inputShape: [null, 8], outputShape: [null, 4], macs: 32, params: 36 });
  const pw = layer({ name: 'pw', kind: 'pointwise', macs: 8 * 8 * 64, params: 72 });

  it('unmapped layers are left out of every total and counted in a warning', () => {
    const g = layer({ name: 'g', kind: 'grouped', groups: 2, macs: 1000, params: 50 });
    const e = estimate(hwLayersFromLayerView([pw, g, fc]), {}, getDevice('XC7Z020'), 100);
    expect(e.unmapped).toEqual([{ name: 'g', reason: expect.stringMatching(/groups=2/) }]);
    // 4096 + 32 MACs -> 8256 ops
    expect(e.opsPerFrame).toBe(8256);
    expect(e.warnings).toContain('1 layer(s) cannot be mapped and are left out of every total.');
    expect(e.layers[1]).toMatchObject({ mappable: false, engine: null, cycles: 0, lut: 0 });
  });

  it('unknown budgets: fit is null, with a warning; a zero budget that is used overflows', () => {
    const unknown = validateDevice({ id: 'UNK', vendor: 'Other', lut: 100000, lutInputs: 6, ff: null, dsp: 100, bram18: 100, processNm: 28 });
    const e = estimate(hwLayersFromLayerView([pw, fc]), {}, unknown, 100);
    expect(e.resources.ff).toMatchObject({ available: null, utilization: null });
    expect(e.fits).toBeNull();
    expect(e.warnings).toContain('UNK: some budgets are unknown (null in the catalog); fit is only checked for known resources.');
    // on a device without DSPs everything goes to LUTs: 0 of 0 is a fit
    const noDsp = validateDevice({ id: 'NODSP', vendor: 'Other', lut: 100000, lutInputs: 6, ff: 100000, dsp: 0, bram18: 100, processNm: 28 });
    const d = estimate(hwLayersFromLayerView([pw, fc]), {}, noDsp, 100);
    expect(d.resources.dsp).toEqual({ used: 0, available: 0, utilization: 0 });
    expect(d.fits).toBe(true);
    // memories forced into BRAM on a device without BRAM (weights 64 x 8 b: 1 RAMB18, the requantizer's
    // parameters: 1): 2 of 0 overflows without bound
    const noBram = validateDevice({ id: 'NOBRAM', vendor: 'Other', lut: 100000, lutInputs: 6, ff: 100000, dsp: 100, bram18: 0, processNm: 28 });
    const b = estimate(hwLayersFromLayerView([pw, fc]), { pw: { memStyle: 'bram' } }, noBram, 100);
    expect(b.resources.bram).toEqual({ used: 2, available: 0, utilization: Infinity });
    expect(b.fits).toBe(false);
    expect(b.overflowing).toEqual(['bram']);
    expect(b.firstToOverflow).toBe('bram');
  });

  it('the bottleneck is the first slowest engine; FPS and latency scale with the clock', () => {
    // pw: 8*8*64 = 4096 cycles fully folded; fc: 4*8 = 32
    const e = estimate(hwLayersFromLayerView([pw, fc]), {}, getDevice('XC7Z020'), 200);
    expect(e.maxCycles).toBe(4096);
    expect(e.fps).toBeCloseTo(200e6 / 4096, 9);
    expect(e.bottleneck).toEqual({ layer: 'pw', engine: 'mvau' });
    expect(e.layers.map((l) => l.isBottleneck)).toEqual([true, false]);
    // PE 8 on pw: 8*64 = 512 cycles; still the bottleneck
    const folded = estimate(hwLayersFromLayerView([pw, fc]), { pw: { pe: 8 } }, getDevice('XC7Z020'), 200);
    expect(folded.maxCycles).toBe(512);
    expect(() => estimate(hwLayersFromLayerView([pw, fc]), {}, getDevice('XC7Z020'), 0)).toThrow(/clock \(MHz\) must be a number from 1 to 2000, got 0/);
  });
});

describe('folding constraints', () => {
  it('divisors in increasing order, squares once', () => {
    expect(divisors(36)).toEqual([1, 2, 3, 4, 6, 9, 12, 18, 36]);
    expect(divisors(1)).toEqual([1]);
    expect(divisors(13)).toEqual([1, 13]);
    expect(divisors(16)).toEqual([1, 2, 4, 8, 16]);
  });

  it('long lists of allowed values are shortened in messages', () => {
    const big = layer({ name: 'big', kind: 'pointwise', inputShape: [null, 720720, 1, 1], outputShape: [null, 8, 1, 1] });
    const [hw] = hwLayersFromLayerView([big, layer({ name: 'fc', kind: 'fc', op: 'Gemm', inputShape: [null, 8], outputShape: [null, 4], macs: 32 })]);
    expect(allowedFoldings(hw).simd).toHaveLength(240);
    expect(() => validateFolding([hw], { big: { simd: 7 * 11 * 13 * 17 } })).toThrow(/Allowed SIMD: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 21, 22, 24, 26, 28, 30, \.\.\. \(240 values\)/);
    expect(() => validateFolding([hw], { big: { pe: 3 } })).toThrow(/PE=3 must divide 8 \(output channels\)\. Allowed PE: 1, 2, 4, 8\./);
  });
});

describe('skip source of a residual Add, from the graph', () => {
  it("follows the Add's inputs back through ReLU to the layers that produce them", () => {
    // stem -> ReLU -> dw -> ReLU -> pw -> Add(pw, ReLU(stem)): dw has the stem's shape, so the shape rule would pick it
    const layers = loadModel(residualModel(8), 'residual.onnx').layers;
    const add = layers.find((l) => l.name === 'add')!;
    expect(add.sources).toEqual(['pw', 'stem']);
    expect(hwLayersFromLayerView(layers).find((l) => l.name === 'add')!.skipFrom).toBe(0);
    // Without sources (a hand-built view) the shape rule still applies: dw, the nearest same-shape layer.
    const bare = layers.map(({ sources: _sources, ...l }) => l);
    expect(hwLayersFromLayerView(bare).find((l) => l.name === 'add')!.skipFrom).toBe(1);
  });
});
