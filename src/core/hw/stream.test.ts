/**
 * The estimate's stream pass (pipeline.ts): width converters where a producer's words carry a
 * different number of elements than the consumer reads, FIFOs of the consumer's width, the
 * residual bypass, and the window's folding. Converter and FIFO costs are worked by hand from
 * FINN's formulas (streamingdatawidthconverter.py LUTs: |ceil(log2(in/lcm))| + lcm when the input
 * is narrower than the lcm, |ceil(log2(lcm/out))| + out when the output is; Q_srl FIFO
 * 2 x ceil(log2 depth) + ceil(depth/32) x ceil(width/2)) and the generator's buffers (converter FF
 * (in + out - 1) elements + clog2(in + out) + 1 count bits; FIFO FF width + 2 x ceil(log2 depth)).
 */
import { describe, expect, it } from 'vitest';
import type { LayerInfo } from '../graph/layer.ts';
import { getDevice, validateDevice } from './devices.ts';
import { slidingWindowAuxFold } from './engines/sliding-window.ts';
import { hwLayersFromLayerView } from './layers.ts';
import { allowedFoldings, validateFolding } from './folding.ts';
import { estimate } from './pipeline.ts';

// A device outside every calibrated family, LUT6: costs are the uncalibrated formulas.
const SIX = validateDevice({ id: 'SIX', vendor: 'Other', lut: 100000, lutInputs: 6, ff: 200000, dsp: 200, bram18: 200, processNm: 28 });

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

describe('width converters and FIFOs between engines', () => {
  it('FC 8 -> 4 -> 2, 8-bit: converters at the input, between engines and before the output', () => {
    const fc1 = layer({ name: 'fc1', kind: 'fc', op: 'Gemm', inputShape: [null, 8], outputShape: [null, 4], macs: 32 });
    const fc2 = layer({ name: 'fc2', kind: 'fc', op: 'Gemm', inputShape: [null, 4], outputShape: [null, 2], macs: 8 });
    const e = estimate(hwLayersFromLayerView([fc1, fc2]), { fc1: { pe: 2, simd: 4 }, fc2: { pe: 2, simd: 2 } }, SIX, 100);
    expect(e.layers.map((l) => l.engines.map((x) => x.kind))).toEqual([['mvau', 'thresholding'], ['mvau']]);
    // fc1 MVAU: (4/2) x (8/4) = 4 cycles, 8/4 = 2 input words, 4/2 = 2 output words of 2 accumulators:
    // acc alpha = log2(8) + 8 + 8 - 1 = 18 -> 20 bits. fc2 MVAU: (2/2) x (4/2) = 2 cycles; acc alpha = 2 + 15 = 17 -> 19.
    // Target 4 cycles: fc1's requantiser (4 channels) meets it at PE 1: 4 words of one 8-bit element.
    expect(e.layers[0].engines[1]).toMatchObject({ pe: 1, cycles: 4, inWords: 4, outWords: 4, outWidth: 8 });
    expect(e.layers[0].widthConverters).toEqual([
      // network input, one element per word -> the MVAU's SIMD 4: 2 words x 4 = 8 input words.
      // 8 -> 32 bits (lcm 32): |ceil(log2(8/32))| + 32 = 34; FF (up) 4 x 8 + a ring of 4 + flag 1 = 37
      { from: 'input', to: 'fc1/mvau', inElements: 1, outElements: 4, elementBits: 8, lut: 34, ff: 37, bypass: false },
      // MVAU words of 2 x 20-bit accumulators -> the requantiser's PE 1: 40 -> 20 bits (lcm 40):
      // |ceil(log2(40/20))| + 20 = 21; FF (down) 2 x 20 + 2 slices-left bits = 42
      { from: 'fc1/mvau', to: 'fc1/thresholding', inElements: 2, outElements: 1, elementBits: 20, lut: 21, ff: 42, bypass: false },
    ]);
    // FIFO of the consumer's width (20 b), depth 32: LUT 2 x 5 + 1 x 10 = 20, FF 20 + 10 = 30
    expect(e.layers[0].fifos).toEqual([{ from: 'fc1/mvau', to: 'fc1/thresholding', depth: 32, width: 20, lut: 20, ff: 30, bram18: 0, bypass: false }]);
    expect(e.layers[1].widthConverters).toEqual([
      // requantiser words of 1 element -> fc2's SIMD 2: 8 -> 16 bits: |ceil(log2(8/16))| + 16 = 17; FF (up) 2 x 8 + a ring of 2 + flag 1 = 19
      { from: 'fc1/thresholding', to: 'fc2/mvau', inElements: 1, outElements: 2, elementBits: 8, lut: 17, ff: 19, bypass: false },
      // output, one logit per word: 2 x 19 b -> 19 b: |ceil(log2(38/19))| + 19 = 20; FF (down) 2 x 19 + 2 slices-left bits = 40
      { from: 'fc2/mvau', to: 'output', inElements: 2, outElements: 1, elementBits: 19, lut: 20, ff: 40, bypass: false },
    ]);
    // 16-bit FIFO: LUT 10 + 1 x 8 = 18, FF 16 + 10 = 26
    expect(e.layers[1].fifos).toEqual([{ from: 'fc1/thresholding', to: 'fc2/mvau', depth: 32, width: 16, lut: 18, ff: 26, bram18: 0, bypass: false }]);
    // converters and FIFOs count in their layer's LUT and in the totals (LUT6 device: factor 1)
    expect(e.totals.widthConverterLut).toBe(34 + 21 + 17 + 20);
    expect(e.totals.fifoLut).toBe(20 + 18);
  });

  it('FIFOs deeper than 256 words: the Vivado FIFO, memory chosen by device share; an unmapped first layer', () => {
    const fc1 = layer({ name: 'fc1', kind: 'fc', op: 'Gemm', inputShape: [null, 8], outputShape: [null, 4], macs: 32 });
    const fc2 = layer({ name: 'fc2', kind: 'fc', op: 'Gemm', inputShape: [null, 4], outputShape: [null, 2], macs: 8 });
    const odd = layer({ name: 'odd', kind: 'unsupported', op: 'Erf', inputShape: [null, 8], outputShape: [null, 8] });
    const e = estimate(hwLayersFromLayerView([odd, fc1, fc2]), { fc1: { pe: 2, simd: 4 }, fc2: { pe: 1, simd: 1 } }, SIX, 100, { fifoDepth: 300 });
    // 300 -> 512 words of 20 b: address 2 x 9 = 18; LUTRAM 16 x 10 = 160 LUTs (0.16 %) vs 1 RAMB18 (0.5 %): LUTRAM
    // LUT 18 + 160 = 178; FF 20 + 2 x 18 = 56
    expect(e.layers[1].fifos).toEqual([{ from: 'fc1/mvau', to: 'fc1/thresholding', depth: 300, width: 20, lut: 178, ff: 56, bram18: 0, bypass: false }]);
    // the input converter sits at the first mapped layer
    expect(e.layers[1].widthConverters[0]).toMatchObject({ from: 'input', to: 'fc1/mvau', inElements: 1, outElements: 4 });
    expect(e.layers[0].widthConverters).toEqual([]);
  });

  it('no converter where the element counts agree (SIMD 1 at the input, PE 1 at the output)', () => {
    const fc1 = layer({ name: 'fc1', kind: 'fc', op: 'Gemm', inputShape: [null, 8], outputShape: [null, 4], macs: 32 });
    const fc2 = layer({ name: 'fc2', kind: 'fc', op: 'Gemm', inputShape: [null, 4], outputShape: [null, 2], macs: 8 });
    const e = estimate(hwLayersFromLayerView([fc1, fc2]), { fc1: { pe: 1, simd: 1 }, fc2: { pe: 1, simd: 1 } }, SIX, 100);
    expect(e.layers.flatMap((l) => l.widthConverters)).toEqual([]);
    // FIFOs: 20-bit accumulators into the requantiser, 8-bit activations into fc2
    expect(e.layers.flatMap((l) => l.fifos.map((f) => f.width))).toEqual([20, 8]);
  });

  it('a residual Add whose skip input is not in the layer view: bypass from the network input, converted to the Add PE', () => {
    const expand = layer({ name: 'expand', kind: 'pointwise', outputShape: [null, 16, 8, 8], macs: 8 * 16 * 64 });
    const project = layer({ name: 'project', kind: 'pointwise', inputShape: [null, 16, 8, 8], macs: 16 * 8 * 64 });
    const add = layer({ name: 'add', kind: 'elementwise', op: 'Add' });
    const hw = hwLayersFromLayerView([expand, project, add]);
    expect(hw[2].skipFrom).toBe(-1);
    const e = estimate(hw, { expand: { pe: 1, simd: 1 }, project: { pe: 1, simd: 1 }, add: { pe: 2 } }, SIX, 100);
    const row = e.layers[2];
    // 8 channels x 64 pixels / PE 2 = 256 Add input words; the skip stream (1 element per word) -> 2:
    // 512 input words, 8 -> 16 bits: LUT 17, FF (up) 2 x 8 + a ring of 2 + flag 1 = 19
    expect(row.widthConverters).toContainEqual({ from: 'input', to: 'add (bypass)', inElements: 1, outElements: 2, elementBits: 8, lut: 17, ff: 19, bypass: true });
    // bypass depth: no window on the branch: 0 + 32 slack words -> 32; 2 x 8 = 16 bits: LUT 18, FF 26
    expect(row.fifos.filter((f) => f.bypass)).toEqual([{ from: 'input', to: 'add (bypass)', depth: 32, width: 16, lut: 18, ff: 26, bram18: 0, bypass: true }]);
    expect(e.warnings).toContain('add: skip input not found in the layer view; bypass FIFO sized from the network input.');
  });

  it('a bypass found in the view, at the same element count, has no converter', () => {
    const stem = layer({ name: 'stem', kind: 'pointwise', macs: 8 * 8 * 64 });
    const expand = layer({ name: 'expand', kind: 'pointwise', outputShape: [null, 16, 8, 8], macs: 8 * 16 * 64 });
    const project = layer({ name: 'project', kind: 'pointwise', inputShape: [null, 16, 8, 8], macs: 16 * 8 * 64 });
    const add = layer({ name: 'add', kind: 'elementwise', op: 'Add' });
    // stem PE 1: its requantiser's words carry one element; the Add at PE 1 reads the same
    const e = estimate(hwLayersFromLayerView([stem, expand, project, add]), { stem: { pe: 1, simd: 1 }, expand: { pe: 1, simd: 1 }, project: { pe: 1, simd: 1 }, add: { pe: 1 } }, SIX, 100);
    expect(e.layers[3].widthConverters.filter((c) => c.bypass)).toEqual([]);
    expect(e.layers[3].fifos.filter((f) => f.bypass)).toEqual([{ from: 'stem', to: 'add (bypass)', depth: 32, width: 8, lut: 2 * 5 + 4, ff: 8 + 10, bram18: 0, bypass: true }]);
    expect(e.warnings.some((w) => w.includes('skip input not found'))).toBe(false);
  });

  it('a skip from the first layer reads the stream of that layer, not the network input', () => {
    const stem = layer({ name: 'stem', kind: 'pointwise', macs: 8 * 8 * 64 });
    const expand = layer({ name: 'expand', kind: 'pointwise', outputShape: [null, 16, 8, 8], macs: 8 * 16 * 64 });
    const project = layer({ name: 'project', kind: 'pointwise', inputShape: [null, 16, 8, 8], macs: 16 * 8 * 64 });
    const add = layer({ name: 'add', kind: 'elementwise', op: 'Add' });
    const view = [stem, expand, project, add];
    // Add at PE 2: 8 x 64 / 2 = 256 cycles, the slowest engine (the MVAUs at full folding take 64), so the
    // stem's requantiser meets 256 cycles at PE 2 (8 x 64 / 2): its words carry 2 elements, as the Add reads
    // them -> no bypass converter (the network input, 1 element per word, would need one)
    const fast = { stem: { pe: 8, simd: 8 }, expand: { pe: 16, simd: 8 }, project: { pe: 8, simd: 16 } };
    const paired = estimate(hwLayersFromLayerView(view), { ...fast, add: { pe: 2 } }, SIX, 100);
    expect(paired.layers[0].engines[1]).toMatchObject({ kind: 'thresholding', pe: 2 });
    expect(paired.layers[3].widthConverters.filter((c) => c.bypass)).toEqual([]);
    // Add at PE 4 after a stem folded at PE 1 (requantiser at PE 1, 1 element per word): converter 1 -> 4 from
    // the stem; 8 -> 32 bits: |ceil(log2(8/32))| + 32 = 34 LUT; FF (up) 4 x 8 + a ring of 4 + flag 1 = 37
    const slow = estimate(hwLayersFromLayerView(view), { stem: { pe: 1, simd: 1 }, expand: { pe: 1, simd: 1 }, project: { pe: 1, simd: 1 }, add: { pe: 4 } }, SIX, 100);
    expect(slow.layers[3].widthConverters.filter((c) => c.bypass)).toEqual([{ from: 'stem', to: 'add (bypass)', inElements: 1, outElements: 4, elementBits: 8, lut: 34, ff: 37, bypass: true }]);
  });
});

describe('stream elements of the engines without PE lanes', () => {
  it('a StreamingMaxPool emits a whole pixel (C elements) per word: converter C -> SIMD before the next MVAU', () => {
    const mp = layer({ name: 'mp', kind: 'pool', op: 'MaxPool', poolType: 'max', kernel: [2, 2], stride: [2, 2], outputShape: [null, 8, 4, 4] });
    const pw = layer({ name: 'pw', kind: 'pointwise', inputShape: [null, 8, 4, 4], outputShape: [null, 8, 4, 4], macs: 8 * 8 * 16 });
    const e = estimate(hwLayersFromLayerView([mp, pw]), { pw: { pe: 1, simd: 2 } }, SIX, 100);
    // pool: 4 x 4 output words of 8 x 8 = 64 bits (8 elements); MVAU at SIMD 2 reads 16 x 8/2 = 64 words:
    // 16 x 8 / 64 = 2 elements per word. 64 -> 16 bits (lcm 64): |ceil(log2(64/16))| + 16 = 18 LUT;
    // FF (down) 8 x 8 held + 8 / 2 = 4 slices-left bits = 68
    expect(e.layers[0].engines[0]).toMatchObject({ kind: 'streaming-maxpool', outWords: 16, outWidth: 64 });
    expect(e.layers[0].widthConverters).toEqual([]);
    expect(e.layers[1].widthConverters).toEqual([{ from: 'mp/streaming-maxpool', to: 'pw/mvau', inElements: 8, outElements: 2, elementBits: 8, lut: 18, ff: 68, bypass: false }]);
  });

  it('a strided 1x1 conv first in the network: the DownSampler reads SIMD elements from the input and hands SIMD on', () => {
    const ds = layer({ name: 'ds', kind: 'pointwise', stride: [2, 2], outputShape: [null, 8, 4, 4], macs: 8 * 8 * 16 });
    const e = estimate(hwLayersFromLayerView([ds]), { ds: { pe: 1, simd: 4 } }, SIX, 100);
    // MVAU: 16 pixels x 8/4 x 8/1 = 128 cycles, target; the DownSampler meets it at SIMD 2 (8 x 8 pixels x 8/2 = 256
    // input words, 4 x 4 x 4 = 64 output words of 2 elements); the MVAU reads 16 x 8/4 = 32 words of 4 elements.
    expect(e.layers[0].engines.map((x) => [x.kind, x.simd, x.inWords, x.outWords, x.outWidth])).toEqual([
      ['downsampler', 2, 256, 64, 16],
      ['mvau', 4, 32, 128, 20],
    ]);
    expect(e.layers[0].widthConverters).toEqual([
      // input 1 -> 2 elements: 8 -> 16 bits: |ceil(log2(8/16))| + 16 = 17 LUT; FF (up) 2 x 8 + a ring of 2 + flag 1 = 19
      { from: 'input', to: 'ds/downsampler', inElements: 1, outElements: 2, elementBits: 8, lut: 17, ff: 19, bypass: false },
      // 64 words x 2 = 32 words x 4: 16 -> 32 bits: 1 + 32 = 33 LUT; FF (up) 4 x 8 + a ring of 2 + flag 1 = 35
      { from: 'ds/downsampler', to: 'ds/mvau', inElements: 2, outElements: 4, elementBits: 8, lut: 33, ff: 35, bypass: false },
    ]);
  });

  it('the output converter sits on the last layer with engines, not on an unmapped layer after it', () => {
    const fc = layer({ name: 'fc', kind: 'fc', op: 'Gemm', inputShape: [null, 8], outputShape: [null, 4], macs: 32 });
    const odd = layer({ name: 'odd', kind: 'unsupported', op: 'Erf', inputShape: [null, 4], outputShape: [null, 4] });
    const e = estimate(hwLayersFromLayerView([fc, odd]), { fc: { pe: 2, simd: 1 } }, SIX, 100);
    // FC at PE 2: words of 2 accumulators of log2(8) + 8 + 8 - 1 = 18 -> 20 bits; one logit per word at the output:
    // 40 -> 20 bits: |ceil(log2(40/20))| + 20 = 21 LUT; FF (down) 2 x 20 + 2 slices-left bits = 42
    expect(e.layers[0].widthConverters).toEqual([{ from: 'fc/mvau', to: 'output', inElements: 2, outElements: 1, elementBits: 20, lut: 21, ff: 42, bypass: false }]);
    expect(e.layers[1].widthConverters).toEqual([]);
  });
});

describe('a layer row holds its FIFOs and converters; totals in the device LUT unit', () => {
  const fc1 = layer({ name: 'fc1', kind: 'fc', op: 'Gemm', inputShape: [null, 8], outputShape: [null, 4], macs: 32 });
  const fc2 = layer({ name: 'fc2', kind: 'fc', op: 'Gemm', inputShape: [null, 4], outputShape: [null, 2], macs: 8 });
  const folding = { fc1: { pe: 2, simd: 4 }, fc2: { pe: 2, simd: 2 } };
  it('LUT, FF and BRAM of a row: its engines plus its FIFOs and converters (the FC 8 -> 4 -> 2 case above)', () => {
    const e = estimate(hwLayersFromLayerView([fc1, fc2]), folding, SIX, 100);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const [, row2] = e.layers;
    // fc2: FIFO 18 LUT / 26 FF; converters 17 + 20 LUT, 18 + 41 FF (worked above)
    expect(row2.lut - sum(row2.engines.map((x) => x.lut))).toBe(18 + 17 + 20);
    expect(row2.ff - sum(row2.engines.map((x) => x.ff))).toBe(26 + 18 + 41);
    // a 300-deep FIFO on fc1 instead of 32: 178 LUT / 56 FF instead of 20 / 30 (worked in the test above)
    const deep = estimate(hwLayersFromLayerView([fc1, fc2]), folding, SIX, 100, { fifoDepth: 300 });
    expect(deep.layers[0].lut - e.layers[0].lut).toBe(178 - 20);
    expect(deep.layers[0].ff - e.layers[0].ff).toBe(56 - 30);
  });
  it('on a LUT4 part the FIFO and converter totals are LUT6 x 1.6', () => {
    const FOUR = validateDevice({ id: 'FOUR', vendor: 'Other', lut: 100000, lutInputs: 4, ff: 200000, dsp: 200, bram18: 200, processNm: 28 });
    const e = estimate(hwLayersFromLayerView([fc1, fc2]), folding, FOUR, 100);
    // converters 34 + 21 + 17 + 20 = 92 LUT6 -> 147.2 -> 147; FIFOs 20 + 18 = 38 -> 60.8 -> 61
    expect(e.totals.widthConverterLut).toBe(147);
    expect(e.totals.fifoLut).toBe(61);
  });
});

describe('window folding (FINN SetFolding)', () => {
  // Conv window: 2 channels, 4x4 in, 3x3 kernel, 2x2 out, stride 1. Default style, SIMD s (cf = 2/s),
  // as generated (generatedWindowCycles): 2 x 2 windows x 9 x cf = 36 cf read, and the next row's
  // first window waits for the writer: after output row 0 from (3, 1) to (3, 2), 2 pixels; after
  // row 1 from (4, 1) to the next frame's (2, 2) = (6, 2), 10 pixels: 48 cf (FINN's count: 47 cf).
  // Parallel style (FINN's): 4 x 4 x cf + 2.
  const spec = { kind: 'sliding-window' as const, channels: 2, ifmDim: [4, 4] as [number, number], ofmDim: [2, 2] as [number, number], kernel: [3, 3] as [number, number], stride: [1, 1] as [number, number], dilation: [1, 1] as [number, number], depthwise: false };
  const mvau = { kind: 'mvau' as const, fold: { pe: 1, simd: 18 } };
  it('the smallest SIMD meeting the target; parallel only when full SIMD misses it and parallel is faster', () => {
    expect(slidingWindowAuxFold(spec, { target: 100, main: mvau })).toEqual({ pe: 1, simd: 1, parallelWindow: false }); // 96 <= 100
    expect(slidingWindowAuxFold(spec, { target: 50, main: mvau })).toEqual({ pe: 1, simd: 2, parallelWindow: false }); // 96 > 50 >= 48
    expect(slidingWindowAuxFold(spec, { target: 48, main: mvau })).toEqual({ pe: 1, simd: 2, parallelWindow: false });
    expect(slidingWindowAuxFold(spec, { target: 47, main: mvau })).toEqual({ pe: 1, simd: 2, parallelWindow: true }); // 48 > 47; parallel 18 < 48
    expect(slidingWindowAuxFold(spec, { target: 20, main: mvau })).toEqual({ pe: 1, simd: 2, parallelWindow: true });
    // a 1x1 window is parallel style either way (18 = 18): not marked parallel
    const pointwise = { ...spec, kernel: [1, 1] as [number, number], ofmDim: [4, 4] as [number, number] };
    expect(slidingWindowAuxFold(pointwise, { target: 1, main: mvau })).toEqual({ pe: 1, simd: 2, parallelWindow: false });
  });
  it('a depthwise window takes its consumer PE; parallel when the VVAU folds the window (SIMD > 1)', () => {
    const dw = { ...spec, channels: 8, depthwise: true };
    expect(slidingWindowAuxFold(dw, { target: 1, main: { kind: 'vvau', fold: { pe: 4, simd: 3 } } })).toEqual({ pe: 1, simd: 4, parallelWindow: true });
    expect(slidingWindowAuxFold(dw, { target: 1, main: { kind: 'vvau', fold: { pe: 4, simd: 1 } } })).toEqual({ pe: 1, simd: 4, parallelWindow: false });
    expect(slidingWindowAuxFold(dw, { target: 1, main: { kind: 'pool', fold: { pe: 2, simd: 3 } } })).toEqual({ pe: 1, simd: 2, parallelWindow: false });
  });
  it('an estimate marks a parallel window on its row', () => {
    const dw = layer({ name: 'dw', kind: 'depthwise', kernel: [3, 3], pads: [1, 1, 1, 1], groups: 8, macs: 8 * 9 * 64 });
    const e = estimate(hwLayersFromLayerView([dw]), { dw: { pe: 2, simd: 3 } }, SIX, 100);
    const win = e.layers[0].engines.find((x) => x.kind === 'sliding-window');
    expect(win).toMatchObject({ pe: 1, simd: 2, parallelWindow: true });
    // the padding in front streams at the window's SIMD
    expect(e.layers[0].engines[0]).toMatchObject({ kind: 'fmpadding', pe: 1, simd: 2 });
    const serial = estimate(hwLayersFromLayerView([dw]), { dw: { pe: 2, simd: 1 } }, SIX, 100);
    expect(serial.layers[0].engines.find((x) => x.kind === 'sliding-window')).not.toHaveProperty('parallelWindow');
  });
});

describe('layers without an engine, and skip sources from the graph', () => {
  const fc = layer({ name: 'fc', kind: 'fc', op: 'Gemm', inputShape: [null, 8], outputShape: [null, 4], macs: 32 });
  it('an unsupported op and a pool of unknown type are refused with their reasons; they fold at 1 only', () => {
    const odd = layer({ name: 'odd', kind: 'unsupported', op: 'Erf' });
    const pool = layer({ name: 'p', kind: 'pool', op: 'LpPool', kernel: [2, 2], stride: [2, 2], outputShape: [null, 8, 4, 4] });
    const hw = hwLayersFromLayerView([odd, pool, fc]);
    expect(hw.slice(0, 2).map((h) => [h.mappable, h.reason])).toEqual([
      [false, 'operator Erf is not supported'],
      [false, 'pool type unknown is not supported'],
    ]);
    expect(allowedFoldings(hw[0])).toEqual({ pe: [1], simd: [1], peLabel: '-', simdLabel: '-' });
  });
  it('an Add fed by the network input and a layer: the skip is the input (-1)', () => {
    const pw = layer({ name: 'pw', kind: 'pointwise' });
    const add = layer({ name: 'add', kind: 'elementwise', op: 'Add', sources: ['pw', null] });
    expect(hwLayersFromLayerView([pw, add, fc])[1].skipFrom).toBe(-1);
    // sources naming a layer not in the view: the shape rule (pw2, before the direct input pw3... here the stem)
    const stem = layer({ name: 'stem', kind: 'pointwise' });
    const lost = layer({ name: 'add', kind: 'elementwise', op: 'Add', sources: ['pw', 'gone'] });
    expect(hwLayersFromLayerView([stem, pw, lost, fc])[2].skipFrom).toBe(0);
  });
});

describe('a whole estimate worked by hand', () => {
  it('one FC 8 -> 4 at PE 1, SIMD 1, 100 MHz: every number from the formulas', () => {
    const fc = layer({ name: 'fc', kind: 'fc', op: 'Gemm', inputShape: [null, 8], outputShape: [null, 4], macs: 32 });
    const e = estimate(hwLayersFromLayerView([fc]), { fc: { pe: 1, simd: 1 } }, SIX, 100);
    // MVAU 8 x 4, one vector: (4/1) x (8/1) = 32 cycles; the only engine, no FIFO, no converter (1 element in and out).
    expect(e.layers[0].engines.map((x) => x.kind)).toEqual(['mvau']);
    expect(e.layers[0].fifos).toEqual([]);
    expect(e.layers[0].widthConverters).toEqual([]);
    expect(e).toMatchObject({ maxCycles: 32, bottleneck: { layer: 'fc', engine: 'mvau' }, fps: 100e6 / 32, finnCriticalPathCycles: 32 });
    // latency: 8 input words before the first output at 32 / 8 cycles per word = 32, plus the 32-cycle interval
    expect(e.latency).toMatchObject({ cycles: 64, ms: 64 / 100e3 });
    // 18 x 18 DSP: one 8 x 8 product; acc alpha = 3 + 15 = 18 -> 20 bits; 32 weight words of 8 b in LUTRAM = 8 LUTs
    // LUT floor(300 + 1.1 x (0 + 16 x 1 + 20)) + 8 = 339 + 8 = 347; FF 64 + 8 + 8 + 2 x 20 = 120
    expect(e.totals).toMatchObject({ lut: 347, ff: 120, dsp: 1, bram18: 0, weightMemBits: 256, fifoLut: 0, widthConverterLut: 0, uram: 0 });
    expect(e.resources.dsp).toEqual({ used: 1, available: 200, utilization: 1 / 200 });
    expect(e.resources.lut).toEqual({ used: 347, available: 100000, utilization: 347 / 100000 });
    // DSP is the most used share (0.5 % vs 0.35 % LUT)
    expect(e).toMatchObject({ fits: true, overflowing: [], firstToOverflow: 'dsp', opsPerFrame: 64 });
    expect(e.gops).toBeCloseTo((64 * 100e6) / 32 / 1e9, 12); // 0.2
    // power, generic 28 nm: static 2.5 mW x 100 kLUT6 = 0.25 W; dynamic at 100 MHz, 12.5 %:
    // (0.08 x 347 + 0.015 x 120 + 8 x 1) uW/MHz x 100 MHz = (27.76 + 1.8 + 8) x 1e-4 W = 0.003756 W
    expect(e.power.staticW).toBeCloseTo(0.25, 12);
    expect(e.power.dynamicW).toBeCloseTo(0.003756, 12);
    expect(e.gopsPerWatt).toBeCloseTo(0.2 / 0.253756, 12);
    // twice the toggle rate doubles LUT, FF and DSP power
    expect(estimate(hwLayersFromLayerView([fc]), { fc: { pe: 1, simd: 1 } }, SIX, 100, { activity: 0.25 }).power.dynamicW).toBeCloseTo(0.007512, 12);
  });
});

describe('folding messages', () => {
  it('a list of exactly 24 allowed values is written out whole', () => {
    // 360 output channels have 24 divisors
    const pw = layer({ name: 'wide', kind: 'pointwise', outputShape: [null, 360, 8, 8] });
    const [hw] = hwLayersFromLayerView([pw, layer({ name: 'fc', kind: 'fc', op: 'Gemm', inputShape: [null, 360], outputShape: [null, 4], macs: 1440 })]);
    expect(() => validateFolding([hw], { wide: { pe: 7 } })).toThrow(
      'Layer "wide": PE=7 must divide 360 (output channels). Allowed PE: 1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 18, 20, 24, 30, 36, 40, 45, 60, 72, 90, 120, 180, 360.',
    );
  });
});

describe('layer shapes the view maps', () => {
  const fc = layer({ name: 'fc', kind: 'fc', op: 'Gemm', inputShape: [null, 8], outputShape: [null, 4], macs: 32 });
  it('a refused layer: no engines, no main engine, folds at 1', () => {
    const unknown = layer({ name: 'u', kind: 'pointwise', inputShape: [null, 8, null, 8], macs: 5, params: 7 });
    expect(hwLayersFromLayerView([unknown, fc])[0]).toEqual({
      name: 'u', op: 'Conv', layerKind: 'pointwise', mappable: false, reason: 'input or output shape is not fully known',
      bits: { weightBits: 8, actBits: 8 }, engines: [], main: -1, fold: { pe: 1, peLabel: '-', simd: 1, simdLabel: '-' }, macs: 5, params: 7,
    });
    // a zero or missing dimension is not known either
    expect(hwLayersFromLayerView([layer({ name: 'z', kind: 'pointwise', outputShape: [null, 8, 0, 8] }), fc])[0].reason).toBe('input or output shape is not fully known');
    expect(hwLayersFromLayerView([layer({ name: 'm', kind: 'pointwise', inputShape: [null, 8, undefined as unknown as number, 8] }), fc])[0].reason).toBe('input or output shape is not fully known');
    expect(hwLayersFromLayerView([layer({ name: 'e', kind: 'pointwise', inputShape: [null] }), fc])[0].reason).toBe('input or output shape is not fully known');
  });
  it('an Add on [N, C] features streams one vector; on [N, C, L] L vectors', () => {
    const flat = layer({ name: 'add', kind: 'elementwise', op: 'Add', inputShape: [null, 8], outputShape: [null, 8] });
    expect(hwLayersFromLayerView([flat, fc])[0].engines[0]).toEqual({ kind: 'add-streams', channels: 8, numVectors: 1 });
    const seq = layer({ name: 'add', kind: 'elementwise', op: 'Add', inputShape: [null, 8, 5], outputShape: [null, 8, 5] });
    expect(hwLayersFromLayerView([seq, fc])[0].engines[0]).toEqual({ kind: 'add-streams', channels: 8, numVectors: 5 });
  });
});

describe('padding in front of a window', () => {
  it('a pad on the bottom edge alone still gets an FMPadding', () => {
    const fc = layer({ name: 'fc', kind: 'fc', op: 'Gemm', inputShape: [null, 8], outputShape: [null, 4], macs: 32 });
    const conv = layer({ name: 'c', kind: 'conv', kernel: [3, 3], pads: [0, 0, 1, 0], outputShape: [null, 8, 7, 6] });
    expect(hwLayersFromLayerView([conv, fc])[0].engines[0]).toEqual({ kind: 'fmpadding', channels: 8, imgDim: [8, 8], pads: [0, 0, 1, 0] });
  });
});

describe('what each layer kind folds (the labels the layer table shows)', () => {
  const fc = layer({ name: 'fc', kind: 'fc', op: 'Gemm', inputShape: [null, 8], outputShape: [null, 4], macs: 32 });
  it('pointwise, FC, global pools', () => {
    const pw = layer({ name: 'pw', kind: 'pointwise', outputShape: [null, 6, 8, 8] });
    const gap = layer({ name: 'gap', kind: 'pool', op: 'GlobalAveragePool', poolType: 'global-avg', kernel: [8, 8], outputShape: [null, 8, 1, 1] });
    const gmp = layer({ name: 'gmp', kind: 'pool', op: 'GlobalMaxPool', poolType: 'global-max', kernel: [8, 8], inputShape: [null, 8, 4, 6], outputShape: [null, 8, 1, 1] });
    const hw = hwLayersFromLayerView([pw, gap, gmp, fc]);
    expect(hw.map((h) => h.fold)).toEqual([
      { pe: 6, peLabel: 'output channels', simd: 8, simdLabel: 'input channels' },
      { pe: 8, peLabel: 'channels', simd: 1, simdLabel: '-' },
      { pe: 1, peLabel: '-', simd: 1, simdLabel: '-' },
      { pe: 4, peLabel: 'output features', simd: 8, simdLabel: 'input features' },
    ]);
    expect(hw[2].engines).toEqual([{ kind: 'streaming-maxpool', channels: 8, imgDim: [4, 6], poolDim: [4, 6] }]);
  });
  it('a 1x1 conv strided along the width only is refused; a max pool padded on two sides goes through a window', () => {
    expect(hwLayersFromLayerView([layer({ name: 'p', kind: 'pointwise', stride: [1, 2], outputShape: [null, 8, 8, 4] }), fc])[0].reason).toMatch(/needs a square input and equal strides/);
    const pool = layer({ name: 'mp', kind: 'pool', op: 'MaxPool', poolType: 'max', kernel: [2, 2], stride: [2, 2], pads: [0, 0, 1, 1], outputShape: [null, 8, 5, 5] });
    expect(hwLayersFromLayerView([pool, fc])[0].engines.map((e) => e.kind)).toEqual(['fmpadding', 'sliding-window', 'pool']);
    // a stride beyond the kernel along either axis alone is refused
    for (const stride of [[1, 3], [3, 1]] as [number, number][]) {
      expect(hwLayersFromLayerView([layer({ name: 'mp', kind: 'pool', op: 'MaxPool', poolType: 'max', kernel: [2, 2], stride, outputShape: [null, 8, 4, 4] }), fc])[0].reason).toBe(
        'pooling with stride larger than the kernel is not supported (FINN InferPool)',
      );
    }
  });
});

describe('the StreamingMaxPool rule (FINN InferStreamingMaxPool: unpadded, kernel = stride, a side divisible)', () => {
  const fc = layer({ name: 'fc', kind: 'fc', op: 'Gemm', inputShape: [null, 8], outputShape: [null, 4], macs: 32 });
  const pool = (p: Partial<LayerInfo>) => hwLayersFromLayerView([layer({ name: 'mp', kind: 'pool', op: 'MaxPool', poolType: 'max', kernel: [2, 2], stride: [2, 2], outputShape: [null, 8, 4, 4], ...p }), fc])[0];
  it('takes the streaming engine when every condition holds', () => {
    const h = pool({});
    expect(h.engines).toEqual([{ kind: 'streaming-maxpool', channels: 8, imgDim: [8, 8], poolDim: [2, 2] }]);
    expect(h.fold).toEqual({ pe: 1, peLabel: '-', simd: 1, simdLabel: '-' });
    // 8 x 7: the height divides by 2, the width does not: still streaming
    expect(pool({ inputShape: [null, 8, 8, 7], outputShape: [null, 8, 4, 3] }).engines[0].kind).toBe('streaming-maxpool');
  });
  it('a window and a pool engine otherwise', () => {
    const windowed = (p: Partial<LayerInfo>) => pool(p).engines.map((e) => e.kind);
    expect(windowed({ kernel: [3, 3], outputShape: [null, 8, 3, 3] })).toEqual(['sliding-window', 'pool']); // kernel != stride
    expect(windowed({ kernel: [2, 3], outputShape: [null, 8, 4, 3] })).toEqual(['sliding-window', 'pool']); // width only
    expect(windowed({ kernel: [1, 2], stride: [1, 2], inputShape: [null, 8, 1, 8], outputShape: [null, 8, 1, 4] })).toEqual(['sliding-window', 'pool']); // one row
    expect(windowed({ kernel: [2, 1], stride: [2, 1], inputShape: [null, 8, 8, 1], outputShape: [null, 8, 4, 1] })).toEqual(['sliding-window', 'pool']); // one column
    expect(windowed({ inputShape: [null, 8, 7, 7], outputShape: [null, 8, 3, 3] })).toEqual(['sliding-window', 'pool']); // neither side divides
    expect(windowed({ poolType: 'avg', op: 'AveragePool' })).toEqual(['sliding-window', 'pool']);
    const h = pool({ kernel: [3, 3], outputShape: [null, 8, 3, 3] });
    expect(h.engines).toEqual([
      { kind: 'sliding-window', channels: 8, ifmDim: [8, 8], ofmDim: [3, 3], kernel: [3, 3], stride: [2, 2], dilation: [1, 1], depthwise: true },
      { kind: 'pool', fn: 'max', channels: 8, kernel: [3, 3], outDim: [3, 3] },
    ]);
    expect(h.fold).toEqual({ pe: 8, peLabel: 'channels', simd: 1, simdLabel: '-' });
    expect(h.main).toBe(1);
  });
  it('elementwise: Sum maps like Add, other ops are refused with the op named', () => {
    const sum = hwLayersFromLayerView([layer({ name: 's', kind: 'elementwise', op: 'Sum' }), fc])[0];
    expect(sum.engines[0]).toEqual({ kind: 'add-streams', channels: 8, numVectors: 64 });
    expect(sum.fold).toEqual({ pe: 8, peLabel: 'channels', simd: 1, simdLabel: '-' });
    expect(hwLayersFromLayerView([layer({ name: 'm', kind: 'elementwise', op: 'Mul' }), fc])[0].reason).toBe('elementwise Mul of two activations has no streaming engine in this model (only Add)');
  });
  it('graph sources: the earlier source is the skip; unusable sources fall back to the shape rule', () => {
    const a = layer({ name: 'a', kind: 'pointwise' });
    const b = layer({ name: 'b', kind: 'pointwise' });
    const c = layer({ name: 'c', kind: 'pointwise' });
    const add = (sources: (string | null)[]) => layer({ name: 'add', kind: 'elementwise', op: 'Add', sources });
    expect(hwLayersFromLayerView([a, b, c, add(['c', 'a'])])[3].skipFrom).toBe(0);
    expect(hwLayersFromLayerView([a, b, c, add(['b', 'c'])])[3].skipFrom).toBe(1);
    expect(hwLayersFromLayerView([a, b, c, add([null, 'c'])])[3].skipFrom).toBe(-1);
    // an unknown name (first or second), the same source twice, three sources: the shape rule (nearest same shape before c: b)
    for (const s of [['x', 'c'], ['c', 'x'], ['c', 'c'], ['a', 'b', 'c']]) expect(hwLayersFromLayerView([a, b, c, add(s)])[3].skipFrom).toBe(1);
  });
});

describe('a padded conv at the network input', () => {
  it('the input converts to the padding SIMD; windows pass whole windows; the output one logit per word', () => {
    // 2 -> 4 channels, 3x3 pad 1 on 4 x 4. MVAU mw 18, mh 4, 16 vectors at PE 4, SIMD 18: 16 cycles = the target.
    // Window (2 channels, 6 x 6 padded): SIMD 1 159 x 2 = 318, SIMD 2 159 cycles, both > 16; parallel 36 + 2 = 38 < 159:
    // SIMD 2, parallel, words of 3 x 3 x 2 elements. The padding follows at SIMD 2.
    const conv = layer({ name: 'c', kind: 'conv', kernel: [3, 3], pads: [1, 1, 1, 1], inputShape: [null, 2, 4, 4], outputShape: [null, 4, 4, 4], macs: 18 * 4 * 16 });
    const e = estimate(hwLayersFromLayerView([conv]), { c: { pe: 4, simd: 18 } }, SIX, 100);
    expect(e.layers[0].engines.map((x) => [x.kind, x.pe, x.simd])).toEqual([['fmpadding', 1, 2], ['sliding-window', 1, 2], ['mvau', 4, 18]]);
    expect(e.layers[0].widthConverters).toEqual([
      // input, one element per word -> the padding's 2: 16 x 1 words x 2 = 32 input words; 8 -> 16 bits: 1 + 16 = 17; FF (up) 2 x 8 + 2 + 1 = 19
      { from: 'input', to: 'c/fmpadding', inElements: 1, outElements: 2, elementBits: 8, lut: 17, ff: 19, bypass: false },
      // output: 4 accumulators of 21 b (alpha = log2 18 + 15 = 19.17 -> 21) -> 1: 84 -> 21 bits: |ceil(log2 4)| + 21 = 23; FF (down) 4 x 21 + 4 slices-left bits = 88
      { from: 'c/mvau', to: 'output', inElements: 4, outElements: 1, elementBits: 21, lut: 23, ff: 88, bypass: false },
    ]);
    // padding -> window: 2 elements of 8 b (no converter); window -> MVAU: 18 elements = 144 b (no converter)
    // Q_srl 32 deep: LUT 2 x 5 + ceil(w/2); FF w + 10
    expect(e.layers[0].fifos.map((f) => [f.from, f.to, f.width, f.lut, f.ff])).toEqual([
      ['c/fmpadding', 'c/sliding-window', 16, 18, 26],
      ['c/sliding-window', 'c/mvau', 144, 82, 154],
    ]);
  });

  it('on a calibrated family the FIFOs are the generated ones: one in front of the first stage, none between the padding and its window', () => {
    // The generator (rtl/design.ts) pads inside the window and puts a FIFO in front of every stage, the first included.
    const conv = layer({ name: 'c', kind: 'conv', kernel: [3, 3], pads: [1, 1, 1, 1], inputShape: [null, 2, 4, 4], outputShape: [null, 4, 4, 4], macs: 18 * 4 * 16 });
    for (const id of ['GW2A-18', 'EG4S20', 'XC7Z020']) {
      const e = estimate(hwLayersFromLayerView([conv]), { c: { pe: 4, simd: 18 } }, getDevice(id), 100);
      // input -> padding: 2 elements of 8 b after the input converter; window -> MVAU: 144 b
      expect(e.layers[0].fifos.map((f) => [f.from, f.to, f.width])).toEqual([
        ['input', 'c/fmpadding', 16],
        ['c/sliding-window', 'c/mvau', 144],
      ]);
    }
  });
});

describe('estimate warnings', () => {
  const fc = layer({ name: 'fc', kind: 'fc', op: 'Gemm', inputShape: [null, 1024], outputShape: [null, 1024], macs: 1024 * 1024 });
  it('a fully mapped design in BRAM warns of neither unmapped layers nor UltraRAM power', () => {
    const e = estimate(hwLayersFromLayerView([fc]), { fc: { pe: 32, simd: 8, memStyle: 'bram' } }, getDevice('XCZU7EV'), 100);
    expect(e.totals.uram).toBe(0);
    expect(e.warnings.filter((w) => w.includes('cannot be mapped') || w.includes('UltraRAM'))).toEqual([]);
  });
  it('weights in UltraRAM: the count and that their power is not estimated', () => {
    // 1024 x 1024 weights at PE 32, SIMD 8, W8: 4,096 words of 32 x 8 x 8 = 2,048 bits -> ceil(2048/72) = 29 x 1 URAM288
    const e = estimate(hwLayersFromLayerView([fc]), { fc: { pe: 32, simd: 8, memStyle: 'uram' } }, getDevice('XCZU7EV'), 100);
    expect(e.totals.uram).toBe(29);
    expect(e.warnings).toContain('29 UltraRAM block(s) used: their dynamic power is not in the power estimate.');
  });
});
