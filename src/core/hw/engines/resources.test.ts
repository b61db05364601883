/**
 * Full costs of the auxiliary engines, worked by hand from the formulas in docs/hardware-model.md
 * (FINN's cycle counts; LUT/FF/memory of AddStreams, pools and requantizers are edgefold's own
 * structural counts, documented there). Every field of the result is checked, and the PE guards.
 */
import { describe, expect, it } from 'vitest';
import type { EngineDevice } from '../types.ts';
import { addStreamsCost } from './add-streams.ts';
import { globalAccPoolCost, poolCost, streamingMaxPoolCost } from './pool.ts';
import { requantBiasBoundNote, requantCost, thresholdingCost } from './thresholding.ts';
import { vvauCost } from './vvau.ts';
import { loneLaneInLuts, mvauCost } from './mvau.ts';
import { slidingWindowBufferDepth, slidingWindowCost, finnSlidingWindowCycles, slidingWindowStyle, type SlidingWindowShape } from './sliding-window.ts';
import { accumulatorBits, assertFold, cheaperMemory, dspPacking, dspPerProduct, packedLanes, resolveWeightMem } from './common.ts';
import { minWastePrimitive } from '../memory.ts';

const Z7: EngineDevice = { lutInputs: 6, dspType: 'DSP48E1', dspMultiplier: [25, 18], lut: 53200, bram18: 280, dsp: 220, uram: 0 };
const GENERIC: EngineDevice = { lutInputs: 4, dspType: 'generic', dspMultiplier: [18, 18], lut: 12250, bram18: 60, dsp: 29, uram: 0 };

describe('PE must be a positive integer dividing the channels', () => {
  const cases: [string, (pe: number) => unknown][] = [
    ['AddStreams', (pe) => addStreamsCost({ channels: 8, numVectors: 4 }, 8, pe)],
    ['pool', (pe) => poolCost({ fn: 'max', channels: 8, kernel: [2, 2], outDim: [2, 2] }, 8, pe)],
    ['global pool', (pe) => globalAccPoolCost({ channels: 8, inDim: [2, 2] }, 8, pe)],
    ['thresholding', (pe) => thresholdingCost({ channels: 8, numVectors: 4, thresholdBits: 12 }, 2, pe, Z7)],
    ['requant', (pe) => requantCost({ channels: 8, numVectors: 4, thresholdBits: 12 }, 8, pe, Z7)],
  ];
  for (const [name, cost] of cases) {
    it(name, () => {
      for (const pe of [0, -2, 1.5, 3]) expect(() => cost(pe), `PE=${pe}`).toThrow(new RegExp(`^${name}: PE=${pe} does not divide 8$`));
      for (const pe of [1, 2, 8]) expect(() => cost(pe)).not.toThrow();
    });
  }
});

describe('AddStreams', () => {
  it('32 channels x 16 pixels, PE 4, 8-bit inputs', () => {
    // words = 16 * 32/4 = 128; sums are 9 bits: LUT 40 + 4*9 = 76, FF 32 + 36 = 68, out 4*9 = 36 b
    expect(addStreamsCost({ channels: 32, numVectors: 16 }, 8, 4)).toEqual({
      cycles: 128, dsp: 0, bram18: 0, lut: 76, ff: 68, weightMemBits: 0, fillWords: 1, inWords: 128, outWords: 128, outWidth: 36,
      notes: ['AddStreams (resources ours; FINN estimates none)'],
    });
  });
});

describe('pooling', () => {
  const shape = { channels: 16, kernel: [3, 3] as [number, number], outDim: [4, 5] as [number, number] };
  it('max pool 3x3 to 4x5, PE 4: cycles (C*k*k/PE)*Hout*Wout', () => {
    // (16*9/4) * 20 = 720; datapath 8 b: LUT 50 + 4*8*2 = 114, FF 32 + 64 = 96; in 20*9*4 = 720 words, out 20*4 = 80
    expect(poolCost({ fn: 'max', ...shape }, 8, 4)).toEqual({
      cycles: 720, dsp: 0, bram18: 0, lut: 114, ff: 96, weightMemBits: 0, fillWords: 9, inWords: 720, outWords: 80, outWidth: 32,
      notes: ['max pool, 8-bit datapath (resources ours; FINN estimates none)'],
    });
  });
  it('average pool: the sum of 9 values needs ceil(log2 9) = 4 more bits', () => {
    // 12-bit datapath: LUT 50 + 4*12*2 = 146, FF 32 + 96 = 128; output still 4 x 8 b
    expect(poolCost({ fn: 'avg', ...shape }, 8, 4)).toMatchObject({ cycles: 720, lut: 146, ff: 128, outWidth: 32, notes: ['avg pool, 12-bit datapath (resources ours; FINN estimates none)'] });
  });
  it('StreamingMaxPool 6x8 by 2x2, 16 channels of 4 bits', () => {
    // FINN: int(W^2 * (1 + 1/k^2)) = int(64 * 1.25) = 80; row of partial maxima 16*4 = 64 b:
    // LUT 50 + 64 + 64*ceil(4/64) = 178, FF 32 + 128 = 160; fill 2 rows of 8; in 48, out 3*4 = 12
    expect(streamingMaxPoolCost({ channels: 16, imgDim: [6, 8], poolDim: [2, 2] }, 4)).toEqual({
      cycles: 80, dsp: 0, bram18: 0, lut: 178, ff: 160, weightMemBits: 0, fillWords: 16, inWords: 48, outWords: 12, outWidth: 64,
      notes: ['StreamingMaxPool: FINN formula (flagged inaccurate by FINN); resources ours'],
    });
  });
  it('GlobalAccPool 4x8, 16 channels, PE 4 and PE 16', () => {
    // pixels 32, C/PE = 4, accumulators 8 + log2 32 = 13 b; cycles 32*4 + 4 = 132;
    // partial sums of 4 channel folds in LUTRAM: 52 b x ceil(4/64) = 52 LUTs; LUT 50 + 52 + 52 = 154; FF 32 + 2*52 = 136
    expect(globalAccPoolCost({ channels: 16, inDim: [4, 8] }, 8, 4)).toEqual({
      cycles: 132, dsp: 0, bram18: 0, lut: 154, ff: 136, weightMemBits: 0, fillWords: 128, inWords: 128, outWords: 4, outWidth: 52,
      notes: ['global sum, 13-bit accumulators (resources ours)'],
    });
    // PE 16: one fold, no partial-sum memory: cycles 32 + 1, LUT 50 + 16*13 = 258, FF 32 + 416 = 448
    expect(globalAccPoolCost({ channels: 16, inDim: [4, 8] }, 8, 16)).toMatchObject({ cycles: 33, lut: 258, ff: 448, fillWords: 32, outWords: 1, outWidth: 208 });
  });
});

describe('thresholding (FINN Thresholding_rtl memories)', () => {
  const shape = { channels: 8, numVectors: 10, thresholdBits: 12 };
  it('2 output bits, PE 2, thresholds in LUTRAM', () => {
    // C/PE = 4; output bit x stores 4 * 2^x thresholds of 12 b: depths 4 and 8, each 12 LUTRAM (12 x ceil(d/64)) per PE
    // LUTRAM 2 * (12 + 12) = 48; LUT 48 + 2*2*12 = 96; FF 32 + 2*2*(12 + 2) = 88; memory 8 * 3 * 12 = 288 b
    expect(thresholdingCost(shape, 2, 2, Z7, 'lutram')).toEqual({
      cycles: 40, requantStyle: 'thresholds', dsp: 0, bram18: 0, lut: 96, ff: 88, weightMemBits: 288, fillWords: 1, inWords: 40, outWords: 40, outWidth: 4,
      notes: ['thresholds 3 x 12 b per channel: 0 RAMB18, 48 LUTRAM'],
    });
  });
  it("in BRAM: least waste picks 512 x 36 (ties keep FINN's order); 'auto' picks the smaller device share", () => {
    // each (PE, bit) memory 12 b x 4 or 8 deep: 512x36 wastes 18,432 - 48, 1Kx18 the same, 2Kx9 needs 2 -> 1 RAMB18; 2 * 2 = 4
    expect(thresholdingCost(shape, 2, 2, Z7, 'bram')).toMatchObject({ bram18: 4, lut: 48 });
    // auto: 12 LUTs of 53,200 vs 1 RAMB18 of 280 -> LUTRAM
    expect(thresholdingCost(shape, 2, 2, Z7)).toMatchObject({ bram18: 0, lut: 96 });
    // a device with plenty of BRAM and few LUTs: 12/500 = 2.4 % vs 1/2000 = 0.05 % -> BRAM
    expect(thresholdingCost(shape, 2, 2, { ...Z7, lut: 500, bram18: 2000 })).toMatchObject({ bram18: 4, lut: 48 });
  });
});

describe('multiply-shift requantizer', () => {
  const shape = { channels: 8, numVectors: 10, thresholdBits: 20 };
  it('8 output bits, PE 2, on DSP48E1', () => {
    // C/PE = 4 words of 2*(16 + 20) = 72 b: LUTRAM 72 * ceil(4/64) = 72; 20 x 16 products fit one 25x18 DSP: 2 DSP
    // LUT 50 + 2*(20 + 16 + 8) + 72 = 210; FF 32 + 2*2*36 = 176; params 8 * 36 = 288 b
    expect(requantCost(shape, 8, 2, Z7)).toEqual({
      cycles: 40, requantStyle: 'multiply', dsp: 2, bram18: 0, lut: 210, ff: 176, weightMemBits: 288, fillWords: 1, inWords: 40, outWords: 40, outWidth: 16,
      notes: ['multiply-shift requant to 8 b (ours): 2 DSP, params 72 LUTRAM', requantBiasBoundNote(20)],
    });
  });
  it('multipliers in LUTs, parameters in BRAM, an 18x18 DSP, a device without DSPs', () => {
    // FINN-R multiplier 20 x 16: (2*ceil(36/6) - 1) * 36 = 396 LUTs per PE -> 210 + 792
    expect(requantCost(shape, 8, 2, Z7, 'auto', 'lut')).toMatchObject({ dsp: 0, lut: 1002 });
    // BRAM: 4 x 72 b -> ceil(4/512) * ceil(72/36) = 2 RAMB18, no LUTRAM: 138 LUTs
    expect(requantCost(shape, 8, 2, Z7, 'bram')).toMatchObject({ bram18: 2, lut: 138, notes: ['multiply-shift requant to 8 b (ours): 2 DSP, params 2 RAMB18', requantBiasBoundNote(20)] });
    // The quantised layer's 12-bit biases: 4 x 2*(12 + 16) = 56 b, still 2 RAMB18 at 36 b per row, the note names the width.
    expect(requantCost({ ...shape, biasBits: 12 }, 8, 2, Z7, 'bram')).toMatchObject({ bram18: 2, weightMemBits: 224, notes: ['multiply-shift requant to 8 b (ours): 2 DSP, params 2 RAMB18', 'parameter ROM 4 x 56 b (12-b biases of the quantised layer)'] });
    // 18 x 18: ceil(20/18) * ceil(16/18) = 2 per product -> 4
    expect(requantCost(shape, 8, 2, GENERIC).dsp).toBe(4);
    expect(requantCost(shape, 8, 2, { ...Z7, dsp: 0 })).toMatchObject({ dsp: 0, lut: 1002 });
    // more than 128 channel folds go to BRAM by default: 256 channels at PE 1 -> 256 x 36 b: ceil(256/512)*ceil(36/36) = 1
    expect(requantCost({ ...shape, channels: 256 }, 8, 1, Z7)).toMatchObject({ bram18: 1 });
  });
});

describe('VVAU full cost (vectorvectoractivation.py, FINN-R LUTs)', () => {
  const shape = { channels: 32, kernel: [3, 3] as [number, number], outDim: [8, 6] as [number, number] };
  const b8 = { weightBits: 8, actBits: 8 };
  it('32 channels 3x3 to 8x6, PE 4, SIMD 3, 8-bit, on DSP48E1', () => {
    // cycles (32*9/4/3) * 48 = 1152; WMEM 288/12 = 24 words of 3*4*8 = 96 b (<= 128 deep: LUTRAM 96 x ceil(24/64) = 96)
    // DSP: PE*SIMD = 12; acc 20 b (9 taps of 8x8); LUT floor(300 + 1.1*4*(0 + 16*5 + 20)) + 96 = 740 + 96
    // FF 64 + 4*3*16 + 2*4*20 = 416; in 48 * 3 * 8 = 1152 words, out 48 * 8 = 384 of 4*20 b
    expect(vvauCost(shape, b8, { pe: 4, simd: 3 }, Z7)).toEqual({
      cycles: 1152, dsp: 12, bram18: 0, lut: 836, ff: 416, weightMemBits: 2304, fillWords: 3, inWords: 1152, outWords: 384, outWidth: 80,
      notes: ['weights 24 x 96 b in 96 LUTRAM', 'PE*SIMD products, one per DSP (no shared operand to pack; FINN HLS estimate ignores SIMD)'],
    });
  });
  it('multipliers in LUTs, weights in BRAM, DSP58', () => {
    // 3 LUT multipliers of 80: floor(300 + 1.1*4*(240 + 80 + 20)) + 96 = 1796 + 96; FF + 4*3*16 for the multiplier registers
    expect(vvauCost(shape, b8, { pe: 4, simd: 3 }, Z7, { mulStyle: 'lut' })).toMatchObject({ dsp: 0, lut: 1892, ff: 608 });
    // 24 x 96 b without parity: ceil(24/512) * ceil(96/32) = 3 RAMB18
    expect(vvauCost(shape, b8, { pe: 4, simd: 3 }, Z7, { memStyle: 'bram' })).toMatchObject({ bram18: 3, lut: 740 });
    // DSP58: PE * ceil(SIMD/3) = 2 * 3 for 8 x 9 bits; 10-bit activations: one per product, 2*9
    const dsp58: EngineDevice = { ...Z7, dspType: 'DSP58', dspMultiplier: [27, 24] };
    expect(vvauCost(shape, { weightBits: 8, actBits: 9 }, { pe: 2, simd: 9 }, dsp58).dsp).toBe(6);
    expect(vvauCost(shape, { weightBits: 8, actBits: 10 }, { pe: 2, simd: 9 }, dsp58).dsp).toBe(18);
    expect(vvauCost(shape, { weightBits: 9, actBits: 8 }, { pe: 2, simd: 9 }, dsp58).dsp).toBe(18);
  });
});

describe('shared rules (engines/common.ts, memory.ts)', () => {
  it('DSP packing lanes by DSP type and widths', () => {
    // DSP48E1: as the generator packs (weights W + A bits apart, (lanes-1)(W+A) + W + 1 <= 25 bits).
    expect(dspPacking(8, 8, Z7)).toEqual({ lanes: 2, note: '2 products/DSP48E1 sharing the activation (weights 16 b apart on the 25-bit port, as generated)' });
    expect(dspPacking(4, 4, Z7).lanes).toBe(3);
    expect(dspPacking(4, 5, Z7).lanes).toBe(3);
    expect(dspPacking(5, 5, Z7).lanes).toBe(2);
    expect(dspPacking(3, 3, Z7).lanes).toBe(4);
    expect(dspPacking(9, 8, Z7).lanes).toBe(1);
    expect(dspPacking(8, 9, Z7).lanes).toBe(1);
    expect(packedLanes(8, 8, 25)).toBe(2);
    expect(packedLanes(8, 8, 24)).toBe(1);
    expect(packedLanes(25, 2, 25)).toBe(1);
    // DSP48E2: FINN's RTL kernels.
    expect(dspPacking(8, 8, { ...Z7, dspType: 'DSP48E2' }).lanes).toBe(2);
    expect(dspPacking(4, 4, { ...Z7, dspType: 'DSP48E2' })).toEqual({ lanes: 4, note: '4 products/DSP48E2 (mvu_4sx4u)' });
    expect(dspPacking(4, 4, GENERIC)).toEqual({ lanes: 1, note: 'one product per DSP multiplier (no packing known for this DSP)' });
  });
  it('MVAU DSP48E1 count is what the generator packs and Yosys maps (a lone narrow lane goes to LUTs)', () => {
    const shape = { mw: 8, mh: 12, numVectors: 1 };
    const w4 = { weightBits: 4, actBits: 4 };
    const w8 = { weightBits: 8, actBits: 8 };
    expect(mvauCost(shape, w4, { pe: 3, simd: 2 }, Z7).dsp).toBe(2); // one group of 3 per SIMD element
    expect(mvauCost(shape, w4, { pe: 4, simd: 1 }, Z7).dsp).toBe(1); // lanes 0-2 on a DSP, lane 3 (8-bit product) in LUTs
    expect(mvauCost(shape, w4, { pe: 4, simd: 1 }, Z7).dspLanes).toBe(3);
    expect(mvauCost(shape, w4, { pe: 2, simd: 1 }, Z7).dsp).toBe(1);
    expect(mvauCost(shape, w4, { pe: 1, simd: 4 }, Z7)).toMatchObject({ dsp: 4 });
    expect(mvauCost(shape, w4, { pe: 1, simd: 4 }, Z7).dspLanes).toBeUndefined();
    expect(mvauCost(shape, w8, { pe: 3, simd: 1 }, Z7).dsp).toBe(2); // the lone 16-bit lane stays on a DSP
    expect(mvauCost(shape, w4, { pe: 4, simd: 1 }, { ...Z7, dspType: 'DSP48E2' }).dsp).toBe(1); // FINN's mvu_4sx4u
    expect(loneLaneInLuts(4, 3, 4, 4)).toBe(true);
    expect(loneLaneInLuts(4, 3, 5, 4)).toBe(false);
  });
  it('DSP blocks per product: the wider operand on the wider port', () => {
    // 20 x 30 on 25 x 18: ceil(30/25) * ceil(20/18) = 2 * 2 = 4, either operand order
    expect(dspPerProduct(20, 30, [25, 18])).toBe(4);
    expect(dspPerProduct(30, 20, [18, 25])).toBe(4);
    // 26 x 10 on 27 x 18: 1; no multiplier size given: 18 x 18 -> ceil(26/18) = 2
    expect(dspPerProduct(26, 10, [27, 18])).toBe(1);
    expect(dspPerProduct(26, 10, null)).toBe(2);
  });
  it('accumulator width with signed activations: one bit less in alpha', () => {
    // alpha = log2(64) + 8 + 8 - 1 - 1 = 20 -> ceil(20 + ~0 + 1) = 22 (unsigned: 23); capped at 32
    expect(accumulatorBits(64, 8, 8, true)).toBe(22);
    expect(accumulatorBits(64, 8, 8)).toBe(23);
    expect(accumulatorBits(2 ** 20, 16, 16)).toBe(32);
  });
  it("'auto' memories: LUTRAM up to 128 words; the smaller device share, LUTRAM on ties or unknown budgets", () => {
    expect(resolveWeightMem('auto', 128)).toBe('lutram');
    expect(resolveWeightMem('auto', 129)).toBe('bram');
    expect(resolveWeightMem('bram', 4)).toBe('bram');
    expect(resolveWeightMem('lutram', 4096)).toBe('lutram');
    // 100/1000 = 10 % vs 1/10 = 10 %: a tie keeps LUTRAM; 99 LUTs -> LUTRAM; 101 -> BRAM
    const dev: EngineDevice = { ...Z7, lut: 1000, bram18: 10 };
    expect(cheaperMemory(100, 1, dev)).toBe('lutram');
    expect(cheaperMemory(101, 1, dev)).toBe('bram');
    expect(cheaperMemory(1e6, 1, { ...dev, lut: 0 })).toBe('lutram');
    expect(cheaperMemory(1e6, 1, { ...dev, bram18: 0 })).toBe('lutram');
  });
  it('folding guard: positive integers that divide', () => {
    for (const v of [0, -4, 2.5, 3]) expect(() => assertFold('X', 8, v, 'PE')).toThrow(`X: PE=${v} does not divide 8`);
    expect(() => assertFold('X', 8, 8, 'PE')).not.toThrow();
  });
  it("FINN's least-waste primitive: exact fits win, the fewest wasted bits, nothing for empty memories", () => {
    const all = { uram: true, bram18: true, lutram: true };
    expect(minWastePrimitive(36, 512, all)).toEqual({ uram: 0, bram18: 1, lutram: 0 });
    expect(minWastePrimitive(72, 4096, all)).toEqual({ uram: 1, bram18: 0, lutram: 0 });
    // 1 x 64: LUTRAM is exact
    expect(minWastePrimitive(1, 64, all)).toEqual({ uram: 0, bram18: 0, lutram: 1 });
    // 18 x 1000 in BRAM: 1K x 18 wastes 18,432 - 18,000 = 432 bits, 512 x 36 needs 2 and wastes 18,864
    expect(minWastePrimitive(18, 1000, { uram: false, bram18: true, lutram: false })).toEqual({ uram: 0, bram18: 1, lutram: 0 });
    // 9 x 2048: 2K x 9 is exact; with URAM allowed 32K x 9 would waste 15/16 of a block
    expect(minWastePrimitive(9, 2048, all)).toEqual({ uram: 0, bram18: 1, lutram: 0 });
    expect(minWastePrimitive(0, 10, all)).toEqual({ uram: 0, bram18: 0, lutram: 0 });
    expect(minWastePrimitive(10, 0, all)).toEqual({ uram: 0, bram18: 0, lutram: 0 });
    expect(minWastePrimitive(10, 10, { uram: false, bram18: false, lutram: false })).toEqual({ uram: 0, bram18: 0, lutram: 0 });
  });
});

describe('sliding window corners (rtl/convolutioninputgenerator_rtl.py)', () => {
  const base: SlidingWindowShape = { channels: 8, ifmDim: [10, 12], ofmDim: [6, 10], kernel: [3, 3], stride: [1, 1], dilation: [2, 1], depthwise: false };
  it('dilation and a non-square map: buffer, cycles and the full cost', () => {
    // SIMD 2 -> cf 4; buffer ((3-1)*2*12 + (3-1)*1 + 1) * 4 = 51 * 4 = 204
    expect(slidingWindowBufferDepth(base, { simd: 2 })).toBe(204);
    // dilation along the width instead: ((2*1*12) + 2*2 + 1) * 4 = 116
    expect(slidingWindowBufferDepth({ ...base, dilation: [1, 2] }, { simd: 2 })).toBe(116);
    // write block 10*3*3*4 = 360 > read block 1*12*4 = 48: 204 + 6*360 = 2364
    // buffer 204 x 16 b: LUTRAM 16 * ceil(204/38) = 96 (0.18 % of LUTs) vs 1 RAMB18 (0.36 %) -> LUTRAM
    // FF 64 + 16 + 16 + 4*ceil(log2 205) = 128; in 10*12*4 = 480 words; out 6*10 windows * 9 * 4 = 2160
    expect(slidingWindowCost(base, 8, { simd: 2 }, Z7)).toEqual({
      cycles: 2364, dsp: 0, bram18: 0, bufferMemory: 'lutram', lut: 396, ff: 128, weightMemBits: 0, fillWords: 204, inWords: 480, outWords: 2160, outWidth: 16,
      notes: ['default style, buffer 204 x 16 b', 'line buffer in 96 LUTRAM'],
    });
  });
  it('depthwise with strides along one axis', () => {
    const dw: SlidingWindowShape = { ...base, dilation: [1, 1], depthwise: true, stride: [1, 2], ofmDim: [8, 5] };
    // buffer (2*12 + 2 + 1)*4 = 108; write 5*9*4 = 180 > read 2*12*4 = 96; + 5*(2-1)*(4-1) = 15 -> 195; 108 + 8*195
    expect(finnSlidingWindowCycles(dw, { simd: 2 })).toBe(1668);
    // stride 2 down the height: write 10*9*4 = 360; 108 + 4*360 = 1548, + (2-1)*12*4 = 48 for the skipped rows
    expect(finnSlidingWindowCycles({ ...dw, stride: [2, 1], ofmDim: [4, 10] }, { simd: 2 })).toBe(1596);
    // not depthwise: neither correction
    expect(finnSlidingWindowCycles({ ...dw, depthwise: false }, { simd: 2 })).toBe(108 + 8 * 180);
  });
  it('1-D along the height (W = 1) is normalised to 1 x D', () => {
    const col: SlidingWindowShape = { channels: 8, ifmDim: [50, 1], ofmDim: [24, 1], kernel: [3, 1], stride: [2, 1], dilation: [1, 1], depthwise: true };
    // depthwise: 24*3*4 + 4*(3-1)*(2-1) - (3-1) + 2 = 288 + 8 - 2 + 2 = 296; otherwise 24*3*4 + 2 = 290
    expect(finnSlidingWindowCycles(col, { simd: 2 })).toBe(296);
    expect(finnSlidingWindowCycles({ ...col, depthwise: false }, { simd: 2 })).toBe(290);
  });
  it('parallel window: forced for 1x1, its buffer and BRAM rows', () => {
    const pw: SlidingWindowShape = { channels: 8, ifmDim: [6, 6], ofmDim: [6, 6], kernel: [1, 1], stride: [1, 1], dilation: [1, 1], depthwise: false };
    expect(slidingWindowStyle(pw, { simd: 8 })).toBe('parallel');
    expect(slidingWindowStyle({ ...pw, kernel: [1, 3] }, { simd: 8 })).toBe('default');
    expect(slidingWindowStyle({ ...pw, kernel: [3, 1] }, { simd: 8 })).toBe('default');
    // 1x1: buffer 0 + 1 + 1 = 2, cycles 36 + 2
    expect(slidingWindowBufferDepth(pw, { simd: 8 })).toBe(2);
    expect(finnSlidingWindowCycles(pw, { simd: 8 })).toBe(38);
    const dw: SlidingWindowShape = { channels: 32, ifmDim: [18, 18], ofmDim: [16, 16], kernel: [3, 3], stride: [1, 1], dilation: [1, 1], depthwise: true };
    // 3x3 in parallel, SIMD 32 (cf 1): buffer (2*18 + 2) + 2 = 40; BRAM rows: k-1 = 2 of 18 - 3 = 15 words x 256 b:
    // 2 * ceil(256/36) = 16 RAMB18 (5.7 %) vs LUTRAM 256 * ceil(40/38) = 512 (0.96 %) -> LUTRAM
    // window out 256 * 9 = 2304 b; FF 64 + 2304 + 2304 + 4*ceil(log2 41) = 4696; fill (2*18 + 2) + 1 = 39
    expect(slidingWindowCost(dw, 8, { simd: 32, parallelWindow: true }, Z7)).toEqual({
      cycles: 326, dsp: 0, bram18: 0, bufferMemory: 'lutram', lut: 812, ff: 4696, weightMemBits: 0, fillWords: 39, inWords: 324, outWords: 256, outWidth: 2304,
      notes: ['parallel style, buffer 40 x 256 b', 'line buffer in 512 LUTRAM'],
    });
    expect(slidingWindowCost(dw, 8, { simd: 32, parallelWindow: true }, Z7, 'bram')).toMatchObject({ bram18: 16, lut: 300, notes: ['parallel style, buffer 40 x 256 b', 'line buffer in 16 RAMB18'] });
    // a 1-D map in parallel needs no BRAM rows
    const row: SlidingWindowShape = { ...dw, ifmDim: [1, 18], ofmDim: [1, 16], kernel: [1, 3] };
    expect(slidingWindowCost(row, 8, { simd: 32, parallelWindow: true }, Z7, 'bram').bram18).toBe(0);
  });
  it('SIMD must divide the channels', () => {
    for (const simd of [0, 1.5, 3]) expect(() => slidingWindowCost(base, 8, { simd }, Z7)).toThrow(`sliding window: SIMD=${simd} does not divide 8`);
  });
});
