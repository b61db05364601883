import { describe, expect, it } from 'vitest';
import { defaultDesign } from '../core/design/design.ts';
import { MeasurementKeys } from './measurement.ts';
import type { DesignPoint, MeasuredAccuracy } from './state.ts';

const keys = new MeasurementKeys(() => null);
const designKey = keys.design.bind(keys);
const withMeasurement = keys.withMeasurement.bind(keys);

const model = { sha256: 'a'.repeat(64) } as never;
const dataset = { imported: null, source: 'bundled', mappingOverride: null, bundled: null } as never;
const state = { model, dataset, design: defaultDesign(), evalLimit: 500 };
const point = (id: string, design = defaultDesign(), top1: number | null = null): DesignPoint => ({
  id,
  name: id,
  createdAt: '',
  modelSha256: 'a'.repeat(64),
  design,
  metrics: { params: 1, macs: 1, fps: 1, latencyMs: 1, powerW: 1, gopsPerWatt: 1, dsp: 0, bram18: 0, lut: 0, ff: 0, fits: true, measuredTop1: top1, measuredCi95: null, measuredImages: null },
});
const result = (key: string) => ({ top1: 0.91, ci95: [0.9, 0.92], n: 500, designKey: key }) as MeasuredAccuracy;

describe('a point saved before its measurement finished', () => {
  it('receives the measurement of exactly its design, and nothing else changes', () => {
    const pruned = { ...defaultDesign(), compression: { ...defaultDesign().compression, prune: { criterion: 'l1' as const, ratio: 0.25, roundTo: 8 } } };
    const points = [point('same'), point('other', pruned), point('measured', defaultDesign(), 0.8)];
    const next = withMeasurement(points, state, result(designKey(state)));
    expect(next.map((p) => p.metrics.measuredTop1)).toEqual([0.91, null, 0.8]);
    expect(next[0].metrics.measuredImages).toBe(500);
    // a result for another image count matches no point: the same array comes back
    expect(withMeasurement(points, state, result(designKey({ ...state, evalLimit: 1000 })))).toBe(points);
  });
});
