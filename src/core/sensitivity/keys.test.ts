/**
 * Completeness of sweep cache keys (issue 14): every field that changes a result changes the
 * key. The truth is the point model itself: over sweeps that vary every setting, two points
 * with the same model key must build byte-identical models, and every field of the cache scope
 * (model, data, engine, batch size) must show in the key.
 */
import { describe, expect, it } from 'vitest';
import { encodeModel } from '../onnx/model.ts';
import { residualModel } from '../prune/testing.ts';
import { activationTaps, calibrate, type BatchSource } from '../quant/calibrate.ts';
import { cacheFileName, cacheKey, isPointMetrics, MemoryCache, type CacheScope } from './cache.ts';
import { measurementKey } from '../design/measurement-key.ts';
import { SweepModel, planSweep } from './plan.ts';
import { buildPointModel } from './points.ts';
import type { SweepRequest } from './types.ts';

describe('sweep cache keys', () => {
  // Built inside each test: Stryker switches mutants per test, not while the file is collected.
  const model = residualModel(3);

  it('two points with the same model key build the same model, across every sweep setting', async () => {
    const sm = new SweepModel(model);
    // calibration statistics from fixed values (only the model built from them matters here)
    const source: BatchSource = async function* (_b, outputs) {
      for (let k = 0; k < 3; k++) yield { count: 1, values: Object.fromEntries(outputs.map((o, i) => [o, Float32Array.from({ length: 64 }, (_, j) => Math.sin(i * 7 + j * 0.37 + k) * (1 + i))])) };
    };
    const calibration = await calibrate(sm.folded.model, activationTaps(sm.folded.graph), source, encodeModel);
    const requests: SweepRequest[] = [];
    for (const criterion of ['l1', 'l2', 'bn-gamma'] as const) {
      for (const roundTo of [1, 2, 4]) requests.push({ prune: { ratios: [0.1, 0.25, 0.3, 0.5, 0.6], criterion, roundTo } });
    }
    for (const granularity of ['per-channel', 'per-tensor'] as const) {
      for (const scale of ['float', 'po2'] as const) {
        for (const rounding of ['half-even', 'floor'] as const) {
          requests.push({ weightBits: { bits: [3, 4, 6] }, scheme: { granularity, scale, rounding } });
          {
            for (const method of ['minmax', 'percentile', 'mse'] as const) {
              for (const percentile of [99.9, 99.99]) requests.push({ activationBits: { bits: [4, 6] }, scheme: { granularity, scale, rounding, calibration: { method, percentile } } });
            }
          }
        }
      }
    }
    const byKey = new Map<string, string>();
    let checked = 0;
    for (const request of requests) {
      const plan = planSweep(sm, request);
      for (const point of plan.points) {
        const bytes = encodeModel(buildPointModel(sm, plan.settings, point, calibration));
        const digest = Buffer.from(bytes).toString('base64');
        const seen = byKey.get(point.modelKey);
        if (seen !== undefined) expect(digest, `model key ${point.modelKey}`).toBe(seen);
        else byKey.set(point.modelKey, digest);
        checked++;
      }
    }
    // Keys may say more than the model needs (e.g. the percentile of a minmax point): that only
    // costs a cache miss. Many distinct models must have been compared.
    expect(new Set(byKey.values()).size).toBeGreaterThan(400);
    expect(checked).toBeGreaterThan(200);
  }, 120_000);

  it('the settings in a point key: criterion, kept count, bits, granularity, scale, rounding, calibration', () => {
    const sm = new SweepModel(model);
    const keys = (r: SweepRequest) => planSweep(sm, r).points.filter((p) => p.modelKey !== 'baseline').map((p) => p.modelKey);
    const prune = keys({ prune: { ratios: [0.5] } });
    expect(prune.length).toBeGreaterThan(0);
    expect(keys({ prune: { ratios: [0.5], criterion: 'l2' } })).not.toEqual(prune);
    expect(keys({ prune: { ratios: [0.25] } })).not.toEqual(prune);
    const w = keys({ weightBits: { bits: [4] } });
    for (const scheme of [{ granularity: 'per-tensor' as const }, { scale: 'po2' as const }, { rounding: 'floor' as const }]) {
      expect(keys({ weightBits: { bits: [4] }, scheme })).not.toEqual(w);
    }
    expect(keys({ weightBits: { bits: [5] } })).not.toEqual(w);
    // calibration settings change activation points but not weight points
    expect(keys({ weightBits: { bits: [4] }, scheme: { calibration: { method: 'mse', percentile: 99.99 } } })).toEqual(w);
    const a = keys({ activationBits: { bits: [4] } });
    for (const calibration of [{ method: 'mse' as const, percentile: 99.99 }, { method: 'minmax' as const, percentile: 99.9 }, { method: 'minmax' as const, percentile: 99.99, images: 50 }]) {
      expect(keys({ activationBits: { bits: [4] }, scheme: { calibration } })).not.toEqual(a);
    }
    for (const scheme of [{ granularity: 'per-tensor' as const }, { scale: 'po2' as const }, { rounding: 'floor' as const }]) {
      expect(keys({ activationBits: { bits: [4] }, scheme })).not.toEqual(a);
    }
    // weight and activation points of the same width are different models
    expect(new Set([...w, ...a]).size).toBe(w.length + a.length);
  });

  it('every scope field and the image count change the cache key and the cache file name; the key is the one measurement key', () => {
    const scope: CacheScope = { modelHash: 'm', dataHash: 'd', engine: 'wasm', batchSize: 100 };
    const base = cacheKey(scope, 'k', 1000);
    const variants = [
      cacheKey({ ...scope, modelHash: 'm2' }, 'k', 1000),
      cacheKey({ ...scope, dataHash: 'd2' }, 'k', 1000),
      cacheKey({ ...scope, engine: 'native' }, 'k', 1000),
      cacheKey({ ...scope, batchSize: 10 }, 'k', 1000),
      cacheKey(scope, 'k2', 1000),
      cacheKey(scope, 'k', 500),
    ];
    expect(new Set([base, ...variants]).size).toBe(7);
    expect(new Set([base, ...variants].map(cacheFileName)).size).toBe(7);
    expect(base).toBe(
      measurementKey({ model: 'm', compression: { version: 1 }, point: 'k', recovery: { reconstruct: false, retrain: null }, data: 'd', images: 1000, engine: 'wasm|b100' }),
    );
    expect(cacheFileName(base)).toMatch(/^[0-9a-f]{16}\.json$/);
  });

  it('the memory cache hands out copies; only complete metrics pass the file check', async () => {
    const cache = new MemoryCache();
    const m = { top1: 0.5, top5: 0.9, loss: 1, n: 10, ci95: [0.4, 0.6] as [number, number] };
    await cache.set('k', m);
    m.top1 = 0;
    const got = (await cache.get('k'))!;
    expect(got.top1).toBe(0.5);
    got.top1 = 1;
    expect((await cache.get('k'))!.top1).toBe(0.5);
    expect(await cache.get('other')).toBeUndefined();
    expect(isPointMetrics(m)).toBe(true);
    expect(isPointMetrics({ ...m, loss: NaN })).toBe(false);
    expect(isPointMetrics({ ...m, n: '10' })).toBe(false);
    expect(isPointMetrics({ ...m, ci95: [0.4] })).toBe(false);
    expect(isPointMetrics({ ...m, ci95: 'x' })).toBe(false);
    expect(isPointMetrics(null)).toBe(false);
    expect(isPointMetrics(3)).toBe(false);
  });
});
