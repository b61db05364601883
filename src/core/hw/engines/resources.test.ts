/**
 * Full costs of the auxiliary engines, worked by hand from the formulas in docs/hardware-model.md
 * (FINN's cycle counts; LUT/FF/memory of AddStreams, pools and requantizers are edgefold's own
 * structural counts, documented there). Every field of the result is checked, and the PE guards.
 */
import { describe, expect, it } from 'vitest';
import type { EngineDevice } from '../types.ts';
import { addStreamsCost } from './add-streams.ts';
import { globalAccPoolCost, poolCost, streamingMaxPoolCost } from './pool.ts';
import { requantCost, thresholdingCost } from './thresholding.ts';

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
      cycles: 40, dsp: 0, bram18: 0, lut: 96, ff: 88, weightMemBits: 288, fillWords: 1, inWords: 40, outWords: 40, outWidth: 4,
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
      cycles: 40, dsp: 2, bram18: 0, lut: 210, ff: 176, weightMemBits: 288, fillWords: 1, inWords: 40, outWords: 40, outWidth: 16,
      notes: ['multiply-shift requant to 8 b (ours): 2 DSP, params 72 LUTRAM'],
    });
  });
  it('multipliers in LUTs, parameters in BRAM, an 18x18 DSP, a device without DSPs', () => {
    // FINN-R multiplier 20 x 16: (2*ceil(36/6) - 1) * 36 = 396 LUTs per PE -> 210 + 792
    expect(requantCost(shape, 8, 2, Z7, 'auto', 'lut')).toMatchObject({ dsp: 0, lut: 1002 });
    // BRAM: 4 x 72 b -> ceil(4/512) * ceil(72/36) = 2 RAMB18, no LUTRAM: 138 LUTs
    expect(requantCost(shape, 8, 2, Z7, 'bram')).toMatchObject({ bram18: 2, lut: 138, notes: ['multiply-shift requant to 8 b (ours): 2 DSP, params 2 RAMB18'] });
    // 18 x 18: ceil(20/18) * ceil(16/18) = 2 per product -> 4
    expect(requantCost(shape, 8, 2, GENERIC).dsp).toBe(4);
    expect(requantCost(shape, 8, 2, { ...Z7, dsp: 0 })).toMatchObject({ dsp: 0, lut: 1002 });
    // more than 128 channel folds go to BRAM by default: 256 channels at PE 1 -> 256 x 36 b: ceil(256/512)*ceil(36/36) = 1
    expect(requantCost({ ...shape, channels: 256 }, 8, 1, Z7)).toMatchObject({ bram18: 1 });
  });
});
