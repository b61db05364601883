/**
 * Memory primitive tables at their boundaries (memory.ts), read off the vendor aspect ratios by
 * hand: RAMB18 16K x 1, 8K x 2, 4K x 4, 2K x 9, 1K x 18, 512 x 36 (AMD UG473; FINN's
 * bram_estimation); the VVAU's without parity 2K x 8, 1K x 16, 512 x 32; the sliding window's
 * port width by depth (convolutioninputgenerator_rtl.py); LUTRAM 64 x 1 per LUT6; URAM288 4K x 72
 * (UG573); FINN's least-waste choice (util/basic.py memutil, ties in list order).
 */
import { describe, expect, it } from 'vitest';
import { lutram64, minWastePrimitive, ramb18, ramb18NoParity, swgRamb18, uramBlocks, weightMemory } from './memory.ts';

describe('RAMB18 aspect table', () => {
  it('each width band at its edges', () => {
    const cases: [number, number, number][] = [
      [1, 16384, 1], [1, 16385, 2], // 16K x 1
      [2, 8192, 1], [2, 8193, 2], // 8K x 2
      [3, 4096, 1], [4, 4096, 1], [4, 4097, 2], // 4K x 4
      [5, 2048, 1], [9, 2048, 1], [9, 2049, 2], // 2K x 9
      [10, 1024, 1], [18, 1025, 2], [18, 1024, 1], // 1K x 18
      [19, 512, 1], [36, 512, 1], [37, 512, 2], // 512 x 36 while the depth fits 512
      [19, 513, 2], // deeper than 512: 1K x 18, ceil(19/18) = 2
      [0, 100, 0], [8, 0, 0],
    ];
    for (const [w, d, n] of cases) expect([w, d, ramb18(w, d)]).toEqual([w, d, n]);
  });
  it('without parity (VVAU): 2K x 8, 1K x 16, 512 x 32', () => {
    const cases: [number, number, number][] = [
      [1, 16384, 1], [2, 8193, 2], [4, 4096, 1], [8, 2048, 1], [9, 2048, 2], [16, 1024, 1], [17, 1024, 2],
      [32, 512, 1], [33, 512, 2], [19, 513, 2], [0, 1, 0],
      [9, 1024, 2], // 2K x 8 ports: ceil(9/8) = 2 even when half deep
      [17, 512, 2], [18, 512, 2], // 1K x 16 up to 18 bits wide: ceil(17/16) = 2, not one 512 x 32
    ];
    for (const [w, d, n] of cases) expect([w, d, ramb18NoParity(w, d)]).toEqual([w, d, n]);
  });
  it('sliding-window buffers: the port width follows the depth, cascades beyond 16K', () => {
    const cases: [number, number, number][] = [
      [36, 512, 1], [37, 512, 2], [36, 513, 2], // 36 b ports up to 512 deep, then 18 b
      [18, 1024, 1], [18, 1025, 2], // 18 b up to 1K, then 9 b
      [9, 2048, 1], [9, 2049, 3], // 9 b up to 2K, then 4 b: ceil(9/4) = 3
      [4, 4096, 1], [4, 4097, 2], // 4 b up to 4K, then 2 b
      [2, 8192, 1], [2, 8193, 2], // 2 b up to 8K, then 1 b
      [1, 16384, 1],
      [2, 16384, 2], // exactly 16K: one cascade of 2 x 1 b, nothing saved
      [1, 16385, 2], // 2 cascades of 1 b; the 1-word remainder fits a 36 b port: nothing saved
      [2, 20000, 3], // 2 x 2 blocks, the 3,616-word remainder fits a 4 b port: one block saved
      [0, 10, 0], [10, 0, 0],
    ];
    for (const [w, d, n] of cases) expect([w, d, swgRamb18(w, d)]).toEqual([w, d, n]);
    expect(swgRamb18(37, 512, 3)).toBe(6);
    expect(swgRamb18(37, 512, 0)).toBe(0);
  });
});

describe('LUTRAM, URAM and the least-waste choice', () => {
  it('LUTRAM: width x ceil(depth / 64); URAM: ceil(width / 72) x ceil(depth / 4096)', () => {
    expect([lutram64(3, 64), lutram64(3, 65), lutram64(0, 5), lutram64(5, 0)]).toEqual([3, 6, 0, 0]);
    expect([uramBlocks(72, 4096), uramBlocks(73, 4097), uramBlocks(0, 1), uramBlocks(1, 0)]).toEqual([1, 4, 0, 0]);
  });
  it('fewest wasted bits; ties keep URAM, then BRAM, then LUTRAM', () => {
    const all = { uram: true, bram18: true, lutram: true };
    // 36 x 512: one RAMB18 wastes nothing
    expect(minWastePrimitive(36, 512, all)).toEqual({ bram18: 1, uram: 0, lutram: 0 });
    // 72 x 4096: one URAM or 2 x 8 RAMB18 or 72 x 64 LUTs, all waste 0: URAM first
    expect(minWastePrimitive(72, 4096, all)).toEqual({ bram18: 0, uram: 1, lutram: 0 });
    // 9 x 2048: one RAMB18 (2K x 9) or 9 x 32 LUTs, both waste 0: BRAM first
    expect(minWastePrimitive(9, 2048, all)).toEqual({ bram18: 1, uram: 0, lutram: 0 });
    // 1 x 64: LUTRAM wastes 0, a RAMB18 18,368 bits
    expect(minWastePrimitive(1, 64, all)).toEqual({ bram18: 0, uram: 0, lutram: 1 });
    // 18 x 1024 on BRAM only: 1K x 18 (1 block, waste 0) beats 512 x 36 (2 blocks)
    expect(minWastePrimitive(18, 1024, { uram: false, bram18: true, lutram: false })).toEqual({ bram18: 1, uram: 0, lutram: 0 });
    // nothing allowed, or nothing to store
    expect(minWastePrimitive(8, 8, { uram: false, bram18: false, lutram: false })).toEqual({ bram18: 0, uram: 0, lutram: 0 });
    expect(minWastePrimitive(0, 8, all)).toEqual({ bram18: 0, uram: 0, lutram: 0 });
  });
  it('weightMemory states where the weights went', () => {
    expect(weightMemory(72, 4096, 'uram', ramb18)).toEqual({ bram18: 0, lutramLuts: 0, uram: 1, note: 'weights 4096 x 72 b in 1 URAM' });
    expect(weightMemory(36, 1024, 'bram', ramb18)).toEqual({ bram18: 2, lutramLuts: 0, uram: 0, note: 'weights 1024 x 36 b in 2 RAMB18' });
    expect(weightMemory(32, 1024, 'bram', ramb18NoParity)).toMatchObject({ bram18: 2 });
    expect(weightMemory(4, 100, 'lutram', ramb18)).toEqual({ bram18: 0, lutramLuts: 8, uram: 0, note: 'weights 100 x 4 b in 8 LUTRAM' });
  });
});
