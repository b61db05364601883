import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, KWS, ULTRAFACE, defaultModelMissing, readBytes, thirdPartyMissing } from '../../../test/fixtures.ts';
import { decodeModel, encodeModel } from '../onnx/model.ts';
import { seeded } from '../prune/testing.ts';
import { SweepModel, planSweep } from './plan.ts';
import { buildPointModel, prunedChannels } from './points.ts';
import { cutBefore, gatherIndices, prefixModel, pruneCut, suffixInputNames, suffixModel } from './split.ts';
import type { SweepPoint } from './types.ts';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

const opts: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', logSeverityLevel: 3 };

type Engine = typeof ort;
/** onnxruntime-node is a dependency (the CLI's native engine): its checks never skip. */
const native = (await import('onnxruntime-node')) as unknown as Engine;

async function runOnce(engine: Engine, bytes: Uint8Array, feeds: Record<string, ort.Tensor>, outputs?: string[]) {
  const session = await engine.InferenceSession.create(bytes, opts);
  try {
    return await session.run(feeds, outputs ?? [session.outputNames[0]]);
  } finally {
    await session.release();
  }
}

/**
 * For every prune point: prefix (run once, on the original) + the point's suffix gives the
 * first output of the directly pruned model, bit for bit. Returns how many cuts were moved past
 * the group's producer (gathered), so callers can check the late cut was really taken.
 */
async function checkPruneSplits(engine: Engine, modelBytes: Uint8Array, ratios: number[], batch: number, seed: number, late = true): Promise<{ groups: number; gathered: number }> {
  const sm = new SweepModel(decodeModel(modelBytes));
  const plan = planSweep(sm, { prune: { ratios } });
  const graph = sm.originalGraph;
  const input = graph.inputs[0];
  const dims = graph.shape(input.name)!.map((d, i) => (i === 0 ? batch : d!));
  const rand = seeded(seed);
  const x = new engine.Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rand() * 2 - 1), dims);
  let gathered = 0;
  for (const unit of plan.units.filter((u) => u.kind === 'prune')) {
    const cut = late ? pruneCut(sm.analysis, unit.target) : cutBefore(graph, unit.cutIndex);
    expect(cut.index).toBeGreaterThanOrEqual(unit.cutIndex);
    if (cut.gathered) gathered++;
    const prefix = prefixModel(sm.original, cut);
    const cutValues = prefix ? await runOnce(engine, encodeModel(prefix), { [input.name]: x }, cut.tensors) : { [input.name]: x };
    const names = suffixInputNames(cut);
    const feeds = Object.fromEntries(cut.tensors.map((t, i) => [names[i], cutValues[t]]));
    for (const point of unit.points as SweepPoint[]) {
      const pointModel = buildPointModel(sm, plan.settings, point);
      const gather = cut.gathered ? gatherIndices(sm.analysis, cut, prunedChannels(sm, plan.settings, point)) : undefined;
      const split = await runOnce(engine, encodeModel(suffixModel(pointModel, cut, { gather })), feeds);
      const whole = await runOnce(engine, encodeModel(pointModel), { [input.name]: x });
      const out = pointModel.graph!.output[0].name;
      expect(split[out].dims).toEqual(whole[out].dims);
      expect(split[out].data).toEqual(whole[out].data);
    }
  }
  return { groups: plan.units.filter((u) => u.kind === 'prune').length, gathered };
}

describe.skipIf(defaultModelMissing)('prune cuts on the default model', () => {
  it('start each suffix at the conv that reads the pruned channels, after the producer and its depthwise conv', () => {
    const sm = new SweepModel(decodeModel(readBytes(DEFAULT_MODEL)));
    const graph = sm.originalGraph;
    const groups = sm.analysis.groups.filter((g) => g.prunable);
    expect(groups).toHaveLength(7);
    for (const g of groups) {
      const cut = pruneCut(sm.analysis, g.id);
      const consumer = g.members.find((m) => m.role === 'conv-in' || m.role === 'fc-in')!;
      expect(cut.index).toBe(graph.node(consumer.node)!.index);
      expect(cut.gathered).toEqual([consumer.tensor]);
      expect(cut.tensors).toEqual([consumer.tensor]);
      // Later than the plain cut in front of the producer.
      expect(cut.index).toBeGreaterThan(cutBefore(graph, graph.node(g.producers[0])!.index).index);
    }
  });

  it('prefix + gathered suffix equal the directly pruned model bit for bit, every group and ratio (wasm)', async () => {
    const r = await checkPruneSplits(ort, readBytes(DEFAULT_MODEL), [0.1, 0.5, 0.9], 8, 5);
    expect(r).toEqual({ groups: 7, gathered: 7 });
  });

  // onnxruntime-node's x86 blocked convs round a conv's outputs differently with its channel count,
  // so the native engine cuts in front of the producer (lateCuts off); that cut is exact there.
  it('onnxruntime-node (the CLI\'s native engine): the cut in front of the producer is bit for bit', async () => {
    const r = await checkPruneSplits(native, readBytes(DEFAULT_MODEL), [0.1, 0.5, 0.9], 8, 5, false);
    expect(r).toEqual({ groups: 7, gathered: 0 });
  });
});

describe.skipIf(thirdPartyMissing)('prune cuts on the third-party fixtures', () => {
  it('KWS DS-CNN (DequantizeLinear weights, fixed batch 1): bit for bit', async () => {
    const r = await checkPruneSplits(ort, readBytes(KWS), [0.3, 0.7], 1, 6);
    expect(r.groups).toBe(5);
    expect(r.gathered).toBe(5);
  });

  it('UltraFace slim (detector, two outputs, concat heads): bit for bit on the first output', async () => {
    const r = await checkPruneSplits(ort, readBytes(ULTRAFACE), [0.5], 1, 7);
    expect(r.groups).toBe(15);
    expect(r.gathered).toBeGreaterThan(0);
  }, 60_000);
});
