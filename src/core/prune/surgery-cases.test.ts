/**
 * Surgery cases the residual model does not reach (issue 14: survivors of the prune mutation run,
 * and the checks only the third-party KWS / UltraFace models made): an FC feeding an FC (Gemm
 * with and without transB, MatMul), a Reshape whose stored target holds the feature count, weights
 * stored int8 behind DequantizeLinear, name collisions, and IR 3 graph inputs describing
 * initializers. Expected models are written out by hand (the kept rows and columns picked in the
 * test) and compared with the pruned ones in onnxruntime; scores and counts are derived by hand.
 */
import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { buildModel, node, tensorInfo } from '../onnx/builder.ts';
import type { ModelProto } from '../onnx/model.ts';
import { DataType, floatTensor, int64Tensor, tensorDims } from '../onnx/tensor.ts';
import { analyzeChannels, applyPruning, channelImportance, countCosts, keptSize, makePrunePlan, maskModel } from './index.ts';
import { randomValues, residualModel, seeded } from './testing.ts';
import { declared, initOf, runModel, values } from './surgery-testing.ts';



const int8Tensor = (name: string, dims: number[], v: number[]) =>
  create(TensorProtoSchema, { name, dataType: DataType.INT8, dims: dims.map(BigInt), rawData: new Uint8Array(Int8Array.from(v).buffer) });

// W1 as [K=4, N=3] (transB 0): column j is hidden unit j.
const W1 = [1, -2, 3, 0, 1, -1, 2, 0, 1, -1, 3, 0];
// W1 transposed, [N=3, K=4] (transB 1): row j is hidden unit j.
const W1T = [1, 0, 2, -1, -2, 1, 0, 3, 3, -1, 1, 0];
const B1 = [0.5, -1, 2];
// W2 as [3, 2]; transposed [2, 3].
const W2 = [1, 2, 3, -1, -2, 1];
const W2T = [1, 3, -2, 2, -1, 1];
const X = Float32Array.from([1, 2, -1, 0.5, -2, 1, 3, -1]); // two rows of 4 features

/** x[2,4] -> Gemm "h" (3 units, bias) -> Relu -> Gemm or MatMul "o" (2 outputs) -> y. */
function mlp(variant: 'gemm' | 'gemm-transB' | 'matmul'): ModelProto {
  const transB = variant === 'gemm-transB';
  return buildModel({
    inputs: [tensorInfo('x', [2, 4])],
    outputs: [tensorInfo('y', [2, 2])],
    initializers: [
      floatTensor('w1', transB ? [3, 4] : [4, 3], transB ? W1T : W1),
      floatTensor('b1', transB ? [1, 3] : [3], B1),
      floatTensor('w2', transB ? [2, 3] : [3, 2], transB ? W2T : W2),
      floatTensor('b2', [1], [0.25]),
    ],
    nodes: [
      node('Gemm', ['x', 'w1', 'b1'], ['h'], transB ? { transB: 1 } : {}, 'h'),
      node('Relu', ['h'], ['r']),
      variant === 'matmul' ? node('MatMul', ['r', 'w2'], ['y'], {}, 'o') : node('Gemm', ['r', 'w2', 'b2'], ['y'], transB ? { transB: 1 } : {}, 'o'),
    ],
  });
}

describe('an FC feeding an FC', () => {
  for (const variant of ['gemm', 'gemm-transB', 'matmul'] as const) {
    it(`${variant}: importance by column or row, weights sliced on the right axes, as the hand-pruned model in onnxruntime`, async () => {
      const model = mlp(variant);
      const a = analyzeChannels(model);
      const h = a.groups.find((g) => g.id === 'h')!;
      expect([h.size, h.prunable]).toEqual([3, true]);
      // L1 of unit j = sum over k of |W1[k, j]|: unit 0: 1+0+2+1 = 4; unit 1: 2+1+0+3 = 6; unit 2: 3+1+1+0 = 5
      expect(channelImportance(a, h, 'l1')).toEqual({ scores: [4, 6, 5], criterion: 'l1' });
      // L2: sqrt(1+0+4+1) = sqrt 6, sqrt(4+1+0+9) = sqrt 14, sqrt(9+1+1+0) = sqrt 11
      channelImportance(a, h, 'l2').scores.forEach((s, j) => expect(s).toBeCloseTo(Math.sqrt([6, 14, 11][j]), 12));
      // A ratio of 1/3 keeps round(3 * 2/3) = 2 units: the two highest L1 scores, 1 and 2.
      const plan = makePrunePlan(a, { ratio: 1 / 3 });
      expect(plan.groups).toEqual([{ group: 'h', size: 3, keep: [1, 2], removed: [0], criterion: 'l1', scores: [4, 6, 5] }]);
      // params (layer view: a bias counts one per output feature, the broadcast [1] one too): h 4*3 + 3 = 15,
      // o 3*2 (+2 for the Gemm's bias) -> 21 or 23; after: 4*2 + 2 = 10, 2*2 (+2) -> 14 or 16
      const bias2 = variant === 'matmul' ? 0 : 2;
      expect(plan.before.params).toBe(15 + 6 + bias2);
      expect(plan.predicted.params).toBe(10 + 4 + bias2);
      // MACs: 4*3 + 3*2 = 18 -> 4*2 + 2*2 = 12 (one row per sample)
      expect([plan.before.macs, plan.predicted.macs]).toEqual([18, 12]);
      const pruned = applyPruning(model, a, plan.keep);
      // By hand: unit 0 removed -> W1 loses column 0 (transB: row 0), b1 its entry 0, W2 its row 0 (transB: column 0).
      if (variant === 'gemm-transB') {
        expect(values(initOf(pruned, 'w1'))).toEqual([-2, 1, 0, 3, 3, -1, 1, 0]);
        expect(tensorDims(initOf(pruned, 'b1'))).toEqual([1, 2]);
        expect(values(initOf(pruned, 'w2'))).toEqual([3, -2, -1, 1]);
        expect(tensorDims(initOf(pruned, 'w2'))).toEqual([2, 2]);
      } else {
        expect(values(initOf(pruned, 'w1'))).toEqual([-2, 3, 1, -1, 0, 1, 3, 0]);
        expect(tensorDims(initOf(pruned, 'w1'))).toEqual([4, 2]);
        expect(values(initOf(pruned, 'w2'))).toEqual([3, -1, -2, 1]);
      }
      expect(values(initOf(pruned, 'b1'))).toEqual([-1, 2]);
      expect(values(initOf(pruned, 'b2'))).toEqual([0.25]); // a [1] bias broadcasts: untouched
      const transB = variant === 'gemm-transB';
      const byHand = buildModel({
        inputs: [tensorInfo('x', [2, 4])],
        outputs: [tensorInfo('y', [2, 2])],
        initializers: [
          floatTensor('w1', transB ? [2, 4] : [4, 2], transB ? [-2, 1, 0, 3, 3, -1, 1, 0] : [-2, 3, 1, -1, 0, 1, 3, 0]),
          floatTensor('b1', [2], [-1, 2]),
          floatTensor('w2', [2, 2], transB ? [3, -2, -1, 1] : [3, -1, -2, 1]),
          floatTensor('b2', [1], [0.25]),
        ],
        nodes: [
          node('Gemm', ['x', 'w1', 'b1'], ['h'], transB ? { transB: 1 } : {}, 'h'),
          node('Relu', ['h'], ['r']),
          variant === 'matmul' ? node('MatMul', ['r', 'w2'], ['y'], {}, 'o') : node('Gemm', ['r', 'w2', 'b2'], ['y'], transB ? { transB: 1 } : {}, 'o'),
        ],
      });
      const [got, want] = [await runModel(pruned, X, [2, 4]), await runModel(byHand, X, [2, 4])];
      expect(Array.from(got)).toEqual(Array.from(want));
    });
  }
});

describe('a Reshape whose stored target holds the feature count', () => {
  // x[1,3,2,2] -> Conv "a" (4 filters, 1x1) -> Reshape to [-1, 16] -> Gemm "fc" (transB, 2 outputs) -> y
  const wa = [1, 0, -1, 2, 1, 0, 0, -1, 1, -2, 0.5, 1];
  const wfc = Array.from({ length: 32 }, (_, i) => ((i * 7) % 5) - 2);
  const model = () =>
    buildModel({
      inputs: [tensorInfo('x', [1, 3, 2, 2])],
      outputs: [tensorInfo('y', [1, 2])],
      initializers: [floatTensor('wa', [4, 3, 1, 1], wa), int64Tensor('target', [2], [-1, 16]), floatTensor('wfc', [2, 16], wfc)],
      nodes: [node('Conv', ['x', 'wa'], ['a'], {}, 'a'), node('Reshape', ['a', 'target'], ['flat'], {}, 'flatten'), node('Gemm', ['flat', 'wfc'], ['y'], { transB: 1 }, 'fc')],
    });

  it('keeping filters 0 and 3 rewrites the target to [-1, 8] and keeps FC columns 0-3 and 12-15', async () => {
    const m = model();
    const a = analyzeChannels(m);
    const g = a.groups.find((x) => x.id === 'a')!;
    expect(g.members.map((x) => `${x.role}:${x.node}:${x.inner}`)).toEqual(['conv-out:a:1', 'reshape:flatten:1', 'passthrough:flatten:1', 'fc-in:fc:4']);
    const keep = new Map([['a', [0, 3]]]);
    // keptSize: 2 channels x 4 positions of the flattened tensor; a weight has no layout: its axis 1 as stored
    expect(keptSize(a, 'flat', keep)).toBe(8);
    expect(keptSize(a, 'wa', keep)).toBe(3);
    expect(keptSize(a, 'nothing-by-this-name', keep)).toBe(0);
    const pruned = applyPruning(m, a, keep);
    expect(values(initOf(pruned, 'target'))).toEqual([-1, 8]);
    expect(values(initOf(pruned, 'wa'))).toEqual([1, 0, -1, -2, 0.5, 1]);
    const cols = [0, 1, 2, 3, 12, 13, 14, 15];
    const keptFc = [0, 1].flatMap((row) => cols.map((c) => wfc[row * 16 + c]));
    expect(values(initOf(pruned, 'wfc'))).toEqual(keptFc);
    const byHand = buildModel({
      inputs: [tensorInfo('x', [1, 3, 2, 2])],
      outputs: [tensorInfo('y', [1, 2])],
      initializers: [floatTensor('wa', [2, 3, 1, 1], [1, 0, -1, -2, 0.5, 1]), int64Tensor('target', [2], [-1, 8]), floatTensor('wfc', [2, 8], keptFc)],
      nodes: [node('Conv', ['x', 'wa'], ['a'], {}, 'a'), node('Reshape', ['a', 'target'], ['flat'], {}, 'flatten'), node('Gemm', ['flat', 'wfc'], ['y'], { transB: 1 }, 'fc')],
    });
    const x = Float32Array.from(randomValues(seeded(4), 12, 2));
    expect(Array.from(await runModel(pruned, x, [1, 3, 2, 2]))).toEqual(Array.from(await runModel(byHand, x, [1, 3, 2, 2])));
  });
});

describe('weights stored int8 behind DequantizeLinear', () => {
  // x[1,3,2,2] -> Conv "a" (weights DQ(int8 [4,3,1,1], per-filter scale and zero point on axis 0)) -> Relu
  // -> Conv "b" (weights DQ(int8 [2,4,1,1], one scale, one zero point)) -> y
  const qa = [10, -20, 30, 5, 6, -7, -100, 50, 25, 1, 2, 3];
  const qb = [4, -3, 2, -1, 1, 2, -3, 4];
  const build = (keepA: number[] | null, alsoRead = false) => {
    const k = keepA ?? [0, 1, 2, 3];
    return buildModel({
      inputs: [tensorInfo('x', [1, 3, 2, 2])],
      outputs: [tensorInfo('y', [1, 2, 2, 2])],
      initializers: [
        int8Tensor('qa', [k.length, 3, 1, 1], k.flatMap((f) => qa.slice(f * 3, f * 3 + 3))),
        floatTensor('sa', [k.length], k.map((f) => [0.01, 0.02, 0.03, 0.04][f])),
        int8Tensor('za', [k.length], k.map((f) => [0, 1, -1, 2][f])),
        int8Tensor('qb', [2, k.length, 1, 1], [0, 1].flatMap((row) => k.map((f) => qb[row * 4 + f]))),
        floatTensor('sb', [], [0.05]),
        int8Tensor('zb', [], [0]),
      ],
      nodes: [
        node('DequantizeLinear', ['qa', 'sa', 'za'], ['wa'], { axis: 0 }, 'dqa'),
        node('Conv', ['x', 'wa'], ['a'], {}, 'a'),
        node('Relu', ['a'], ['r']),
        node('DequantizeLinear', ['qb', 'sb', 'zb'], ['wb'], {}, 'dqb'),
        node('Conv', ['r', 'wb'], ['y'], {}, 'b'),
        // another reader of the per-filter scale and zero point (their outputs unused)
        ...(alsoRead ? [node('Identity', ['sa'], ['sa_seen'], {}, 'seen_s'), node('Identity', ['za'], ['za_seen'], {}, 'seen_z')] : []),
      ],
    });
  };

  it('slices the int8 weights and the per-filter scale and zero point at the source; the per-tensor ones stay', async () => {
    const model = build(null);
    const a = analyzeChannels(model);
    const g = a.groups.find((x) => x.id === 'a')!;
    expect(g.prunable).toBe(true);
    // Importance reads the dequantized weights, scale * (q - zero point): filter 0: 0.01 * (10 + 20 + 30) = 0.6;
    // 1: 0.02 * (4 + 5 + 8) = 0.34; 2: 0.03 * (99 + 51 + 26) = 5.28; 3: 0.04 * (1 + 0 + 1) = 0.08
    channelImportance(a, g, 'l1').scores.forEach((s, f) => expect(s).toBeCloseTo([0.6, 0.34, 5.28, 0.08][f], 6));
    const keep = new Map([['a', [0, 3]]]);
    const pruned = applyPruning(model, a, keep);
    const raw = (name: string) => Array.from(new Int8Array(initOf(pruned, name).rawData.slice().buffer));
    // filters 0 and 3 of qa: [10 -20 30] and [25 1 2]... by hand from the list above: indices 0-2 and 9-11
    expect(raw('qa')).toEqual([10, -20, 30, 1, 2, 3]);
    expect(tensorDims(initOf(pruned, 'qa'))).toEqual([2, 3, 1, 1]);
    expect(initOf(pruned, 'qa').dataType).toBe(DataType.INT8);
    expect(values(initOf(pruned, 'sa'))).toEqual([Math.fround(0.01), Math.fround(0.04)]);
    expect(raw('za')).toEqual([0, 2]);
    // qb keeps input channels 0 and 3 of each of its 2 filters: [4 -1] and [1 4]
    expect(raw('qb')).toEqual([4, -1, 1, 4]);
    expect(initOf(pruned, 'sb')).toEqual(initOf(model, 'sb'));
    expect(initOf(pruned, 'zb')).toEqual(initOf(model, 'zb'));
    const x = Float32Array.from(randomValues(seeded(9), 12, 2));
    const [got, want] = [await runModel(pruned, x, [1, 3, 2, 2]), await runModel(build([0, 3]), x, [1, 3, 2, 2])];
    expect(Array.from(got)).toEqual(Array.from(want));
    // When something else reads the scale and zero point, the DequantizeLinear gets sliced copies in
    // inputs 1 and 2; the other reader keeps the originals.
    const shared = build(null, true);
    const both = applyPruning(shared, analyzeChannels(shared), keep);
    const inputsOf = (name: string) => both.graph!.node.find((n) => n.name === name)!.input;
    expect(inputsOf('dqa')).toEqual(['qa', 'sa_pruned', 'za_pruned']);
    expect([inputsOf('seen_s'), inputsOf('seen_z')]).toEqual([['sa'], ['za']]);
    expect(values(initOf(both, 'sa_pruned'))).toEqual([Math.fround(0.01), Math.fround(0.04)]);
    expect(initOf(both, 'sa')).toEqual(initOf(shared, 'sa'));
    expect(Array.from(await runModel(both, x, [1, 3, 2, 2]))).toEqual(Array.from(want));
  });
});

describe('names and bookkeeping', () => {
  it('refuses an analysis of another model', () => {
    const model = residualModel();
    const a = analyzeChannels(residualModel());
    expect(() => applyPruning(model, a, new Map([['stem', [0]]]))).toThrow('The channel analysis belongs to a different model.');
  });

  it('split copies of a shared initializer take the first free name: _pruned is taken, so _pruned2 and _pruned3', async () => {
    const model = residualModel();
    // an unrelated tensor already holds the first name the split would use
    model.graph!.initializer.push(floatTensor('shared.b_pruned', [1], [42]));
    model.graph!.output.push(tensorInfo('shared.b_pruned', [1]));
    const a = analyzeChannels(model);
    const pruned = applyPruning(model, a, new Map([['left', [0, 1, 2]], ['right', [3, 4, 5]]]));
    const inputs = (name: string) => pruned.graph!.node.find((n) => n.name === name)!.input;
    expect(inputs('left')[2]).toBe('shared.b_pruned2');
    expect(inputs('right')[2]).toBe('shared.b_pruned3');
    expect(values(initOf(pruned, 'shared.b_pruned'))).toEqual([42]);
    const shared = values(initOf(model, 'shared.b'));
    expect(values(initOf(pruned, 'shared.b_pruned2'))).toEqual(shared.slice(0, 3).map(Math.fround));
    expect(values(initOf(pruned, 'shared.b_pruned3'))).toEqual(shared.slice(3, 6).map(Math.fround));
    expect(pruned.graph!.initializer.filter((t) => t.name === 'shared.b_pruned')).toHaveLength(1);
  });

  it('a mask model inserts one Mul right before each reader of a pruned group, under names not yet taken', () => {
    const model = residualModel();
    model.graph!.node.find((n) => n.name === 'concat')!.name = ''; // an unnamed node keeps the name edgefold gave it
    model.graph!.initializer.push(floatTensor('s1_mask', [1], [1]), floatTensor('s1_mask_2', [1], [1]));
    const a = analyzeChannels(model);
    // "left" loses channels: its readers are conv "mix" (conv-in, through the Concat). "stem" loses
    // channels: its readers are conv "pw" (tensor rd), and convs "left" and "right" (tensor s1).
    const masked = maskModel(model, a, new Map([['left', [0, 2, 4]], ['stem', [1, 2, 3, 4, 5, 6, 7]]]));
    const muls = masked.graph!.node.filter((n) => n.opType === 'Mul' && n.name !== 'channel_scale');
    expect(muls.map((n) => [n.name, n.input.join(',')])).toEqual([
      ['pw_mask', 'rd,rd_mask'],
      ['left_mask', 's1,s1_mask_3'],
      ['right_mask', 's1,s1_mask_4'],
      ['mix_mask', 'cat,cat_mask'],
    ]);
    const order = masked.graph!.node.map((n) => n.name);
    for (const [mul, reader] of [['pw_mask', 'pw'], ['left_mask', 'left'], ['right_mask', 'right'], ['mix_mask', 'mix']]) {
      expect(order.indexOf(reader) - order.indexOf(mul), mul).toBe(1);
    }
    expect(order).toContain('Concat_15');
    expect(masked.graph!.node.length).toBe(model.graph!.node.length + 4);
    // mask of the stem group on s1: channel 0 removed; of "left" within cat: 12 entries, left's 1, 3, 5 removed
    const mask = (name: string) => values(initOf(masked, name));
    expect(mask('s1_mask_3')).toEqual([0, 1, 1, 1, 1, 1, 1, 1]);
    expect(mask('cat_mask')).toEqual([1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1]);
    expect(tensorDims(initOf(masked, 'cat_mask'))).toEqual([1, 12, 1, 1]);
  });

  it('IR 3 graph inputs that describe initializers get the sliced dims', () => {
    const model = residualModel();
    model.irVersion = 3n;
    model.graph!.input.push(tensorInfo('stem.w', [8, 3, 3, 3]), tensorInfo('mix.w', [16, 12, 1, 1]));
    // value_info without a shape stays without one
    model.graph!.valueInfo = model.graph!.valueInfo.map((v) => (v.name === 'cat' ? tensorInfo('cat') : v));
    const a = analyzeChannels(model);
    const pruned = applyPruning(model, a, new Map([['stem', [0, 1, 2, 3]]]));
    const input = (name: string) => declared(pruned.graph!.input.find((i) => i.name === name));
    expect(input('stem.w')).toEqual([4n, 3n, 3n, 3n]);
    expect(input('mix.w')).toEqual([16n, 12n, 1n, 1n]);
    expect(input('x')).toEqual(['N', 3n, 8n, 8n]);
    const cat = pruned.graph!.valueInfo.find((v) => v.name === 'cat')!;
    expect(cat.type?.value.case === 'tensorType' && cat.type.value.value.shape).toBeFalsy();
    expect(declared(pruned.graph!.valueInfo.find((v) => v.name === 'r1'))).toEqual(['N', 4n, 8n, 8n]);
  });
});

describe('counts of layers pruning does not touch', () => {
  it('a layer with neither conv nor FC channels adds its own params and MACs', () => {
    // countCosts on the residual model without pruning: 854 params, 41,120 MACs (by hand in prune.test.ts);
    // the BN layers fold away (0 params, 0 MACs) and pooling adds no params.
    expect(countCosts(analyzeChannels(residualModel()), new Map())).toEqual({ params: 854, macs: 41_120 });
  });
});

describe('BN |gamma| importance on a flattened tensor', () => {
  it('sums each channel block of gamma (4 features per channel after the Flatten)', () => {
    // x[1,3,2,2] -> Conv "a" (4 filters) -> Flatten -> [1,16] -> BatchNormalization (16 features) -> Gemm -> y
    const gamma = [1, -1, 2, 0, 0.5, 0.5, 0.5, 0.5, -3, 0, 0, 1, 0.25, 0, 0, 0];
    const model = buildModel({
      inputs: [tensorInfo('x', [1, 3, 2, 2])],
      outputs: [tensorInfo('y', [1, 2])],
      initializers: [
        floatTensor('wa', [4, 3, 1, 1], randomValues(seeded(2), 12)),
        floatTensor('g', [16], gamma),
        ...['b', 'mu'].map((n) => floatTensor(n, [16], new Array<number>(16).fill(0))),
        floatTensor('v', [16], new Array<number>(16).fill(1)),
        floatTensor('wfc', [2, 16], randomValues(seeded(3), 32)),
      ],
      nodes: [
        node('Conv', ['x', 'wa'], ['a'], {}, 'a'),
        node('Flatten', ['a'], ['flat'], { axis: 1 }),
        node('BatchNormalization', ['flat', 'g', 'b', 'mu', 'v'], ['bn'], {}, 'bn'),
        node('Gemm', ['bn', 'wfc'], ['y'], { transB: 1 }, 'fc'),
      ],
    });
    const a = analyzeChannels(model);
    const g = a.groups.find((x) => x.id === 'a')!;
    // channel 0: 1 + 1 + 2 + 0 = 4; 1: 4 * 0.5 = 2; 2: 3 + 0 + 0 + 1 = 4; 3: 0.25
    expect(channelImportance(a, g, 'bn-gamma')).toEqual({ scores: [4, 2, 4, 0.25], criterion: 'bn-gamma' });
    // without a criterion the plan ranks by L1 and says so
    expect(makePrunePlan(a, { groups: { a: { keep: 3 } } }).groups[0].criterion).toBe('l1');
  });
});
