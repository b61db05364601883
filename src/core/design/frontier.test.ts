/**
 * The joint search on the default model: a real sensitivity sweep (onnxruntime-node, 100 images),
 * then (1) the budget search against injected measurements whose answers the test controls
 * (recovery that wins accuracy back, combined drops worse than predicted, a cancel), and (2) one
 * search measured for real with reconstruction on.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATA_MANIFEST, DEFAULT_MODEL, defaultModelMissing, readBytes } from '../../../test/fixtures.ts';
import { loadDataset, validateManifest, type Dataset } from '../eval/dataset.ts';
import { evaluate } from '../eval/evaluate.ts';
import { createOrtRunner } from '../eval/ort-runner.ts';
import { loadModel } from '../graph/index.ts';
import { autoFold } from '../hw/fold.ts';
import { allocate } from '../sensitivity/allocator.ts';
import { predictAccuracy } from '../sensitivity/predictor.ts';
import { runSweepLocal } from '../sensitivity/run.ts';
import type { SweepResult } from '../sensitivity/types.ts';
import { DEFAULT_RECOVERY, defaultDesign, designContext, evaluateDesign, type Design, type DesignContext } from './design.ts';
import { EdgefoldError } from '../errors.ts';
import { frontierJobKey, searchFrontier, withAllocation, type FrontierJob, type FrontierMeasurement, type FrontierTarget } from './frontier.ts';
import { localFrontierMeasure } from './frontier-measure.ts';

const ortModule = ort as unknown as Parameters<typeof runSweepLocal>[0];

async function fmnist(split: string, count?: number): Promise<Dataset> {
  const manifest = validateManifest(JSON.parse(readFileSync(DATA_MANIFEST, 'utf8')));
  const d = await loadDataset(manifest, split, async (p) => readBytes(resolve(dirname(DATA_MANIFEST), p)));
  if (!count) return d;
  const size = d.shape[0] * d.shape[1] * d.shape[2];
  return { ...d, count, pixels: d.pixels.slice(0, count * size), labels: d.labels.slice(0, count) };
}

describe.skipIf(defaultModelMissing)('joint search (default model)', () => {
  let bytes: Uint8Array;
  let ctx: DesignContext;
  let sweep: SweepResult;
  const base = defaultDesign();
  // 30 % of the XC7Z020: FPS is set by resources (at 80 % the stem, which cannot fold further, caps it).
  // A budget tight enough that compression buys FPS. At 0.3 (before width converters were charged) the
  // estimator's converter LUTs made the more compressed designs no faster there; 0.4 keeps the premise.
  const constrained: Design = { ...base, hardware: { ...base.hardware, budget: 0.4 } };

  beforeAll(async () => {
    bytes = readBytes(DEFAULT_MODEL);
    ctx = designContext(loadModel(bytes));
    const test = await fmnist('test');
    sweep = await runSweepLocal(ortModule, bytes, test, { prune: { ratios: [0.25, 0.5, 0.75], roundTo: 8 }, weightBits: { bits: [8, 4, 3] }, limit: 100 }, { engine: 'native', modelName: 'dscnn' });
  }, 240_000);

  /** A measurement the test defines: baseline minus `factor` x the allocator's own predicted drop for the design. */
  function fakeMeasure(factor: number, calls: FrontierJob[]) {
    return async (job: FrontierJob): Promise<FrontierMeasurement> => {
      calls.push(job);
      const predicted = predictAccuracy(sweep, job.design.compression).drop;
      const top1 = sweep.baseline.top1 - factor * predicted;
      return { top1, ci95: [top1 - 0.01, top1 + 0.01], n: 100 };
    };
  }

  /** FPS of the design plain auto-allocate gives at X (raw curves), folded for max FPS. */
  function rawAllocationFps(maxDrop: number): number {
    const a = allocate(sweep, { maxDrop }, { roundTo: 8 });
    const d = withAllocation(constrained, a.config);
    const m = evaluateDesign(ctx, d);
    const fold = autoFold(m.hwLayers, m.device, d.hardware.clockMHz, { budget: d.hardware.budget });
    return evaluateDesign(ctx, { ...d, hardware: { ...d.hardware, layers: fold.folding } }).estimate.fps;
  }

  it('with recovery that wins back accuracy, budgets past the raw curves and finds a faster design that still meets X', async () => {
    const calls: FrontierJob[] = [];
    const X = 1;
    const result = await searchFrontier(
      { ctx, sweep, design: { ...constrained, recovery: { ...DEFAULT_RECOVERY, reconstruct: true } }, baseline: { top1: sweep.baseline.top1, n: 100 }, targets: [{ kind: 'max-fps', maxDropPp: X }] },
      { measure: fakeMeasure(0.25, calls) },
    );
    const [point] = result.points;
    expect(point.met).toBe(true);
    expect(sweep.baseline.top1 - point.measured.top1).toBeLessThanOrEqual(X / 100 + 1e-12);
    // The raw curves alone would have stopped at a predicted drop of X: the search went beyond.
    expect(point.attempts[0].budget).toBeCloseTo(X / 100, 12);
    expect(point.predicted.drop).toBeGreaterThan(X / 100);
    expect(point.fps).toBeGreaterThan(rawAllocationFps(X / 100));
    expect(point.recovered).toBe(true);
    expect(calls.every((c) => c.reconstruct)).toBe(true);
    // Nothing measured twice.
    expect(new Set(calls.map((c) => c.key)).size).toBe(calls.length);
    expect(result.measurements).toBe(calls.length);
  });

  it('when designs measure worse than the curves predict, steps the budget down until the measured drop meets X', async () => {
    const calls: FrontierJob[] = [];
    const X = 2;
    const result = await searchFrontier(
      { ctx, sweep, design: base, baseline: { top1: sweep.baseline.top1, n: 100 }, targets: [{ kind: 'max-fps', maxDropPp: X }] },
      { measure: fakeMeasure(3, calls) },
      { maxAttempts: 6 },
    );
    const [point] = result.points;
    expect(point.attempts[0].accuracyOk).toBe(false); // the raw allocation at X missed
    expect(point.met).toBe(true);
    expect(point.attempts.find((a) => a.measuredTop1 === point.measured.top1)!.budget).toBeLessThan(X / 100);
    expect(sweep.baseline.top1 - point.measured.top1).toBeLessThanOrEqual(X / 100 + 1e-12);
    expect(point.recovered).toBe(false);
    // The point is folded: its folding is auto-fold's max-FPS folding for its compression.
    const m = evaluateDesign(ctx, { ...point.design, hardware: { ...point.design.hardware, layers: {} } });
    expect(point.design.hardware.layers).toEqual(autoFold(m.hwLayers, m.device, 100, { budget: 0.8 }).folding);
  });

  it('several targets share measurements; a looser X never gives a slower design here; min-resources reaches F or says what it reached', async () => {
    const calls: FrontierJob[] = [];
    const result = await searchFrontier(
      {
        ctx,
        sweep,
        design: base,
        baseline: { top1: sweep.baseline.top1, n: 100 },
        targets: [
          { kind: 'max-fps', maxDropPp: 0.5 },
          { kind: 'max-fps', maxDropPp: 2 },
          { kind: 'max-fps', maxDropPp: 5 },
          { kind: 'min-resources', minFps: 500, maxDropPp: 2 },
          { kind: 'min-resources', minFps: 1e7, maxDropPp: 2 },
        ],
      },
      { measure: fakeMeasure(1, calls) },
    );
    expect(result.points).toHaveLength(5);
    expect(new Set(calls.map((c) => frontierJobKey(c.design))).size).toBe(calls.length);
    const attempts = result.points.reduce((n, p) => n + p.attempts.length, 0);
    expect(result.measurements).toBeLessThan(attempts); // later targets reuse earlier measurements
    const [a, b, c, reach, unreachable] = result.points;
    expect(a.met && b.met && c.met).toBe(true);
    expect(b.fps).toBeGreaterThanOrEqual(a.fps);
    expect(c.fps).toBeGreaterThanOrEqual(b.fps);
    expect(reach.met).toBe(true);
    expect(reach.fps).toBeGreaterThanOrEqual(500);
    expect(reach.maxUtilization).toBeLessThan(c.maxUtilization);
    expect(unreachable.met).toBe(false);
    expect(unreachable.message).toMatch(/reached \d+\.\d FPS/);
    expect(result.front.length).toBeGreaterThanOrEqual(1);
    for (const p of result.front) expect(result.points.some((q) => q.fps > p.fps && q.measured.top1 > p.measured.top1)).toBe(false);
  });

  it('concurrent targets (the job queue): the same result as one after another, with measurements of different targets in flight together', async () => {
    const input = {
      ctx,
      sweep,
      design: base,
      baseline: { top1: sweep.baseline.top1, n: 100 },
      targets: [
        { kind: 'max-fps', maxDropPp: 0.5 },
        { kind: 'max-fps', maxDropPp: 2 },
        { kind: 'min-resources', minFps: 500, maxDropPp: 2 },
      ] as FrontierTarget[],
    };
    const sequential = await searchFrontier(input, { measure: fakeMeasure(1, []) });
    let inFlight = 0;
    let most = 0;
    const measure = fakeMeasure(1, []);
    const concurrent = await searchFrontier(
      input,
      {
        measure: async (job) => {
          most = Math.max(most, ++inFlight);
          await new Promise((r) => setTimeout(r, 5));
          inFlight--;
          return measure(job);
        },
      },
      { concurrentTargets: true },
    );
    expect(concurrent).toEqual(sequential);
    expect(most).toBeGreaterThan(1);
  });

  it('concurrent targets: one failed measurement fails the search and stops the other targets from measuring more', async () => {
    const started: string[] = [];
    const abortedWhenDone: boolean[] = [];
    let fail = true;
    const search = searchFrontier(
      { ctx, sweep, design: base, baseline: { top1: sweep.baseline.top1, n: 100 }, targets: [{ kind: 'max-fps', maxDropPp: 0.5 }, { kind: 'max-fps', maxDropPp: 5 }] },
      {
        measure: async (job, signal) => {
          started.push(job.key);
          if (fail) {
            fail = false;
            throw new EdgefoldError('internal', 'job 7 failed');
          }
          await new Promise((r) => setTimeout(r, 20));
          abortedWhenDone.push(Boolean(signal?.aborted));
          return { top1: 0.9, ci95: [0.89, 0.91], n: 100 };
        },
      },
      { concurrentTargets: true },
    );
    await expect(search).rejects.toThrow('job 7 failed');
    await new Promise((r) => setTimeout(r, 50));
    // The other target's measurement was told to stop, and no target measured again.
    expect(abortedWhenDone).toEqual([true]);
    expect(started).toHaveLength(2);
  });

  it('cancel: an aborted search rejects as cancelled and reports no point after the abort', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const search = searchFrontier(
      { ctx, sweep, design: base, baseline: { top1: sweep.baseline.top1, n: 100 }, targets: [{ kind: 'max-fps', maxDropPp: 1 }, { kind: 'max-fps', maxDropPp: 3 }] },
      {
        measure: async (job) => {
          controller.abort();
          void job;
          return { top1: 0.9, ci95: [0.89, 0.91], n: 100 };
        },
      },
      { signal: controller.signal, onPoint: (p) => seen.push(p.label) },
    );
    await expect(search).rejects.toMatchObject({ code: 'cancelled' });
    expect(seen).toEqual([]);
  });

  it('bad targets are refused by field', async () => {
    const input = { ctx, sweep, design: base, baseline: { top1: 0.9, n: 100 } };
    await expect(searchFrontier({ ...input, targets: [] }, { measure: async () => ({ top1: 1, ci95: [1, 1], n: 1 }) })).rejects.toMatchObject({ field: 'targets' });
    await expect(searchFrontier({ ...input, targets: [{ kind: 'min-resources', minFps: -3, maxDropPp: 1 }] }, { measure: async () => ({ top1: 1, ci95: [1, 1], n: 1 }) })).rejects.toMatchObject({ field: 'minFps' });
  });

  it('measured for real (onnxruntime-node) after reconstruction: three targets, each within its measured drop, recovery winning accuracy back', async () => {
    const LIMIT = 200;
    const evaluation = await fmnist('test');
    const calibration = await fmnist('calibration', 128);
    const runner = await createOrtRunner(ortModule, bytes);
    const inputShape = ctx.summary.inputs[0].shape;
    const float = await evaluate(runner, evaluation, inputShape, { limit: LIMIT, batchSize: 250 }).finally(() => runner.release());
    const measure = localFrontierMeasure({ ort: ortModule, modelBytes: bytes, inputShape, evaluation, calibration, limit: LIMIT });
    const design: Design = { ...base, recovery: { ...DEFAULT_RECOVERY, reconstruct: true } };
    // Three max-FPS targets, and the least resources at 1,000 FPS within 8 pp: pruning is what buys it.
    const targets: FrontierTarget[] = [...[1, 3, 8].map((x) => ({ kind: 'max-fps' as const, maxDropPp: x })), { kind: 'min-resources', minFps: 1000, maxDropPp: 8 }];
    const result = await searchFrontier({ ctx, sweep, design, baseline: { top1: float.top1, n: float.n }, targets }, { measure }, { maxAttempts: 2 });
    console.log(
      `[frontier] float ${(100 * float.top1).toFixed(2)} % on ${float.n}; ` +
        result.points.map((p) => `${p.label}: ${(100 * p.measured.top1).toFixed(2)} % (raw ${p.measured.rawTop1 === undefined ? '-' : (100 * p.measured.rawTop1).toFixed(2)}) at ${p.fps.toFixed(1)} FPS, met ${p.met}`).join('; ') +
        `; ${result.measurements} measurements`,
    );
    expect(result.points).toHaveLength(4);
    for (const p of result.points) {
      expect(p.measured.n).toBe(LIMIT);
      if (p.met) expect(float.top1 - p.measured.top1).toBeLessThanOrEqual(p.target.maxDropPp / 100 + 1e-12);
    }
    expect(result.points.filter((p) => p.met).length).toBeGreaterThanOrEqual(2);
    // Somewhere pruning was chosen and reconstruction measured above the same design unrecovered.
    expect(result.points.some((p) => p.measured.rawTop1 !== undefined && p.measured.top1 > p.measured.rawTop1)).toBe(true);
    // The loosest max-FPS target is faster than the tightest. (Since the session-13 refit it reaches
    // its FPS without pruning; the min-resources target prunes.) (Not "used less of the device": max FPS
    // folds each design until a step would break the budget; with the Xilinx MVAU / VVAU LUT fit
    // (session 11, LUT multipliers priced as synthesized) the 1 pp design stops at 3,543 FPS with
    // 61 % of its most used resource, the 8 pp one at 5,315 FPS with 69 %; docs/decisions.md.)
    expect(result.points[2].fps).toBeGreaterThan(result.points[0].fps);
  }, 300_000);
});
