import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, KWS, ULTRAFACE, defaultModelMissing, readBytes, thirdPartyMissing } from '../../../test/fixtures.ts';
import { loadModel } from '../graph/index.ts';
import { decodeModel, encodeModel, type ModelProto, type ValueInfoProto } from '../onnx/model.ts';
import { tensorDims, tensorValues } from '../onnx/tensor.ts';
import { analyzeChannels, applyPruning, channelImportance, countCosts, keptAxisIndices, keptCount, makePrunePlan, maskModel, pruneModel, sliceTensor, topChannels } from './index.ts';
import { keptAxisCount } from './groups.ts';
import type { ChannelAnalysis, ChannelGroup, PlanOptions } from './index.ts';
import { maxRelativeDiff, randomValues, residualModel, runOnce, seeded } from './testing.ts';
import { floatTensor, int64Tensor } from '../onnx/tensor.ts';

const byId = (a: ChannelAnalysis, id: string): ChannelGroup => {
  const g = a.groups.find((x) => x.id === id);
  if (!g) throw new Error(`no group ${id}; have ${a.groups.map((x) => x.id).join(', ')}`);
  return g;
};
/** Declared dims of a value_info / graph input (numbers as bigint, symbolic dims as strings). */
const declared = (info: ValueInfoProto | undefined) =>
  info?.type?.value.case === 'tensorType' ? info.type.value.value.shape!.dim.map((d) => d.value.value) : undefined;
const roles = (g: ChannelGroup) =>
  g.members.filter((m) => m.role !== 'passthrough').map((m) => `${m.role}:${m.node}${m.offset ? `@${m.offset}` : ''}${m.inner > 1 ? `x${m.inner}` : ''}`);

/** Prunes, then checks in onnxruntime that the pruned model equals the masked original, and the counts match the plan. */
async function checkExact(model: ModelProto, options: PlanOptions, inputDims: number[], seed = 1, tolerance = 1e-5) {
  const { model: pruned, plan, analysis } = pruneModel(model, options);
  expect(plan.keep.size).toBeGreaterThan(0);
  const prunedBytes = encodeModel(pruned);
  const originalBytes = encodeModel(model);
  expect(prunedBytes.byteLength).toBeLessThan(originalBytes.byteLength);
  const reloaded = loadModel(prunedBytes);
  expect(reloaded.shapeProblems).toEqual([]);
  expect({ params: reloaded.summary.params, macs: reloaded.summary.macs }).toEqual(plan.predicted);
  expect(plan.predicted.params).toBeLessThan(plan.before.params);
  const masked = encodeModel(maskModel(model, analysis, plan.keep));
  const n = inputDims.reduce((a, b) => a * b, 1);
  const input = Float32Array.from(randomValues(seeded(seed), n, 2));
  const [a, b, original] = await Promise.all([
    runOnce(ort, prunedBytes, input, inputDims),
    runOnce(ort, masked, input, inputDims),
    runOnce(ort, originalBytes, input, inputDims),
  ]);
  for (const name of Object.keys(b)) {
    expect(a[name].length).toBe(b[name].length);
    expect(maxRelativeDiff(a[name], b[name]), name).toBeLessThanOrEqual(tolerance);
    // Pruning without the mask changes the outputs: the check above is not vacuous.
    expect(maxRelativeDiff(b[name], original[name]), name).toBeGreaterThan(tolerance);
  }
  return { pruned, plan, analysis };
}

describe('channel groups', () => {
  it('residual + BatchNormalization + Concat model built here', () => {
    const a = analyzeChannels(residualModel());
    expect(a.groups.map((g) => [g.id, g.size, g.prunable])).toEqual([
      ['x', 3, false],
      ['stem', 8, true],
      ['left', 6, true],
      ['right', 6, true],
      ['mix', 16, true],
      ['fc', 10, false],
    ]);
    // The residual Add ties the stem conv and the block's pointwise conv into one group.
    const stem = byId(a, 'stem');
    expect(stem.producers).toEqual(['stem', 'pw']);
    expect(roles(stem)).toEqual([
      'conv-out:stem',
      'batchnorm:stem.bn',
      'depthwise:dw',
      'batchnorm:dw.bn',
      'conv-in:pw',
      'conv-out:pw',
      'batchnorm:pw.bn',
      'join:residual',
      'join:residual',
      'constant:channel_scale',
      'conv-in:left',
      'conv-in:right',
    ]);
    // Concat maps channel ranges: right's channels sit at 6..11 of the mixer's input.
    expect(roles(byId(a, 'left'))).toEqual(['conv-out:left', 'concat:concat', 'conv-in:mix']);
    expect(roles(byId(a, 'right'))).toEqual(['conv-out:right', 'concat:concat@6', 'conv-in:mix@6']);
    expect(roles(byId(a, 'mix'))).toEqual(['conv-out:mix', 'fc-in:fc']);
    expect(byId(a, 'x').reasons).toEqual(['it carries the graph input "x"']);
    expect(byId(a, 'fc').reasons).toEqual(['it reaches the graph output "y"']);
    expect(a.layerGroup.get('dw')).toBe('stem');
  });

  it.skipIf(defaultModelMissing)('default model: one group per pointwise output, depthwise follows, FC rows after GAP/Flatten', () => {
    const a = analyzeChannels(decodeModel(readBytes(DEFAULT_MODEL)));
    const prunable = a.groups.filter((g) => g.prunable);
    expect(prunable.map((g) => [g.id, g.size])).toEqual([
      ['/stem/conv/Conv', 24],
      ['/blocks/blocks.0/pw/conv/Conv', 48],
      ['/blocks/blocks.1/pw/conv/Conv', 96],
      ['/blocks/blocks.2/pw/conv/Conv', 96],
      ['/blocks/blocks.3/pw/conv/Conv', 192],
      ['/blocks/blocks.4/pw/conv/Conv', 192],
      ['/blocks/blocks.5/pw/conv/Conv', 256],
    ]);
    for (const [i, g] of prunable.slice(0, 6).entries()) {
      expect(roles(g)).toEqual([`conv-out:${g.id}`, `depthwise:/blocks/blocks.${i}/dw/conv/Conv`, `conv-in:/blocks/blocks.${i}/pw/conv/Conv`]);
    }
    expect(roles(prunable[6])).toEqual(['conv-out:/blocks/blocks.5/pw/conv/Conv', 'fc-in:/fc/Gemm']);
    const notPrunable = a.groups.filter((g) => !g.prunable);
    expect(notPrunable.map((g) => [g.id, g.reasons])).toEqual([
      ['input', ['it carries the graph input "input"']],
      ['/fc/Gemm', ['it reaches the graph output "logits"']],
    ]);
  });

  it.skipIf(thirdPartyMissing)('MLPerf Tiny KWS (tf2onnx): int8 weights behind DequantizeLinear, NHWC Reshape at the input, Reshape before the FC', () => {
    const a = analyzeChannels(decodeModel(readBytes(KWS)));
    const prunable = a.groups.filter((g) => g.prunable);
    expect(prunable.map((g) => g.size)).toEqual([64, 64, 64, 64, 64]);
    for (const g of prunable.slice(0, 4)) expect(roles(g).map((r) => r.split(':')[0])).toEqual(['conv-out', 'depthwise', 'conv-in']);
    expect(roles(prunable[4]).map((r) => r.split(':')[0])).toEqual(['conv-out', 'reshape', 'fc-in']);
    expect(roles(prunable[4])).toContain('reshape:functional_1/flatten/Reshape');
    const notPrunable = a.groups.filter((g) => !g.prunable);
    // The first conv reads the NHWC input through a Reshape ([1,49,10,1] -> [1,1,49,10]); the classifier ends in a softmax.
    expect(notPrunable).toHaveLength(2);
    expect(notPrunable[0].size).toBe(1);
    expect(notPrunable[0].reasons).toEqual([expect.stringMatching(/^it is produced by Reshape .* which reshapes \[1,49,10,1\] to \[1,1,49,10\] and mixes channels$/)]);
    expect(notPrunable[1].id).toBe('Gemm_26');
    expect(notPrunable[1].reasons).toEqual(['it is consumed by Softmax "Identity", which normalizes across channels']);
  });

  it.skipIf(thirdPartyMissing)('UltraFace slim (opset 9): branches share a group, detection heads are not prunable', () => {
    const a = analyzeChannels(decodeModel(readBytes(ULTRAFACE)));
    const prunable = a.groups.filter((g) => g.prunable);
    expect(prunable.map((g) => `${g.id}:${g.size}`)).toEqual([
      'Conv_0:16', 'Conv_4:32', 'Conv_8:32', 'Conv_12:32', 'Conv_16:64', 'Conv_20:64', 'Conv_24:64', 'Conv_28:64',
      'Conv_42:128', 'Conv_46:128', 'Conv_50:128', 'Conv_64:256', 'Conv_68:256', 'Conv_80:64', 'Conv_84:256',
    ]);
    // Conv_28 feeds the classification head, the regression head and the backbone: three depthwise convs, one group.
    expect(roles(byId(a, 'Conv_28'))).toEqual([
      'conv-out:Conv_28', 'depthwise:Conv_30', 'depthwise:Conv_35', 'depthwise:Conv_40', 'conv-in:Conv_32', 'conv-in:Conv_37', 'conv-in:Conv_42',
    ]);
    const heads = a.groups.filter((g) => !g.prunable && g.producers.length);
    expect(heads.map((g) => `${g.id}:${g.size}`)).toEqual([
      'Conv_32:6', 'Conv_37:12', 'Conv_54:4', 'Conv_59:8', 'Conv_72:4', 'Conv_77:8', 'Conv_86:6', 'Conv_89:12',
    ]);
    expect(byId(a, 'Conv_32').reasons).toEqual(['it is consumed by Transpose "Transpose_33", which moves the channel axis']);
    expect(byId(a, 'input').reasons).toEqual(['it carries the graph input "input"']);
  });
});

describe('importance and plans', () => {
  it('ranks by score, ties broken by lower channel index', () => {
    expect(topChannels([1, 2, 2, 1], 2)).toEqual([1, 2]);
    expect(topChannels([5, 5, 5, 5], 3)).toEqual([0, 1, 2]);
    expect(topChannels([0.1, 3, 0.2, 3, 0.3], 3)).toEqual([1, 3, 4]);
  });

  it('kept counts: ratio, at least one channel, rounded to a multiple of N', () => {
    expect(keptCount(48, 0.25)).toBe(36);
    expect(keptCount(48, 0.25, 8)).toBe(40); // 36 is 4.5 x 8: halves round up
    expect(keptCount(256, 0.3, 8)).toBe(176); // 179.2 -> 179 -> 22 x 8
    expect(keptCount(10, 0.95)).toBe(1);
    expect(keptCount(4, 0.9, 8)).toBe(4); // a group smaller than N stays whole
    expect(keptCount(24, 0, 8)).toBe(24);
  });

  it('L1 / L2 sum over every producer of a group; BN |gamma| sums over its BN nodes', () => {
    const model = residualModel(3, { stem: [0.1, 4, 0.2, 3, 0.3, 2, 0.4, 1] });
    const a = analyzeChannels(model);
    const stem = byId(a, 'stem');
    const w = (name: string) => tensorValues(model.graph!.initializer.find((t) => t.name === name)!);
    const stemW = w('stem.w');
    const pwW = w('pw.w');
    const l1 = Array.from({ length: 8 }, (_, c) => {
      let s = 0;
      for (let i = 0; i < 27; i++) s += Math.abs(stemW[c * 27 + i]);
      for (let i = 0; i < 8; i++) s += Math.abs(pwW[c * 8 + i]);
      return s;
    });
    const l2 = Array.from({ length: 8 }, (_, c) => {
      let s1 = 0;
      let s2 = 0;
      for (let i = 0; i < 27; i++) s1 += stemW[c * 27 + i] ** 2;
      for (let i = 0; i < 8; i++) s2 += pwW[c * 8 + i] ** 2;
      return Math.sqrt(s1) + Math.sqrt(s2);
    });
    const got = channelImportance(a, stem, 'l1');
    expect(got.criterion).toBe('l1');
    got.scores.forEach((s, c) => expect(s).toBeCloseTo(l1[c], 5));
    channelImportance(a, stem, 'l2').scores.forEach((s, c) => expect(s).toBeCloseTo(l2[c], 5));
    const gammaOf = (p: string) => w(`${p}.gamma`);
    const gamma = Array.from({ length: 8 }, (_, c) => ['stem.bn', 'dw.bn', 'pw.bn'].reduce((s, p) => s + Math.abs(gammaOf(p)[c]), 0));
    const bn = channelImportance(a, stem, 'bn-gamma');
    expect(bn.criterion).toBe('bn-gamma');
    bn.scores.forEach((s, c) => expect(s).toBeCloseTo(gamma[c], 5));
    // A group without BN nodes falls back to L1.
    expect(channelImportance(a, byId(a, 'mix'), 'bn-gamma').criterion).toBe('l1');
    const plan = makePrunePlan(a, { criterion: 'bn-gamma', groups: { stem: { keep: 4 } } });
    expect(plan.groups[0].keep).toEqual(topChannels(gamma, 4));
  });

  it('counts kept elements without listing them, and plans reuse the unpruned costs without sharing them', () => {
    const a = analyzeChannels(residualModel());
    const plans = [0.25, 0.5, 0.75].map((ratio) => makePrunePlan(a, { ratio }));
    expect(plans.some((p) => p.keep.size > 0)).toBe(true);
    for (const plan of plans) {
      for (const layout of a.layouts.values()) expect(keptAxisCount(layout, plan.keep)).toBe(keptAxisIndices(layout, plan.keep).length);
    }
    // A flattened tensor (several elements per channel) concatenated from two groups.
    const flat = [
      { group: 'a', size: 4, offset: 0, inner: 3 },
      { group: 'b', size: 2, offset: 12, inner: 5 },
    ];
    expect(keptAxisIndices(flat, new Map([['a', [1, 3]]]))).toHaveLength(2 * 3 + 2 * 5);
    expect(keptAxisCount(flat, new Map([['a', [1, 3]]]))).toBe(16);
    expect(keptAxisCount(flat, new Map([['a', [0]], ['b', [1]]]))).toBe(3 + 5);
    const unpruned = countCosts(a, new Map());
    for (const plan of plans) expect(plan.before).toEqual(unpruned);
    plans[0].before.params = -1; // a caller's copy: the next plan is not affected
    expect(makePrunePlan(a, { ratio: 0.5 }).before).toEqual(unpruned);
    expect(plans[1].predicted.params).toBeLessThan(unpruned.params);
  });

  it('rejects requests for unknown, unprunable or emptied groups', () => {
    const a = analyzeChannels(residualModel());
    expect(() => makePrunePlan(a, { groups: { nope: { ratio: 0.5 } } })).toThrow(/no channel group "nope"/);
    expect(() => makePrunePlan(a, { groups: { fc: { ratio: 0.5 } } })).toThrow(/cannot be pruned: it reaches the graph output "y"/);
    expect(() => makePrunePlan(a, { groups: { stem: { keep: 0 } } })).toThrow(/keep must be an integer from 1 to 8/);
    expect(() => makePrunePlan(a, { groups: { stem: { ratio: 1 } } })).toThrow(/ratio must be at least 0 and below 1/);
  });
});

describe('surgery', () => {
  it('slices any stored tensor on any axis, bit for bit', () => {
    const t = floatTensor('t', [2, 3, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const s = sliceTensor(t, 1, [0, 2]);
    expect(tensorDims(s)).toEqual([2, 2, 2]);
    expect(Array.from(tensorValues(s))).toEqual([0, 1, 4, 5, 6, 7, 10, 11]);
    const i = sliceTensor(int64Tensor('i', [4], [9, 8, 7, 6]), 0, [1, 3]);
    expect(Array.from(tensorValues(i))).toEqual([8, 6]);
  });

  it('residual + BN model: exact against the masked original, counts as predicted, shared bias split, nothing else changed', async () => {
    const model = residualModel();
    const { pruned, plan } = await checkExact(model, { ratio: 0.5 }, [2, 3, 8, 8]);
    expect(plan.groups.map((g) => [g.group, g.keep.length])).toEqual([
      ['stem', 4],
      ['left', 3],
      ['right', 3],
      ['mix', 8],
    ]);
    // Counts by hand (conv weights + biases, FC weights + biases; BN folds away), 8x8 pixels:
    // before: stem 8*27+8 = 224 (MACs 8*64*27 = 13,824), dw 8*9+8 = 80 (4,608), pw 8*8 = 64 (4,096),
    // left/right 6*8+6 = 54 each (3,072 each), mix 16*12+16 = 208 (12,288), fc 10*16+10 = 170 (160)
    // -> 854 params, 41,120 MACs. After: stem 4*27+4 = 112 (6,912), dw 4*9+4 = 40 (2,304), pw 4*4 = 16
    // (1,024), left/right 3*4+3 = 15 each (768 each), mix 8*6+8 = 56 (3,072), fc 10*8+10 = 90 (80)
    // -> 344 params, 14,928 MACs.
    expect(plan.before).toEqual({ params: 854, macs: 41_120 });
    expect(plan.predicted).toEqual({ params: 344, macs: 14_928 });
    const before = model.graph!;
    const after = pruned.graph!;
    expect(after.node.map((n) => [n.opType, n.name])).toEqual(before.node.map((n) => [n.opType, n.name]));
    expect(after.node.find((n) => n.name === 'dw')!.attribute.find((a) => a.name === 'group')!.i).toBe(4n);
    // left and right keep different channels, so their shared bias is split into two copies.
    const left = after.node.find((n) => n.name === 'left')!;
    const right = after.node.find((n) => n.name === 'right')!;
    expect(left.input[2]).not.toBe(right.input[2]);
    const init = (name: string) => after.initializer.find((t) => t.name === name)!;
    expect(tensorDims(init(left.input[2]))).toEqual([3]);
    expect(tensorDims(init('stem.w'))).toEqual([4, 3, 3, 3]);
    expect(tensorDims(init('pw.w'))).toEqual([4, 4, 1, 1]);
    expect(tensorDims(init('mix.w'))).toEqual([8, 6, 1, 1]);
    expect(tensorDims(init('fc.w'))).toEqual([10, 8]);
    expect(tensorDims(init('scale'))).toEqual([1, 4, 1, 1]);
    expect(tensorDims(init('pw.bn.var'))).toEqual([4]);
    // value_info follows the new shapes.
    const shapeOf = (name: string) => declared(after.valueInfo.find((v) => v.name === name));
    expect(shapeOf('r1')).toEqual(['N', 4n, 8n, 8n]);
    expect(shapeOf('cat')).toEqual(['N', 6n, 8n, 8n]);
    expect(shapeOf('flat')).toEqual(['N', 8n]);
    // Untouched tensors are identical, kept weights bit-identical.
    expect(init('fc.b')).toEqual(before.initializer.find((t) => t.name === 'fc.b'));
    const keptStem = plan.keep.get('stem')!;
    const oldStem = tensorValues(before.initializer.find((t) => t.name === 'stem.w')!);
    const newStem = tensorValues(init('stem.w'));
    keptStem.forEach((c, k) => expect(Array.from(newStem.subarray(k * 27, k * 27 + 27))).toEqual(Array.from(oldStem.subarray(c * 27, c * 27 + 27))));
  });

  it('an unpruned plan leaves the model as it is', () => {
    const model = residualModel();
    const { model: same, plan } = pruneModel(model, { ratio: 0 });
    expect(plan.keep.size).toBe(0);
    expect(same).toBe(model);
  });

  it('a pruning that is only partly applicable keeps the remaining groups whole', async () => {
    const model = residualModel(11);
    const a = analyzeChannels(model);
    const plan = makePrunePlan(a, { groups: { right: { keep: 2 } } });
    // by hand: right 2*8 + 2 = 18 (MACs 2*64*8 = 1,024), mix 16*(6+2) + 16 = 144 (16*64*8 = 8,192), the rest
    // as before (224 + 80 + 64 + 54 + 170; 13,824 + 4,608 + 4,096 + 3,072 + 160) -> 754 params, 34,976 MACs
    expect(plan.predicted).toEqual({ params: 754, macs: 34_976 });
    const pruned = applyPruning(model, a, plan.keep);
    const loaded = loadModel(encodeModel(pruned));
    expect({ params: loaded.summary.params, macs: loaded.summary.macs }).toEqual(plan.predicted);
    const cat = declared(pruned.graph!.valueInfo.find((v) => v.name === 'cat'));
    expect(cat).toEqual(['N', 8n, 8n, 8n]);
  });

  it.skipIf(defaultModelMissing)('default model at 50 % (round to 8): exact and as predicted', async () => {
    const { plan } = await checkExact(decodeModel(readBytes(DEFAULT_MODEL)), { ratio: 0.5, roundTo: 8 }, [2, 1, 28, 28]);
    expect(plan.groups.map((g) => g.keep.length)).toEqual([16, 24, 48, 48, 96, 96, 128]);
  });

  it.skipIf(thirdPartyMissing)('KWS at 40 %: weights behind DequantizeLinear sliced at the source, Reshape target rewritten', async () => {
    const model = decodeModel(readBytes(KWS));
    const { pruned } = await checkExact(model, { ratio: 0.4, criterion: 'l2' }, [1, 49, 10, 1]);
    const target = pruned.graph!.initializer.find((t) => t.name === 'const_fold_opt__171')!;
    expect(Array.from(tensorValues(target))).toEqual([-1, 38]);
    const dq = pruned.graph!.initializer.find((t) => t.name === 'functional_1/conv2d_1/Conv2D')!;
    expect(tensorDims(dq)).toEqual([38, 38, 1, 1]);
    expect(dq.dataType).toBe(model.graph!.initializer.find((t) => t.name === 'functional_1/conv2d_1/Conv2D')!.dataType);
  });

  it.skipIf(thirdPartyMissing)('UltraFace at 30 % (round to 4): exact on both outputs, IR 4 graph inputs updated', async () => {
    const model = decodeModel(readBytes(ULTRAFACE));
    const { pruned } = await checkExact(model, { ratio: 0.3, roundTo: 4 }, [1, 3, 240, 320], 5, 1e-4);
    const input = pruned.graph!.input.find((i) => i.name === '402')!;
    const weight = pruned.graph!.initializer.find((t) => t.name === '402')!;
    expect(declared(input)!.map(Number)).toEqual(tensorDims(weight));
    expect(tensorDims(weight)[0]).toBe(12);
  }, 300_000);
});
