/**
 * Sweep points as configs (issue 14): the model a sweep evaluates for a point must be the model
 * anyone gets from `applyConfig(model, pointConfig(...))` - two independent paths (the sweep
 * reuses its shared analyses; applyConfig parses, resolves and re-analyses the config). The
 * whole-model version of this check runs in sensitivity.test.ts on the default model; this one is
 * small enough for mutation runs.
 */
import { describe, expect, it } from 'vitest';
import { applyConfig, calibrateConfig } from '../config/compression.ts';
import { encodeModel } from '../onnx/model.ts';
import { tensorFloat32 } from '../onnx/tensor.ts';
import { residualModel } from '../prune/testing.ts';
import type { BatchSource } from '../quant/calibrate.ts';
import { SweepModel, planSweep } from './plan.ts';
import { buildPointModel, pointConfig, quantizedWeights, weightInputName } from './points.ts';
import type { SweepRequest } from './types.ts';

/** Fixed activation values per requested output (what the statistics are does not matter, only that both paths get the same). */
const source: BatchSource = async function* (_b, outputs) {
  for (let k = 0; k < 2; k++) yield { count: 1, values: Object.fromEntries(outputs.map((o, i) => [o, Float32Array.from({ length: 64 }, (_, j) => Math.sin(i * 5 + j * 0.41 + k) * (1 + i))])) };
};

describe('sweep points as compression configs', () => {
  it('every point model is byte-identical to applyConfig of its config (prune, weight bits, activation bits)', async () => {
    const model = residualModel(3);
    const sm = new SweepModel(model);
    const requests: SweepRequest[] = [
      { prune: { ratios: [0.5], criterion: 'l2', roundTo: 2 } },
      { weightBits: { bits: [3] }, scheme: { granularity: 'per-channel', scale: 'po2', rounding: 'floor' } },
      { weightBits: { bits: [4] }, scheme: { granularity: 'per-tensor' } },
      { activationBits: { bits: [4] }, scheme: { calibration: { method: 'percentile', percentile: 99.9, images: 2 } } },
    ];
    const kinds = new Set<string>();
    for (const request of requests) {
      const plan = planSweep(sm, request);
      for (const point of plan.points) {
        const config = pointConfig(sm, plan.settings, point);
        const calibration = point.kind === 'act-bits' ? await calibrateConfig(model, config, source) : undefined;
        const viaConfig = applyConfig(model, config, calibration);
        expect(encodeModel(buildPointModel(sm, plan.settings, point, calibration)), `${point.modelKey}`).toEqual(viaConfig.bytes);
        kinds.add(point.kind);
        // a point changes the model: the config asks for something
        expect(viaConfig.bytes).not.toEqual(encodeModel(model));
        if (point.kind === 'weight-bits') {
          // the weights the engine feeds for a weight-only point are the ones of that model
          const name = weightInputName(viaConfig.model, point.target);
          const init = viaConfig.model.graph!.initializer.find((t) => t.name === name)!;
          expect(quantizedWeights(sm, plan.settings, point.target, point.value), point.modelKey).toEqual(tensorFloat32(init));
        }
        if (point.kind === 'act-bits') expect(() => buildPointModel(sm, plan.settings, point)).toThrow(/need calibration statistics/);
      }
    }
    expect([...kinds].sort()).toEqual(['act-bits', 'prune', 'weight-bits']);
    // the baseline point is the model as it is, whatever its kind says
    const plan = planSweep(sm, requests[0]);
    const baseline = { ...plan.points[0], modelKey: 'baseline' };
    expect(pointConfig(sm, plan.settings, baseline)).toEqual({ version: 1 });
    expect(buildPointModel(sm, plan.settings, baseline)).toBe(model);
  });

  it('quantizedWeights takes the output axis of a Gemm with transB = 1 (rows) and the weight input by its layer', () => {
    const model = residualModel(3);
    const sm = new SweepModel(model);
    const plan = planSweep(sm, { weightBits: { bits: [2] }, scheme: { granularity: 'per-channel', scale: 'float', rounding: 'half-even' } });
    // fc.w is [10, 16] with transB = 1: per output row r, 2 bits (levels -2..1), scale = max|w_r| / 1
    const fc = model.graph!.initializer.find((t) => t.name === 'fc.w')!;
    const w = tensorFloat32(fc);
    const q = quantizedWeights(sm, plan.settings, 'fc', 2);
    for (let r = 0; r < 10; r++) {
      const row = w.subarray(r * 16, r * 16 + 16);
      const scale = Math.max(...Array.from(row, Math.abs));
      for (let k = 0; k < 16; k++) {
        const level = Math.min(1, Math.max(-2, Math.round(row[k] / scale)));
        expect(q[r * 16 + k]).toBeCloseTo(level * scale, 6);
      }
    }
    expect(() => weightInputName(model, 'no such layer')).toThrow(/no weight initializer/);
  });
});
