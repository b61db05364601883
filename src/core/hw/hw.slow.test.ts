// autoFold searches and the power calibration checks run the estimate hundreds of times: they
// live apart from hw.test.ts so that mutation runs (vitest.mutation.config.ts) leave them out;
// `npm test` runs them.
import { describe, expect, it } from 'vitest';
import { getDevice } from './devices.ts';
import { referenceLikeLayers } from './fixtures.ts';
import { autoFold } from './fold.ts';
import { hwLayersFromLayerView } from './layers.ts';
import { estimate } from './pipeline.ts';

const z7020 = getDevice('XC7Z020');

describe('autoFold', () => {
  const hw = hwLayersFromLayerView(referenceLikeLayers());

  it('max-fps result fits its budget and beats the fully folded design', () => {
    const r = autoFold(hw, z7020, 100, { budget: 0.5 });
    expect(r.met).toBe(true);
    for (const res of ['lut', 'ff', 'dsp', 'bram'] as const) {
      expect(r.estimate.resources[res].utilization ?? 0).toBeLessThanOrEqual(0.5);
    }
    expect(r.estimate.fps).toBeGreaterThan(estimate(hw, {}, z7020, 100).fps * 10);
    // The returned folding reproduces the returned estimate.
    expect(estimate(hw, r.folding, z7020, 100).fps).toBe(r.estimate.fps);
  });

  it('says why max-fps stopped at its bottleneck: the next folding step would break the budget', () => {
    const r = autoFold(hw, z7020, 100, { budget: 0.5 });
    const name = r.estimate.bottleneck!.layer;
    expect(r.message).toContain(`bottleneck ${name} (its next folding step would put `);
    expect(r.message).toMatch(/ over the budget\)$/);
  });

  it('returns a monotone Pareto curve', () => {
    const r = autoFold(hw, z7020, 100);
    expect(r.pareto.length).toBeGreaterThan(3);
    for (let i = 1; i < r.pareto.length; i++) {
      expect(r.pareto[i].fps).toBeGreaterThan(r.pareto[i - 1].fps);
      expect(r.pareto[i].maxUtilization).toBeGreaterThanOrEqual(r.pareto[i - 1].maxUtilization);
    }
    // The chosen max-fps design is on or below the curve within the budget.
    const best = Math.max(...r.pareto.filter((p) => p.fitsBudget).map((p) => p.fps));
    expect(r.estimate.fps).toBe(best);
  });

  it('target FPS: reaches it with no more resources than the max-fps design', () => {
    const fast = autoFold(hw, z7020, 100);
    const r = autoFold(hw, z7020, 100, { objective: { targetFps: 1000 } });
    expect(r.met).toBe(true);
    expect(r.estimate.fps).toBeGreaterThanOrEqual(1000);
    expect(r.estimate.totals.dsp).toBeLessThanOrEqual(fast.estimate.totals.dsp);
    expect(r.estimate.totals.lut).toBeLessThanOrEqual(fast.estimate.totals.lut);
  });

  it('says when a target is out of reach', () => {
    const r = autoFold(hw, z7020, 100, { objective: { targetFps: 1e9 } });
    expect(r.met).toBe(false);
    expect(r.message).toMatch(/out of reach/);
  });
});

describe('power calibration checks (docs/hardware-model.md)', () => {
  it('reference paper: ~0.71 W at 366 FPS on a small 40-55 nm FPGA, within the stated +-60 %', () => {
    const hw = hwLayersFromLayerView(referenceLikeLayers());
    const r = autoFold(hw, getDevice('EG4S20'), 150, { objective: { targetFps: 366 }, budget: 1 });
    expect(r.estimate.fps).toBeGreaterThanOrEqual(366);
    expect(Math.abs(r.estimate.power.totalW / 0.71 - 1)).toBeLessThanOrEqual(0.6);
  });
  it('Mobile-X: 8-bit MobileNet at 190.9 FPS on a 16 nm ZU+ draws ~5.95 W, within +-50 %', async () => {
    const { mobileNetV1Layers } = await import('./fixtures.ts');
    const hw = hwLayersFromLayerView(mobileNetV1Layers());
    // ZCU102's XCZU9EG has no UltraRAM, so the ZU7EV stand-in may not use its URAM either.
    const r = autoFold(hw, getDevice('XCZU7EV'), 200, { objective: { targetFps: 190.9 }, budget: 1, uram: false });
    expect(r.estimate.fps).toBeGreaterThanOrEqual(190.9);
    expect(Math.abs(r.estimate.power.totalW / 5.95 - 1)).toBeLessThanOrEqual(0.5);
  });
  it('UltraRAM: 8-bit MobileNet-v1 fits XCZU7EV only when autoFold may move weights to URAM', async () => {
    const { mobileNetV1Layers } = await import('./fixtures.ts');
    const hw = hwLayersFromLayerView(mobileNetV1Layers());
    const zu7ev = getDevice('XCZU7EV');
    // A 90 % budget: since session 11 the line buffers are counted as generated (k_h rows of the
    // unpadded width, about 1.5 x FINN's (k_h - 1) rows), and at 80 % neither variant fits.
    const withUram = autoFold(hw, zu7ev, 100, { budget: 0.9 });
    expect(withUram.met).toBe(true);
    expect(withUram.estimate.resources.uram.used).toBeGreaterThan(0);
    expect(withUram.estimate.resources.uram.utilization!).toBeLessThanOrEqual(0.9);
    expect(withUram.estimate.resources.bram.utilization!).toBeLessThanOrEqual(0.9);
    const bramOnly = autoFold(hw, zu7ev, 100, { uram: false, budget: 0.9 });
    expect(bramOnly.met).toBe(false);
    expect(bramOnly.estimate.resources.uram.used).toBe(0);
  });
});
