import { describe, expect, it } from 'vitest';
import { divisors } from './folding.ts';
import { bottleneckReason, budgetVerdict, describeBudget } from './fold.ts';
import type { Estimate } from './pipeline.ts';
import type { HwLayer } from './types.ts';

const resource = (used: number, available: number | null) => ({ used, available, utilization: available === null ? null : used / available });
const estimateWith = (r: Partial<Estimate['resources']>) =>
  ({ resources: { lut: resource(10, 100), ff: resource(10, 100), dsp: resource(0, 100), bram: resource(10, 100), uram: resource(0, null), ...r } }) as Estimate;
const layer = { mappable: true } as HwLayer;
const allowed = (pe: number, simd: number) => ({ pe: divisors(pe), simd: divisors(simd), peLabel: `${pe} output channels`, simdLabel: `${simd} input channels` });

describe('the budget verdict', () => {
  it('is against the budget slider, not the whole device (86 % BRAM with an 80 % budget does not fit)', () => {
    const e = estimateWith({ bram: resource(86, 100) });
    expect(budgetVerdict(e, 0.8)).toEqual({ fits: false, over: [{ resource: 'BRAM', utilization: 0.86 }] });
    expect(budgetVerdict(e, 0.9).fits).toBe(true);
  });

  it('is unknown when a used resource has no device count, and says budgets in words', () => {
    expect(budgetVerdict(estimateWith({ dsp: resource(4, null) }), 0.8).fits).toBeNull();
    expect(budgetVerdict(estimateWith({ dsp: resource(0, null) }), 0.8).fits).toBe(true);
    expect(describeBudget({ lut: 0.8, ff: 0.8, dsp: 0.8, bram: 0.8, uram: 0.8 })).toBe('80 % of each resource');
    expect(describeBudget({ lut: 0.8, ff: 0.8, dsp: 0.5, bram: 0.8, uram: 0.8 })).toBe('LUT 80 %, FF 80 %, DSP 50 %, BRAM 80 %, URAM 80 %');
  });
});

describe('why a bottleneck cannot be folded further', () => {
  it('says so at the largest folding', () => {
    expect(bottleneckReason(layer, { pe: 96, simd: 1 }, allowed(96, 1))).toMatch(/^At its largest folding \(PE 96 = 96 output channels\)/);
  });

  it('names a prime channel count that leaves only PE 1 or all channels', () => {
    expect(bottleneckReason(layer, { pe: 1, simd: 1 }, allowed(173, 1))).toMatch(/PE \(173 output channels\) can only be 1 or 173/);
  });

  it('says nothing while finer steps are left', () => {
    expect(bottleneckReason(layer, { pe: 8, simd: 1 }, allowed(192, 1))).toBeNull();
  });
});
