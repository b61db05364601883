/**
 * Calibrated engine costs (calibration.ts): the structural features each engine hands to the fit,
 * worked by hand from their definitions (the doc comments of mvauFeatures, vvauFeatures,
 * fifoFeatures, requantFeatures), and whole calibrated LUT/FF for one small instance per kind and
 * family, from the coefficients of tools/synth/calibration-report.json (copied here by hand; the
 * same numbers as src/core/hw/calibration.json, Yosys 0.23, refit 2026-12-04 on the merged session-8 grid). Anlogic applies the LUT
 * fit (in device LUTs, divided by 1.6 LUT per LUT6), Gowin too since session 10 (the per-kind tests
 * below that say "gowin: FF" check the FF only), Xilinx since session 11 for windows, FIFOs,
 * converters and requantisers (in LUT6), and MVAU / VVAU since the LUT-multiplier rows (helper s11-xlut). Coefficients as refit in session 11 (Gowin MVAU / VVAU rows
 * re-synthesized); refit in session 12: FIFO and Gowin window (FIFO rows re-synthesized), VVAU,
 * requantiser, pools, converter, and the MVAU (its features redone, Gowin / Anlogic LUT-product rows added);
 * refit in session 13: MVAU, VVAU and requantiser rows re-synthesized with registered wrap flags, MVAU
 * rows added (SIMD 2 / 3 / 6, PE 4 on DSPs, classifiers with a bias, deep ROMs).
 *
 * accumulatorBits (FINN's bound): alpha = log2(fanIn) + W + A - 1; bits = ceil(alpha + log2(1 + 2^-alpha) + 1).
 */
import { describe, expect, it } from 'vitest';
import type { EngineDevice } from '../types.ts';
import { fifoCost, fifoFeatures } from './fifo.ts';
import { yosysMemory } from '../yosys-memory.ts';
import { mvauCost, mvauFeatures } from './mvau.ts';
import { distributedRamLuts } from '../memory.ts';
import { requantCost, requantFeatures } from './thresholding.ts';
import { vvauCost, vvauFeatures } from './vvau.ts';
import { slidingWindowCost, slidingWindowFeatures } from './sliding-window.ts';

const Z7: EngineDevice = { lutInputs: 6, dspType: 'DSP48E1', dspMultiplier: [25, 18], lut: 53200, bram18: 280, dsp: 220, uram: 0 };
const ZU: EngineDevice = { ...Z7, dspType: 'DSP48E2', dspMultiplier: [27, 18], lut: 70560, bram18: 432, dsp: 360 };
const EG4: EngineDevice = { lutInputs: 4, dspType: 'generic', dspMultiplier: [18, 18], lut: 12250, bram18: 60, dsp: 29, uram: 0 };
const ANLOGIC: EngineDevice = { ...EG4, calibration: 'anlogic' };
const GOWIN: EngineDevice = { ...EG4, calibration: 'gowin' };
const LUT_PER_LUT6 = 1.6;
const w4a2 = { weightBits: 4, actBits: 2 };

describe('MVAU calibrated cost', () => {
  // mw 8, mh 4, PE 2, SIMD 4, W4 A2 (unsigned), LUT multipliers.
  // acc: alpha = log2(8) + 4 + 2 - 1 = 8 -> ceil(8 + 0.0056 + 1) = 10 bits.
  // WMEM depth 8 x 4 / (2 x 4) = 4 words <= 128 -> LUTRAM under 'auto'.
  const shape = { mw: 8, mh: 4, numVectors: 9 };
  const fold = { pe: 2, simd: 4 };
  const lutFeatures = {
    one: 1,
    lanes: 2 * 4 * (4 + 2), // PE x SIMD x (W + A) = 48
    dotAdd: 2 * (4 - 1) * 10, // PE x (SIMD - 1) x acc = 60
    dotAddLevels: 60 * 3, // x ceil(log2(SIMD + 1)) = 3 levels
    dspDotAdd: 0,
    lutMul: 2 * 4 * 4 * 2, // PE x SIMD x W x A = 64
    lutMulWide: 64 * 4, // x max(W, A) on a 4-input LUT fabric
    acc: 2 * 10, // PE x acc = 20
    dspAcc: 0,
    unpack: 0,
    romLuts: 32 * 1, // ROM in logic: 32-bit words x ceil(4 words / 16) (LUT4)
    ibufRam: 4 * 2, // input buffer 2 x SF = 4 words x SIMD x A = 8 bits: 2 RAMs of 16 x 4, 4 LUT4 each
    ibufMux: 0, // one RAM deep
    counters: 2 * (1 + 1) + (1 + 1) + (2 + 1), // wsf, sf: SF 2; nf: NF 2; waddr: 4 words -> 9
    romSliceMux: 0, // weights in logic
    bias: 0,
  };
  // counters: the 9 bits and a registered wrap flag for each of the 4 counters (every count > 1)
  const ffFeatures = { one: 1, counters: 9 + 4, romSliceSelect: 0, weightReg: 2 * 4 * 4, actReg: 4 * 2, acc: 20, dspAcc: 0, bias: 0 };
  it('features of a LUT-multiplier MVAU with LUTRAM weights', () => {
    expect(mvauFeatures(shape, w4a2, fold, ANLOGIC, { mulStyle: 'lut' })).toEqual({ lut: lutFeatures, ff: ffFeatures });
  });

  it('xilinx (MVAU LUT fit applied since session 11, LUT products measured at 2-8 bits): LUT6 and FF from the fit', () => {
    const cost = mvauCost(shape, w4a2, fold, { ...Z7, calibration: 'xilinx' }, { mulStyle: 'lut' });
    // LUT6 (same features on LUT6 here: 4 words in one LUT6 per bit, 4 x 8-bit buffer in 2 RAM32M):
    // 6.3616 + 0.3142 x 180 + 2.7886 x 64 + 0.6346 x 20 + 0.7713 x 32 + 1.1453 x 8 + 1.7198 x 9 = 303.4022 (one, dotAddLevels,
    // lutMul, acc, romLuts, ibufRam, counters; no lanes, dotAdd or ibufMux coefficient; LUT6: nothing to divide)
    expect(cost.lut).toBeCloseTo(303.4022, 9);
    expect(cost.dsp).toBe(0);
    // FF: 8.0913 + 1.0116 x 13 + 0.9488 x 32 + 0.9467 x 8 + 1.011 x 20 = 79.3973 -> 79
    expect(cost.ff).toBe(79);
  });

  it('anlogic: LUT and FF from the fit', () => {
    const cost = mvauCost(shape, w4a2, fold, ANLOGIC, { mulStyle: 'lut' });
    // LUT: 0.5065 x 60 + 0.5604 x 180 + 2.0165 x 64 + 0.2648 x 256 + 2.0219 x 20 + 1.0739 x 32 + 1.3684 x 8 + 3.4977 x 9 = 445.3361
    // device LUTs (dotAdd, dotAddLevels, lutMul, lutMulWide, acc, romLuts, ibufRam, counters; no one or lanes coefficient)
    expect(cost.lut).toBeCloseTo(445.3361 / LUT_PER_LUT6, 9);
    // FF: 7.2399 + 1.0373 x 13 + 0.9905 x 32 + 0.9859 x 8 + 0.9945 x 20 = 80.198 -> 80
    expect(cost.ff).toBe(80);
    expect(cost.notes.at(-1)).toMatch(/^LUT and FF calibrated on Yosys synthesis for anlogic \(Yosys 0\.23, 2026-12-05; src\/core\/hw\/calibration\.json\)$/);
    // what the fit does not touch: cycles (4/2) x (8/4) x 9 = 36, no DSP
    expect(cost).toMatchObject({ cycles: 36, dsp: 0 });
  });

  it('gowin: LUT and FF from the fit (the LUT fit applied since the session-10 whole designs)', () => {
    const cost = mvauCost(shape, w4a2, fold, GOWIN, { mulStyle: 'lut' });
    // LUT: 0.9523 x 180 + 3.6374 x 64 + 0.4121 x 256 + 1.698 x 20 + 1.2112 x 32 + 3.2041 x 9 = 611.2605 device LUTs (dotAddLevels, lutMul,
    // lutMulWide, acc, romLuts, counters; no one, lanes, dotAdd or ibufRam coefficient)
    expect(cost.lut).toBeCloseTo(611.2605 / LUT_PER_LUT6, 9);
    // FF: 7.5219 + 1.0252 x 13 + 0.9874 x 32 + 0.9866 x 8 + 0.9962 x 20 = 80.2631 -> 80
    expect(cost.ff).toBe(80);
    expect(cost.notes.at(-1)).toMatch(/^LUT and FF calibrated on Yosys synthesis for gowin \(Yosys 0\.23, 2026-12-05; src\/core\/hw\/calibration\.json\)$/);
  });

  it('a last layer\'s bias: an adder and a table of NF words per lane, the output word and fold index registered', () => {
    // NF = 4 / 2 = 2 words in one LUT4 table per bit: PE x acc x (1 + ceil(2 / 16)) = 2 x 10 x 2; FF: PE x acc + clog2(2) + 1
    const f = mvauFeatures({ ...shape, bias: true }, w4a2, fold, ANLOGIC, { mulStyle: 'lut' });
    expect(f.lut.bias).toBe(40);
    expect(f.ff.bias).toBe(22);
    expect(mvauCost({ ...shape, bias: true }, w4a2, fold, ANLOGIC, { mulStyle: 'lut' }).ff).toBeGreaterThan(mvauCost(shape, w4a2, fold, ANLOGIC, { mulStyle: 'lut' }).ff);
  });

  it('BRAM weights hold no LUT bits and register their word inside the block', () => {
    const bram = mvauFeatures(shape, w4a2, fold, ANLOGIC, { mulStyle: 'lut', memStyle: 'bram' });
    expect(bram.lut.romLuts).toBe(0);
    expect(bram.ff.weightReg).toBe(0);
    // 'auto' beyond 128 words: mw 256, mh 2, PE 1, SIMD 2 -> 256 words -> BRAM
    expect(mvauFeatures({ mw: 256, mh: 2, numVectors: 1 }, w4a2, { pe: 1, simd: 2 }, ANLOGIC, { mulStyle: 'lut' }).lut.romLuts).toBe(0);
    // exactly 128 words stays in logic: mw 128, mh 2, PE 1, SIMD 2 -> 8-bit words x ceil(128 / 16) LUT4 = 64
    expect(mvauFeatures({ mw: 128, mh: 2, numVectors: 1 }, w4a2, { pe: 1, simd: 2 }, ANLOGIC, { mulStyle: 'lut' }).lut.romLuts).toBe(64);
    // on LUT6 (Xilinx) the same table is 8 x ceil(128 / 64) = 16
    expect(mvauFeatures({ mw: 128, mh: 2, numVectors: 1 }, w4a2, { pe: 1, simd: 2 }, Z7, { mulStyle: 'lut' }).lut.romLuts).toBe(16);
  });

  it('the input buffer in distributed RAM as Yosys maps it, and its read multiplexer', () => {
    // Xilinx: 2 words x 64 bits -> RAM32M (32 x 6): 11 x 4 LUT6; 36 x 8 -> RAM64M (64 x 3): 3 x 4; 144 x 4 -> 2 x 3 x 4
    expect(distributedRamLuts(2, 64, 6)).toBe(44);
    expect(distributedRamLuts(36, 8, 6)).toBe(12);
    expect(distributedRamLuts(144, 4, 6)).toBe(24);
    // Gowin / Anlogic: 72 x 32 -> 16 x 4 RAMs: 8 x 5 = 40, 4 LUT4 each
    expect(distributedRamLuts(72, 32, 4)).toBe(160);
    // mw 144, SIMD 2, A 2 on LUT4: 144 words of 4 bits -> 9 RAMs deep: 8 more 2:1 steps per bit
    expect(mvauFeatures({ mw: 144, mh: 2, numVectors: 1 }, w4a2, { pe: 1, simd: 2 }, ANLOGIC, { mulStyle: 'lut' }).lut).toMatchObject({ ibufRam: 36, ibufMux: 4 * 8 });
  });

  it('lone products per DSP48E1 sum in the DSPs; with SIMD 1 the accumulator goes in too', () => {
    // W8 A8, PE 1 on DSP48E1: 2 lanes possible, 1 used -> absorbed. mw 4, mh 2, SIMD 2.
    // acc: alpha = log2(4) + 8 + 8 - 1 = 17 -> ceil(18.00001) = 19. WMEM 4 x 2 / 2 = 4 words -> in logic.
    const f = mvauFeatures({ mw: 4, mh: 2, numVectors: 1 }, { weightBits: 8, actBits: 8 }, { pe: 1, simd: 2 }, { ...Z7, calibration: 'anlogic' });
    expect(f).toEqual({
      // romLuts: 16-bit words, 4 words (one LUT6 each); ibufRam: 4 words x 16 bits -> 3 RAM32M; counters: 2 x 2 + 2 + 3
      lut: { one: 1, lanes: 1 * 2 * 16, dotAdd: 0, dotAddLevels: 0, dspDotAdd: 1 * 1 * 19, lutMul: 0, lutMulWide: 0, acc: 19, dspAcc: 0, unpack: 0, romLuts: 16, ibufRam: 12, ibufMux: 0, counters: 9, romSliceMux: 0, bias: 0 },
      // + 4 wrap flags (SF 2, SF 2, NF 2, 4 words)
      ff: { one: 1, counters: 9 + 4, romSliceSelect: 0, weightReg: 2 * 8, actReg: 2 * 8, acc: 19, dspAcc: 0, bias: 0 },
    });
    // SIMD 1: one product and the accumulator in the DSP (P register): no accumulator LUTs or flip-flops
    const one = mvauFeatures({ mw: 4, mh: 2, numVectors: 1 }, { weightBits: 8, actBits: 8 }, { pe: 1, simd: 1 }, Z7);
    expect(one.lut).toMatchObject({ dotAdd: 0, dspDotAdd: 0, acc: 0, dspAcc: 19 });
    expect(one.ff).toMatchObject({ acc: 0, dspAcc: 19 });
    // ... unless the MVAU adds a bias: the sum then also feeds the output word, and the accumulator stays in the fabric
    const withBias = mvauFeatures({ mw: 4, mh: 2, numVectors: 1, bias: true }, { weightBits: 8, actBits: 8 }, { pe: 1, simd: 1 }, Z7);
    expect(withBias.lut).toMatchObject({ acc: 19, dspAcc: 0 });
    expect(withBias.ff).toMatchObject({ acc: 19, dspAcc: 0 });
  });

  it('packed DSP48E1 lanes are unpacked in LUTs; a lone last lane of W4A4 is a LUT product', () => {
    // W4 A4 on DSP48E1: floor((25 - 4 - 1) / 8) + 1 = 3 lanes; PE 4 = one group of 3 + a lone lane (4 mod 3 = 1, 4 + 4 < 9).
    // mw 4, mh 4, SIMD 2: acc alpha = 2 + 7 = 9 -> ceil(10.003) = 11. WMEM 16 / 8 = 2 words -> LUTRAM.
    const b4 = { weightBits: 4, actBits: 4 };
    const lone = mvauFeatures({ mw: 4, mh: 4, numVectors: 1 }, b4, { pe: 4, simd: 2 }, Z7);
    expect(lone).toEqual({
      // 2 words of 32 bits (one LUT6 per bit); input buffer 4 words x 8 bits: 2 RAM32M; counters 2 x 2 + 2 + 2
      lut: { one: 1, lanes: 4 * 2 * 8, dotAdd: 4 * 1 * 11, dotAddLevels: 4 * 1 * 11 * 2, dspDotAdd: 0, lutMul: 2 * 4 * 4, lutMulWide: 0, acc: 4 * 11, dspAcc: 0, unpack: 4 * 2 * 8, romLuts: 32, ibufRam: 8, ibufMux: 0, counters: 8, romSliceMux: 0, bias: 0 },
      // + 3 wrap flags (NF 1 has none: its flag is a constant)
      ff: { one: 1, counters: 8 + 3, romSliceSelect: 0, weightReg: 4 * 2 * 4, actReg: 2 * 4, acc: 44, dspAcc: 0, bias: 0 },
    });
    // PE 3: one full group, no lone lane: no LUT product
    expect(mvauFeatures({ mw: 4, mh: 3, numVectors: 1 }, b4, { pe: 3, simd: 2 }, Z7).lut).toMatchObject({ lutMul: 0, unpack: 3 * 2 * 8, acc: 33 });
    // W8 A8 PE 3 on DSP48E1: 2 lanes, 3 mod 2 = 1 but 8 + 8 >= 9: the lone lane stays on a DSP
    expect(mvauFeatures({ mw: 4, mh: 3, numVectors: 1 }, { weightBits: 8, actBits: 8 }, { pe: 3, simd: 2 }, Z7).lut).toMatchObject({ lutMul: 0, unpack: 3 * 2 * 16 });
  });

  it('DSP48E2 products keep their accumulators in LUTs (no lanes counted)', () => {
    // W8 A8 PE 2 on DSP48E2 (mvu_8sx8u_dsp48): not a DSP48E1, so neither unpack nor dspAcc.
    const f = mvauFeatures({ mw: 4, mh: 2, numVectors: 1 }, { weightBits: 8, actBits: 8 }, { pe: 2, simd: 2 }, ZU);
    expect(f.lut).toMatchObject({ lutMul: 0, acc: 2 * 19, dspAcc: 0, unpack: 0 });
    expect(f.ff).toMatchObject({ acc: 38, dspAcc: 0 });
    // PE 1 on DSP48E2 is not absorbed either
    expect(mvauFeatures({ mw: 4, mh: 2, numVectors: 1 }, { weightBits: 8, actBits: 8 }, { pe: 1, simd: 2 }, ZU).lut).toMatchObject({ acc: 19, dspAcc: 0 });
  });
});

describe('VVAU calibrated cost', () => {
  // 4 channels, 3x3 kernel, PE 2, SIMD 3, W4 A2, LUT multipliers.
  // acc: alpha = log2(9) + 4 + 2 - 1 = 8.17 -> ceil(9.17) = 10. WMEM 9 x 4 / 2 / 3 = 6 words -> LUTRAM.
  const shape = { channels: 4, kernel: [3, 3] as [number, number], outDim: [5, 5] as [number, number] };
  const fold = { pe: 2, simd: 3 };

  it('features of a LUT-multiplier VVAU with LUTRAM weights', () => {
    expect(vvauFeatures(shape, w4a2, fold, ANLOGIC, { mulStyle: 'lut' })).toEqual({
      // counters: k over 9 (4 + 1 bits), waddr over 4 / 2 x 9 = 18 words (5 + 1 bits), each with a wrap flag
      // lutMulWide: the LUT-product bits x max(W, A) = 48 x 4 on a 4-input LUT fabric
      lut: { one: 1, lanes: 2 * 3 * 6, lutMul: 2 * 3 * 4 * 2, lutMulWide: 48 * 4, acc: 2 * 10, dspAcc: 0, romBits: 9 * 4 * 4, counters: 11 },
      ff: { one: 1, weightReg: 2 * 3 * 4, actReg: 2 * 3 * 2, acc: 20, dspAcc: 0, counters: 11 + 2 },
    });
  });

  it('anlogic: LUT and FF from the fit', () => {
    const cost = vvauCost(shape, w4a2, fold, ANLOGIC, { mulStyle: 'lut' });
    // LUT: 9.18 + 2.2085 x 48 + 0.3007 x 192 + 2.0388 x 20 + 0.0912 x 144 + 2.4087 x 11 = 253.3269 (one, lutMul, lutMulWide, acc, romBits, counters)
    expect(cost.lut).toBeCloseTo(253.3269 / LUT_PER_LUT6, 9);
    // FF, exact since the counters are counted (session 13): 4 + 24 + 12 + 20 + 13 = 73
    expect(cost.ff).toBe(73);
    // cycles: (4 x 9) / 2 / 3 x 25 = 150
    expect(cost.cycles).toBe(150);
  });

  it('gowin: FF from the fit', () => {
    // 4 + 24 + 12 + 20 + 13 = 73
    expect(vvauCost(shape, w4a2, fold, GOWIN, { mulStyle: 'lut' }).ff).toBe(73);
  });

  it('one product per DSP48E1 absorbs the accumulator; DSP48E2 and BRAM weights', () => {
    // W8 A4 on DSP48E1: alpha = log2(9) + 8 + 4 - 1 = 14.17 -> 16 bits.
    const b84 = { weightBits: 8, actBits: 4 };
    expect(vvauFeatures(shape, b84, fold, Z7)).toEqual({
      lut: { one: 1, lanes: 2 * 3 * 12, lutMul: 0, lutMulWide: 0, acc: 0, dspAcc: 2 * 16, romBits: 9 * 4 * 8, counters: 11 },
      ff: { one: 1, weightReg: 2 * 3 * 8, actReg: 2 * 3 * 4, acc: 0, dspAcc: 32, counters: 13 },
    });
    // Weights in block RAM: the registered weight word is the block RAM's read register (weightReg 0).
    expect(vvauFeatures(shape, b84, fold, ZU, { memStyle: 'bram' })).toEqual({
      lut: { one: 1, lanes: 72, lutMul: 0, lutMulWide: 0, acc: 32, dspAcc: 0, romBits: 0, counters: 11 },
      ff: { one: 1, weightReg: 0, actReg: 24, acc: 32, dspAcc: 0, counters: 13 },
    });
    // LUT products on a DSP48E1 device: not absorbed
    expect(vvauFeatures(shape, b84, fold, Z7, { mulStyle: 'lut' }).lut).toMatchObject({ lutMul: 2 * 3 * 32, acc: 32, dspAcc: 0 });
  });
});

describe('FIFO calibrated cost', () => {
  it('features: LUT buffers with their 16-word-bank read multiplexer, block RAM where Yosys puts it', () => {
    // 64 x 8 = 512 bits in LUTRAM: addr ceil(log2 64) = 6; read mux 8 x (64 / 16 - 1) = 24.
    expect(fifoFeatures(64, 8, 'lutram')).toEqual({
      lut: { one: 1, addr: 6, lutBits: 512, lutMux: 24, bram: 0, largeWidth: 0, wrap: 0 },
      ff: { one: 1, addr: 6, largeWidth: 0, wrap: 0 },
    });
    // 64 x 32 in block RAM: a word of output registers and the bypass beside it, no LUT bits
    expect(fifoFeatures(64, 32, 'bram')).toEqual({
      lut: { one: 1, addr: 6, lutBits: 0, lutMux: 0, bram: 1, largeWidth: 32, wrap: 0 },
      ff: { one: 1, addr: 6, largeWidth: 32, wrap: 0 },
    });
    // the same buffer in LUTRAM: 2,048 bits, one 2:1 mux per bit for each of 3 further banks
    expect(fifoFeatures(64, 32, 'lutram').lut).toMatchObject({ lutBits: 2048, lutMux: 32 * 3, bram: 0, largeWidth: 0 });
    // 32 x 64, two banks: one mux per bit
    expect(fifoFeatures(32, 64, 'lutram').lut).toMatchObject({ lutBits: 2048, lutMux: 64, addr: 5, bram: 0 });
    // Xilinx LUT RAM banks hold 64 words (RAM64M): none at 64 deep, one 2:1 mux per bit at 128 deep
    expect(fifoFeatures(64, 8, 'lutram', 6).lut.lutMux).toBe(0);
    expect(fifoFeatures(128, 16, 'lutram', 6).lut.lutMux).toBe(16);
    expect(fifoFeatures(128, 16, 'lutram', 4).lut.lutMux).toBe(16 * 7);
    // 200 deep (not a power of two): 8 pointer bits, wrapping at two registered last-slot flags
    expect(fifoFeatures(200, 16, 'bram')).toMatchObject({ lut: { addr: 8, wrap: 8 }, ff: { addr: 8, wrap: 2 } });
  });

  it('where Yosys 0.23 puts a generated FIFO decides its features (the grid: Gowin / Anlogic from 2,048 bits deeper than 32 words, Xilinx from 128 words)', () => {
    const placed = (family: 'gowin' | 'anlogic' | 'xilinx', depth: number, width: number) => yosysMemory(family, depth, width, false).kind;
    expect(placed('gowin', 64, 32)).toBe('block');
    expect(placed('gowin', 32, 8)).toBe('distributed');
    expect(placed('anlogic', 32, 128)).not.toBe('block');
    expect(placed('xilinx', 64, 128)).not.toBe('block');
    expect(placed('xilinx', 128, 32)).toBe('block');
    expect(placed('xilinx', 256, 8)).not.toBe('block');
  });

  it('anlogic Q_srl FIFO: LUT and FF from the fit', () => {
    const cost = fifoCost(64, 8, ANLOGIC);
    // LUT: 8.2118 x 6 + 0.0828 x 512 + 0.3656 x 24 = 100.4388 (no constant; 64 is a power of two: no wrap)
    expect(cost.lut).toBeCloseTo(100.4388 / LUT_PER_LUT6, 9);
    // FF: 12.8071 + 2.1076 x 6 = 25.4527 -> 25
    expect(cost.ff).toBe(25);
    expect(cost.notes[0]).toBe('Q_srl FIFO 64 x 8 b');
  });

  it('gowin: LUT and FF from the fit, LUTRAM and block RAM', () => {
    // placement by the Gowin memory library, as on GW2A-18
    const GOWIN_LIB: EngineDevice = { ...GOWIN, memoryLibrary: 'gowin' };
    // 32 x 8 in LUTRAM: 3.5261 + 8.0174 x 5 + 0.021 x 256 + 2.2287 x 8 = 66.8187
    expect(fifoCost(32, 8, GOWIN_LIB).lut).toBeCloseTo(66.8187 / LUT_PER_LUT6, 9);
    // 64 x 32 in block RAM: 3.5261 + 8.0174 x 6 + 8.1025 + 1.0472 x 32 = 93.2434
    expect(fifoCost(64, 32, GOWIN_LIB).lut).toBeCloseTo(93.2434 / LUT_PER_LUT6, 9);
    // FF: 13.0758 + 2.0589 x 6 + 0.9684 x 32 = 56.418 -> 56
    expect(fifoCost(64, 32, GOWIN_LIB).ff).toBe(56);
  });

  it('xilinx (LUT fit applied since session 11): LUT6 straight from the fit, placement by the 7-series memory library', () => {
    const XILINX: EngineDevice = { ...Z7, calibration: 'xilinx', memoryLibrary: 'xilinx' };
    // 32 x 8 in LUTRAM (one 64-word RAM64M bank: no read mux): 4.191 + 2.7781 x 5 + 0.0213 x 256 = 23.5343 LUT6 (the fit is in LUT6: nothing to divide);
    // FF 11.2747 + 2.4619 x 5 = 23.5842 -> 24
    const small = fifoCost(32, 8, XILINX);
    expect(small.lut).toBeCloseTo(23.5343, 9);
    expect(small.ff).toBe(24);
    // 256 x 32 = 8,192 bits: block RAM on Xilinx: 4.191 + 2.7781 x 8 + 7.0518 + 0.9769 x 32 = 64.7284; FF 11.2747 + 2.4619 x 8 + 0.9483 x 32 = 61.3155 -> 61
    const big = fifoCost(256, 32, XILINX);
    expect(big.lut).toBeCloseTo(64.7284, 9);
    expect(big.ff).toBe(61);
  });

  it('anlogic Vivado FIFO (deeper than 256): the features take the memory the estimate chose', () => {
    // 257 x 4 = 1,028 bits: LUTRAM; addr ceil(log2 257) = 9; read mux 4 x (ceil(257 / 16) - 1) = 4 x 16 = 64; 257 is not a power of two: wrap 9. Depth rounded to 512:
    // LUTRAM 16 x 2 = 32 LUTs (32 / 12250 = 0.0026) vs 1 RAMB18 (1 / 60 = 0.017): LUTRAM.
    // LUT: 8.2118 x 9 + 0.0828 x 1028 + 0.3656 x 64 + 3.9968 x 9 = 218.3942
    expect(fifoCost(257, 4, ANLOGIC).lut).toBeCloseTo(218.3942 / LUT_PER_LUT6, 9);
    // in BRAM: 8.2118 x 9 + 11.295 + 0.9868 x 4 + 3.9968 x 9 = 125.1196
    const bram = fifoCost(257, 4, ANLOGIC, 'bram');
    expect(bram.lut).toBeCloseTo(125.1196 / LUT_PER_LUT6, 9);
    // FF: 12.8071 + 2.1076 x 9 + 0.965 x 4 + 1.278 x 2 (the wrap flags) = 38.1915 -> 38
    expect(bram).toMatchObject({ ff: 38, bram18: 1 });
  });
});

describe('multiply-shift requantiser calibrated cost', () => {
  // 8 channels, 12-bit accumulators, 8 output bits, PE 2: 4 parameter words of 12 + 16 bits -> LUTRAM.
  const shape = { channels: 8, numVectors: 3, thresholdBits: 12 };

  it('features', () => {
    const f = requantFeatures(shape, 8, 2, EG4);
    // paramCols / paramReg: a 56-bit word over 4 channel folds has at most 2^4 - 2 = 14 non-constant columns,
    // 14 (1 - (15/16)^56) = 13.6228 distinct ones expected for random parameters
    expect(f.lut).toMatchObject({ one: 1, prod: 2 * (12 + 16), out: 2 * 8, lutMul: 0, paramBits: 8 * (12 + 16), paramColsLut8: 0, paramColsShallow: 0, splitAdd: 0 });
    expect(f.lut.paramCols).toBeCloseTo(13.6228, 4);
    // counter: reg [clog2(4):0] = 3 bits and its registered wrap flag
    expect(f.ff).toMatchObject({ one: 1, out: 16, counter: 3 + 1 });
    expect(f.ff.paramReg).toBeCloseTo(13.6228, 4);
    // LUT products (asked for, or no DSP on the device): PE x T x 16
    expect(requantFeatures(shape, 8, 2, EG4, 'auto', 'lut').lut.lutMul).toBe(2 * 12 * 16);
    expect(requantFeatures(shape, 8, 2, { ...EG4, dsp: 0 }).lut.lutMul).toBe(384);
    expect(requantFeatures(shape, 8, 2, EG4, 'auto', 'dsp').lut.lutMul).toBe(0);
    // parameters in BRAM, asked for or deeper than 128 words
    expect(requantFeatures(shape, 8, 2, EG4, 'bram').lut.paramBits).toBe(0);
    expect(requantFeatures({ ...shape, channels: 256 }, 8, 1, EG4).lut.paramBits).toBe(0);
    expect(requantFeatures({ ...shape, channels: 128 }, 8, 1, EG4).lut.paramBits).toBe(128 * 28);
    // 4-input LUTs: a 96-word column is a 128-word mux tree; LUT6 fabrics count the words
    expect(requantFeatures({ ...shape, channels: 96 }, 8, 1, EG4).lut.paramBits).toBe(128 * 28);
    expect(requantFeatures({ ...shape, channels: 96 }, 8, 1, Z7).lut.paramBits).toBe(96 * 28);
    // splitAdd: a 20-bit sum takes two 18 x 18 multipliers per lane (rtl/requant.ts), an adder of the 36 product bits joins them
    expect(requantFeatures({ ...shape, thresholdBits: 20 }, 8, 2, EG4).lut.splitAdd).toBe(2 * (20 + 16));
    expect(requantFeatures({ ...shape, thresholdBits: 18 }, 8, 2, EG4).lut.splitAdd).toBe(0);
    expect(requantFeatures({ ...shape, thresholdBits: 20 }, 8, 2, EG4, 'auto', 'lut').lut.splitAdd).toBe(0);
    // a 25 x 18 DSP48E1 takes a 20-bit sum whole
    expect(requantFeatures({ ...shape, thresholdBits: 20 }, 8, 2, Z7).lut.splitAdd).toBe(0);
    // counter as declared, reg [clog2(CF):0], and its wrap flag: 3 words per lane -> 3 + 1 bits; 256 words -> 9 + 1; one word: no flag
    expect(requantFeatures({ ...shape, channels: 6 }, 8, 2, EG4).ff.counter).toBe(3 + 1);
    expect(requantFeatures({ ...shape, channels: 256 }, 8, 1, EG4).ff.counter).toBe(9 + 1);
    expect(requantFeatures({ ...shape, channels: 2 }, 8, 2, EG4).ff.counter).toBe(2);
  });

  it('anlogic: LUT and FF from the fit', () => {
    const cost = requantCost(shape, 8, 2, ANLOGIC);
    // LUT: 27.9751 + 4.2568 x 56 + 0.0762 x 224 = 283.4247 (no out / lutMul / paramCols coefficients; splitAdd 0 at 12 bits)
    expect(cost.lut).toBeCloseTo(283.4247 / LUT_PER_LUT6, 3);
    // a 20-bit sum (72-bit word): 27.9751 + 4.2568 x 72 + 0.0762 x 288 + 0.7585 x 72 = 411.0223
    expect(requantCost({ ...shape, thresholdBits: 20 }, 8, 2, ANLOGIC).lut).toBeCloseTo(411.0223 / LUT_PER_LUT6, 3);
    // FF: 1.3341 + 1.0256 x 16 + 0.946 x 4 + 0.9679 x 13.6228 = 34.7133 -> 35
    expect(cost.ff).toBe(35);
    expect(cost.cycles).toBe(3 * 4);
  });

  it('gowin: FF from the fit', () => {
    // 1.3341 + 1.0256 x 16 + 0.946 x 4 + 0.9679 x 13.6228 = 34.7133 -> 35; 4 output bits: 1.3341 + 1.0256 x 8 + 3.784 + 13.1855 = 26.5085 -> 27
    expect(requantCost(shape, 8, 2, GOWIN).ff).toBe(35);
    expect(requantCost(shape, 4, 2, GOWIN).ff).toBe(27);
  });
});

describe('MVAU features follow the asked multiplier style', () => {
  it("'lut' on 8-bit operands and 'dsp' on narrow ones override 'auto'", () => {
    // W8 A8 asked in LUTs on DSP48E1: PE 2 x SIMD 2 x 8 x 8 = 256 LUT-product bits, nothing packed or absorbed.
    // mw 4: acc alpha = 2 + 15 = 17 -> 19.
    const lut = mvauFeatures({ mw: 4, mh: 2, numVectors: 1 }, { weightBits: 8, actBits: 8 }, { pe: 2, simd: 2 }, Z7, { mulStyle: 'lut' });
    expect(lut.lut).toMatchObject({ lutMul: 256, acc: 38, dspAcc: 0, unpack: 0 });
    // W4 A2 asked on DSPs (DSP48E2, no lanes counted there): no LUT products
    expect(mvauFeatures(shape4x2(), w4a2, { pe: 2, simd: 4 }, ZU, { mulStyle: 'dsp' }).lut).toMatchObject({ lutMul: 0, acc: 20 });
  });
  it('fill: MW / SIMD input words before the first output', () => {
    expect(mvauCost(shape4x2(), w4a2, { pe: 2, simd: 4 }, EG4, { mulStyle: 'lut' }).fillWords).toBe(8 / 4);
  });
});

function shape4x2() {
  return { mw: 8, mh: 4, numVectors: 1 };
}

describe('sliding window calibrated cost', () => {
  // 4 channels, 6 x 7 in, 3x3, stride 1, SIMD 2, 8 b: width 16. Default style.
  const shape = { channels: 4, ifmDim: [6, 7] as [number, number], ofmDim: [4, 5] as [number, number], kernel: [3, 3] as [number, number], stride: [1, 1] as [number, number], dilation: [1, 1] as [number, number], depthwise: false };
  it('features: the generated buffer of k_h rows (lineBufferShape)', () => {
    // rows 3; depth 3 x 7 x (4/2) = 42 words; addr ceil(log2 43) = 6;
    // counters ceil(log2 7) + ceil(log2 8) + ceil(log2 3) = 3 + 3 + 2 = 8
    expect(slidingWindowFeatures(shape, 8, { simd: 2 }, 'lutram')).toEqual({ lut: { one: 1, width: 16, lutBits: 42 * 16, addr: 6, counters: 8, lutBanks: 0 }, ff: { one: 1, width: 16, counters: 8 } });
    // on Gowin's library: 42 words in ceil(42 / 16) = 3 RAM16SDP4 banks; none in block RAM or on the other libraries
    expect(slidingWindowFeatures(shape, 8, { simd: 2 }, 'lutram', 'gowin').lut.lutBanks).toBe(3);
    expect(slidingWindowFeatures(shape, 8, { simd: 2 }, 'bram', 'gowin').lut.lutBanks).toBe(0);
    expect(slidingWindowFeatures(shape, 8, { simd: 2 }, 'lutram', 'anlogic').lut.lutBanks).toBe(0);
    // in BRAM: no LUT bits; parallel: a word of 3 x 3 x 16 bits
    expect(slidingWindowFeatures(shape, 8, { simd: 2 }, 'bram').lut.lutBits).toBe(0);
    expect(slidingWindowFeatures(shape, 8, { simd: 2, parallelWindow: true }, 'lutram').lut).toMatchObject({ width: 144, lutBits: 42 * 144 });
    // stride 2: still 3 rows; a 2x1 kernel: 2 rows -> 2 x 7 x 2 = 28 words, addr 5; padding is not stored
    expect(slidingWindowFeatures({ ...shape, stride: [2, 2] }, 8, { simd: 2 }, 'lutram').lut).toMatchObject({ lutBits: 42 * 16, addr: 6 });
    expect(slidingWindowFeatures({ ...shape, kernel: [2, 1] }, 8, { simd: 2 }, 'lutram').lut).toMatchObject({ lutBits: 28 * 16, addr: 5 });
    expect(slidingWindowFeatures({ ...shape, ifmDim: [8, 9], pads: [1, 1, 1, 1] }, 8, { simd: 2 }, 'lutram').lut).toMatchObject({ lutBits: 42 * 16 });
    expect(slidingWindowFeatures({ ...shape, kernel: [1, 3], stride: [1, 1] }, 8, { simd: 4 }, 'lutram').lut).toMatchObject({ lutBits: 1 * 7 * 1 * 32, addr: 3 }); // 1 row; 7 words
  });
  it('block RAM of the line buffer as Yosys builds it where the device has a memory library', () => {
    // 42 x 16 b in block RAM: one 9-Kbit EG_PHY_BRAM (512 x 18, 0.5 RAMB18) on the Anlogic library; one RAMB18 by the aspect rule without a library
    expect(slidingWindowCost(shape, 8, { simd: 2 }, { ...ANLOGIC, memoryLibrary: 'anlogic' }, 'bram').bram18).toBe(0.5);
    expect(slidingWindowCost(shape, 8, { simd: 2 }, ANLOGIC, 'bram').bram18).toBe(1);
  });
  it('anlogic and gowin: LUT and FF from the fit', () => {
    // generated buffer 42 words (3 x 7 x 2) of 16 b: 16 x ceil(42/38) = 32 LUTRAM LUTs beat 1 RAMB18 (1/60): LUTRAM, 672 bits in LUTs.
    // LUT: 1179.7116 + 1.4042 x 16 + 0.1192 x 672 + 18.8232 x 6 = 1395.2204
    const a = slidingWindowCost(shape, 8, { simd: 2 }, ANLOGIC);
    expect(a.bufferMemory).toBe('lutram');
    expect(a.lut).toBeCloseTo(1395.2204 / LUT_PER_LUT6, 9);
    // FF: 69.116 + 1.8754 x 16 + 7.0818 x 8 = 155.7768 -> 156
    expect(a.ff).toBe(156);
    // gowin LUT: 1160.4977 + 0.1401 x 672 = 1254.6449 (no library on this device: no banks); FF: 130.0642 + 1.3927 x 16 + 2.0326 x 8 = 168.6082 -> 169
    const g = slidingWindowCost(shape, 8, { simd: 2 }, GOWIN);
    expect(g.lut).toBeCloseTo(1254.6449 / LUT_PER_LUT6, 9);
    expect(g.ff).toBe(169);
    // with Gowin's memory library (GW2A-18): the 42 words take 3 RAM16SDP4 banks, + 4.7844 x 3 = 1268.9981
    const gl = slidingWindowCost(shape, 8, { simd: 2 }, { ...GOWIN, memoryLibrary: 'gowin' });
    expect(gl.bufferMemory).toBe('lutram');
    expect(gl.lut).toBeCloseTo(1268.9981 / LUT_PER_LUT6, 9);
  });
});
