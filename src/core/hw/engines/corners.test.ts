/**
 * Corners of the engines' uncalibrated costs that the reference cases miss (issue 14 mutation
 * survivors): the MVAU's structural FF count, FIFO boundaries and notes, DSP packing rules at their
 * limits, the bypass depth with PE > 1. Every expected value is worked by hand in the comments.
 */
import { describe, expect, it } from 'vitest';
import type { EngineDevice } from '../types.ts';
import { bypassWords } from './add-streams.ts';
import { globalAccPoolFeatures, maxPoolFeatures } from './pool.ts';
import { distributedRamLuts, distributedRamMuxLuts } from '../memory.ts';

const lutramLuts = (width: number, depth: number, lutInputs: number) => distributedRamLuts(depth, width, lutInputs) + distributedRamMuxLuts(depth, width, lutInputs);
import { bufferMemStyle, dspPacking, packedLanes, resolveMulStyle } from './common.ts';
import { fifoCost, optimizeFifoDepth } from './fifo.ts';
import { mvauCost } from './mvau.ts';
import { downSamplerCost, downSamplerEngine, fmPaddingCost, fmPaddingEngine, slidingWindowBufferDepth, slidingWindowCost, finnSlidingWindowCycles, slidingWindowEngine } from './sliding-window.ts';
import { vvauCost } from './vvau.ts';
import { thresholdingCost, thresholdingEngine, usesMultiplyRequant } from './thresholding.ts';

const Z7: EngineDevice = { lutInputs: 6, dspType: 'DSP48E1', dspMultiplier: [25, 18], lut: 53200, bram18: 280, dsp: 220, uram: 0 };
const ZU: EngineDevice = { ...Z7, dspType: 'DSP48E2', dspMultiplier: [27, 18], lut: 70560, bram18: 432, dsp: 360 };
const DSP58: EngineDevice = { ...Z7, dspType: 'DSP58', dspMultiplier: [27, 24] };
const EG4: EngineDevice = { lutInputs: 4, dspType: 'generic', dspMultiplier: [18, 18], lut: 12250, bram18: 60, dsp: 29, uram: 0 };

describe('MVAU structural FF: 64 + SIMD*A + PE*SIMD*W + 2*PE*acc (+ PE*SIMD*(W+A) for LUT products)', () => {
  it('DSP products: conv 3x3x16 -> 32, PE 4, SIMD 8, W8 A8', () => {
    // acc: alpha = log2(144) + 8 + 8 - 1 = 22.17 -> 24 bits
    // 64 + 8 x 8 + 4 x 8 x 8 + 2 x 4 x 24 = 64 + 64 + 256 + 192 = 576
    expect(mvauCost({ mw: 144, mh: 32, numVectors: 196 }, { weightBits: 8, actBits: 8 }, { pe: 4, simd: 8 }, Z7).ff).toBe(576);
  });
  it('LUT products, W4 A2 (operand widths differ)', () => {
    // mw 8: acc alpha = 3 + 4 + 2 - 1 = 8 -> 10 bits. PE 2, SIMD 4:
    // 64 + 4 x 2 + 2 x 4 x 4 + 2 x 2 x 10 + 2 x 4 x (4 + 2) = 64 + 8 + 32 + 40 + 48 = 192
    expect(mvauCost({ mw: 8, mh: 4, numVectors: 1 }, { weightBits: 4, actBits: 2 }, { pe: 2, simd: 4 }, EG4, { mulStyle: 'lut' }).ff).toBe(192);
    // the same on DSPs (EG4's 18x18 multipliers): no LUT-product registers, 192 - 48 = 144
    expect(mvauCost({ mw: 8, mh: 4, numVectors: 1 }, { weightBits: 4, actBits: 2 }, { pe: 2, simd: 4 }, EG4, { mulStyle: 'dsp' }).ff).toBe(144);
  });
});

describe('FIFO corners', () => {
  it('no FIFO for depth <= 2 or a zero width', () => {
    const none = { cycles: 0, dsp: 0, bram18: 0, lut: 0, ff: 0, outWidth: 0, notes: ['no FIFO (depth <= 2)'] };
    expect(fifoCost(64, 0, Z7)).toMatchObject(none);
    expect(fifoCost(2, 8, Z7)).toMatchObject({ ...none, outWidth: 8 });
    // depth 3: a Q_srl FIFO of 2 x ceil(log2 3) + ceil(3/32) x ceil(8/2) = 4 + 4 = 8 LUTs, FF 8 + 4 = 12
    expect(fifoCost(3, 8, Z7)).toMatchObject({ lut: 8, ff: 12, notes: ['Q_srl FIFO 3 x 8 b'] });
  });
  it('Q_srl up to 256 words (FF width + 2 x address bits), the Vivado FIFO beyond', () => {
    // 256 x 64 Q_srl: LUT 2 x 8 + 8 x 32 = 272, FF 64 + 2 x 8 = 80
    expect(fifoCost(256, 64, Z7)).toMatchObject({ lut: 272, ff: 80, bram18: 0, notes: ['Q_srl FIFO 256 x 64 b'] });
    // 300 x 8, depth rounded to 512: address 2 x 9 = 18; LUTRAM 16 x 4 = 64 LUTs (64 / 53200 = 0.0012)
    // beats 1 RAMB18 (1 / 280 = 0.0036): LUT 18 + 64 = 82, FF 8 + 2 x 18 = 44
    expect(fifoCost(300, 8, Z7)).toMatchObject({ lut: 82, ff: 44, bram18: 0, notes: ['Vivado FIFO 512 x 8 b in LUTRAM'] });
    // 300 x 36 in BRAM: 512 x 36 is one RAMB18; LUT 18, FF 36 + 36 = 72
    expect(fifoCost(300, 36, Z7, 'bram')).toMatchObject({ lut: 18, ff: 72, bram18: 1, notes: ['Vivado FIFO 512 x 36 b in 1 RAMB18'] });
  });
  it('optimizeFifoDepth: 2 up to 2, 32 up to 32, else the depth rounded up (set_fifo_depths.py)', () => {
    expect([1, 2, 2.5, 3, 32, 33, 40.2].map(optimizeFifoDepth)).toEqual([2, 2, 32, 32, 32, 33, 41]);
  });
});

describe('DSP packing limits', () => {
  it('DSP48E1: lanes S = W + A bits apart on the 25-bit port, activations up to 17 bits', () => {
    // W8 A8: floor((25 - 8 - 1) / 16) + 1 = 2
    expect(dspPacking(8, 8, Z7)).toEqual({ lanes: 2, note: '2 products/DSP48E1 sharing the activation (weights 16 b apart on the 25-bit port, as generated)' });
    // W2 A17 (17 + 1 = 18 <= 18 fits the B port): floor((25 - 2 - 1) / 19) + 1 = 2
    expect(dspPacking(2, 17, Z7).lanes).toBe(2);
    // W2 A18: 19 > 18, not packed
    expect(dspPacking(2, 18, Z7).lanes).toBe(1);
    // W16 A8: floor((25 - 16 - 1) / 24) + 1 = 1: one product, with the generic note
    expect(dspPacking(16, 8, Z7)).toEqual({ lanes: 1, note: 'one product per DSP multiplier (no packing known for this DSP)' });
  });
  it('DSP48E2: 4 lanes up to 4 bits, 2 up to 8, else 1; other DSPs 1', () => {
    expect(dspPacking(4, 4, ZU)).toEqual({ lanes: 4, note: '4 products/DSP48E2 (mvu_4sx4u)' });
    expect(dspPacking(8, 4, ZU)).toEqual({ lanes: 2, note: '2 products/DSP48E2 sharing the activation (mvu_8sx8u_dsp48)' });
    expect(dspPacking(4, 8, ZU).lanes).toBe(2);
    expect(dspPacking(9, 8, ZU).lanes).toBe(1);
    expect(dspPacking(8, 9, ZU).lanes).toBe(1);
    expect(dspPacking(8, 8, EG4).lanes).toBe(1);
    expect(dspPacking(4, 4, EG4).lanes).toBe(1);
  });
  it('packedLanes: a weight wider than the port leaves one lane', () => {
    expect(packedLanes(25, 8, 25)).toBe(1); // 26 > 25
    expect(packedLanes(4, 4, 25)).toBe(3); // floor(20 / 8) + 1
    expect(packedLanes(3, 3, 25)).toBe(4); // floor(21 / 6) + 1
  });
  it('resolveMulStyle and bufferMemStyle', () => {
    expect(resolveMulStyle('dsp', 8, 8, { ...Z7, dsp: 0 })).toBe('lut');
    expect(resolveMulStyle('auto', 8, 8, Z7)).toBe('dsp');
    expect(resolveMulStyle('auto', 3, 8, Z7)).toBe('lut');
    expect(resolveMulStyle('auto', 8, 3, Z7)).toBe('lut');
    expect(resolveMulStyle('lut', 8, 8, Z7)).toBe('lut');
    expect(bufferMemStyle('uram')).toBe('auto');
    expect(bufferMemStyle('bram')).toBe('bram');
    expect(bufferMemStyle('lutram')).toBe('lutram');
  });
});

describe('bypass FIFO depth of a residual Add', () => {
  it('one 3x3 pad-1 window on a 28-wide 8-channel map: 272 words at PE 1 (issue 17 simulation)', () => {
    // (3 - 1 - 1) x 28 + max(1, 3 - 1) = 30 pixels x 8 channels = 240 elements, + 32 slack
    const w = { kernel: [3, 3] as [number, number], padTop: 1, padLeft: 1, inWidth: 28, channels: 8 };
    expect(bypassWords([w], 1)).toBe(272);
    // PE 4: 240 / 4 = 60 words + 32 = 92; PE 7: ceil(240 / 7) = 35 + 32 = 67
    expect(bypassWords([w], 4)).toBe(92);
    expect(bypassWords([w], 7)).toBe(67);
    // two windows add: 480 / 4 + 32 = 152; a 1x1 window waits one pixel: max(0, -1) x 28 + max(1, 1) = 1 x 8
    expect(bypassWords([w, w], 4)).toBe(152);
    expect(bypassWords([{ ...w, kernel: [1, 1], padTop: 0, padLeft: 0 }], 1)).toBe(8 + 32);
  });
});

describe('MVAU whole cost, every field', () => {
  it('FC 48 -> 2, PE 1, SIMD 1, W4 A4 on DSP48E1: LUTRAM weights, one plain product', () => {
    // WMEM 48 x 2 / 1 = 96 words (<= 128: LUTRAM) of 1 x 1 x 4 bits: 4 x ceil(96 / 64) = 8 LUTs.
    // acc: alpha = log2(48) + 4 + 4 - 1 = 12.585 -> ceil(13.585) = 14.
    // PE 1: no lanes to pack, one product of 4 x 4 on the 25 x 18 multiplier = 1 DSP.
    // LUT: floor(300 + 1.1 x 1 x (0 + (4 + 4) x (2 x 1 - 1) + 14)) + 8 = floor(324.2) + 8 = 332.
    // FF: 64 + 1 x 4 + 1 x 1 x 4 + 2 x 1 x 14 = 100.
    expect(mvauCost({ mw: 48, mh: 2, numVectors: 5 }, { weightBits: 4, actBits: 4 }, { pe: 1, simd: 1 }, Z7)).toEqual({
      cycles: 2 * 48 * 5,
      dsp: 1,
      bram18: 0,
      lut: 332,
      ff: 100,
      weightMemBits: 48 * 2 * 4,
      fillWords: 48,
      inWords: 5 * 48,
      outWords: 5 * 2,
      outWidth: 14,
      notes: ['weights 96 x 4 b in 8 LUTRAM', '3 products/DSP48E1 sharing the activation (weights 8 b apart on the 25-bit port, as generated)'],
    });
  });
  it('PE 4 of 3-lane DSP48E1 groups: the lone fourth lane is a LUT product (Xilinx grid mvau-b4-c8-k1-o8-pe4-simd1: 1 DSP48E1)', () => {
    // mw 8, mh 8: WMEM 64 / 4 = 16 words of 16 bits: 16 x ceil(16 / 64) = 16 LUTRAM LUTs.
    // acc: alpha = 3 + 7 = 10 -> 12. DSP: (ceil(4 / 3) - 1) x SIMD 1 = 1.
    // lone lane: SIMD x lutMultiplier(4, 4) / PE = 1 x (2 x ceil(8/6) - 1) x 8 / 4 = 6 per PE.
    // LUT: floor(300 + 1.1 x 4 x (6 + 8 x 1 + 12)) + 16 = floor(414.4) + 16 = 430. FF: 64 + 4 + 16 + 2 x 4 x 12 = 180.
    expect(mvauCost({ mw: 8, mh: 8, numVectors: 1 }, { weightBits: 4, actBits: 4 }, { pe: 4, simd: 1 }, Z7)).toMatchObject({ dsp: 1, dspLanes: 3, lut: 430, ff: 180 });
  });
  it('deep weights: WMEM = MW x MH / (PE x SIMD) words', () => {
    // 1152 x 64 / 8 = 9216 words of 64 bits, depth > 512: ceil(9216 / 1024) x ceil(64 / 18) = 9 x 4 = 36 RAMB18
    const c = mvauCost({ mw: 1152, mh: 64, numVectors: 1 }, { weightBits: 8, actBits: 8 }, { pe: 1, simd: 8 }, Z7);
    expect(c.bram18).toBe(36);
    expect(c.notes[0]).toBe('weights 9216 x 64 b in 36 RAMB18');
  });
  it('folding that does not divide names the engine and the dimension', () => {
    expect(() => mvauCost({ mw: 48, mh: 32, numVectors: 1 }, { weightBits: 4, actBits: 4 }, { pe: 3, simd: 1 }, Z7)).toThrow('MVAU: PE=3 does not divide 32');
    expect(() => mvauCost({ mw: 48, mh: 32, numVectors: 1 }, { weightBits: 4, actBits: 4 }, { pe: 1, simd: 5 }, Z7)).toThrow('MVAU: SIMD=5 does not divide 48');
  });
});

describe('DSP58 and DSP48E2 limits of the MVAU and VVAU', () => {
  const shape = { mw: 4, mh: 12, numVectors: 1 };
  it('DSP58 dot products only up to 8-bit weights and 9-bit activations; wider: one product per DSP', () => {
    // 8 x 9: PE x ceil(SIMD / 3) = 3 x 2 (mvu_vvu_8sx9_dsp58)
    const inside = mvauCost(shape, { weightBits: 8, actBits: 9 }, { pe: 3, simd: 4 }, DSP58);
    expect(inside.dsp).toBe(6);
    expect(inside.notes).toContain('DSP58: PE*ceil(SIMD/3) (mvu_vvu_8sx9_dsp58)');
    // 9 x 8 and 8 x 10 on 27 x 24: ceil(9/27) x ceil(8/24) = 1 per product, PE x SIMD = 12
    expect(mvauCost(shape, { weightBits: 9, actBits: 8 }, { pe: 3, simd: 4 }, DSP58).dsp).toBe(12);
    expect(mvauCost(shape, { weightBits: 8, actBits: 10 }, { pe: 3, simd: 4 }, DSP58).dsp).toBe(12);
    // VVAU, 3 channels 2x2 kernel, PE 3, SIMD 4: 3 x ceil(4/3) = 6 inside, 12 outside
    const dw = { channels: 3, kernel: [2, 2] as [number, number], outDim: [2, 2] as [number, number] };
    const vInside = vvauCost(dw, { weightBits: 8, actBits: 9 }, { pe: 3, simd: 4 }, DSP58);
    expect(vInside.dsp).toBe(6);
    expect(vInside.notes).toContain('DSP58: PE*ceil(SIMD/3) (rtl/vectorvectoractivation_rtl.py)');
    expect(vvauCost(dw, { weightBits: 9, actBits: 8 }, { pe: 3, simd: 4 }, DSP58).dsp).toBe(12);
    const vOutside = vvauCost(dw, { weightBits: 8, actBits: 10 }, { pe: 3, simd: 4 }, DSP58);
    expect(vOutside.dsp).toBe(12);
    expect(vOutside.notes).toContain('PE*SIMD products, one per DSP (no shared operand to pack; FINN HLS estimate ignores SIMD)');
  });
  it('DSP48E2: a lone fifth lane stays on a DSP (the LUT rule is DSP48E1 only)', () => {
    // W4 A4, PE 5 on 4-lane DSP48E2: ceil(5/4) x SIMD 2 = 4 DSP, no LUT product.
    // mw 4, mh 10: acc alpha = 2 + 7 = 9 -> 11; WMEM 40 / 10 = 4 words of 5 x 2 x 4 = 40 bits: 40 LUTRAM LUTs.
    // LUT: floor(300 + 1.1 x 5 x (0 + 8 x 3 + 11)) + 40 = floor(492.5) + 40 = 532
    expect(mvauCost({ mw: 4, mh: 10, numVectors: 1 }, { weightBits: 4, actBits: 4 }, { pe: 5, simd: 2 }, ZU)).toMatchObject({ dsp: 4, dspLanes: 4, lut: 532 });
  });
});

describe('requantiser choice and per-stage threshold memories', () => {
  it("'auto' puts each threshold stage where it takes the smaller device share", () => {
    // 64 channels, PE 1, 12-bit thresholds, 4 output bits: stages of 64, 128, 256, 512 thresholds.
    // LUTRAM 12 x ceil(d/64) = 12, 24, 48, 96 LUTs of 10,000 (0.12 %, 0.24 %, 0.48 %, 0.96 %)
    // vs 1 RAMB18 (512 x 36) of 280 (0.357 %): LUTRAM, LUTRAM, BRAM, BRAM.
    const dev = { ...Z7, lut: 10000 };
    expect(thresholdingCost({ channels: 64, numVectors: 2, thresholdBits: 12 }, 4, 1, dev)).toEqual({
      cycles: 128, requantStyle: 'thresholds', dsp: 0, bram18: 2,
      lut: 12 + 24 + 1 * 4 * 12, // LUTRAM + comparators PE x B x T
      ff: 32 + 1 * 4 * (12 + 4),
      weightMemBits: 64 * 15 * 12, fillWords: 1, inWords: 128, outWords: 128, outWidth: 4,
      notes: ['thresholds 15 x 12 b per channel: 2 RAMB18, 36 LUTRAM'],
    });
  });
  it('thresholds up to 4 output bits, multiply-shift above (or when asked)', () => {
    expect([usesMultiplyRequant(4, 'auto'), usesMultiplyRequant(5, 'auto'), usesMultiplyRequant(2, 'multiply'), usesMultiplyRequant(8, 'thresholds')]).toEqual([false, true, true, false]);
    const spec = { kind: 'thresholding' as const, channels: 8, numVectors: 4, thresholdBits: 12, outBits: 5 };
    const ctx = { bits: { weightBits: 8, actBits: 8 }, device: Z7, mulStyle: 'auto' as const, memStyle: 'uram' as const, requant: 'auto' as const };
    // 'uram' means 'auto' for the requantiser's parameters: 8 words -> LUTRAM
    expect(thresholdingEngine.estimate(spec, { pe: 1, simd: 1 }, ctx)).toMatchObject({ requantStyle: 'multiply', bram18: 0, cycles: 32 });
    expect(thresholdingEngine.estimate({ ...spec, outBits: 4 }, { pe: 2, simd: 1 }, ctx)).toMatchObject({ requantStyle: 'thresholds', cycles: 16 });
    // folded to the target: 8 channels x 4 pixels / PE <= 10 -> PE 4 (32, 16 > 10; 8 <= 10)
    expect(thresholdingEngine.auxFold!(spec, { target: 10, main: { kind: 'mvau', fold: { pe: 1, simd: 1 } } })).toEqual({ pe: 4, simd: 1 });
  });
});

describe('FMPadding and DownSampler (fmpadding.py, downsampler.py cycles; resources ours)', () => {
  it('FMPadding: padded frame at SIMD; calibrated away on a family whose window pads', () => {
    // 4 channels, 5 x 6 image, pads [top 1, left 2, bottom 1, right 0], SIMD 2, 8 b:
    // padded 7 x 8; cycles 4/2 x 7 x 8 = 112; width 16: LUT = FF = 40 + 16; in 5 x 6 x 2 = 60 words, out 112
    const shape = { channels: 4, imgDim: [5, 6] as [number, number], pads: [1, 2, 1, 0] as [number, number, number, number] };
    expect(fmPaddingCost(shape, 8, 2, Z7)).toEqual({
      cycles: 112, dsp: 0, bram18: 0, lut: 56, ff: 56, weightMemBits: 0, fillWords: 1, inWords: 60, outWords: 112, outWidth: 16,
      notes: ['FMPadding (cycles: fmpadding.py); resources ours (FINN gives none)'],
    });
    const why = 'the padding is in the calibrated sliding window (the generator pads inside the window)';
    // anlogic calibrates the window's LUT and FF: the padding's become 0
    expect(fmPaddingCost(shape, 8, 2, { ...EG4, calibration: 'anlogic' })).toMatchObject({ lut: 0, ff: 0, cycles: 112 });
    expect(fmPaddingCost(shape, 8, 2, { ...EG4, calibration: 'anlogic' }).notes.at(-1)).toBe(`LUT and FF 0 on anlogic: ${why}`);
    // gowin applies the window's LUT fit too (since session 10): both 0 as well
    const gowin = fmPaddingCost(shape, 8, 2, { ...EG4, calibration: 'gowin' });
    expect(gowin).toMatchObject({ lut: 0, ff: 0, cycles: 112 });
    expect(gowin.notes.at(-1)).toBe(`LUT and FF 0 on gowin: ${why}`);
    expect(() => fmPaddingCost(shape, 8, 3)).toThrow('FMPadding: SIMD=3 does not divide 4');
    // folds at its window's SIMD, 1 without one
    const spec = { kind: 'fmpadding' as const, ...shape };
    expect(fmPaddingEngine.auxFold!(spec, { target: 1, main: { kind: 'mvau', fold: { pe: 1, simd: 1 } }, window: { pe: 1, simd: 4 } })).toEqual({ pe: 1, simd: 4 });
    expect(fmPaddingEngine.auxFold!(spec, { target: 1, main: { kind: 'mvau', fold: { pe: 1, simd: 1 } } })).toEqual({ pe: 1, simd: 1 });
  });
  it('DownSampler: 7 x 7 -> 4 x 4 at stride 2, folded to the target', () => {
    // 8 channels, SIMD 2, 4 b: cycles 8/2 x 49 = 196; out floor(6/2) + 1 = 4; width 8: LUT = FF = 48
    expect(downSamplerCost({ channels: 8, imgDim: 7, stride: 2 }, 4, 2)).toEqual({
      cycles: 196, dsp: 0, bram18: 0, lut: 48, ff: 48, weightMemBits: 0, fillWords: 1, inWords: 196, outWords: 64, outWidth: 8,
      notes: ['DownSampler (cycles: downsampler.py); resources ours (FINN gives none)'],
    });
    expect(() => downSamplerCost({ channels: 8, imgDim: 7, stride: 2 }, 4, 3)).toThrow('DownSampler: SIMD=3 does not divide 8');
    // target 100: SIMD 1 392, 2 196, 4 98 -> 4
    const spec = { kind: 'downsampler' as const, channels: 8, imgDim: 7, stride: 2 };
    expect(downSamplerEngine.auxFold!(spec, { target: 100, main: { kind: 'mvau', fold: { pe: 1, simd: 1 } } })).toEqual({ pe: 1, simd: 4 });
  });
  it('the window generator refuses the parallel mode it does not build', () => {
    const spec = { kind: 'sliding-window' as const, channels: 2, ifmDim: [4, 4] as [number, number], ofmDim: [2, 2] as [number, number], kernel: [3, 3] as [number, number], stride: [1, 1] as [number, number], dilation: [1, 1] as [number, number], depthwise: false };
    const ctx = { bits: { weightBits: 8, actBits: 8 }, device: Z7, mulStyle: 'auto' as const, memStyle: 'auto' as const, requant: 'auto' as const };
    expect(() => slidingWindowEngine.rtl!.emit(spec, { pe: 1, simd: 2, parallelWindow: true }, ctx, { name: 'w0', data: { actBits: 8, pads: [0, 0, 0, 0] } })).toThrow("w0: the window's parallel mode is not generated yet");
  });
});

describe('global pool features and window geometry corners', () => {
  it('global pool calibration features, checked by definition', () => {
    // 12 channels, 3 x 5 pixels, 4 b, PE 3: cf 4; sum bits 4 + clog2(15) + 1 = 9; product 9 + 16 + 1 = 26
    expect(globalAccPoolFeatures({ channels: 12, inDim: [3, 5] }, 4, 3)).toEqual({
      // accMem: 27 bits x 4 words in LUTRAM, on a LUT6 part one RAM32M per 6 bits: 4 x ceil(27 / 6) = 20 LUTs
      lut: { one: 1, sum: 3 * 9, sumSq: 3 * 9 * 9, accMem: 20, accMux: 0, prod: 3 * 26, out: 3 * 4 },
      ff: { one: 1, sumReg: 0, out: 12, counters: 2 + 4 }, // clog2(4) + clog2(15)
    });
    // On a LUT4 part (16 x 4-bit banks): 4 x ceil(27 / 4) = 28 LUTs
    expect(globalAccPoolFeatures({ channels: 12, inDim: [3, 5] }, 4, 3, 4, 4).lut.accMem).toBe(28);
    // PE 12: one channel fold, the sums are registers; 8-bit outputs; clog2(1) is 1 (the generator's counter)
    expect(globalAccPoolFeatures({ channels: 12, inDim: [3, 5] }, 4, 12, 8)).toEqual({
      lut: { one: 1, sum: 108, sumSq: 12 * 9 * 9, accMem: 0, accMux: 0, prod: 312, out: 96 },
      ff: { one: 1, sumReg: 108, out: 96, counters: 1 + 4 },
    });
  });
  it('LUTRAM LUTs: cells per bank and the read multiplexer across banks', () => {
    // LUT4 parts: 16 words x 4 bits in 4 LUTs. 52 bits x 4 words: 13 cells; 17 bits x 256 words: 5 cells x 16 banks + a 2:1 mux per bit per further bank
    expect(lutramLuts(52, 4, 4)).toBe(52);
    expect(lutramLuts(17, 256, 4)).toBe(4 * 5 * 16 + 17 * 15);
    // 7-series: RAM32M (32 x 6) up to 32 words, RAM64M (64 x 3) up to 64, then 64-word banks and a 4:1 mux per LUT6
    expect(lutramLuts(36, 2, 6)).toBe(4 * 6);
    expect(lutramLuts(52, 64, 6)).toBe(4 * 18);
    expect(lutramLuts(13, 256, 6)).toBe(4 * 4 * 5 + 13);
    expect(lutramLuts(0, 16, 4)).toBe(0);
    // the two parts: 17 x 256 on a LUT4 part
    expect([distributedRamLuts(256, 17, 4), distributedRamMuxLuts(256, 17, 4)]).toEqual([320, 255]);
    expect(distributedRamMuxLuts(64, 13, 6)).toBe(0);
  });
  it('max pool calibration features: each engine its own LUT features', () => {
    // StreamingMaxPool, 8 channels of 4 b (32-bit word), 8x8 map, 2x2 pool: 4 partial maxima, one 16-word bank on a LUT4 part (8 cells)
    // counters as the feature counts the map counters: 2 clog2(8) + 2 clog2(8) + clog2(4) = 14
    expect(maxPoolFeatures({ kind: 'streaming-maxpool', shape: { channels: 8, imgDim: [8, 8], poolDim: [2, 2] } }, 4, 4)).toEqual({
      lut: { one: 1, cmp: 32, cmpSq: 128, rowMem: 32, counters: 14, winOne: 0, winCmp: 0, winSq: 0, winCube: 0 },
      ff: { one: 1, regs: 32, counters: 14 },
    });
    // Windowed Pool, PE 2 of 8 b, 3x3: a k counter of clog2(9) = 4 bits; the running maximum and the output word (2 x 16 bits)
    expect(maxPoolFeatures({ kind: 'pool', shape: { fn: 'max', channels: 8, kernel: [3, 3], outDim: [4, 4] }, pe: 2 }, 8)).toEqual({
      lut: { one: 0, cmp: 0, cmpSq: 0, rowMem: 0, counters: 4, winOne: 1, winCmp: 16, winSq: 128, winCube: 1024 },
      ff: { one: 1, regs: 32, counters: 4 },
    });
  });
  it('buffer depth when the stride exceeds the kernel area, and a dilated parallel window (get_buffer_depth)', () => {
    // kernel 2x2, stride 6, 12 wide, 2 channels at SIMD 1 (cf 2), default style:
    // ((2-1) x 12 + (2-1) + 1) x 2 = 28; + (6 - 1 - 4) x 2 = 2; + ((6-1) x 12 - 4) x 2 = 112 -> 142
    const strided = { channels: 2, ifmDim: [12, 12] as [number, number], ofmDim: [2, 2] as [number, number], kernel: [2, 2] as [number, number], stride: [6, 6] as [number, number], dilation: [1, 1] as [number, number], depthwise: false };
    expect(slidingWindowBufferDepth(strided, { simd: 1 })).toBe(142);
    // cycles: the read block 6 x 12 x 2 = 144 beats the write block 2 x 2 x 2 x 2 = 16; 28 + 2 rows x 144 = 316
    expect(finnSlidingWindowCycles(strided, { simd: 1 })).toBe(316);
    // SIMD must be a positive integer dividing the channels
    expect(() => slidingWindowCost(strided, 8, { simd: 0.5 }, Z7)).toThrow('sliding window: SIMD=0.5 does not divide 2');
    expect(() => slidingWindowCost(strided, 8, { simd: -2 }, Z7)).toThrow('sliding window: SIMD=-2 does not divide 2');
    // parallel, kernel 3x3 dilated 2, 10 wide, cf 2: ((3-1) x 2 x 10 + (3-1) x 2) x 2 + 2 = 90
    const dilated = { ...strided, ifmDim: [10, 10] as [number, number], ofmDim: [6, 6] as [number, number], kernel: [3, 3] as [number, number], stride: [1, 1] as [number, number], dilation: [2, 2] as [number, number] };
    expect(slidingWindowBufferDepth(dilated, { simd: 1, parallelWindow: true })).toBe(90);
    // parallel cycles: 10 x 10 x cf 2 + 2
    expect(finnSlidingWindowCycles(dilated, { simd: 1, parallelWindow: true })).toBe(202);
  });
  it('1-D depthwise window with stride 3 (get_exp_cycles)', () => {
    // [1, 20] in, kernel 3, stride 3, 6 out, 4 channels at SIMD 2 (cf 2):
    // 6 x 3 x 2 + 2 x (3-1) x (3-1) - (3-1) + 2 = 36 + 8 - 2 + 2 = 44
    const row = { channels: 4, ifmDim: [1, 20] as [number, number], ofmDim: [1, 6] as [number, number], kernel: [1, 3] as [number, number], stride: [1, 3] as [number, number], dilation: [1, 1] as [number, number], depthwise: true };
    expect(finnSlidingWindowCycles(row, { simd: 2 })).toBe(44);
  });
});

describe('sliding window cost corners (convolutioninputgenerator_rtl.py bram_estimation / lut_estimation)', () => {
  it('parallel window: every field', () => {
    // 2 channels at SIMD 2 (cf 1), 6 x 8 in, 3x3 -> 4 x 6, 8 b: width 16.
    // buffer ((3-1) x 8 + (3-1)) x 1 + 2 = 20 words; LUTRAM 16 x ceil(20/38) = 16 LUTs (16/53200)
    // vs BRAM: rows of 8 - 3 = 5 words, kh - 1 = 2 of them: 2 RAMB18 (2/280): LUTRAM.
    // FF 64 + 144 out + 144 + 4 x ceil(log2 21) = 372; fill ((3-1) x 8 + 2) x 1 + 1 = 19; cycles 6 x 8 x 1 + 2 = 50
    const shape = { channels: 2, ifmDim: [6, 8] as [number, number], ofmDim: [4, 6] as [number, number], kernel: [3, 3] as [number, number], stride: [1, 1] as [number, number], dilation: [1, 1] as [number, number], depthwise: false };
    expect(slidingWindowCost(shape, 8, { simd: 2, parallelWindow: true }, Z7)).toEqual({
      cycles: 50, dsp: 0, bram18: 0, bufferMemory: 'lutram', lut: 316, ff: 372, weightMemBits: 0, fillWords: 19, inWords: 48, outWords: 24, outWidth: 144,
      notes: ['parallel style, buffer 20 x 16 b', 'line buffer in 16 LUTRAM'],
    });
    expect(slidingWindowCost(shape, 8, { simd: 2, parallelWindow: true }, Z7, 'bram')).toMatchObject({ bram18: 2, lut: 300, notes: ['parallel style, buffer 20 x 16 b', 'line buffer in 2 RAMB18'] });
  });
  it('parallel BRAM rows: width minus the dilated kernel width, none for a single row or column', () => {
    // 4 channels at SIMD 4 of 9 b: 36-bit words. 5 x 517 in, 3x3 dilated [1, 2]: kernel width (3-1) x 2 + 1 = 5,
    // rows of 517 - 5 + 517 x (1-1) = 512 words: one 512 x 36 RAMB18 each, kh - 1 = 2 rows -> 2
    const wide = { channels: 4, ifmDim: [5, 517] as [number, number], ofmDim: [3, 513] as [number, number], kernel: [3, 3] as [number, number], stride: [1, 1] as [number, number], dilation: [1, 2] as [number, number], depthwise: false };
    expect(slidingWindowCost(wide, 9, { simd: 4, parallelWindow: true }, Z7, 'bram').bram18).toBe(2);
    // dilation [2, 1]: rows of 517 - 3 + 517 = 1031 words: 2K x 9 ports, ceil(36/9) = 4 blocks per row -> 8
    expect(slidingWindowCost({ ...wide, dilation: [2, 1], ofmDim: [1, 515] }, 9, { simd: 4, parallelWindow: true }, Z7, 'bram').bram18).toBe(8);
    // one row in: nothing in BRAM
    expect(slidingWindowCost({ ...wide, ifmDim: [1, 517], kernel: [1, 3], ofmDim: [1, 513] }, 9, { simd: 4, parallelWindow: true }, Z7, 'bram').bram18).toBe(0);
    expect(slidingWindowCost({ ...wide, ifmDim: [517, 1], kernel: [3, 1], dilation: [1, 1], ofmDim: [515, 1] }, 9, { simd: 4, parallelWindow: true }, Z7, 'bram').bram18).toBe(0);
  });
  it('default style: FF counts ceil(log2(depth + 1)) address bits; out words k x k per pixel', () => {
    // 2 channels at SIMD 1 (cf 2), 8 x 14 in, 2x2 -> 7 x 13, 8 b: buffer ((2-1) x 14 + 1 + 1) x 2 = 32 words
    // FF 64 + 8 + 8 + 4 x ceil(log2 33) = 80 + 24 = 104; out 7 x 13 x 2 x 2 x 2 = 728 words
    const shape = { channels: 2, ifmDim: [8, 14] as [number, number], ofmDim: [7, 13] as [number, number], kernel: [2, 2] as [number, number], stride: [1, 1] as [number, number], dilation: [1, 1] as [number, number], depthwise: false };
    expect(slidingWindowCost(shape, 8, { simd: 1 }, Z7)).toMatchObject({ ff: 104, outWords: 728, inWords: 224, fillWords: 32 });
  });
});

describe('threshold memories restricted to one primitive kind (never URAM)', () => {
  const bigLut = { ...Z7, lut: 1_000_000 };
  it('9-bit thresholds 2,048 deep: 2K x 9 BRAM and 9 x 32 LUTRAM both waste nothing', () => {
    // 'lutram' asked: 9 x ceil(2048/64) = 288 LUTs (+ comparators 1 x 1 x 9); 'auto' on a LUT-rich device: LUTRAM too (288/1e6 < 1/280)
    const shape = { channels: 2048, numVectors: 1, thresholdBits: 9 };
    expect(thresholdingCost(shape, 1, 1, Z7, 'lutram')).toMatchObject({ bram18: 0, lut: 288 + 9 });
    expect(thresholdingCost(shape, 1, 1, bigLut)).toMatchObject({ bram18: 0, lut: 297 });
    expect(thresholdingCost(shape, 1, 1, Z7, 'bram')).toMatchObject({ bram18: 1, lut: 9 });
  });
  it('72-bit thresholds: stages up to 4,096 deep stay in BRAM / LUTRAM where URAM would waste nothing', () => {
    // 512 channels, PE 1, 2 output bits: stages of 512 and 1,024 thresholds of 72 b:
    // BRAM 512 x 36: 2 and 4 blocks -> 6
    expect(thresholdingCost({ channels: 512, numVectors: 1, thresholdBits: 72 }, 2, 1, Z7, 'bram').bram18).toBe(6);
    // one stage of 4,096 x 72: 16 RAMB18 (a URAM288 would hold it whole)
    expect(thresholdingCost({ channels: 4096, numVectors: 1, thresholdBits: 72 }, 1, 1, Z7, 'bram').bram18).toBe(16);
    // on a LUT-rich device 'auto' takes LUTRAM: 72 x 64 = 4,608 LUTs (0.46 %) vs 16 RAMB18 (5.7 %)
    expect(thresholdingCost({ channels: 4096, numVectors: 1, thresholdBits: 72 }, 1, 1, bigLut)).toMatchObject({ bram18: 0, lut: 4608 + 72 });
  });
});
