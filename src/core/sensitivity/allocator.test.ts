/**
 * The allocator and the predictor on small hand-made sweeps whose right answers are worked out
 * in the test (issue 14): the greedy order, the monotone-curve step, targets, and the predicted
 * costs, without comparing the allocator's prediction with itself.
 */
import { describe, expect, it } from 'vitest';
import { allocate } from './allocator.ts';
import { keptCount } from '../prune/plan.ts';
import { combineTop1, interpolate, predictAccuracy } from './predictor.ts';
import { DEFAULT_SCHEME, type LayerCost, type PointResult, type SweepResult } from './types.ts';

const metrics = (top1: number) => ({ top1, top5: 1, loss: 0.5, n: 1000, ci95: [top1 - 0.01, top1 + 0.01] as [number, number] });

function prunePoint(group: string, layer: string, ratio: number, top1: number, size = 10): PointResult {
  const keep = Math.round(size * (1 - ratio));
  return { kind: 'prune', target: group, layer, value: ratio, keep, size, modelKey: `prune|${group}|l1|${keep}`, status: 'complete', metrics: metrics(top1) };
}
function bitsPoint(layer: string, bits: number, top1: number): PointResult {
  return { kind: 'weight-bits', target: layer, layer, value: bits, modelKey: `wbits|${layer}|${bits}`, status: 'complete', metrics: metrics(top1) };
}

/**
 * Two layers, each its own 10-channel group: A (4000 MACs, 100 weights + 10 biases) and
 * B (1000 MACs, 100 weights + 10 biases). Baseline 90 %, 10 classes.
 */
function sweep(points: PointResult[], bits: number[] | null = null): SweepResult {
  const layers: LayerCost[] = [
    { name: 'convA', kind: 'conv', macs: 4000, params: 110, weights: 100, outGroup: 'A', depthwise: false, quantizable: true },
    { name: 'convB', kind: 'conv', macs: 1000, params: 110, weights: 100, outGroup: 'B', depthwise: false, quantizable: true },
  ];
  return {
    format: 'edgefold-sensitivity',
    version: 1,
    model: { name: 'm', hash: 'h', params: 220, macs: 5000 },
    data: { name: 'd', split: 'test', n: 1000, hash: 'x', classes: 10 },
    engine: 'native',
    settings: { prune: { ratios: [0, 0.25, 0.5], roundTo: 1, criterion: 'l1' }, weightBits: bits, activationBits: null, scheme: DEFAULT_SCHEME, batchSize: 100, earlyStop: null },
    baseline: metrics(0.9),
    groups: [
      { id: 'A', size: 10, producers: ['convA'], layers: ['convA'] },
      { id: 'B', size: 10, producers: ['convB'], layers: ['convB'] },
    ],
    layers,
    points,
    complete: true,
    stats: { seconds: 0, evaluated: 0, cached: 0, skipped: 0, workers: 1 },
  };
}

describe('allocate (hand-made sweeps)', () => {
  it('MAC target: takes the step with the least drop per MAC removed, and stops once the target is met', () => {
    // A to 50 % saves 2000 MACs for a 1-point drop; B to 50 % saves 500 for 10 points
    const s = sweep([prunePoint('A', 'convA', 0.5, 0.89), prunePoint('B', 'convB', 0.5, 0.8)]);
    const a = allocate(s, { targetMacs: 3000 });
    expect(a.config).toEqual({ version: 1, prune: { criterion: 'l1', roundTo: 1 }, layers: { convA: { prune: { ratio: 0.5 } } } });
    expect(a.met).toBe(true);
    expect(a.steps).toEqual(['prune A to 0.5']);
    // A: 4000 x 0.5 + B 1000; params: A 100 x 0.5 + 10 x 0.5 = 55, B 110
    expect(a.predicted).toMatchObject({ macs: 3000, params: 165 });
    expect(a.baseline).toMatchObject({ macs: 5000, params: 220 });
    // The prediction is the measured point of A: 89 %
    expect(a.prediction.top1).toBeCloseTo(0.89, 12);
    // 2500 needs B as well: 2000 + 500
    const both = allocate(s, { targetMacs: 2500 });
    expect(both.predicted.macs).toBe(2500);
    expect(both.steps).toEqual(['prune A to 0.5', 'prune B to 0.5']);
    // Out of reach: everything swept is taken and the result says so
    const far = allocate(s, { targetMacs: 100 });
    expect(far.met).toBe(false);
    expect(far.predicted.macs).toBe(2500);
    // A parameter target: 165 after A; 110 needs both (55 + 55)
    expect(allocate(s, { targetParams: 165 }).predicted.params).toBe(165);
    expect(allocate(s, { targetParams: 110 }).steps).toHaveLength(2);
  });

  it('drops are read off monotone curves: a harsher ratio never counts as cheaper than a milder one', () => {
    // A measured at 25 %: 1 point, at 50 %: 0.1 point (noise: better than 25 %). B at 50 %: 1.2 points.
    // Budget 1.5 points. Greedy: A -> 25 % (1000 MACs per point), then A -> 50 % (no extra drop).
    // Monotone, A at 50 % still counts 1 point, so B (1 + 1.2 combined > 1.5) does not fit;
    // taking the noisy 0.1 at face value would let B in as well (0.1 + 1.2 < 1.5).
    const s = sweep([prunePoint('A', 'convA', 0.25, 0.89), prunePoint('A', 'convA', 0.5, 0.899), prunePoint('B', 'convB', 0.5, 0.888)]);
    const a = allocate(s, { maxDrop: 0.015 }, { bits: false });
    expect(a.config.layers).toEqual({ convA: { prune: { ratio: 0.5 } } });
    expect(a.steps).toEqual(['prune A to 0.25', 'prune A to 0.5']);
    expect(a.predicted.macs).toBe(3000);
    // the combined drop of 1 and 1.2 points on 90 % with 10 classes, as the log-odds rule gives it (> 1.5 points)
    expect(0.9 - combineTop1(0.9, [0.89, 0.888], 10)).toBeGreaterThan(0.015);
    expect(0.9 - combineTop1(0.9, [0.899, 0.888], 10)).toBeLessThan(0.015);
  });

  it('a drop budget with bit curves: lowers the bits where they cost least per bit-operation', () => {
    // convA 8 -> 4 bits: 0.2 points for 4000 x 4 bit-ops; convB 8 -> 4: 3 points for 1000 x 4
    const s = sweep([bitsPoint('convA', 8, 0.9), bitsPoint('convA', 4, 0.898), bitsPoint('convB', 8, 0.9), bitsPoint('convB', 4, 0.87)], [8, 4]);
    s.settings.prune = null;
    const a = allocate(s, { maxDrop: 0.01 });
    expect(a.config.quant).toMatchObject({ weightBits: 8, format: 'float' });
    expect(a.config.layers).toEqual({ convA: { weightBits: 4 } });
    // bit-ops: A 4000 x 4 + B 1000 x 8 = 24000 (from 40000); weight bits: A 100 x 4 + 10 x 32, B 100 x 8 + 10 x 32
    expect(a.predicted.bops).toBe(24000);
    expect(a.baseline.bops).toBe(40000);
    expect(a.predicted.weightBits).toBe(400 + 320 + 800 + 320);
    expect(a.prediction.drop).toBeCloseTo(0.002, 12);
    // a 5-point budget takes both
    expect(allocate(s, { maxDrop: 0.05 }).config.layers).toEqual({ convA: { weightBits: 4 }, convB: { weightBits: 4 } });
  });

  it('refuses a missing or impossible target, and a MAC target without prune curves', () => {
    const s = sweep([prunePoint('A', 'convA', 0.5, 0.89)]);
    expect(() => allocate(s, {})).toThrow(/Give a target/);
    expect(() => allocate(s, { maxDrop: 1.5 })).toThrow(/from 0 to 1/);
    expect(() => allocate(s, { maxDrop: -0.1 })).toThrow(/from 0 to 1/);
    expect(() => allocate(s, { targetMacs: 0 })).toThrow(/targetMacs must be a positive number/);
    expect(() => allocate(s, { targetParams: -1 })).toThrow(/targetParams must be a positive number/);
    expect(() => allocate(s, { targetMacs: 100 }, { prune: false })).toThrow(/needs prune curves/);
    // a zero budget changes nothing
    expect(allocate(s, { maxDrop: 0 }).config).toEqual({ version: 1, prune: { criterion: 'l1', roundTo: 1 } });
  });
});

describe('allocate with a channel multiple (issue 15)', () => {
  it('keeps only multiples of the design\'s multiple, even from a sweep run with multiple 1', () => {
    // 192- and 256-channel groups swept at 10 % / 30 % with multiple 1: 173 and 230 / 134 and 179 kept.
    const big = (group: string, layer: string, ratio: number, top1: number, size: number) => prunePoint(group, layer, ratio, top1, size);
    const s = sweep([big('A', 'convA', 0.1, 0.899, 192), big('A', 'convA', 0.3, 0.895, 192), big('B', 'convB', 0.1, 0.899, 256), big('B', 'convB', 0.3, 0.896, 256)]);
    s.groups = [
      { id: 'A', size: 192, producers: ['convA'], layers: ['convA'] },
      { id: 'B', size: 256, producers: ['convB'], layers: ['convB'] },
    ];
    expect(s.points.map((p) => p.keep)).toEqual([173, 134, 230, 179]);
    const a = allocate(s, { maxDrop: 0.02 }, { roundTo: 8 });
    expect(a.config.prune).toEqual({ criterion: 'l1', roundTo: 8 });
    const kept = Object.entries(a.config.layers ?? {}).map(([layer, l]) => keptCount(layer === 'convA' ? 192 : 256, l.prune!.ratio!, 8));
    expect(kept.length).toBe(2);
    for (const k of kept) expect(k % 8).toBe(0);
    // 30 % of 192 with multiple 8 keeps 136 (not 134): the predicted MACs use the count the design will keep
    expect(kept).toEqual([136, 176]);
    expect(a.predicted.macs).toBeCloseTo(4000 * (136 / 192) + 1000 * (176 / 256), 6);
    expect(() => allocate(s, { maxDrop: 0.02 }, { roundTo: 0 })).toThrow(/roundTo must be a positive integer/);
  });
});

describe('predictAccuracy (hand-made sweep)', () => {
  const s = sweep([prunePoint('A', 'convA', 0.25, 0.88), prunePoint('A', 'convA', 0.5, 0.84), prunePoint('B', 'convB', 0.5, 0.87)]);

  it('interpolates a curve linearly between measured ratios and combines groups by log-odds', () => {
    // The 25 % point keeps round(7.5) = 8 of 10 channels: the curve sits at the effective ratio 0.2.
    // keep 6 of 10 = 0.4 pruned: between 0.2 (88 %) and 0.5 (84 %): 88 - (0.2/0.3) x 4 = 85.333 %
    const p = predictAccuracy(s, { version: 1, layers: { convA: { prune: { keep: 6 } } } });
    expect(p.top1).toBeCloseTo(0.8533333333, 9);
    expect(p.terms).toEqual([{ kind: 'prune', target: 'A', value: 0.4, drop: expect.closeTo(0.0466666667, 9) }]);
    // two groups at 50 %: 84 % and 87 % on a 90 % baseline with 10 classes; log-odds of (a - 0.1)/0.9:
    // z0 = ln(8/1) = 2.0794, zA = ln(0.74/0.16) = 1.5315, zB = ln(0.77/0.13) = 1.7788
    // z = zA + zB - z0 = 1.2309 -> 0.1 + 0.9 / (1 + e^-1.2309) = 0.1 + 0.9 x 0.77398 = 0.79658
    const both = predictAccuracy(s, { version: 1, prune: { ratio: 0.5 } });
    expect(both.top1).toBeCloseTo(0.79658, 4);
    expect(both.drop).toBeCloseTo(0.9 - 0.79658, 4);
  });

  it('warns beyond the swept range and for settings the curves were not measured with', () => {
    const beyond = predictAccuracy(s, { version: 1, prune: { ratio: 0.8 } });
    expect(beyond.warnings).toHaveLength(2);
    expect(beyond.warnings[0]).toMatch(/A: ratio 0\.80 is beyond the swept range \(up to 0\.50\)/);
    // the 50 % drops are used there
    expect(beyond.top1).toBeCloseTo(0.79658, 4);
    const other = predictAccuracy(s, { version: 1, prune: { ratio: 0.25, criterion: 'l2' } });
    expect(other.warnings.some((w) => /ranks channels by l2, the curves by l1/.test(w))).toBe(true);
  });

  it('interpolate clamps at both ends and says which', () => {
    const c = { x: [0, 0.5, 1], y: [1, 0.5, 0.2], truncated: false };
    expect(interpolate(c, -1)).toEqual({ y: 1, clamped: 'below' });
    expect(interpolate(c, 0)).toEqual({ y: 1, clamped: null });
    expect(interpolate(c, 0.75)).toEqual({ y: 0.35, clamped: null });
    expect(interpolate(c, 1)).toEqual({ y: 0.2, clamped: null });
    expect(interpolate(c, 2)).toEqual({ y: 0.2, clamped: 'above' });
  });
});

describe('allocate corners (issue 14: mutation survivors)', () => {
  it('two swept ratios that round to the same count keep the worse drop; a ratio that prunes nothing is no option', () => {
    // roundTo 2, 10 channels: 25 % keeps round(7.5) = 8, 30 % keeps 7 -> round(3.5) x 2 = 8: both are 20 %.
    // Measured 1 point and 5 points: 20 % counts 5 points, so a 2-point budget leaves A alone.
    const s = sweep([prunePoint('A', 'convA', 0.25, 0.89), prunePoint('A', 'convA', 0.3, 0.85)]);
    s.settings.prune!.roundTo = 2;
    expect(allocate(s, { maxDrop: 0.02 }, { bits: false }).config.layers).toBeUndefined();
    // 4 % of 10 keeps round(9.6) = 10: nothing pruned, its 0.5-point "drop" is noise and must not count.
    // B alone (1 point) fits a 1.2-point budget; with the phantom 0.5 point it would not.
    const t = sweep([prunePoint('A', 'convA', 0.04, 0.895), prunePoint('A', 'convA', 0.5, 0.1), prunePoint('B', 'convB', 0.5, 0.89)]);
    const b = allocate(t, { maxDrop: 0.012 }, { bits: false });
    expect(b.config.layers).toEqual({ convB: { prune: { ratio: 0.5 } } });
    expect(b.met).toBe(true);
  });

  it('a budget equal to a measured drop takes that step (the comparison allows equality)', () => {
    const s = sweep([prunePoint('A', 'convA', 0.5, 0.89)]);
    const a = allocate(s, { maxDrop: 0.9 - 0.89 }, { bits: false });
    expect(a.config.layers).toEqual({ convA: { prune: { ratio: 0.5 } } });
    expect(a.met).toBe(true);
  });

  it('ranks by saving per point of drop, not by saving alone', () => {
    // A to 50 %: 2000 MACs for 10 points (200 per point); B to 50 %: 500 MACs for 0.1 point (5000 per point).
    // A 4500-MAC target is met by B alone.
    const s = sweep([prunePoint('A', 'convA', 0.5, 0.8), prunePoint('B', 'convB', 0.5, 0.899)]);
    expect(allocate(s, { targetMacs: 4500 }).steps).toEqual(['prune B to 0.5']);
    // A drop budget (MACs saved per drop): A alone 2 points, B alone 0.3 point, together about 2.3 > 2.1.
    // B first (500 / 0.003 = 166,667 per unit vs 2000 / 0.02 = 100,000), then A no longer fits.
    const u = sweep([prunePoint('A', 'convA', 0.5, 0.88), prunePoint('B', 'convB', 0.5, 0.897)]);
    const a = allocate(u, { maxDrop: 0.021 }, { bits: false });
    expect(a.config.layers).toEqual({ convB: { prune: { ratio: 0.5 } } });
    expect(a.met).toBe(true);
    expect(0.9 - combineTop1(0.9, [0.88, 0.897], 10)).toBeGreaterThan(0.021);
  });

  it('a MAC target with a drop budget prunes first, then lowers bits within what is left', () => {
    // MAC phase: A saves 2000 MACs for 1 point (200,000 per unit), B 500 for 3 points (16,667): A, and 3000 is met.
    // Bit phase (weight bits saved per drop, 5-point budget): convA 8 -> 4 saves 50 x 4 = 200 bits for ~0.1 point,
    // convB 8 -> 4 saves 100 x 4 = 400 for ~2 points; both fit (about 3.2 points together). Pruning B is not a
    // bit step.
    const points = [
      prunePoint('A', 'convA', 0.5, 0.89), prunePoint('B', 'convB', 0.5, 0.87),
      bitsPoint('convA', 8, 0.9), bitsPoint('convA', 4, 0.899), bitsPoint('convB', 8, 0.9), bitsPoint('convB', 4, 0.88),
    ];
    const a = allocate(sweep(points, [8, 4]), { targetMacs: 3000, maxDrop: 0.05 });
    expect(a.steps).toEqual(['prune A to 0.5', 'convA weights to 4 bits', 'convB weights to 4 bits']);
    expect(a.config.layers).toEqual({ convA: { prune: { ratio: 0.5 }, weightBits: 4 }, convB: { weightBits: 4 } });
    expect(a.met).toBe(true);
    // weight bits: A 50 x 4 + 5 biases x 32 = 360; B 100 x 4 + 10 x 32 = 720. Bit-ops: 2000 x 4 + 1000 x 4.
    expect(a.predicted).toEqual({ macs: 3000, params: 165, weightBits: 1080, bops: 12000 });
    // A half-point budget: the MAC target still prunes A (1 point), which breaks the budget: not met, no bit steps.
    const tight = allocate(sweep(points, [8, 4]), { targetMacs: 3000, maxDrop: 0.005 });
    expect(tight.steps).toEqual(['prune A to 0.5']);
    expect(tight.met).toBe(false);
    // A MAC target alone never touches the bits.
    expect(allocate(sweep(points, [8, 4]), { targetMacs: 3000 }).config.layers).toEqual({ convA: { prune: { ratio: 0.5 } } });
  });

  it('MAC and parameter targets together: both must hold', () => {
    // After A: 3000 MACs but 165 parameters; 110 parameters need B too (55 + 55), met exactly.
    const s = sweep([prunePoint('A', 'convA', 0.5, 0.89), prunePoint('B', 'convB', 0.5, 0.8)]);
    const a = allocate(s, { targetMacs: 3000, targetParams: 110 });
    expect(a.steps).toEqual(['prune A to 0.5', 'prune B to 0.5']);
    expect(a.predicted).toMatchObject({ macs: 2500, params: 110 });
    expect(a.met).toBe(true);
  });

  it('curves in any order, layers without a full bit curve stay float, input groups and depthwise layers', () => {
    // convB's group B feeds fc (100 MACs, 100 weights + 10 biases, not quantizable); convB is swept at 4 bits
    // only, not at the widest 8, so it has no bit option and stays float. Points are given out of order.
    const s = sweep([
      prunePoint('B', 'convB', 0.5, 0.88), prunePoint('B', 'convB', 0.25, 0.89),
      bitsPoint('convA', 4, 0.895), bitsPoint('convA', 8, 0.9), bitsPoint('convA', 6, 0.899), bitsPoint('convB', 4, 0.85),
    ], [8, 6, 4]);
    s.layers.push({ name: 'fc', kind: 'fc', macs: 100, params: 110, weights: 100, inGroup: 'B', depthwise: false, quantizable: false });
    const a = allocate(s, { maxDrop: 0.5 });
    expect(a.config).toEqual({
      version: 1,
      prune: { criterion: 'l1', roundTo: 1 },
      quant: { weightBits: 8, granularity: 'per-channel', scale: 'float', rounding: 'half-even', format: 'float' },
      layers: { convA: { weightBits: 4 }, convB: { prune: { ratio: 0.5 }, quantize: false }, fc: { quantize: false } },
    });
    // MACs: 4000 + 1000 x 0.5 + fc 100 x 0.5 (its inputs halve) = 4550
    // params: 110 + (50 + 5) + fc (100 x 0.5 + 10) = 225
    // weight bits: convA 100 x 4 + 10 x 32 = 720; convB (float) 50 x 32 + 5 x 32 = 1760; fc 50 x 32 + 10 x 32 = 1920
    // bit-ops: 4000 x 4 + 500 x 32 + 50 x 32 = 33,600
    expect(a.predicted).toEqual({ macs: 4550, params: 225, weightBits: 4400, bops: 33600 });
    // baseline: convA at the widest swept 8 bits, the rest float. Weight bits 100 x 8 + 10 x 32 = 1120 for convA,
    // 110 x 32 = 3520 each for convB and fc; bit-ops 4000 x 8 + 1000 x 32 + 100 x 32
    expect(a.baseline).toEqual({ macs: 5100, params: 330, weightBits: 1120 + 3520 + 3520, bops: 67200 });
    // a depthwise layer of group A counts its channels once: 500 MACs, 90 weights + 10 biases -> halves
    const d = sweep([prunePoint('A', 'convA', 0.5, 0.89)]);
    d.layers.push({ name: 'dwA', kind: 'conv', macs: 500, params: 100, weights: 90, outGroup: 'A', inGroup: 'A', depthwise: true, quantizable: true });
    expect(allocate(d, { targetMacs: 3250 }).predicted).toMatchObject({ macs: 2000 + 1000 + 250, params: 55 + 110 + 45 + 5 });
  });
});

describe('predictAccuracy corners (issue 14: mutation survivors)', () => {
  const actPoint = (layer: string, bits: number, top1: number): PointResult => ({ kind: 'act-bits', target: layer, layer, value: bits, modelKey: `abits|${layer}|${bits}`, status: 'complete', metrics: metrics(top1) });

  it('weight and activation bits per layer: layer entries first, float and unquantizable layers skipped', () => {
    // convA weights: 4 bits 86 %, 8 bits 90 %, a 2-bit point skipped by early stop; convB activations: 4 bits 87 %.
    const s = sweep([bitsPoint('convA', 4, 0.86), bitsPoint('convA', 8, 0.9), { ...bitsPoint('convA', 2, 0), status: 'skipped', metrics: undefined }, actPoint('convB', 4, 0.87)], [8, 4]);
    s.layers.push({ name: 'fc', kind: 'fc', macs: 100, params: 110, weights: 100, depthwise: false, quantizable: false });
    // convA: 6-bit weights (the config's default), no activations (its entry says null);
    // convB: 8-bit weights (entry; no curve for them), 4-bit activations (the config's default); fc not quantizable.
    const p = predictAccuracy(s, { version: 1, quant: { weightBits: 6, activationBits: 4 }, layers: { convA: { activationBits: null }, convB: { weightBits: 8 } } });
    // convA at 6 bits: halfway between 86 % (4) and 90 % (8) = 88 %; convB activations at 4 bits: 87 %.
    expect(p.terms).toEqual([
      { kind: 'weight-bits', target: 'convA', value: 6, drop: expect.closeTo(0.02, 12) },
      { kind: 'act-bits', target: 'convB', value: 4, drop: expect.closeTo(0.03, 12) },
    ]);
    expect(p.warnings).toEqual(['No weight-bits curve for convB: its 8-bit weights is not counted.']);
    // odds above chance (a - 0.1) / (1 - a): base 0.8 / 0.1 = 8; 88 %: 0.78 / 0.12 = 6.5; 87 %: 0.77 / 0.13.
    // combined odds 6.5 x (77 / 13) / 8 = 4.8125 -> p = 4.8125 / 5.8125 = 77 / 93 -> 0.1 + 0.9 x 77 / 93 = 0.845161
    expect(p.top1).toBeCloseTo(0.1 + (0.9 * 77) / 93, 12);
    // a float layer (quantize: false) is not counted; bits below the swept range use the lowest point
    const q = predictAccuracy(s, { version: 1, quant: { weightBits: 3 }, layers: { convB: { quantize: false } } });
    expect(q.terms).toEqual([{ kind: 'weight-bits', target: 'convA', value: 3, drop: expect.closeTo(0.04, 12) }]);
    expect(q.warnings).toEqual(['convA: 3 bits is below the swept range (from 4); the drop at 4 bits is used.']);
  });

  it('prune requests by any layer of a group, the config multiple, and a truncated curve', () => {
    // group A's curve: 20 % -> 88 % (25 % keeps 8), 50 % -> 84 %; 75 % was skipped by early stop.
    const s = sweep([prunePoint('A', 'convA', 0.25, 0.88), prunePoint('A', 'convA', 0.5, 0.84), { ...prunePoint('A', 'convA', 0.75, 0), status: 'skipped', metrics: undefined }]);
    s.layers.push({ name: 'dwA', kind: 'conv', macs: 500, params: 100, weights: 90, outGroup: 'A', inGroup: 'A', depthwise: true, quantizable: true });
    // a request on the depthwise layer (not a producer) prunes its output group A
    expect(predictAccuracy(s, { version: 1, layers: { dwA: { prune: { ratio: 0.5 } } } }).terms).toEqual([{ kind: 'prune', target: 'A', value: 0.5, drop: expect.closeTo(0.06, 12) }]);
    // ratio 0.35 keeps round(6.5) = 7 with multiple 1, but 8 with multiple 4 (round(7 / 4) x 4): 20 % -> 88 %
    expect(predictAccuracy(s, { version: 1, prune: { ratio: 0.35, roundTo: 4 } }).terms.map((t) => t.value)).toEqual([expect.closeTo(0.2, 12)]);
    expect(predictAccuracy(s, { version: 1, prune: { ratio: 0.35 } }).terms.map((t) => t.value)).toEqual([expect.closeTo(0.3, 12)]);
    const beyond = predictAccuracy(s, { version: 1, layers: { convA: { prune: { keep: 1 } } } });
    expect(beyond.warnings).toEqual(['A: ratio 0.90 is beyond the swept range (up to 0.50); the drop there is used (the curve stopped early, so the real drop is larger).']);
  });

  it('warns about each scheme setting that differs from the sweep, and only then', () => {
    const s = sweep([bitsPoint('convA', 4, 0.86), bitsPoint('convA', 8, 0.9), bitsPoint('convB', 4, 0.86), bitsPoint('convB', 8, 0.9)], [8, 4]);
    const warn = (quant: object) => predictAccuracy(s, { version: 1, quant: { weightBits: 8, ...quant } }).warnings;
    expect(warn({})).toEqual([]);
    expect(warn({ granularity: 'per-channel', scale: 'float', rounding: 'half-even' })).toEqual([]);
    const measured = 'the curves were measured with per-channel/float/half-even.';
    expect(warn({ granularity: 'per-tensor' })).toEqual([`The config quantizes with per-tensor/float/half-even, ${measured}`]);
    expect(warn({ scale: 'po2' })).toEqual([`The config quantizes with per-channel/po2/half-even, ${measured}`]);
    expect(warn({ rounding: 'floor' })).toEqual([`The config quantizes with per-channel/float/floor, ${measured}`]);
    // the same criterion as the sweep: no warning
    const t = sweep([prunePoint('A', 'convA', 0.5, 0.89)]);
    expect(predictAccuracy(t, { version: 1, prune: { criterion: 'l1' }, layers: { convA: { prune: { ratio: 0.5 } } } }).warnings).toEqual([]);
  });

  it('combineTop1 with one class (chance 0) and a perfect baseline sums the drops', () => {
    // classes 1: chance 0, log-odds of a itself: 0.8 and 0.6 from 0.9 -> odds 4 x 1.5 / 9 = 2/3 -> 0.4
    expect(combineTop1(0.9, [0.8, 0.6], 1)).toBeCloseTo(0.4, 12);
    // baseline 1: log-odds undefined, drops summed: 1 - 0.1 - 0.2
    expect(combineTop1(1, [0.9, 0.8], 10)).toBeCloseTo(0.7, 12);
    // a single layer at 100 %: its log-odds are clamped (p <= 1 - 1e-9, about 20.7), so the others still count
    expect(combineTop1(0.9, [1, 0.5], 10)).toBeLessThan(1);
    // just above chance: log-odds still apply and stay above chance
    expect(combineTop1(0.1 + 2e-9, [0.1 + 1e-9], 10)).toBeGreaterThanOrEqual(0.1);
  });
});
