/** UltraRAM (FINN's ram_style="ultra"): numbers worked out by hand from FINN's uram_estimation. */
import { describe, expect, it } from 'vitest';
import { getDevice, toEngineDevice } from '../devices.ts';
import { hwLayersFromLayerView } from '../layers.ts';
import { uramBlocks } from '../memory.ts';
import { estimate } from '../pipeline.ts';
import { mobileNetV1Layers } from '../fixtures.ts';
import { mvauCost } from './mvau.ts';
import { vvauCost } from './vvau.ts';

const ZU7EV = getDevice('XCZU7EV');
const w4a4 = { weightBits: 4, actBits: 4 };

describe('UltraRAM', () => {
  it('counts URAM288 blocks as ceil(width / 72) * ceil(depth / 4096)', () => {
    expect(uramBlocks(72, 4096)).toBe(1);
    expect(uramBlocks(73, 4096)).toBe(2);
    expect(uramBlocks(72, 4097)).toBe(2);
    expect(uramBlocks(1024, 4096)).toBe(15);
    expect(uramBlocks(0, 10)).toBe(0);
  });

  it('puts MVAU weights in URAM instead of BRAM when memStyle is uram', () => {
    // MobileNet-v1 pw13 at FINN's ZCU104 folding: 1024 x 1024 weights, PE 32, SIMD 8, 4 bits:
    // WMEM = 1024 * 1024 / 256 = 4096 words of 32 * 8 * 4 = 1024 bits -> 15 x 1 URAM.
    const shape = { mw: 1024, mh: 1024, numVectors: 49 };
    const dev = toEngineDevice(ZU7EV);
    const inUram = mvauCost(shape, w4a4, { pe: 32, simd: 8 }, dev, { memStyle: 'uram' });
    expect(inUram.uram).toBe(15);
    expect(inUram.bram18).toBe(0);
    const inBram = mvauCost(shape, w4a4, { pe: 32, simd: 8 }, dev, { memStyle: 'bram' });
    expect(inBram.uram).toBeUndefined();
    expect(inBram.bram18).toBeGreaterThan(0);
    // Only the memory moves: cycles, LUT and DSP are the same.
    expect([inUram.cycles, inUram.lut, inUram.dsp]).toEqual([inBram.cycles, inBram.lut, inBram.dsp]);
  });

  it('puts VVAU weights in URAM too (FINN VVAU uram_estimation)', () => {
    // 512 channels, 3x3, PE 4: WMEM = 9 * 512 / 4 = 1152 words of 4 * 1 * 4 = 16 bits -> 1 URAM.
    const c = vvauCost({ channels: 512, kernel: [3, 3], outDim: [14, 14] }, w4a4, { pe: 4, simd: 1 }, toEngineDevice(ZU7EV), { memStyle: 'uram' });
    expect([c.uram, c.bram18]).toEqual([1, 0]);
  });

  it('budgets URAM against the device: totals, utilization, and overflow on a part without it', () => {
    const hw = hwLayersFromLayerView(mobileNetV1Layers(), mobileNetV1Layers().map(() => w4a4));
    const folding = { pw13: { pe: 32, simd: 8, memStyle: 'uram' as const } };
    const e = estimate(hw, folding, ZU7EV, 200);
    expect(e.layers.find((l) => l.name === 'pw13')!.uram).toBe(15);
    expect(e.totals.uram).toBe(15);
    expect(e.resources.uram).toEqual({ used: 15, available: 96, utilization: 15 / 96 });
    const onZ7020 = estimate(hw, folding, getDevice('XC7Z020'), 100);
    expect(onZ7020.resources.uram.utilization).toBe(Infinity);
    expect(onZ7020.overflowing).toContain('uram');
    expect(onZ7020.fits).toBe(false);
  });
});
