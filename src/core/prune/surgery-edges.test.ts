/**
 * Edges of the pruning surgery (issue 14: survivors of the surgery.ts mutation run): refusals,
 * two per-channel constants on one node, FC biases of every shape, a weight shared by convs whose
 * edits arrive in different orders, DequantizeLinear scales on and off the pruned axis, names the
 * split copies must avoid, a Reshape target shared by two Reshapes, and value_info / graph input
 * entries the shape update must leave alone. Expected tensors are picked by hand in each test
 * (the arithmetic in comments); outputs are compared in onnxruntime with a model written out by hand
 * from the kept channels.
 */
import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema, ValueInfoProtoSchema, type TensorProto } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { EdgefoldError } from '../errors.ts';
import { buildModel, node, tensorInfo } from '../onnx/builder.ts';
import type { ModelProto } from '../onnx/model.ts';
import { DataType, floatTensor, int64Tensor, tensorDims } from '../onnx/tensor.ts';
import { analyzeChannels, applyPruning } from './index.ts';
import { randomValues, residualModel, seeded } from './testing.ts';
import { declared, initOf, runModel, values } from './surgery-testing.ts';



const inputsOf = (m: ModelProto, name: string) => m.graph!.node.find((n) => n.name === name)!.input;
const int8Tensor = (name: string, dims: number[], v: number[]) =>
  create(TensorProtoSchema, { name, dataType: DataType.INT8, dims: dims.map(BigInt), rawData: new Uint8Array(Int8Array.from(v).buffer) });
const int8Of = (m: ModelProto, name: string) => Array.from(new Int8Array(initOf(m, name).rawData.slice().buffer));
const f32 = (v: number[]) => v.map(Math.fround);
/** Rows `rows` and columns `cols` of a row-major [r, c] matrix. */
const pick = (m: number[], c: number, rows: number[], cols: number[]) => rows.flatMap((r) => cols.map((j) => m[r * c + j]));
const X4 = Float32Array.from(randomValues(seeded(11), 12, 2)); // x[1,3,2,2]

function thrown(fn: () => unknown): EdgefoldError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EdgefoldError);
    return error as EdgefoldError;
  }
  throw new Error('did not throw');
}

describe('refusals', () => {
  it('an analysis of another model: internal, no field, says so', () => {
    const e = thrown(() => applyPruning(residualModel(), analyzeChannels(residualModel()), new Map([['stem', [0]]])));
    expect([e.code, e.field]).toEqual(['internal', undefined]);
    expect(e.message).toBe('The channel analysis belongs to a different model.');
  });

  it('a bias computed by a node (here an Identity) cannot be sliced: the group is unprunable, applying it anyway throws naming the layer and why', () => {
    // x[1,3,2,2] -> Conv "a" (4 filters, bias = Identity(b)) -> Relu -> Conv "b" (2 filters) -> y
    const model = buildModel({
      inputs: [tensorInfo('x', [1, 3, 2, 2])],
      outputs: [tensorInfo('y', [1, 2, 2, 2])],
      initializers: [floatTensor('wa', [4, 3, 1, 1], randomValues(seeded(1), 12)), floatTensor('b', [4], [1, 2, 3, 4]), floatTensor('wb', [2, 4, 1, 1], randomValues(seeded(2), 8))],
      nodes: [node('Identity', ['b'], ['bc'], {}, 'id'), node('Conv', ['x', 'wa', 'bc'], ['a'], {}, 'a'), node('Relu', ['a'], ['r']), node('Conv', ['r', 'wb'], ['y'], {}, 'b')],
    });
    const a = analyzeChannels(model);
    expect(a.groups.find((g) => g.id === 'a')!.prunable).toBe(false);
    const e = thrown(() => applyPruning(model, a, new Map([['a', [0, 1]]])));
    expect([e.code, e.field]).toEqual(['internal', undefined]);
    expect(e.message).toBe('Cannot prune Conv "a": "bc" is computed by Identity "id", not stored as an initializer.');
  });
});

describe('a Sum with two per-channel constants', () => {
  // x[1,3,2,2] -> Conv "a" (4 filters) -> Sum(a, c1 [1,4,1,1], c2 [4,1,1]) -> Relu -> Conv "b" (2 filters) -> y
  const wa = randomValues(seeded(3), 12);
  const c1 = [0.5, -1, 2, 0.25];
  const c2 = [3, -2, 1, -0.5];
  const wb = [1, -2, 0.5, 3, -1, 2, 1.5, -0.5];
  const build = (k = [0, 1, 2, 3]) =>
    buildModel({
      inputs: [tensorInfo('x', [1, 3, 2, 2])],
      outputs: [tensorInfo('y', [1, 2, 2, 2])],
      initializers: [
        floatTensor('wa', [k.length, 3, 1, 1], pick(wa, 3, k, [0, 1, 2])),
        floatTensor('c1', [1, k.length, 1, 1], k.map((f) => c1[f])),
        floatTensor('c2', [k.length, 1, 1], k.map((f) => c2[f])),
        floatTensor('wb', [2, k.length, 1, 1], pick(wb, 4, [0, 1], k)),
      ],
      nodes: [node('Conv', ['x', 'wa'], ['a'], {}, 'a'), node('Sum', ['a', 'c1', 'c2'], ['s'], {}, 'sum'), node('Relu', ['s'], ['r']), node('Conv', ['r', 'wb'], ['y'], {}, 'b')],
    });

  it('slices both constants (inputs 1 and 2 of the same node)', async () => {
    const model = build();
    const a = analyzeChannels(model);
    const pruned = applyPruning(model, a, new Map([['a', [1, 3]]]));
    // filters 1 and 3: c1 -> [-1, 0.25] as [1,2,1,1]; c2 -> [-2, -0.5] as [2,1,1]
    expect([values(initOf(pruned, 'c1')), tensorDims(initOf(pruned, 'c1'))]).toEqual([[-1, 0.25], [1, 2, 1, 1]]);
    expect([values(initOf(pruned, 'c2')), tensorDims(initOf(pruned, 'c2'))]).toEqual([[-2, -0.5], [2, 1, 1]]);
    // wb keeps input channels 1 and 3 of each filter: [-2, 3] and [2, -0.5]
    expect(values(initOf(pruned, 'wb'))).toEqual([-2, 3, 2, -0.5]);
    expect(Array.from(await runModel(pruned, X4, [1, 3, 2, 2]))).toEqual(Array.from(await runModel(build([1, 3]), X4, [1, 3, 2, 2])));
  });
});

describe('an FC layer producing the pruned features: weight axis by op and transB, bias by shape', () => {
  // x[2,4] -> "h" (3 units) -> Relu -> "o" (2 outputs) -> y.  W1 [K=4, N=3]: column j is unit j.
  const W1 = [1, -2, 3, 0, 1, -1, 2, 0, 1, -1, 3, 0];
  const W2 = [1, 2, 3, -1, -2, 1]; // [3, 2]: row j reads unit j
  const transpose = (m: number[], r: number, c: number) => Array.from({ length: r * c }, (_, i) => m[(i % r) * c + Math.floor(i / r)]);
  type Bias = 'none' | '[1]' | '[3]' | '[1,3]';
  interface Variant {
    h: 'gemm' | 'gemm-transB' | 'matmul';
    bias: Bias;
    o: 'gemm' | 'gemm-transB' | 'matmul';
  }
  const build = (v: Variant, k = [0, 1, 2]) => {
    const w1 = pick(W1, 3, [0, 1, 2, 3], k); // [4, k]
    const w2 = pick(W2, 2, k, [0, 1]); // [k, 2]
    const b1 = [0.5, -1, 2];
    const bias: Record<Bias, TensorProto[]> = {
      none: [],
      '[1]': [floatTensor('b1', [1], [0.75])],
      '[3]': [floatTensor('b1', [k.length], k.map((j) => b1[j]))],
      '[1,3]': [floatTensor('b1', [1, k.length], k.map((j) => b1[j]))],
    };
    return buildModel({
      inputs: [tensorInfo('x', [2, 4])],
      outputs: [tensorInfo('y', [2, 2])],
      initializers: [
        v.h === 'gemm-transB' ? floatTensor('w1', [k.length, 4], transpose(w1, 4, k.length)) : floatTensor('w1', [4, k.length], w1),
        ...bias[v.bias],
        v.o === 'gemm-transB' ? floatTensor('w2', [2, k.length], transpose(w2, k.length, 2)) : floatTensor('w2', [k.length, 2], w2),
      ],
      nodes: [
        v.h === 'matmul' ? node('MatMul', ['x', 'w1'], ['h'], {}, 'h') : node('Gemm', ['x', 'w1', ...(v.bias === 'none' ? [] : ['b1'])], ['h'], v.h === 'gemm-transB' ? { transB: 1 } : {}, 'h'),
        node('Relu', ['h'], ['r']),
        v.o === 'matmul' ? node('MatMul', ['r', 'w2'], ['y'], {}, 'o') : node('Gemm', ['r', 'w2'], ['y'], v.o === 'gemm-transB' ? { transB: 1 } : {}, 'o'),
      ],
    });
  };
  const X = Float32Array.from([1, 2, -1, 0.5, -2, 1, 3, -1]);
  const variants: Variant[] = [
    { h: 'gemm', bias: '[1,3]', o: 'matmul' },
    { h: 'gemm', bias: 'none', o: 'gemm' },
    { h: 'matmul', bias: 'none', o: 'gemm-transB' },
    { h: 'gemm-transB', bias: '[1]', o: 'gemm' },
    { h: 'gemm', bias: '[3]', o: 'gemm-transB' },
  ];
  for (const v of variants) {
    it(`${v.h} (bias ${v.bias}) -> ${v.o}: keeping units 0 and 2 gives the hand-pruned model`, async () => {
      const model = build(v);
      const pruned = applyPruning(model, analyzeChannels(model), new Map([['h', [0, 2]]]));
      // W1 columns 0 and 2: rows [1 3] [0 -1] [2 1] [-1 0]; W2 rows 0 and 2: [1 2] [-2 1]
      const w1 = [1, 3, 0, -1, 2, 1, -1, 0];
      expect(values(initOf(pruned, 'w1'))).toEqual(v.h === 'gemm-transB' ? transpose(w1, 4, 2) : w1);
      expect(tensorDims(initOf(pruned, 'w1'))).toEqual(v.h === 'gemm-transB' ? [2, 4] : [4, 2]);
      expect(values(initOf(pruned, 'w2'))).toEqual(v.o === 'gemm-transB' ? [1, -2, 2, 1] : [1, 2, -2, 1]);
      // a bias [3] or [1,3] keeps entries 0 and 2 (0.5, 2) on its last axis; a [1] bias broadcasts and stays
      if (v.bias === '[1]') expect([values(initOf(pruned, 'b1')), tensorDims(initOf(pruned, 'b1'))]).toEqual([[0.75], [1]]);
      if (v.bias === '[3]') expect([values(initOf(pruned, 'b1')), tensorDims(initOf(pruned, 'b1'))]).toEqual([[0.5, 2], [2]]);
      if (v.bias === '[1,3]') expect([values(initOf(pruned, 'b1')), tensorDims(initOf(pruned, 'b1'))]).toEqual([[0.5, 2], [1, 2]]);
      expect(Array.from(await runModel(pruned, X, [2, 4]))).toEqual(Array.from(await runModel(build(v, [0, 2]), X, [2, 4])));
    });
  }
});

describe('one weight shared by two convs whose edits arrive in opposite orders', () => {
  // x[1,3,2,2] -> Conv "S" (ws) -> s; Conv "P"(s, w) -> Relu -> Conv "Q"(., w) -> q; Add(s, q) -> Relu -> Conv "Z" -> y.
  // The residual ties S and Q (group "S"); P is group "P". Group S is visited first, so P's weight edit
  // gets its input-channel slice (axis 1) first and Q's its filter slice (axis 0) first. Keeping the
  // same channels [0, 2] in both groups, both convs want w sliced identically: one edit in place.
  const W = [1, 2, 3, 4, 5, 6, 7, 8, 9]; // [3, 3, 1, 1]: filter o, input i at 3o + i
  const ws = randomValues(seeded(5), 9);
  const wz = randomValues(seeded(6), 6);
  const build = (k = [0, 1, 2]) =>
    buildModel({
      inputs: [tensorInfo('x', [1, 3, 2, 2])],
      outputs: [tensorInfo('y', [1, 2, 2, 2])],
      initializers: [
        floatTensor('ws', [k.length, 3, 1, 1], pick(ws, 3, k, [0, 1, 2])),
        floatTensor('w', [k.length, k.length, 1, 1], pick(W, 3, k, k)),
        floatTensor('wz', [2, k.length, 1, 1], pick(wz, 3, [0, 1], k)),
      ],
      nodes: [
        node('Conv', ['x', 'ws'], ['s'], {}, 'S'),
        node('Conv', ['s', 'w'], ['p'], {}, 'P'),
        node('Relu', ['p'], ['pr']),
        node('Conv', ['pr', 'w'], ['q'], {}, 'Q'),
        node('Add', ['s', 'q'], ['a']),
        node('Relu', ['a'], ['ar']),
        node('Conv', ['ar', 'wz'], ['y'], {}, 'Z'),
      ],
    });

  it('is sliced once, in place, to rows and columns 0 and 2', async () => {
    const model = build();
    const a = analyzeChannels(model);
    const ids = a.groups.map((g) => g.id);
    expect(ids.indexOf('S')).toBeLessThan(ids.indexOf('P'));
    const pruned = applyPruning(model, a, new Map([['S', [0, 2]], ['P', [0, 2]]]));
    // rows 0, 2 and columns 0, 2 of [[1 2 3] [4 5 6] [7 8 9]] -> [1 3 7 9]
    expect(values(initOf(pruned, 'w'))).toEqual([1, 3, 7, 9]);
    expect(pruned.graph!.initializer.map((t) => t.name)).toEqual(['ws', 'w', 'wz']);
    expect([inputsOf(pruned, 'P')[1], inputsOf(pruned, 'Q')[1]]).toEqual(['w', 'w']);
    expect(Array.from(await runModel(pruned, X4, [1, 3, 2, 2]))).toEqual(Array.from(await runModel(build([0, 2]), X4, [1, 3, 2, 2])));
  });
});

describe('DequantizeLinear scales on and off the sliced axis', () => {
  // x[1,3,2,2] -> Conv "a" (DQ: qa int8 [4,3,1,1], one-element scale sa [1], no zero point)
  //   -> Relu -> Conv "b" (DQ axis 1, per input channel: qb int8 [4,4,1,1], sb [4], zb [4])
  //   -> Relu -> Conv "c" (DQ axis 0, per filter: qc int8 [2,4,1,1], sc [2], zc [2]) -> y
  const qa = [10, -20, 30, 5, 6, -7, -100, 50, 25, 1, 2, 3];
  const qb = [1, 2, 3, 4, -1, -2, -3, -4, 5, 6, 7, 8, -5, -6, -7, -8];
  const sb = [0.1, 0.2, 0.3, 0.4];
  const zb = [0, 1, -1, 2];
  const qc = [4, -3, 2, -1, 1, 2, -3, 4];
  const build = (ka = [0, 1, 2, 3], kb = [0, 1, 2, 3]) =>
    buildModel({
      inputs: [tensorInfo('x', [1, 3, 2, 2])],
      outputs: [tensorInfo('y', [1, 2, 2, 2])],
      initializers: [
        int8Tensor('qa', [ka.length, 3, 1, 1], pick(qa, 3, ka, [0, 1, 2])),
        floatTensor('sa', [1], [0.02]),
        int8Tensor('qb', [kb.length, ka.length, 1, 1], pick(qb, 4, kb, ka)),
        floatTensor('sb', [ka.length], ka.map((i) => sb[i])),
        int8Tensor('zb', [ka.length], ka.map((i) => zb[i])),
        int8Tensor('qc', [2, kb.length, 1, 1], pick(qc, 4, [0, 1], kb)),
        floatTensor('sc', [2], [0.05, 0.07]),
        int8Tensor('zc', [2], [1, -1]),
      ],
      nodes: [
        node('DequantizeLinear', ['qa', 'sa'], ['wa'], { axis: 0 }, 'dqa'),
        node('Conv', ['x', 'wa'], ['a'], {}, 'a'),
        node('Relu', ['a'], ['ra']),
        node('DequantizeLinear', ['qb', 'sb', 'zb'], ['wb'], { axis: 1 }, 'dqb'),
        node('Conv', ['ra', 'wb'], ['b'], {}, 'b'),
        node('Relu', ['b'], ['rb']),
        node('DequantizeLinear', ['qc', 'sc', 'zc'], ['wc'], { axis: 0 }, 'dqc'),
        node('Conv', ['rb', 'wc'], ['y'], {}, 'c'),
      ],
    });

  it('slices a scale and zero point only along the DequantizeLinear axis, and never a one-element scale', async () => {
    const model = build();
    const pruned = applyPruning(model, analyzeChannels(model), new Map([['a', [0, 3]], ['b', [1, 2]]]));
    // qa filters 0 and 3: [10 -20 30] [1 2 3]; sa (one element: per tensor) unchanged
    expect(int8Of(pruned, 'qa')).toEqual([10, -20, 30, 1, 2, 3]);
    expect(initOf(pruned, 'sa')).toEqual(initOf(model, 'sa'));
    // qb filters 1, 2 (of b) and input channels 0, 3 (of a): [-1 -4] [5 8]
    expect(int8Of(pruned, 'qb')).toEqual([-1, -4, 5, 8]);
    expect(tensorDims(initOf(pruned, 'qb'))).toEqual([2, 2, 1, 1]);
    // axis 1 is a's channels: sb, zb keep entries 0 and 3 (not b's 1 and 2)
    expect(values(initOf(pruned, 'sb'))).toEqual(f32([0.1, 0.4]));
    expect(int8Of(pruned, 'zb')).toEqual([0, 2]);
    // qc loses input channels (axis 1), its per-filter (axis 0) scale and zero point stay
    expect(int8Of(pruned, 'qc')).toEqual([-3, 2, 2, -3]);
    expect(initOf(pruned, 'sc')).toEqual(initOf(model, 'sc'));
    expect(initOf(pruned, 'zc')).toEqual(initOf(model, 'zc'));
    expect(Array.from(await runModel(pruned, X4, [1, 3, 2, 2]))).toEqual(Array.from(await runModel(build([0, 3], [1, 2]), X4, [1, 3, 2, 2])));
  });
});

describe('names and uses the split copies respect', () => {
  it('a copy name skips an unread initializer and a node output, not only initializers nodes read', () => {
    const model = residualModel();
    // "shared.b_pruned" is a node's output (nothing reads it), "shared.b_pruned2" an initializer nothing reads
    model.graph!.node.push(node('Identity', ['x'], ['shared.b_pruned'], {}, 'spare'));
    model.graph!.initializer.push(floatTensor('shared.b_pruned2', [1], [42]));
    const a = analyzeChannels(model);
    const pruned = applyPruning(model, a, new Map([['left', [0, 1, 2]], ['right', [3, 4, 5]]]));
    expect([inputsOf(pruned, 'left')[2], inputsOf(pruned, 'right')[2]]).toEqual(['shared.b_pruned3', 'shared.b_pruned4']);
    const names = pruned.graph!.initializer.map((t) => t.name);
    expect(names.filter((n) => n.startsWith('shared.b'))).toEqual(['shared.b', 'shared.b_pruned2', 'shared.b_pruned3', 'shared.b_pruned4']);
    expect(values(initOf(pruned, 'shared.b_pruned2'))).toEqual([42]);
  });

  it('an initializer that is also a graph output, read by two nodes of which one edits it, is copied for that one', () => {
    // x[1,3,2,2] -> Conv "a" (wa, ba) -> Relu -> Conv "b" -> y; Identity(ba) -> seen; ba is also a graph output
    const ba = [1, 2, 3, 4];
    const model = buildModel({
      inputs: [tensorInfo('x', [1, 3, 2, 2])],
      outputs: [tensorInfo('y', [1, 2, 2, 2]), tensorInfo('ba', [4])],
      initializers: [floatTensor('wa', [4, 3, 1, 1], randomValues(seeded(7), 12)), floatTensor('ba', [4], ba), floatTensor('wb', [2, 4, 1, 1], randomValues(seeded(8), 8))],
      nodes: [node('Conv', ['x', 'wa', 'ba'], ['a'], {}, 'a'), node('Relu', ['a'], ['r']), node('Conv', ['r', 'wb'], ['y'], {}, 'b'), node('Identity', ['ba'], ['seen'], {}, 'seen')],
    });
    const pruned = applyPruning(model, analyzeChannels(model), new Map([['a', [0, 3]]]));
    // uses of ba: Conv a, Identity, the graph output = 3; one edit -> a copy with entries 0 and 3
    expect(inputsOf(pruned, 'a')[2]).toBe('ba_pruned');
    expect(values(initOf(pruned, 'ba_pruned'))).toEqual([1, 4]);
    expect(inputsOf(pruned, 'seen')).toEqual(['ba']);
    expect(initOf(pruned, 'ba')).toEqual(initOf(model, 'ba'));
  });
});

describe('a Reshape target shared by two Reshapes', () => {
  // x[1,3,2,2] -> Conv "A" (4 filters) -> Reshape(target) -> Gemm "fa" (transB, 2 out) \
  //            -> Conv "B" (4 filters) -> Reshape(target) -> Gemm "fb" (transB, 2 out) -> Add -> y; target [-1, 16]
  const wA = randomValues(seeded(12), 12);
  const wB = randomValues(seeded(13), 12);
  const fA = randomValues(seeded(14), 32);
  const fB = randomValues(seeded(15), 32);
  // feature columns of the kept filters (4 positions each)
  const cols = (k: number[]) => k.flatMap((f) => [0, 1, 2, 3].map((p) => 4 * f + p));
  const build = (kA = [0, 1, 2, 3], kB = [0, 1, 2, 3], shared = true) =>
    buildModel({
      inputs: [tensorInfo('x', [1, 3, 2, 2])],
      outputs: [tensorInfo('y', [1, 2])],
      initializers: [
        floatTensor('wA', [kA.length, 3, 1, 1], pick(wA, 3, kA, [0, 1, 2])),
        floatTensor('wB', [kB.length, 3, 1, 1], pick(wB, 3, kB, [0, 1, 2])),
        int64Tensor('target', [2], [-1, 4 * kA.length]),
        ...(shared ? [] : [int64Tensor('targetB', [2], [-1, 4 * kB.length])]),
        floatTensor('fA', [2, 4 * kA.length], pick(fA, 16, [0, 1], cols(kA))),
        floatTensor('fB', [2, 4 * kB.length], pick(fB, 16, [0, 1], cols(kB))),
      ],
      nodes: [
        node('Conv', ['x', 'wA'], ['A'], {}, 'A'),
        node('Reshape', ['A', 'target'], ['ra'], {}, 'reshapeA'),
        node('Gemm', ['ra', 'fA'], ['ya'], { transB: 1 }, 'fa'),
        node('Conv', ['x', 'wB'], ['B'], {}, 'B'),
        node('Reshape', ['B', shared ? 'target' : 'targetB'], ['rb'], {}, 'reshapeB'),
        node('Gemm', ['rb', 'fB'], ['yb'], { transB: 1 }, 'fb'),
        node('Add', ['ya', 'yb'], ['y']),
      ],
    });

  it('each Reshape gets its own rewritten copy: [-1, 8] for A (2 filters), [-1, 4] for B (1 filter)', async () => {
    const model = build();
    const pruned = applyPruning(model, analyzeChannels(model), new Map([['A', [0, 3]], ['B', [1]]]));
    const target = (reshape: string) => values(initOf(pruned, inputsOf(pruned, reshape)[1]));
    expect([target('reshapeA'), target('reshapeB')]).toEqual([[-1, 8], [-1, 4]]);
    expect(inputsOf(pruned, 'reshapeA')[1]).not.toBe(inputsOf(pruned, 'reshapeB')[1]);
    expect(values(initOf(pruned, 'target'))).toEqual([-1, 16]); // the original, now unread, is left as it was
    expect(Array.from(await runModel(pruned, X4, [1, 3, 2, 2]))).toEqual(Array.from(await runModel(build([0, 3], [1], false), X4, [1, 3, 2, 2])));
  });
});

describe('shape update: entries it must write and entries it must leave alone', () => {
  it('writes pruned channel counts; skips a type-less entry, an entry nothing produces, and a graph input of another rank', () => {
    const model = residualModel();
    model.graph!.valueInfo = model.graph!.valueInfo.filter((v) => v.name !== 'cat');
    model.graph!.valueInfo.push(
      create(ValueInfoProtoSchema, { name: 'cat' }), // no type at all (cat changes: left loses channels)
      tensorInfo('ghost', [1, 2]), // no node produces it: no shape before or after
      tensorInfo('d1', ['N', 8, 8, 8]), // the depthwise output: 8 -> 4 channels with the stem group
      tensorInfo('b1', ['N', '4', 8, 8]), // a symbolic dim that merely reads like the new count becomes the number
    );
    // IR 3 style: initializers declared as graph inputs; stem.w with a rank that does not match (2, not 4)
    model.graph!.input.push(tensorInfo('stem.w', [8, 27]), create(ValueInfoProtoSchema, { name: 'dw.w' }));
    const a = analyzeChannels(model);
    // an entry the analysis found no shape for is written whole from the new inference
    a.graph.shapes.delete('r1');
    const pruned = applyPruning(model, a, new Map([['stem', [0, 1, 2, 3]], ['left', [0, 1, 2]]]));
    const info = (name: string) => pruned.graph!.valueInfo.find((v) => v.name === name);
    expect(declared(info('r1'))).toEqual(['N', 4n, 8n, 8n]);
    expect(declared(info('d1'))).toEqual(['N', 4n, 8n, 8n]);
    expect(declared(info('b1'))).toEqual(['N', 4n, 8n, 8n]);
    expect(declared(info('ghost'))).toEqual([1n, 2n]);
    expect(info('cat')!.type).toBeUndefined();
    expect(declared(pruned.graph!.input.find((i) => i.name === 'stem.w'))).toEqual([8n, 27n]);
    expect(pruned.graph!.input.find((i) => i.name === 'dw.w')!.type).toBeUndefined();
    expect(tensorDims(initOf(pruned, 'stem.w'))).toEqual([4, 3, 3, 3]);
  });
});
