import { describe, expect, it } from 'vitest';
import { EdgefoldError } from '../errors.ts';
import type { LayerInfo } from '../graph/layer.ts';
import { getDevice, lutFactor, validateDevice, DEVICES } from './devices.ts';
import { referenceLikeLayers, residualLayers } from './fixtures.ts';
import { allowedFoldings, divisors } from './folding.ts';
import { hwLayersFromLayerView } from './layers.ts';
import { estimate } from './pipeline.ts';
import { estimatePower } from './power.ts';

const z7020 = getDevice('XC7Z020');

function thrown(fn: () => unknown): EdgefoldError {
  try {
    fn();
  } catch (e) {
    if (e instanceof EdgefoldError) return e;
    throw e;
  }
  throw new Error('expected an EdgefoldError');
}

describe('hwLayersFromLayerView', () => {
  // Built inside each test: Stryker switches mutants per test, not while the file is collected.
  const setup = () => ({ hw: hwLayersFromLayerView(referenceLikeLayers()) });
  const kinds = (name: string) => setup().hw.find((l) => l.name === name)!.engines.map((e) => e.kind);

  it('maps each layer kind to the engine chain FINN builds', () => {
    expect(kinds('conv0')).toEqual(['fmpadding', 'sliding-window', 'mvau', 'thresholding']);
    expect(kinds('dw1')).toEqual(['fmpadding', 'sliding-window', 'vvau', 'thresholding']);
    expect(kinds('pw1')).toEqual(['mvau', 'thresholding']);
    expect(kinds('gap')).toEqual(['global-acc-pool']);
    // The last compute layer keeps its accumulators (noActivation).
    expect(kinds('fc')).toEqual(['mvau']);
  });

  it('the last layer\'s MVAU adds the bias itself where the layer has one (no requantiser to take it)', () => {
    const layers = referenceLikeLayers();
    const mvauOf = (hw: ReturnType<typeof hwLayersFromLayerView>, name: string) => hw.find((l) => l.name === name)!.engines.find((e) => e.kind === 'mvau');
    const withBias = hwLayersFromLayerView(layers.map((l) => ({ ...l, hasBias: true })));
    expect(mvauOf(withBias, 'fc')).toMatchObject({ bias: true });
    // a layer with a requantiser after it folds the bias into the requantiser
    expect(mvauOf(withBias, 'pw1')).not.toHaveProperty('bias');
    const noBias = hwLayersFromLayerView(layers.map((l) => ({ ...l, hasBias: false })));
    expect(mvauOf(noBias, 'fc')).not.toHaveProperty('bias');
  });

  it('sets matrix sizes from the shapes', () => {
    const { hw } = setup();
    const conv0 = hw[0].engines[2];
    expect(conv0).toMatchObject({ kind: 'mvau', mw: 3 * 3 * 1, mh: 32, numVectors: 28 * 28 });
    const dw2 = hw[3].engines.find((e) => e.kind === 'sliding-window');
    expect(dw2).toMatchObject({ ifmDim: [30, 30], ofmDim: [14, 14], depthwise: true });
  });

  it('reports layers it cannot map, with a reason', () => {
    const grouped: LayerInfo = { ...referenceLikeLayers()[1], name: 'g', kind: 'grouped', groups: 4 };
    const unsupported: LayerInfo = { ...referenceLikeLayers()[1], name: 'u', kind: 'unsupported', reason: 'operator Foo is not supported' };
    const out = hwLayersFromLayerView([grouped, unsupported]);
    expect(out.map((l) => l.mappable)).toEqual([false, false]);
    expect(out[0].reason).toMatch(/grouped/);
    expect(out[1].reason).toBe('operator Foo is not supported');
  });

  it('uses per-layer bits and finds the residual skip input', () => {
    const r = hwLayersFromLayerView(residualLayers(), { expand: { weightBits: 4, actBits: 4 } });
    expect(r[1].bits).toEqual({ weightBits: 4, actBits: 4 });
    expect(r[0].bits).toEqual({ weightBits: 8, actBits: 8 });
    const add = r.find((l) => l.name === 'add')!;
    expect(add.engines.map((e) => e.kind)).toEqual(['add-streams', 'thresholding']);
    expect(add.skipFrom).toBe(0); // 'stem' produces the 16x8x8 tensor the block adds back
  });
});

describe('folding validation', () => {
  // Built inside each test: Stryker switches mutants per test, not while the file is collected.
  const setup = () => ({ hw: hwLayersFromLayerView(referenceLikeLayers()) });
  it('lists the divisors as the allowed values', () => {
    const { hw } = setup();
    expect(divisors(12)).toEqual([1, 2, 3, 4, 6, 12]);
    const pw1 = hw.find((l) => l.name === 'pw1')!;
    expect(allowedFoldings(pw1)).toMatchObject({ pe: [1, 2, 4, 8, 16, 32, 64], simd: [1, 2, 4, 8, 16, 32] });
    const dw1 = hw.find((l) => l.name === 'dw1')!;
    expect(allowedFoldings(dw1).simd).toEqual([1, 3, 9]);
  });
  it('rejects a PE that does not divide, naming the layer and the allowed values', () => {
    const { hw } = setup();
    const e = thrown(() => estimate(hw, { pw1: { pe: 3 } }, z7020, 100));
    expect(e.code).toBe('bad-input');
    expect(e.message).toContain('"pw1"');
    expect(e.message).toContain('Allowed PE: 1, 2, 4, 8, 16, 32, 64');
    expect(e.field).toBe('hardware.layers.pw1.pe');
  });
  it('rejects SIMD on a layer without SIMD, and unknown layer names', () => {
    const { hw } = setup();
    expect(thrown(() => estimate(hw, { gap: { simd: 2 } }, z7020, 100)).message).toMatch(/SIMD must be 1/);
    expect(thrown(() => estimate(hw, { nope: { pe: 1 } }, z7020, 100)).message).toMatch(/"nope"/);
    expect(thrown(() => estimate(hw, { dw1: { simd: 2 } }, z7020, 100)).message).toContain('Allowed SIMD: 1, 3, 9');
  });
});

describe('devices', () => {
  it('has every catalog device with the fields the model uses', () => {
    const ids = DEVICES.map((d) => d.id);
    for (const id of ['XC7Z010', 'XC7Z020', 'XC7A35T', 'XC7A100T', 'XC7K325T', 'XCZU3EG', 'XCZU7EV', 'EG4S20', 'PH1A60', 'GW2A-18', 'GW5A-60', 'PGL22G']) {
      expect(ids).toContain(id);
    }
    for (const d of DEVICES) {
      expect(Object.keys(d.sources).length).toBeGreaterThan(0);
      expect([4, 5, 6]).toContain(d.lutInputs);
    }
  });
  it('converts LUT6 costs to the device LUT size', () => {
    expect(lutFactor(getDevice('XC7Z020'))).toBe(1);
    expect(lutFactor(getDevice('GW2A-18'))).toBe(1.6); // UG474: 1.6 logic cells (LUT4 + FF) per LUT6
    expect(lutFactor(getDevice('PGL22G'))).toBeCloseTo(1.6 / 1.2);
    expect(lutFactor(getDevice('PH1A60'))).toBe(1.8); // Anlogic's LUT4-equivalent count
  });
  it('looks devices up case-insensitively and lists the known ids otherwise', () => {
    expect(getDevice('xc7z020').id).toBe('XC7Z020');
    expect(thrown(() => getDevice('XC9999')).message).toMatch(/Known devices: XC7Z010/);
  });
  it('validates a custom device with clear errors', () => {
    const good = validateDevice({ id: 'MYFPGA', lut: 10000, lutInputs: 4, ff: 10000, dsp: 10, dspMultiplier: [18, 18], bram: [{ blockKb: 9, count: 40 }] });
    expect(good).toMatchObject({ id: 'MYFPGA', bram18: 20, dspType: 'generic', custom: true });
    expect(thrown(() => validateDevice({ id: 'X', lut: 1000 })).message).toMatch(/"lutInputs" must be 4, 5 or 6/);
    expect(thrown(() => validateDevice({ id: 'X', lutInputs: 6, lut: -5 })).field).toBe('device.lut');
    expect(thrown(() => validateDevice({ id: 'X', lutInputs: 6, dspMultiplier: [18] })).message).toMatch(/dspMultiplier/);
    expect(thrown(() => validateDevice({ id: 'xc7z020', lutInputs: 6 })).message).toMatch(/clashes/);
    expect(thrown(() => validateDevice('nope')).message).toMatch(/JSON object/);
  });
});

describe('estimate', () => {
  // Built inside each test: Stryker switches mutants per test, not while the file is collected.
  const setup = () => {
    const hw = hwLayersFromLayerView(referenceLikeLayers());
    return { hw, e: estimate(hw, { pw3: { pe: 4, simd: 4 } }, z7020, 100) };
  };

  it('FPS = f_clk / slowest engine, and names the bottleneck', () => {
    const { e } = setup();
    const all = e.layers.flatMap((l) => l.engines.map((x) => x.cycles));
    expect(e.maxCycles).toBe(Math.max(...all));
    // 100 MHz / 1,605,632 cycles
    expect(e.fps).toBeCloseTo(62.28077168, 6);
    // Fully folded pw1: (64/1)*(32/1)*28*28 = 1,605,632 cycles; pw2 ties ((128)*(64)*14*14), and the
    // first slowest node wins as in FINN's dataflow_performance (strict '>').
    expect(e.maxCycles).toBe(1605632);
    expect(e.bottleneck).toEqual({ layer: 'pw1', engine: 'mvau' });
  });

  it('totals are the sums of the rows; utilization is against the device', () => {
    const { e } = setup();
    expect(e.totals.dsp).toBe(e.layers.reduce((s, l) => s + l.dsp, 0));
    expect(e.totals.bram18).toBe(e.layers.reduce((s, l) => s + l.bram18, 0));
    expect(e.resources.dsp.utilization).toBeCloseTo(e.totals.dsp / 220);
    expect(e.fits).toBe(true);
    // MACs: conv0 32*9*784 = 225,792; dw1 225,792; pw1 64*32*784 = 1,605,632; dw2 64*9*196 = 112,896;
    // pw2 128*64*196 = 1,605,632; dw3 128*9*196 = 225,792; pw3 128*128*196 = 3,211,264; dw4 128*9*49 = 56,448;
    // pw4 256*128*49 = 1,605,632; fc 2,560 -> 8,877,440 MACs = 17,754,880 ops
    expect(e.opsPerFrame).toBe(17754880);
    // 17,754,880 ops x 62.2808 FPS = 1.10579 GOPS
    expect(e.gops).toBeCloseTo(1.1057876, 6);
  });

  it('latency is at least one frame interval and below FINN\'s pessimistic sum', () => {
    const { e } = setup();
    expect(e.latency.cycles).toBeGreaterThan(e.maxCycles);
    expect(e.latency.cycles).toBeLessThan(e.finnCriticalPathCycles);
  });

  it('folds auxiliary engines so they do not become the bottleneck', () => {
    const { e } = setup();
    const conv0 = e.layers[0];
    for (const x of conv0.engines) expect(x.cycles).toBeLessThanOrEqual(e.maxCycles);
  });

  it('reports overflow and the first resource to overflow', () => {
    const { hw } = setup();
    const tiny = validateDevice({ id: 'TINY', lut: 2000, lutInputs: 6, ff: 4000, dsp: 2, bram18: 4 });
    const t = estimate(hw, {}, tiny, 100);
    expect(t.fits).toBe(false);
    expect(t.overflowing.length).toBeGreaterThan(0);
    const worst = Math.max(...(['lut', 'ff', 'dsp', 'bram'] as const).map((r) => t.resources[r].utilization ?? 0));
    expect(t.resources[t.firstToOverflow!].utilization).toBe(worst);
  });

  it('sizes a bypass FIFO on residual Adds', () => {
    const r = estimate(hwLayersFromLayerView(residualLayers()), {}, z7020, 100);
    const add = r.layers.find((l) => l.name === 'add')!;
    const bypass = add.fifos.find((f) => f.bypass)!;
    expect(bypass.from).toBe('stem');
    expect(bypass.depth).toBeGreaterThanOrEqual(32);
  });
});

describe('power', () => {
  it('is static plus dynamic, linear in clock for the dynamic part', () => {
    const used = { lut: 10000, ff: 10000, dsp: 50, bram18: 40 };
    const p100 = estimatePower(used, z7020, 100);
    const p200 = estimatePower(used, z7020, 200);
    expect(p200.staticW).toBe(p100.staticW);
    expect(p200.dynamicW).toBeCloseTo(2 * p100.dynamicW);
    expect(p100.totalW).toBeCloseTo(p100.staticW + p100.dynamicW);
    expect(p100.rangeW[0]).toBeLessThan(p100.totalW);
  });
});

describe('the requantiser the estimate chose', () => {
  const styles = (bits: number, requant?: 'auto' | 'thresholds' | 'multiply') => {
    const hw = hwLayersFromLayerView(referenceLikeLayers(), referenceLikeLayers().map(() => ({ weightBits: bits, actBits: bits })));
    const est = estimate(hw, {}, z7020, 100, requant ? { requant } : {});
    return new Set(est.layers.flatMap((l) => l.engines.filter((e) => e.kind === 'thresholding').map((e) => e.requantStyle)));
  };
  it('is a typed field of every thresholding engine row: multiply-shift above 4 output bits under auto, else thresholds', () => {
    expect(styles(8)).toEqual(new Set(['multiply']));
    expect(styles(4)).toEqual(new Set(['thresholds']));
    expect(styles(8, 'thresholds')).toEqual(new Set(['thresholds']));
    expect(styles(4, 'multiply')).toEqual(new Set(['multiply']));
  });
});
