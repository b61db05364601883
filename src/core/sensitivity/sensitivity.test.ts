import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATA_MANIFEST, DEFAULT_MODEL, KWS, ULTRAFACE, defaultModelMissing, readBytes, thirdPartyMissing } from '../../../test/fixtures.ts';
import { applyConfig, calibrateConfig, parseCompressionConfig, resolveConfig } from '../config/compression.ts';
import { loadDataset, validateManifest, type Dataset } from '../eval/dataset.ts';
import { evaluate } from '../eval/evaluate.ts';
import { createOrtRunner } from '../eval/ort-runner.ts';
import { loadModel } from '../graph/index.ts';
import { decodeModel, encodeModel } from '../onnx/model.ts';
import { tensorFloat32 } from '../onnx/tensor.ts';
import { seeded } from '../prune/testing.ts';
import { ortBatchSource } from '../quant/ort-calibration.ts';
import {
  MemoryCache,
  SweepModel,
  SweepService,
  autoBatchSize,
  makeTasks,
  allocate,
  buildPointModel,
  parseSweepResult,
  planSweep,
  pointConfig,
  predictAccuracy,
  quantizedWeights,
  runSweepLocal,
  sweepToCsv,
  sweepToJson,
  type PointResult,
  type SweepRequest,
  type SweepResult,
} from './index.ts';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

const LIMIT = 200;
const MID_GROUP = '/blocks/blocks.2/pw/conv/Conv';
const LATE_LAYER = '/blocks/blocks.4/pw/conv/Conv';

async function fmnist(split: string): Promise<Dataset> {
  const manifest = validateManifest(JSON.parse(readFileSync(DATA_MANIFEST, 'utf8')));
  return loadDataset(manifest, split, async (p) => readBytes(resolve(dirname(DATA_MANIFEST), p)));
}

/** Evaluates model bytes directly: the whole modified model, no split, no cache. */
async function direct(bytes: Uint8Array, data: Dataset, limit: number) {
  const runner = await createOrtRunner(ort, bytes);
  try {
    const r = await evaluate(runner, data, loadModel(bytes).summary.inputs[0].shape, { limit, batchSize: 100 });
    return { top1: r.top1, top5: r.top5, loss: r.loss, n: r.n, ci95: r.ci95 };
  } finally {
    await runner.release();
  }
}

/** Images with random pixels labelled by the model itself (a sweep then measures agreement with the float model). */
async function selfLabelled(bytes: Uint8Array, shape: [number, number, number], classes: number, count: number, seed: number): Promise<Dataset> {
  const rand = seeded(seed);
  const size = shape[0] * shape[1] * shape[2];
  const pixels = Uint8Array.from({ length: count * size }, () => Math.floor(rand() * 256));
  const data: Dataset = { name: 'random', split: 'test', count, shape, classes: Array.from({ length: classes }, (_, i) => `c${i}`), pixels, labels: new Uint8Array(count), preprocessing: { scale: 1 / 255, mean: [0.5], std: [0.5] } };
  const runner = await createOrtRunner(ort, bytes);
  const inputShape = loadModel(bytes).summary.inputs[0].shape;
  const { batchTensor } = await import('../eval/dataset.ts');
  const { planInput } = await import('../eval/evaluate.ts');
  const plan = planInput(inputShape, data);
  for (let i = 0; i < count; i++) {
    const dims = plan.layout === 'NCHW' ? [1, ...shape] : [1, shape[1], shape[2], shape[0]];
    const scores = await runner.run(batchTensor(data, i, 1, plan.layout), dims);
    data.labels[i] = scores.indexOf(Math.max(...scores));
  }
  await runner.release();
  return data;
}

const stripCached = (points: PointResult[]) => points.map(({ cached: _cached, ...p }) => p);

describe.skipIf(defaultModelMissing)('sensitivity sweeps on the default model', () => {
  let bytes: Uint8Array;
  let sm: SweepModel;
  let test: Dataset;
  let calib: Dataset;
  beforeAll(async () => {
    bytes = readBytes(DEFAULT_MODEL);
    sm = new SweepModel(decodeModel(bytes));
    [test, calib] = await Promise.all([fmnist('test'), fmnist('calibration')]);
  });

  it('plans one curve per prunable group and per quantizable layer, with shared models deduplicated', () => {
    const plan = planSweep(sm, { prune: { ratios: [0, 0.1, 0.5], roundTo: 8 }, weightBits: { bits: [8, 4] } });
    expect(plan.groups.map((g) => g.size)).toEqual([24, 48, 96, 96, 192, 192, 256]);
    expect(plan.layers.filter((l) => l.quantizable)).toHaveLength(14);
    const stem = plan.points.filter((p) => p.kind === 'prune' && p.target === '/stem/conv/Conv');
    // 24 channels, round to 8: ratio 0.1 keeps round(21.6)=22 -> 24 = the baseline; 0.5 keeps 12 -> 16.
    expect(stem.map((p) => [p.value, p.keep, p.modelKey === 'baseline'])).toEqual([
      [0, 24, true],
      [0.1, 24, true],
      [0.5, 16, false],
    ]);
    expect(plan.units[0].kind).toBe('baseline');
    // Largest activation 48 x 28 x 28 = 37,632 floats per image: 100 images stay under 4 Mi floats.
    expect(autoBatchSize(sm.originalGraph)).toBe(100);
    expect(plan.settings.batchSize).toBe(100);
    expect(plan.units.find((u) => u.id === 'prune:/stem/conv/Conv')!.points).toHaveLength(1);
    expect(plan.units.filter((u) => u.kind === 'weight-bits')).toHaveLength(14);
    expect(() => planSweep(sm, { prune: { ratios: [1] } })).toThrow(/ratio/);
    expect(() => planSweep(sm, { weightBits: { bits: [1] } })).toThrow(/bits/);
  });

  it('builds each point model byte-identical to applyConfig of its config, and feeds the same quantized weights', async () => {
    const plan = planSweep(sm, {
      prune: { ratios: [0.3], roundTo: 4, groups: [MID_GROUP] },
      weightBits: { bits: [3], layers: [LATE_LAYER] },
      activationBits: { bits: [4], layers: [LATE_LAYER] },
      scheme: { calibration: { method: 'minmax', percentile: 99.99, images: 100 } },
    });
    const model = decodeModel(bytes);
    const source = ortBatchSource(ort, calib, [null, 1, 28, 28], { limit: 100, batchSize: 100 });
    for (const point of plan.points) {
      const config = pointConfig(sm, plan.settings, point);
      const calibration = point.kind === 'act-bits' ? await calibrateConfig(model, config, source) : undefined;
      const viaConfig = applyConfig(model, config, calibration);
      expect(encodeModel(buildPointModel(sm, plan.settings, point, calibration))).toEqual(viaConfig.bytes);
      if (point.kind === 'weight-bits') {
        const node = viaConfig.model.graph!.node.find((n) => n.name === LATE_LAYER)!;
        const init = viaConfig.model.graph!.initializer.find((t) => t.name === node.input[1])!;
        expect(quantizedWeights(sm, plan.settings, LATE_LAYER, 3)).toEqual(tensorFloat32(init));
      }
    }
  });

  it('gives every point exactly the numbers of a direct evaluation of the same modified model', async () => {
    const request: SweepRequest = {
      prune: { ratios: [0, 0.6], groups: ['/stem/conv/Conv', MID_GROUP] },
      weightBits: { bits: [2], layers: ['/blocks/blocks.0/dw/conv/Conv', '/fc/Gemm'] },
      activationBits: { bits: [3], layers: [LATE_LAYER] },
      scheme: { calibration: { method: 'minmax', percentile: 99.99, images: 100 } },
      limit: LIMIT,
    };
    const sweep = await runSweepLocal(ort, bytes, test, request, { calibrationData: calib });
    expect(sweep.complete).toBe(true);
    expect(sweep.baseline).toEqual(await direct(bytes, test, LIMIT));
    const model = decodeModel(bytes);
    const plan = planSweep(sm, request);
    const source = ortBatchSource(ort, calib, [null, 1, 28, 28], { limit: 100, batchSize: 100 });
    let compared = 0;
    for (const p of sweep.points) {
      expect(p.status).toBe('complete');
      if (p.modelKey === 'baseline') {
        expect(p.metrics).toEqual(sweep.baseline);
        continue;
      }
      const config = pointConfig(sm, plan.settings, p);
      const calibration = p.kind === 'act-bits' ? await calibrateConfig(model, config, source) : undefined;
      expect(p.metrics).toEqual(await direct(applyConfig(model, config, calibration).bytes, test, LIMIT));
      compared++;
    }
    expect(compared).toBe(5);
    // The points really changed the model (2-bit weights and 60 % pruning of the stem cost accuracy).
    expect(sweep.points.find((p) => p.kind === 'prune' && p.target === '/stem/conv/Conv' && p.value === 0.6)!.metrics!.top1).toBeLessThan(sweep.baseline.top1);
  });

  it('merges neighbouring curves into tasks that share a prefix, with the numbers of one curve per task', async () => {
    const request: SweepRequest = { prune: { ratios: [0.3, 0.7] }, weightBits: { bits: [3] }, limit: 100 };
    const plan = planSweep(sm, request);
    const curves = plan.units.filter((u) => u.kind !== 'baseline');
    const tasks = makeTasks(curves, 2, false);
    expect(tasks.length).toBeGreaterThan(1);
    expect(tasks.length).toBeLessThan(curves.length);
    // Every curve in exactly one task; a task holds one base model, in cut order.
    expect(tasks.flatMap((t) => t.units.map((u) => u.id)).sort()).toEqual(curves.map((u) => u.id).sort());
    for (const t of tasks) {
      expect(new Set(t.units.map((u) => u.base)).size).toBe(1);
      expect(t.units.map((u) => u.prefixCost)).toEqual([...t.units.map((u) => u.prefixCost)].sort((a, b) => a - b));
    }
    expect(makeTasks(curves, 2, true).every((t) => t.units.length === 1)).toBe(true);

    const service = new SweepService(ort);
    service.init({ modelBytes: bytes, modelKey: 'default', data: test });
    const merged = tasks.find((t) => t.units.length >= 3 && t.units.some((u) => u.kind === 'prune'))!;
    expect(merged).toBeDefined();
    const together = await service.runTask({ jobId: 'all', task: merged, settings: plan.settings, limit: 100 });
    for (const unit of merged.units) {
      const alone = await service.runTask({ jobId: unit.id, task: { id: unit.id, units: [unit], cost: unit.cost }, settings: plan.settings, limit: 100 });
      for (const p of unit.points) expect(together.results[p.modelKey]).toEqual(alone.results[p.modelKey]);
    }
    expect(Object.keys(together.results)).toHaveLength(merged.units.reduce((n, u) => n + u.points.length, 0));
  });

  it('a cancel that arrives as a macrotask (a worker thread\'s message, a timer) stops a task between batches, not after it', async () => {
    // One curve, 4 batches: the abort is a timer set at the first batch's progress. The batch loop's
    // awaited onnxruntime calls resolve as microtasks, so without a macrotask turn per batch the timer
    // (like a worker's cancel message) would fire only once the task, and here the sweep, had ended.
    const request: SweepRequest = { weightBits: { bits: [4], layers: [LATE_LAYER] }, limit: 200, batchSize: 50 };
    const controller = new AbortController();
    let workAtAbort = -1;
    let lastWork = 0;
    let workTotal = 0;
    const run = runSweepLocal(ort, bytes, test, request, {
      signal: controller.signal,
      onProgress: (p) => {
        lastWork = p.workDone;
        workTotal = p.workTotal;
        if (p.workDone > 0 && workAtAbort < 0) {
          workAtAbort = 0;
          setTimeout(() => {
            workAtAbort = lastWork;
            controller.abort();
          }, 0);
        }
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    expect(workAtAbort).toBeGreaterThan(0);
    expect(workAtAbort).toBeLessThan(workTotal);
  });

  it('cancelled mid-sweep: nothing partial is cached or reported; a re-run reuses what finished, identical to a fresh run', async () => {
    const request: SweepRequest = { prune: { ratios: [0.4, 0.8], groups: [MID_GROUP, '/blocks/blocks.4/pw/conv/Conv'] }, weightBits: { bits: [4, 3], layers: [LATE_LAYER, '/fc/Gemm'] }, limit: 100, batchSize: 50 };
    const cache = new MemoryCache();
    const controller = new AbortController();
    const reported: PointResult[] = [];
    let finishedUnits = 0;
    const cancelled = runSweepLocal(ort, bytes, test, request, {
      cache,
      signal: controller.signal,
      onPoint: (p) => {
        reported.push(p);
        if (p.modelKey !== 'baseline') finishedUnits++;
      },
      // Abort half-way through a unit (after its first batch), once at least one unit has finished.
      onProgress: (p) => {
        if (finishedUnits > 0 && p.workDone % 100 !== 0) controller.abort();
      },
    });
    await expect(cancelled).rejects.toMatchObject({ code: 'cancelled' });
    const distinct = planSweep(sm, request).units.reduce((n, u) => n + u.points.length, 0);
    expect(cache.entries.size).toBeGreaterThan(0);
    expect(cache.entries.size).toBeLessThan(distinct);
    for (const m of cache.entries.values()) expect(m.n).toBe(100);
    expect(reported.every((p) => p.status === 'complete' && p.metrics!.n === 100)).toBe(true);
    expect(new Set(reported.map((p) => p.modelKey)).size).toBe(cache.entries.size);

    const resumed = await runSweepLocal(ort, bytes, test, request, { cache });
    expect(resumed.complete).toBe(true);
    expect(resumed.stats.cached).toBe(cache.entries.size - resumed.stats.evaluated);
    expect(resumed.points.filter((p) => p.cached).length).toBeGreaterThan(0);
    const fresh = await runSweepLocal(ort, bytes, test, request);
    expect(stripCached(resumed.points)).toEqual(stripCached(fresh.points));
    expect(resumed.baseline).toEqual(fresh.baseline);

    const again = await runSweepLocal(ort, bytes, test, request, { cache });
    expect(again.stats.evaluated).toBe(0);
    expect(again.points.every((p) => p.cached)).toBe(true);
    expect(stripCached(again.points)).toEqual(stripCached(fresh.points));
  });

  it('stops a curve early once the drop passes the threshold', async () => {
    const sweep = await runSweepLocal(ort, bytes, test, { prune: { ratios: [0.2, 0.6, 0.8, 0.9], groups: ['/stem/conv/Conv'] }, limit: 100, earlyStop: { maxDrop: 0.02 } });
    const curve = sweep.points;
    const firstBad = curve.findIndex((p) => p.status === 'complete' && sweep.baseline.top1 - p.metrics!.top1 > 0.02);
    expect(firstBad).toBeGreaterThanOrEqual(0);
    expect(firstBad).toBeLessThan(curve.length - 1);
    expect(curve.slice(firstBad + 1).every((p) => p.status === 'skipped')).toBe(true);
    expect(sweep.complete).toBe(true);
    expect(sweepToCsv(sweep).trim().split('\n')).toHaveLength(1 + firstBad + 1);
  });

  describe('predictor and allocator', () => {
    let sweep: SweepResult;
    beforeAll(async () => {
      sweep = await runSweepLocal(ort, bytes, test, { prune: { ratios: [0, 0.25, 0.5, 0.75] }, weightBits: { bits: [8, 4, 2] }, limit: 100 });
    }, 120_000);

    it('writes CSV and JSON that read back', () => {
      const csv = sweepToCsv(sweep).trim().split('\n');
      expect(csv[0]).toBe('layer,kind,value,top1,top5,loss,n');
      expect(csv).toHaveLength(1 + 7 * 4 + 14 * 3);
      expect(csv[1]).toMatch(/^\/stem\/conv\/Conv,prune,0,0\.\d{6},\d\.\d{6},\d\.\d{6},100$/);
      expect(parseSweepResult(JSON.parse(sweepToJson(sweep)))).toEqual(sweep);
      expect(() => parseSweepResult({ format: 'x' })).toThrow(/not an edgefold sensitivity result/);
    });

    it('predicts a single-layer config as exactly its measured point, and interpolates between points', () => {
      const point = sweep.points.find((p) => p.kind === 'prune' && p.target === MID_GROUP && p.value === 0.5)!;
      expect(predictAccuracy(sweep, { version: 1, layers: { [MID_GROUP]: { prune: { ratio: 0.5 } } } }).top1).toBeCloseTo(point.metrics!.top1, 12);
      const at25 = sweep.points.find((p) => p.kind === 'prune' && p.target === MID_GROUP && p.value === 0.25)!.metrics!.top1;
      const mid = predictAccuracy(sweep, { version: 1, layers: { [MID_GROUP]: { prune: { keep: Math.round(96 * (1 - 0.375)) } } } });
      expect(mid.top1).toBeCloseTo((at25 + point.metrics!.top1) / 2, 12);
      const none = predictAccuracy(sweep, { version: 1 });
      expect(none.top1).toBe(sweep.baseline.top1);
      const all = predictAccuracy(sweep, { version: 1, prune: { ratio: 0.25 }, quant: { weightBits: 4 } });
      expect(all.terms).toHaveLength(7 + 14);
      expect(all.warnings).toEqual([]);
      expect(predictAccuracy(sweep, { version: 1, prune: { ratio: 0.9 } }).warnings.length).toBe(7);
    });

    it('allocates within a drop budget or a MAC target, with configs applyConfig accepts', () => {
      const model = decodeModel(bytes);
      const byDrop = allocate(sweep, { maxDrop: 0.01 });
      expect(byDrop.met).toBe(true);
      expect(byDrop.prediction.drop).toBeLessThanOrEqual(0.01);
      expect(byDrop.predicted.bops).toBeLessThan(byDrop.baseline.bops);
      parseCompressionConfig(byDrop.config);
      const applied = applyConfig(model, byDrop.config);
      expect(applied.report.after.macs).toBe(Math.round(byDrop.predicted.macs));

      const target = Math.round(sweep.model.macs * 0.6);
      const byMacs = allocate(sweep, { targetMacs: target }, { bits: false });
      expect(byMacs.met).toBe(true);
      expect(byMacs.config.quant).toBeUndefined();
      const pruned = applyConfig(model, byMacs.config);
      expect(pruned.report.after.macs).toBeLessThanOrEqual(target);
      expect(pruned.report.after.macs).toBe(Math.round(byMacs.predicted.macs));
      expect(pruned.report.after.params).toBe(Math.round(byMacs.predicted.params));
      expect(() => allocate(sweep, {})).toThrow(/target/);
    });
  });
});

describe.skipIf(thirdPartyMissing)('third-party fixtures', () => {
  it('KWS (tf2onnx, DequantizeLinear weights, fixed batch 1): a real sweep, exact points, predictor and allocator configs', async () => {
    const bytes = readBytes(KWS);
    const data = await selfLabelled(bytes, [1, 49, 10], 12, 6, 3);
    const sweep = await runSweepLocal(ort, bytes, data, { prune: { ratios: [0.5] }, weightBits: { bits: [3] } });
    expect(sweep.baseline.top1).toBe(1);
    expect(sweep.groups).toHaveLength(5);
    const model = decodeModel(bytes);
    const sm = new SweepModel(model);
    const plan = planSweep(sm, { prune: { ratios: [0.5] }, weightBits: { bits: [3] } });
    for (const p of sweep.points.filter((x) => x.kind === 'prune').slice(0, 2).concat(sweep.points.filter((x) => x.kind === 'weight-bits').slice(0, 2))) {
      expect(p.metrics).toEqual(await direct(applyConfig(model, pointConfig(sm, plan.settings, p)).bytes, data, 6));
    }
    const alloc = allocate(sweep, { maxDrop: 0.2 });
    resolveConfig(model, parseCompressionConfig(alloc.config));
    applyConfig(model, alloc.config);
    expect(alloc.prediction.drop).toBeLessThanOrEqual(0.2);
    const half = allocate(sweep, { targetParams: sweep.model.params * 0.8 }, { bits: false });
    expect(half.met).toBe(true);
    expect(applyConfig(model, half.config).report.after.params).toBe(Math.round(half.predicted.params));
  });

  it('UltraFace (detector, IR 4, two outputs): the plan, split and allocator handle it; configs apply', () => {
    const model = decodeModel(readBytes(ULTRAFACE));
    const sm = new SweepModel(model);
    const plan = planSweep(sm, { prune: { ratios: [0, 0.5] }, weightBits: { bits: [8, 4] } });
    expect(plan.groups.length).toBe(15);
    // Its largest activation is 32 x 120 x 160 = 614,400 floats per image: 6 images per run, not 100.
    expect(plan.settings.batchSize).toBe(6);
    expect(autoBatchSize(sm.originalGraph)).toBe(Math.floor((4 * 2 ** 20) / 614_400));
    expect(planSweep(sm, { prune: { ratios: [0.5] }, batchSize: 50 }).settings.batchSize).toBe(50);
    // A detector has no classification accuracy: synthetic curves (drop grows with ratio and falls with bits) stand in for measurements.
    const rand = seeded(11);
    const points: PointResult[] = plan.points.map((p) => {
      const drop = p.kind === 'prune' ? p.value * 0.1 * rand() : (8 - p.value) * 0.01 * rand();
      return { ...p, status: 'complete', metrics: { top1: 0.9 - drop, top5: 1, loss: 0.3, n: 100, ci95: [0.85, 0.95] } };
    });
    const sweep: SweepResult = {
      format: 'edgefold-sensitivity',
      version: 1,
      model: { name: 'ultraface', hash: 'x', params: plan.params, macs: plan.macs },
      data: { name: 'synthetic', split: 'test', n: 100, hash: 'y', classes: 2 },
      engine: 'none',
      settings: plan.settings,
      baseline: { top1: 0.9, top5: 1, loss: 0.3, n: 100, ci95: [0.85, 0.95] },
      groups: plan.groups,
      layers: plan.layers,
      points,
      complete: true,
      stats: { seconds: 0, evaluated: 0, cached: 0, skipped: 0, workers: 0 },
    };
    for (const target of [{ maxDrop: 0.05 }, { targetMacs: plan.macs * 0.7 }]) {
      const a = allocate(sweep, target);
      const applied = applyConfig(model, a.config);
      expect(a.met).toBe(true);
      if (target.targetMacs) expect(applied.report.after.macs).toBeLessThanOrEqual(target.targetMacs);
      expect(applied.report.after.macs).toBe(Math.round(a.predicted.macs));
      // (allocator.test.ts checks predictions and allocations against hand-worked sweeps)
      expect(a.prediction.drop).toBeLessThanOrEqual(target.maxDrop ?? 1);
    }
  });
});
