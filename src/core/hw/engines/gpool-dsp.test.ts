/**
 * The global pool's averaging multiply (sum x the 1/(H*W) multiplier of 16 bits, unsigned, so a
 * 17-bit signed operand) is a DSP on parts with DSP48/DSP58 blocks and LUTs on the 'generic' parts
 * (Gowin, Anlogic), as Yosys 0.23 built it (docs/hardware-model.md, XC7Z020 whole design: 1 DSP48E1
 * at PE 1). Expected counts worked by hand.
 */
import { describe, expect, it } from 'vitest';
import type { EngineDevice } from '../types.ts';
import { getDevice, toEngineDevice } from '../devices.ts';
import { globalAccPoolCost } from './pool.ts';

const Z7: EngineDevice = { lutInputs: 6, dspType: 'DSP48E1', dspMultiplier: [25, 18], lut: 53200, bram18: 280, dsp: 220, uram: 0 };
const EG4: EngineDevice = { lutInputs: 4, dspType: 'generic', dspMultiplier: [18, 18], lut: 12250, bram18: 60, dsp: 29, uram: 0 };

describe('global pool DSPs', () => {
  it('one DSP48E1 per lane when the sum fits the 25-bit port: 64 channels over 7x7, A8, PE 4', () => {
    // sum bits = 8 + clog2(49) + 1 = 8 + 6 + 1 = 15; product 15 x 17 on 25 x 18: ceil(17/25) x ceil(15/18) = 1 x 1
    // 4 lanes -> 4 DSPs
    expect(globalAccPoolCost({ channels: 64, inDim: [7, 7] }, 8, 4, Z7).dsp).toBe(4);
  });
  it('two DSP48E1 per lane when the sum is wider than the port: 16 channels over 64x64, A16, PE 2', () => {
    // sum bits = 16 + clog2(4096) + 1 = 16 + 12 + 1 = 29; 29 x 17: ceil(29/25) x ceil(17/18) = 2 x 1 = 2
    // 2 lanes -> 4 DSPs
    expect(globalAccPoolCost({ channels: 16, inDim: [64, 64] }, 16, 2, Z7).dsp).toBe(4);
  });
  it('the sum width counts its sign bit: 26 bits take two DSP48E1 columns (A17 over 16x16, PE 1)', () => {
    // sum bits = 17 + clog2(256) + 1 = 17 + 8 + 1 = 26 > 25: ceil(26/25) x ceil(17/18) = 2 x 1 = 2
    expect(globalAccPoolCost({ channels: 8, inDim: [16, 16] }, 17, 1, Z7).dsp).toBe(2);
  });
  it('the multiplier operand is 17 bits (16 unsigned + sign): two columns on a 16 x 16 multiplier', () => {
    // a part with 16 x 16 multipliers; sum bits = 4 + clog2(16) + 1 = 9: wide 17, narrow 9
    // ceil(17/16) x ceil(9/16) = 2 x 1 = 2
    const narrow: EngineDevice = { ...Z7, dspMultiplier: [16, 16] };
    expect(globalAccPoolCost({ channels: 8, inDim: [4, 4] }, 4, 1, narrow).dsp).toBe(2);
  });
  it('no DSP on a part whose DSP type is generic (Yosys builds the multiply in LUTs), nor without a device', () => {
    expect(globalAccPoolCost({ channels: 64, inDim: [7, 7] }, 8, 4, EG4).dsp).toBe(0);
    expect(globalAccPoolCost({ channels: 64, inDim: [7, 7] }, 8, 4).dsp).toBe(0);
  });
  it('the catalogue parts: XC7Z020 charges the lane, GW2A-18 and EG4S20 do not', () => {
    const cost = (id: string) => globalAccPoolCost({ channels: 32, inDim: [7, 7] }, 8, 1, toEngineDevice(getDevice(id))).dsp;
    expect([cost('XC7Z020'), cost('GW2A-18'), cost('EG4S20')]).toEqual([1, 0, 0]);
  });
});
