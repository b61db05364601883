/**
 * Channel-group rules, checked on every group of the model with its exact size and reasons (issue
 * 14: groups.ts mutation survivors; `op-rules.test.ts` checks one fragment of one group's reason
 * and the pruned model in onnxruntime). Each expected list is read off the model by hand: the graph
 * input's group, conv "a"'s group, the groups of outputs whose channels edgefold cannot follow
 * (named after their tensor), and conv "b"'s group, which reaches the output.
 */
import type { TensorProto } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { buildModel, node, tensorInfo, type AttrValue } from '../onnx/builder.ts';
import type { ModelProto } from '../onnx/model.ts';
import { floatTensor, int64Tensor } from '../onnx/tensor.ts';
import { analyzeChannels } from './index.ts';
import { randomValues, seeded } from './testing.ts';

type Op = [op: string, inputs: string[], outputs: string[], attrs?: Record<string, AttrValue>];

/** x[1,3,5,5] -> Conv "a" (3 -> 4, bias) -> ops -> Conv "b" (bChannels -> 2) reading `m` -> y. */
function caseModel(ops: Op[], opts: { initializers?: TensorProto[]; opset?: number; bChannels?: number; outputs?: string[]; inputs?: [string, number[]][] } = {}): ModelProto {
  const r = seeded(11);
  const cb = opts.bChannels ?? 4;
  return buildModel({
    opset: opts.opset ?? 13,
    inputs: [tensorInfo('x', [1, 3, 5, 5]), ...(opts.inputs ?? []).map(([n, d]) => tensorInfo(n, d))],
    outputs: [tensorInfo('y'), ...(opts.outputs ?? []).map((o) => tensorInfo(o))],
    initializers: [
      floatTensor('wa', [4, 3, 1, 1], randomValues(r, 12)),
      floatTensor('ba', [4], randomValues(r, 4)),
      floatTensor('wb', [2, cb, 1, 1], randomValues(r, 2 * cb)),
      ...(opts.initializers ?? []),
    ],
    nodes: [node('Conv', ['x', 'wa', 'ba'], ['a'], {}, 'a'), ...ops.map(([op, i, o, attrs], k) => node(op, i, o, attrs ?? {}, `op${k}`)), node('Conv', ['m', 'wb'], ['y'], {}, 'b')],
  });
}

const groups = (model: ModelProto) => analyzeChannels(model).groups.map((g) => [g.id, g.size, g.reasons]);
const INPUT = ['x', 3, ['it carries the graph input "x"']];
const OUTPUT = ['b', 2, ['it reaches the graph output "y"']];
const A_OK = ['a', 4, []];
const i64 = (name: string, values: number[]) => int64Tensor(name, [values.length], values);

describe('channel groups: every group with its exact reasons', () => {
  it('BatchNormalization in training mode (running-stat outputs): its input group blocked, its output a group of its own', () => {
    const bn = ['g', 'be', 'mu', 'v'].map((n) => floatTensor(n, [4], [1, 1, 0, 1]));
    const model = caseModel([['BatchNormalization', ['a', 'g', 'be', 'mu', 'v'], ['m', 'rm', 'rv']]], { initializers: bn, opset: 9 });
    expect(groups(model)).toEqual([
      INPUT,
      ['a', 4, ['it is consumed by BatchNormalization "op0", in training mode']],
      ['m', 4, ['it is produced by BatchNormalization "op0", in training mode']],
      OUTPUT,
    ]);
  });

  it('an op with two activation inputs among the pass-through ops (Clip bounded by another conv) blocks both', () => {
    const model = caseModel(
      [
        ['Conv', ['x', 'wc'], ['c']],
        ['Clip', ['a', 'c'], ['m']],
      ],
      { initializers: [floatTensor('wc', [4, 3, 1, 1], randomValues(seeded(2), 12))] },
    );
    const why = 'it is consumed by Clip "op1", with several activation inputs';
    expect(groups(model)).toEqual([INPUT, ['a', 4, [why]], ['op0', 4, [why]], ['m', 4, ['it is produced by Clip "op1", with several activation inputs']], OUTPUT]);
  });

  it('Dropout passes channels to its mask output too: a mask that is a graph output blocks the group', () => {
    const model = caseModel([['Dropout', ['a'], ['m', 'mask']]], { outputs: ['mask'] });
    expect(groups(model)).toEqual([INPUT, ['a', 4, ['it reaches the graph output "mask"']], OUTPUT]);
  });

  it('a Shape read for more than the batch size, and a Shape read by something other than Gather', () => {
    for (const [reader, inits] of [
      [['Gather', ['s', 'idx'], ['n']] as Op, [i64('idx', [0, 1])]],
      [['Cast', ['s'], ['n'], { to: 1 }] as Op, []],
    ] as const) {
      const model = caseModel([['Shape', ['a'], ['s']], reader, ['Relu', ['a'], ['m']]], { initializers: [...inits] });
      expect(groups(model)).toEqual([INPUT, ['a', 4, ['its channel count is read at run time by Shape "op0"']], OUTPUT]);
    }
  });

  it('Unsqueeze and Squeeze with negative axes as attributes (opset 11): counted from the output and the input rank', () => {
    // Unsqueeze axes [-3] on a rank-5 output is axis 2; Squeeze axes [-3] on its rank-5 input is axis 2.
    const fine = caseModel(
      [
        ['Unsqueeze', ['a'], ['u'], { axes: [-3] }],
        ['Squeeze', ['u'], ['m'], { axes: [-3] }],
      ],
      { opset: 11 },
    );
    expect(groups(fine)).toEqual([INPUT, A_OK, OUTPUT]);
    // Unsqueeze axes [-4] on rank 5 is axis 1, the channel axis.
    const blocked = caseModel(
      [
        ['Unsqueeze', ['a'], ['u'], { axes: [-4] }],
        ['Squeeze', ['u'], ['m'], { axes: [1] }],
      ],
      { opset: 11 },
    );
    expect(groups(blocked)[1]).toEqual(['a', 4, ['it is consumed by Unsqueeze "op0", which touches the batch or channel axis']]);
  });

  it('Pad with pads as an attribute (opset 2), on H and W only, or at the end of the channel axis', () => {
    const fine = caseModel([['Pad', ['a'], ['m'], { pads: [0, 0, 1, 1, 0, 0, 1, 1] }]], { opset: 2 });
    expect(groups(fine)).toEqual([INPUT, A_OK, OUTPUT]);
    const end = caseModel([['Pad', ['a'], ['m'], { pads: [0, 0, 0, 0, 0, 1, 0, 0] }]], { opset: 2, bChannels: 5 });
    expect(groups(end)).toEqual([
      INPUT,
      ['a', 4, ['it is consumed by Pad "op0", which may pad the channel axis']],
      ['m', 5, ['it is produced by Pad "op0", which may pad the channel axis']],
      OUTPUT,
    ]);
  });

  it('ReduceMean with negative axes reduces H; over every axis (no axes) it reduces the channels too', () => {
    const fine = caseModel([['ReduceMean', ['a'], ['m'], { axes: [-2] }]]);
    expect(groups(fine)).toEqual([INPUT, A_OK, OUTPUT]);
    const all = caseModel([['ReduceMean', ['a'], ['r']], ['Add', ['a', 'r'], ['m']]]);
    expect(groups(all)[1]).toEqual(['a', 4, ['it is consumed by ReduceMean "op0", which reduces over the channel axis']]);
  });

  it('Reshape whose target keeps the channel count by a 0 (copy) needs no edit; a target computed in the graph cannot be edited', () => {
    const copy = caseModel([['Reshape', ['a', 'shape'], ['t']], ['Reshape', ['t', 'back'], ['m']]], { initializers: [i64('shape', [1, 0, 25]), i64('back', [1, 4, 5, 5])] });
    const a = analyzeChannels(copy).groups.find((g) => g.id === 'a')!;
    // the first Reshape (target [1, 0, 25]: 0 copies the channel count) is no 'reshape' member; the second (a literal 4) is
    expect(a.members.filter((m) => m.role === 'reshape').map((m) => m.node)).toEqual(['op1']);
    expect(a.reasons).toEqual([]);
    const computed = caseModel(
      [
        ['Constant', [], ['shape'], { value: i64('v', [1, 4, 5, 5]) }],
        ['Reshape', ['a', 'shape'], ['m']],
      ],
    );
    expect(groups(computed)[1]).toEqual(['a', 4, ['it is consumed by Reshape "op1", whose target shape (computed in the graph) holds the channel count']]);
  });

  it('Concat of a constant on the channel axis: the constant\'s channels are a group of their own that cannot be pruned', () => {
    const model = caseModel([['Concat', ['a', 'k'], ['m'], { axis: -3 }]], { initializers: [floatTensor('k', [1, 2, 5, 5], new Array<number>(50).fill(1))], bChannels: 6 });
    expect(groups(model)).toEqual([INPUT, A_OK, ['k', 2, ['its channels come from a constant input of Concat "op0"']], OUTPUT]);
    const g = analyzeChannels(model).groups.find((x) => x.id === 'k')!;
    expect(g.members.map((m) => `${m.role}:${m.node}@${m.offset}`)).toEqual(['conv-in:b@4']);
    expect(g.tensors).toStrictEqual(['m']); // the constant itself is no activation
  });

  it('elementwise ops: a per-channel constant computed by a node, a single channel broadcast across channels', () => {
    const computed = caseModel([
      ['Constant', [], ['k'], { value: floatTensor('v', [1, 4, 1, 1], [1, 2, 3, 4]) }],
      ['Mul', ['a', 'k'], ['m']],
    ]);
    const why = 'has a per-channel constant that cannot be edited: "k" is computed by Constant "op0", not stored as an initializer';
    expect(groups(computed)).toEqual([INPUT, ['a', 4, [`Mul "op1" ${why}`]], ['m', 4, [`it is produced by Mul "op1", which ${why}`]], OUTPUT]);
    const single = caseModel(
      [
        ['Conv', ['x', 'w1'], ['c']],
        ['Mul', ['c', 'k'], ['m']],
      ],
      { initializers: [floatTensor('w1', [1, 3, 1, 1], [1, 2, 3]), floatTensor('k', [1, 4, 1, 1], [1, 2, 3, 4])] },
    );
    // conv "a" still computes its (unread) output: its group is free
    expect(groups(single)).toEqual([
      INPUT,
      A_OK,
      ['op0', 1, ['Mul "op1" broadcasts a single channel across channels']],
      ['m', 4, ['it is produced by Mul "op1", which broadcasts a single channel across channels']],
      OUTPUT,
    ]);
  });

  it('an FC that is not activation x constant weights (Gemm with transA) blocks the group that feeds it', () => {
    const model = buildModel({
      inputs: [tensorInfo('x', [2, 4])],
      outputs: [tensorInfo('y')],
      initializers: [floatTensor('w1', [4, 3], randomValues(seeded(1), 12)), floatTensor('w2', [2, 2], randomValues(seeded(2), 4))],
      nodes: [node('Gemm', ['x', 'w1'], ['h'], {}, 'h'), node('Gemm', ['h', 'w2'], ['y'], { transA: 1 }, 'o')],
    });
    expect(groups(model)).toEqual([
      ['x', 4, ['it carries the graph input "x"']],
      ['h', 3, ['it is consumed by Gemm "o", which is not activation x constant weights']],
    ]);
  });

  it('group ids: a producer named like the graph input gets "#2"; layers map to their output group', () => {
    const model = caseModel([['Relu', ['a'], ['m']]]);
    model.graph!.node[0].name = 'x';
    const a = analyzeChannels(model);
    expect(a.groups.map((g) => [g.id, g.producers])).toEqual([
      ['x', []],
      ['x#2', ['x']],
      ['b', ['b']],
    ]);
    expect([...a.layerGroup]).toEqual([
      ['x', 'x#2'],
      ['b', 'b'],
    ]);
    expect(a.groups[1].tensors).toEqual(['a', 'm']);
  });

  it('ops whose channels edgefold cannot follow: a 4-D MatMul, activation weights, Flatten at axis 2, Transpose without perm', () => {
    const matmul = caseModel([['MatMul', ['a', 'k'], ['m']]], { initializers: [floatTensor('k', [5, 5], randomValues(seeded(3), 25))] });
    const mm = 'MatMul "op0", which is not a 2-D activation times a constant matrix';
    expect(groups(matmul)).toEqual([INPUT, ['a', 4, [`it is consumed by ${mm}`]], ['m', 4, [`it is produced by ${mm}`]], OUTPUT]);
    // weights fed as a graph input: a tensor with channels, not a constant
    const weights = caseModel([['Conv', ['x', 'wi'], ['c']], ['Relu', ['a'], ['m']]], { inputs: [['wi', [2, 3, 1, 1]]] });
    expect(groups(weights)).toEqual([['x', 3, ['it carries the graph input "x"', 'it is consumed by Conv "op0", whose weights are not constant']], A_OK, OUTPUT]);
    // Flatten at axis 2: [1,4,5,5] -> [4,25]; the Reshape back changes the first dim, so it mixes too.
    const flatten = caseModel([['Flatten', ['a'], ['t'], { axis: 2 }], ['Reshape', ['t', 'back'], ['m']]], { initializers: [i64('back', [1, 4, 5, 5])] });
    expect(groups(flatten)).toEqual([
      INPUT,
      ['a', 4, ['it is consumed by Flatten "op0", which reshapes [1,4,5,5] to [4,25] and mixes channels']],
      ['m', 4, ['it is produced by Reshape "op1", which reshapes [4,25] to [1,4,5,5] and mixes channels']],
      OUTPUT,
    ]);
    const transpose = caseModel([['Transpose', ['a'], ['t']], ['Transpose', ['t'], ['m']]]);
    expect(groups(transpose)).toEqual([
      INPUT,
      ['a', 4, ['it is consumed by Transpose "op0", which moves the channel axis']],
      ['m', 4, ['it is produced by Transpose "op1", which moves the channel axis']],
      OUTPUT,
    ]);
  });

  it('Concat on H of tensors whose channel ranges differ (one whole group vs two concatenated ones) blocks all three', () => {
    const model = caseModel(
      [
        ['Conv', ['x', 'w1'], ['c1']],
        ['Conv', ['x', 'w2'], ['c2']],
        ['Concat', ['c1', 'c2'], ['c'], { axis: 1 }],
        ['Concat', ['a', 'c'], ['m'], { axis: 2 }],
      ],
      { initializers: [floatTensor('w1', [2, 3, 1, 1], randomValues(seeded(4), 6)), floatTensor('w2', [2, 3, 1, 1], randomValues(seeded(5), 6))] },
    );
    const why = 'Concat "op3" joins tensors whose channels do not line up';
    expect(groups(model)).toEqual([
      INPUT,
      ['a', 4, [why]],
      ['op0', 2, [why]],
      ['op1', 2, [why]],
      ['m', 4, ['it is produced by Concat "op3", which joins tensors whose channels do not line up']],
      OUTPUT,
    ]);
  });

  it('elementwise joins: Add of tensors whose channel ranges differ is blocked; a one-channel activation broadcasts freely', () => {
    const w = (name: string, c: number, seed: number) => floatTensor(name, [c, 3, 1, 1], randomValues(seeded(seed), 3 * c));
    const misaligned = caseModel(
      [
        ['Conv', ['x', 'w1'], ['c1']],
        ['Conv', ['x', 'w2'], ['c2']],
        ['Concat', ['c1', 'c2'], ['c'], { axis: 1 }],
        ['Add', ['a', 'c'], ['m']],
      ],
      { initializers: [w('w1', 2, 4), w('w2', 2, 5)] },
    );
    const why = 'Add "op3" joins tensors whose channel ranges do not line up';
    expect(groups(misaligned)).toEqual([
      INPUT,
      ['a', 4, [why]],
      ['op0', 2, [why]],
      ['op1', 2, [why]],
      ['m', 4, ['it is produced by Add "op3", which joins tensors whose channel ranges do not line up']],
      OUTPUT,
    ]);
    const broadcast = caseModel([['Conv', ['x', 'w1'], ['c']], ['Mul', ['a', 'c'], ['m']]], { initializers: [w('w1', 1, 4)] });
    expect(groups(broadcast)).toEqual([INPUT, A_OK, ['op0', 1, ['it has a single channel (at least one must stay)']], OUTPUT]);
  });

  it('a residual Add ties a free group to a blocked one: the tied group keeps the reason', () => {
    const model = caseModel(
      [
        ['Conv', ['x', 'wc'], ['c']],
        ['LRN', ['c'], ['n'], { size: 3 }],
        ['Add', ['a', 'c'], ['m']],
      ],
      { initializers: [floatTensor('wc', [4, 3, 1, 1], randomValues(seeded(6), 12))] },
    );
    const a = analyzeChannels(model);
    expect(a.groups.map((g) => [g.id, g.size, g.producers, g.reasons])).toEqual([
      ['x', 3, [], ['it carries the graph input "x"']],
      ['a', 4, ['a', 'op0'], ['it is consumed by LRN "op1", whose channel semantics edgefold does not know']],
      ['b', 2, ['b'], ['it reaches the graph output "y"']],
    ]);
  });

  it('a conv whose bias is computed by a node cannot be edited: its output group is blocked, its input group is not', () => {
    const model = caseModel([['Relu', ['a'], ['m']]]);
    const g = model.graph!;
    g.initializer = g.initializer.filter((t) => t.name !== 'ba');
    g.node.unshift(node('Constant', [], ['ba'], { value: floatTensor('v', [4], [0.1, 0.2, 0.3, 0.4]) }, 'bias_const'));
    expect(groups(model)).toEqual([
      INPUT,
      ['a', 4, ['Conv "a" cannot be edited: "ba" is computed by Constant "bias_const", not stored as an initializer']],
      OUTPUT,
    ]);
  });

  it('Flatten with a negative axis (-3 of rank 4 is axis 1) widens each channel to its 25 pixels for the FC', () => {
    const model = buildModel({
      inputs: [tensorInfo('x', [1, 3, 5, 5])],
      outputs: [tensorInfo('y')],
      initializers: [floatTensor('wa', [4, 3, 1, 1], randomValues(seeded(1), 12)), floatTensor('wfc', [2, 100], randomValues(seeded(2), 200))],
      nodes: [node('Conv', ['x', 'wa'], ['a'], {}, 'a'), node('Flatten', ['a'], ['f'], { axis: -3 }, 'flat'), node('Gemm', ['f', 'wfc'], ['y'], { transB: 1 }, 'fc')],
    });
    const a = analyzeChannels(model).groups.find((g) => g.id === 'a')!;
    expect(a.reasons).toEqual([]);
    expect(a.members.map((m) => `${m.role}:${m.node}:${m.inner}`)).toEqual(['conv-out:a:1', 'passthrough:flat:1', 'fc-in:fc:25']);
  });

  it('Add of two concatenations split 2+2 and 1+3: same count, different ranges, blocked', () => {
    const w = (name: string, c: number, seed: number) => floatTensor(name, [c, 3, 1, 1], randomValues(seeded(seed), 3 * c));
    const model = caseModel(
      [
        ['Conv', ['x', 'w1'], ['c1']],
        ['Conv', ['x', 'w2'], ['c2']],
        ['Conv', ['x', 'w3'], ['c3']],
        ['Conv', ['x', 'w4'], ['c4']],
        ['Concat', ['c1', 'c2'], ['p'], { axis: 1 }],
        ['Concat', ['c3', 'c4'], ['q'], { axis: 1 }],
        ['Add', ['p', 'q'], ['m']],
      ],
      { initializers: [w('w1', 2, 1), w('w2', 2, 2), w('w3', 1, 3), w('w4', 3, 4)] },
    );
    const why = 'Add "op6" joins tensors whose channel ranges do not line up';
    expect(groups(model).slice(1, 6)).toEqual([
      A_OK,
      ['op0', 2, [why]],
      ['op1', 2, [why]],
      ['op2', 1, [why]],
      ['op3', 3, [why]],
    ]);
  });

  it('Concat of two flattened groups: the second starts after 4 channels x 4 pixels of the first', () => {
    // x[1,3,2,2] -> Conv "a" (4) and Conv "c" (2) -> Flatten each -> [1,16] and [1,8] -> Concat -> Gemm "fc"
    const model = buildModel({
      inputs: [tensorInfo('x', [1, 3, 2, 2])],
      outputs: [tensorInfo('y')],
      initializers: [
        floatTensor('wa', [4, 3, 1, 1], randomValues(seeded(1), 12)),
        floatTensor('wc', [2, 3, 1, 1], randomValues(seeded(2), 6)),
        floatTensor('wfc', [2, 24], randomValues(seeded(3), 48)),
      ],
      nodes: [
        node('Conv', ['x', 'wa'], ['a'], {}, 'a'),
        node('Conv', ['x', 'wc'], ['c'], {}, 'c'),
        node('Flatten', ['a'], ['fa'], { axis: 1 }, 'flat_a'),
        node('Flatten', ['c'], ['fc_in'], { axis: 1 }, 'flat_c'),
        node('Concat', ['fa', 'fc_in'], ['cat'], { axis: 1 }, 'cat'),
        node('Gemm', ['cat', 'wfc'], ['y'], { transB: 1 }, 'fc'),
      ],
    });
    const a = analyzeChannels(model);
    const at = (id: string, role: string) => a.groups.find((g) => g.id === id)!.members.filter((m) => m.role === role).map((m) => [m.offset, m.inner]);
    expect([at('a', 'fc-in'), at('a', 'concat')]).toEqual([[[0, 4]], [[0, 4]]]);
    expect([at('c', 'fc-in'), at('c', 'concat')]).toEqual([[[16, 4]], [[16, 4]]]);
    expect(a.layouts.get('cat')).toEqual([
      { group: 'a', size: 4, offset: 0, inner: 4 },
      { group: 'c', size: 2, offset: 16, inner: 4 },
    ]);
  });

  it('a rank-1 graph input carries no channels (a scale fed at run time); weights transposed in the graph cannot be edited', () => {
    const scaled = caseModel([['Mul', ['a', 's'], ['m']]], { inputs: [['s', [1]]] });
    expect(groups(scaled)).toEqual([INPUT, A_OK, OUTPUT]);
    const transposed = caseModel([['Relu', ['a'], ['m']]]);
    const g = transposed.graph!;
    g.initializer = g.initializer.map((t) => (t.name === 'wa' ? floatTensor('wa_t', [1, 1, 3, 4], randomValues(seeded(8), 12)) : t));
    g.node.unshift(node('Transpose', ['wa_t'], ['wa'], { perm: [3, 2, 0, 1] }, 'tw'));
    const why = 'Conv "a" cannot be edited: "wa" is computed by Transpose "tw", not stored as an initializer';
    expect(groups(transposed)).toEqual([['x', 3, ['it carries the graph input "x"', why]], ['a', 4, [why]], OUTPUT]);
  });

  it('a node that names the standard domain "ai.onnx" explicitly is a standard op', () => {
    const model = caseModel([['Relu', ['a'], ['m']]]);
    model.graph!.node[1].domain = 'ai.onnx';
    expect(groups(model)).toEqual([INPUT, A_OK, OUTPUT]);
  });

  it('ReduceMean with its axes as an input (opset 18): over H it passes channels, over C it does not', () => {
    const overH = caseModel([['ReduceMean', ['a', 'ax'], ['m']]], { opset: 18, initializers: [i64('ax', [-1])] });
    expect(groups(overH)).toEqual([INPUT, A_OK, OUTPUT]);
    const overC = caseModel([['ReduceMean', ['a', 'ax'], ['r']], ['Add', ['a', 'r'], ['m']]], { opset: 18, initializers: [i64('ax', [1])] });
    expect(groups(overC)[1]).toEqual(['a', 4, ['it is consumed by ReduceMean "op0", which reduces over the channel axis']]);
  });

  it('a Dropout whose mask output is left empty lists only the tensors that exist', () => {
    const a = analyzeChannels(caseModel([['Dropout', ['a'], ['m', '']]]));
    expect(a.groups.find((g) => g.id === 'a')!.tensors).toStrictEqual(['a', 'm']);
  });

  it('a grouped conv with more outputs than inputs is named a grouped conv, not a depthwise multiplier', () => {
    // 4 inputs, group 2, 8 outputs: group != input channels, so it is no depthwise conv at all
    const model = caseModel([['Conv', ['a', 'wg'], ['m'], { group: 2 }]], { initializers: [floatTensor('wg', [8, 2, 1, 1], randomValues(seeded(7), 16))], bChannels: 8 });
    const why = 'Conv "op0", a grouped conv (group=2), which edgefold does not prune';
    expect(groups(model)).toEqual([INPUT, ['a', 4, [`it is consumed by ${why}`]], ['m', 8, [`it is produced by ${why}`]], OUTPUT]);
  });

  it('a Gemm whose weights or bias are fed at run time blocks the group that feeds it', () => {
    for (const [inputs, extra] of [
      [['h', 'wb'], [tensorInfo('wb', [3, 2])]],
      [['h', 'w2', 'cb'], [tensorInfo('cb', [2, 2])]],
    ] as const) {
      const model = buildModel({
        inputs: [tensorInfo('x', [2, 4]), ...extra],
        outputs: [tensorInfo('y')],
        initializers: [floatTensor('w1', [4, 3], randomValues(seeded(1), 12)), floatTensor('w2', [3, 2], randomValues(seeded(2), 6))],
        nodes: [node('Gemm', ['x', 'w1'], ['h'], {}, 'h'), node('Gemm', [...inputs], ['y'], {}, 'o')],
      });
      expect(groups(model)).toEqual([
        ['x', 4, ['it carries the graph input "x"']],
        ['h', 3, ['it is consumed by Gemm "o", which is not activation x constant weights']],
      ]);
    }
  });

  it('a Gemm bias computed by a node blocks the group when it is per feature, not when it broadcasts ([1])', () => {
    for (const [dims, reasons] of [
      [[3], ['Gemm "h" cannot be edited: "b1" is computed by Constant "kb", not stored as an initializer']],
      [[1], []],
    ] as const) {
      const model = buildModel({
        inputs: [tensorInfo('x', [2, 4])],
        outputs: [tensorInfo('y')],
        initializers: [floatTensor('w1', [4, 3], randomValues(seeded(1), 12)), floatTensor('w2', [3, 2], randomValues(seeded(2), 6))],
        nodes: [
          node('Constant', [], ['b1'], { value: floatTensor('v', [...dims], new Array<number>(dims[0]).fill(0.5)) }, 'kb'),
          node('Gemm', ['x', 'w1', 'b1'], ['h'], {}, 'h'),
          node('Relu', ['h'], ['r']),
          node('Gemm', ['r', 'w2'], ['y'], {}, 'o'),
        ],
      });
      expect(groups(model)[1]).toEqual(['h', 3, reasons]);
    }
  });

  it('BatchNormalization: a scale fed at run time, a mean computed by a node', () => {
    const bn = (names: string[]) => names.map((n) => floatTensor(n, [4], [1, 1, 0, 1]));
    const fed = caseModel([['BatchNormalization', ['a', 's', 'be', 'mu', 'v'], ['m']]], { initializers: bn(['be', 'mu', 'v']), inputs: [['s', [1, 4]]] });
    const why = 'BatchNormalization "op0", whose parameters are not constant';
    expect(groups(fed)).toEqual([INPUT, ['a', 4, [`it is consumed by ${why}`]], ['m', 4, [`it is produced by ${why}`]], OUTPUT]);
    const computed = caseModel(
      [
        ['Constant', [], ['mu'], { value: floatTensor('k', [4], [0, 0, 0, 0]) }],
        ['BatchNormalization', ['a', 'g', 'be', 'mu', 'v'], ['m']],
      ],
      { initializers: bn(['g', 'be', 'v']) },
    );
    expect(groups(computed)).toEqual([INPUT, ['a', 4, ['BatchNormalization "op1" cannot be edited: "mu" is computed by Constant "op0", not stored as an initializer']], OUTPUT]);
  });

  it('a Reshape to one dimension is refused like one whose shapes are unknown', () => {
    const model = caseModel([['Reshape', ['a', 'flat'], ['t']], ['Reshape', ['t', 'back'], ['m']]], { initializers: [i64('flat', [-1]), i64('back', [1, 4, 5, 5])] });
    // the 1-D tensor carries no channels, so conv "b" reads none either: its group is not listed
    expect(groups(model)).toEqual([INPUT, ['a', 4, ['it is consumed by Reshape "op0", whose shapes are unknown']]]);
  });

  it('Flatten at axis 0 mixes channels even where a Reshape to the same shape would not', () => {
    // [1,4,2,2] -> [1,16]: the same shape a channel-keeping Reshape gives, but Flatten(axis 0) has no channel axis left
    const model = buildModel({
      inputs: [tensorInfo('x', [1, 3, 2, 2])],
      outputs: [tensorInfo('y')],
      initializers: [floatTensor('wa', [4, 3, 1, 1], randomValues(seeded(1), 12)), floatTensor('wfc', [2, 16], randomValues(seeded(2), 32))],
      nodes: [node('Conv', ['x', 'wa'], ['a'], {}, 'a'), node('Flatten', ['a'], ['f'], { axis: 0 }, 'flat'), node('Gemm', ['f', 'wfc'], ['y'], { transB: 1 }, 'fc')],
    });
    expect(groups(model)[1]).toEqual(['a', 4, ['it is consumed by Flatten "flat", which reshapes [1,4,2,2] to [1,16] and mixes channels']]);
  });

  it('Add of two three-way concatenations that agree on their first range only (1+1+2 and 1+2+1) is blocked', () => {
    const sizes = [1, 1, 2, 1, 2, 1];
    const inits = sizes.map((c, i) => floatTensor(`w${i}`, [c, 3, 1, 1], randomValues(seeded(20 + i), 3 * c)));
    const model = caseModel(
      [
        ...sizes.map((_, i): Op => ['Conv', ['x', `w${i}`], [`c${i}`]]),
        ['Concat', ['c0', 'c1', 'c2'], ['p'], { axis: 1 }],
        ['Concat', ['c3', 'c4', 'c5'], ['q'], { axis: 1 }],
        ['Add', ['p', 'q'], ['m']],
      ],
      { initializers: inits },
    );
    const why = 'Add "op8" joins tensors whose channel ranges do not line up';
    const byId = new Map(analyzeChannels(model).groups.map((g) => [g.id, g.reasons]));
    // every producer keeps its own group (nothing tied), each blocked by the Add
    for (let i = 0; i < 6; i++) expect(byId.get(`op${i}`), `op${i}`).toEqual([why]);
    expect(byId.get('m')).toEqual(['it is produced by Add "op8", which joins tensors whose channel ranges do not line up']);
  });

  it('two graph inputs joined by an Add: the first source names the group', () => {
    // Sources in order: x, u (graph inputs), a (conv): the Add joins x and u, and x names the group.
    const model = buildModel({
      opset: 13,
      inputs: [tensorInfo('x', [1, 3, 5, 5]), tensorInfo('u', [1, 3, 5, 5])],
      outputs: [tensorInfo('y'), tensorInfo('xu')],
      initializers: [floatTensor('wa', [4, 3, 1, 1], new Array(12).fill(0.5)), floatTensor('wb', [2, 4, 1, 1], new Array(8).fill(0.1))],
      nodes: [node('Conv', ['x', 'wa'], ['a'], {}, 'a'), node('Add', ['x', 'u'], ['xu'], {}, 'add'), node('Conv', ['a', 'wb'], ['y'], {}, 'b')],
    });
    expect(groups(model)).toEqual([['x', 3, ['it carries the graph input "x"', 'it carries the graph input "u"', 'it reaches the graph output "xu"']], A_OK, OUTPUT]);
  });

  it('Flatten of a tensor whose spatial size is unknown: the channels cannot be followed', () => {
    // [1, 4, H, W] -> [1, H x W x 4]: where a channel's elements land depends on H x W, which is not known.
    const model = buildModel({
      opset: 13,
      inputs: [tensorInfo('x', [1, 3, 'H', 'W'])],
      outputs: [tensorInfo('y')],
      initializers: [floatTensor('wa', [4, 3, 1, 1], new Array(12).fill(0.5)), floatTensor('wf', [2, 100], new Array(200).fill(0.1))],
      nodes: [node('Conv', ['x', 'wa'], ['a'], {}, 'a'), node('Flatten', ['a'], ['f'], { axis: 1 }, 'flat'), node('Gemm', ['f', 'wf'], ['y'], { transB: 1 }, 'fc')],
    });
    const mixes = 'Flatten "flat", which reshapes [1,4,N,N] to [1,N] and mixes channels';
    expect(groups(model)).toEqual([INPUT, ['a', 4, [`it is consumed by ${mixes}`]], ['f', 0, [`it is produced by ${mixes}`]], ['fc', 2, ['it reaches the graph output "y"']]]);
  });

  it('tensors of each group, once each, and the group of each conv and FC layer', () => {
    // Concat(a, a): "cat" holds group a twice (channels 0-3 and 4-7) but is listed once among a's tensors.
    const twice = buildModel({
      opset: 13,
      inputs: [tensorInfo('x', [1, 3, 5, 5])],
      outputs: [tensorInfo('y')],
      initializers: [floatTensor('wa', [4, 3, 1, 1], new Array(12).fill(0.5)), floatTensor('wb', [2, 8, 1, 1], new Array(16).fill(0.1))],
      nodes: [node('Conv', ['x', 'wa'], ['a'], {}, 'a'), node('Concat', ['a', 'a'], ['cat'], { axis: 1 }, 'cat'), node('Conv', ['cat', 'wb'], ['y'], {}, 'b')],
    });
    const t = analyzeChannels(twice);
    expect(t.groups.map((g) => [g.id, g.tensors])).toEqual([['x', ['x']], ['a', ['a', 'cat']], ['b', ['y']]]);
    // Conv "a" -> Relu -> pool -> Flatten -> Gemm "g" -> MatMul "mm": each layer's output is one whole group.
    const chain = buildModel({
      opset: 13,
      inputs: [tensorInfo('x', [1, 3, 5, 5])],
      outputs: [tensorInfo('y')],
      initializers: [floatTensor('wa', [4, 3, 1, 1], new Array(12).fill(0.5)), floatTensor('wg', [6, 4], new Array(24).fill(0.1)), floatTensor('wm', [6, 2], new Array(12).fill(0.1))],
      nodes: [
        node('Conv', ['x', 'wa'], ['a'], {}, 'a'),
        node('Relu', ['a'], ['r'], {}, 'relu'),
        node('GlobalAveragePool', ['r'], ['p'], {}, 'gap'),
        node('Flatten', ['p'], ['f'], { axis: 1 }, 'flat'),
        node('Gemm', ['f', 'wg'], ['g'], { transB: 1 }, 'g'),
        node('MatMul', ['g', 'wm'], ['y'], {}, 'mm'),
      ],
    });
    const c = analyzeChannels(chain);
    expect(c.groups.map((g) => [g.id, g.tensors])).toEqual([['x', ['x']], ['a', ['a', 'r', 'p', 'f']], ['g', ['g']], ['mm', ['y']]]);
    expect([...c.layerGroup]).toEqual([['a', 'a'], ['g', 'g'], ['mm', 'mm']]);
    expect([...t.layerGroup]).toEqual([['a', 'a'], ['b', 'b']]);
  });

  describe('shape ops on conv "a"\'s output (a side branch "t"; conv "b" reads "a")', () => {
    /** x -> Conv "a" (3 -> 4) -> `ops` -> t (graph output); Conv "b" reads a -> y. */
    const side = (ops: ReturnType<typeof node>[], extra: TensorProto[] = [], input: (number | string)[] = [1, 3, 5, 5], opset = 13) =>
      buildModel({
        opset,
        inputs: [tensorInfo('x', input)],
        outputs: [tensorInfo('y'), tensorInfo('t')],
        initializers: [floatTensor('wa', [4, 3, 1, 1], new Array(12).fill(0.5)), floatTensor('wb', [2, 4, 1, 1], new Array(8).fill(0.1)), ...extra],
        nodes: [node('Conv', ['x', 'wa'], ['a'], {}, 'a'), ...ops, node('Conv', ['a', 'wb'], ['y'], {}, 'b')],
      });
    const blocked = (why: string) => [INPUT, ['a', 4, [`it is consumed by ${why}`]], OUTPUT];

    it('Unsqueeze at axes 1 and 4 (one of them the channel axis), Squeeze without axes (opset 11), Transpose to NHWC', () => {
      expect(groups(side([node('Unsqueeze', ['a', 'ax'], ['t'], {}, 'op')], [i64('ax', [1, 4])]))).toEqual(blocked('Unsqueeze "op", which touches the batch or channel axis'));
      expect(groups(side([node('Squeeze', ['a'], ['t'], {}, 'op')], [], [1, 3, 5, 5], 11))).toEqual(blocked('Squeeze "op", which touches the batch or channel axis'));
      expect(groups(side([node('Transpose', ['a'], ['t'], { perm: [0, 2, 3, 1] }, 'op')]))).toEqual(blocked('Transpose "op", which moves the channel axis'));
    });

    it('Pad: spatial padding passes the channels on (pads input, and the opset-10 attribute); padding the channel axis at either end blocks them', () => {
      const passes = [INPUT, ['a', 4, ['it reaches the graph output "t"']], OUTPUT];
      expect(groups(side([node('Pad', ['a', 'p'], ['t'], {}, 'op')], [i64('p', [0, 0, 1, 1, 0, 0, 1, 1])]))).toEqual(passes);
      expect(groups(side([node('Pad', ['a'], ['t'], { pads: [0, 0, 1, 1, 0, 0, 1, 1] }, 'op')], [], [1, 3, 5, 5], 10))).toEqual(passes);
      for (const pads of [[0, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 2, 0, 0]]) {
        expect(groups(side([node('Pad', ['a', 'p'], ['t'], {}, 'op')], [i64('p', pads)])), String(pads)).toEqual(blocked('Pad "op", which may pad the channel axis'));
      }
    });

    it('Softmax, LogSoftmax, Hardmax: over W passes; over the channels (axis 1, -3, or opset < 13 default 1, which flattens C, H, W) blocks', () => {
      const passes = [INPUT, ['a', 4, ['it reaches the graph output "t"']], OUTPUT];
      const across = (op: string) => blocked(`${op} "op", which normalizes across channels`);
      expect(groups(side([node('Softmax', ['a'], ['t'], {}, 'op')]))).toEqual(passes); // opset 13: default axis -1 = W
      expect(groups(side([node('Softmax', ['a'], ['t'], { axis: 1 }, 'op')]))).toEqual(across('Softmax'));
      expect(groups(side([node('Softmax', ['a'], ['t'], { axis: -3 }, 'op')]))).toEqual(across('Softmax'));
      expect(groups(side([node('Softmax', ['a'], ['t'], {}, 'op')], [], [1, 3, 5, 5], 11))).toEqual(across('Softmax')); // opset 11: default axis 1
      expect(groups(side([node('LogSoftmax', ['a'], ['t'], { axis: 2 }, 'op')], [], [1, 3, 5, 5], 11))).toEqual(passes); // rows of H x W per channel
      expect(groups(side([node('Hardmax', ['a'], ['t'], { axis: -3 }, 'op')], [], [1, 3, 5, 5], 11))).toEqual(across('Hardmax'));
    });

    it('Shape: read only for the batch size (Gather of index 0) leaves the group prunable; any other reader blocks it', () => {
      const shapeThen = (reader: ReturnType<typeof node>, extra: TensorProto[]) => side([node('Shape', ['a'], ['s'], {}, 'op'), reader], extra);
      expect(groups(shapeThen(node('Gather', ['s', 'i'], ['t'], {}, 'g'), [i64('i', [0])]))).toEqual([INPUT, A_OK, OUTPUT]);
      const readAtRunTime = [INPUT, ['a', 4, ['its channel count is read at run time by Shape "op"']], OUTPUT];
      expect(groups(shapeThen(node('Gather', ['s', 'i'], ['t'], {}, 'g'), [i64('i', [1])]))).toEqual(readAtRunTime);
      expect(groups(shapeThen(node('Gather', ['s', 'i'], ['t'], {}, 'g'), [i64('i', [0, 1])]))).toEqual(readAtRunTime);
      expect(groups(shapeThen(node('Slice', ['s', 'i', 'j'], ['t'], {}, 'g'), [i64('i', [0]), i64('j', [1])]))).toEqual(readAtRunTime);
      // two readers, the batch size and the channel count: one is enough to block
      const both = side([node('Shape', ['a'], ['s'], {}, 'op'), node('Gather', ['s', 'i'], ['n'], {}, 'g0'), node('Gather', ['s', 'j'], ['c'], {}, 'g1'), node('Concat', ['n', 'c'], ['t'], { axis: 0 }, 'cat')], [i64('i', [0]), i64('j', [1])]);
      expect(groups(both)).toEqual(readAtRunTime);
      // the shape as Gather's indices, not its data
      expect(groups(shapeThen(node('Gather', ['i', 's'], ['t'], {}, 'g'), [i64('i', [0, 0, 0, 0])]))).toEqual(readAtRunTime);
    });

    it('QuantizeLinear / DequantizeLinear on activations: a per-tensor scale passes, a per-channel one blocks', () => {
      const passes = [INPUT, ['a', 4, ['it reaches the graph output "t"']], OUTPUT];
      for (const op of ['QuantizeLinear', 'DequantizeLinear']) {
        expect(groups(side([node(op, ['a', 's'], ['t'], {}, 'op')], [floatTensor('s', [], [0.1])])), op).toEqual(passes);
        expect(groups(side([node(op, ['a', 's'], ['t'], { axis: 1 }, 'op')], [floatTensor('s', [4], [0.1, 0.2, 0.3, 0.4])])), op).toEqual(blocked(`${op} "op", which quantizes per channel`));
      }
    });

    it('Dropout passes the channels to its mask output too; Reduce ops over H and W pass, over the channel axis block', () => {
      const dropout = buildModel({
        opset: 11,
        inputs: [tensorInfo('x', [1, 3, 5, 5])],
        outputs: [tensorInfo('y'), tensorInfo('t'), tensorInfo('mask')],
        initializers: [floatTensor('wa', [4, 3, 1, 1], new Array(12).fill(0.5)), floatTensor('wb', [2, 4, 1, 1], new Array(8).fill(0.1))],
        nodes: [node('Conv', ['x', 'wa'], ['a'], {}, 'a'), node('Dropout', ['a'], ['d', 'mask'], {}, 'op'), node('Relu', ['d'], ['t'], {}, 'r'), node('Conv', ['a', 'wb'], ['y'], {}, 'b')],
      });
      expect(groups(dropout)).toEqual([INPUT, ['a', 4, ['it reaches the graph output "t"', 'it reaches the graph output "mask"']], OUTPUT]);
      const passes = [INPUT, ['a', 4, ['it reaches the graph output "t"']], OUTPUT];
      expect(groups(side([node('ReduceMean', ['a'], ['t'], { axes: [2, 3] }, 'op')]))).toEqual(passes);
      expect(groups(side([node('ReduceSum', ['a', 'ax'], ['t'], {}, 'op')], [i64('ax', [2, 3])]))).toEqual(passes);
      for (const axes of [[1, 2], [-3]]) {
        expect(groups(side([node('ReduceMean', ['a'], ['t'], { axes }, 'op')])), String(axes)).toEqual(blocked('ReduceMean "op", which reduces over the channel axis'));
      }
    });

    it('Reshape: [1, 4, H, W] to [1, 8, -1] mixes channels; [1, 4, 5, 5] to a stored [1, 100] is a flatten that stays prunable', () => {
      // Unknown H and W: the channel count changes (4 -> 8) while both spatial products are unknown.
      const unknownSize = side([node('Reshape', ['a', 'shp'], ['t'], {}, 'op')], [i64('shp', [1, 8, -1])], [1, 3, 'H', 'W']);
      expect(groups(unknownSize)).toEqual(blocked('Reshape "op", which reshapes [1,4,N,N] to [1,8,N] and mixes channels'));
      // [1, 4, 5, 5] -> [1, 100] = 4 channels x 25 pixels, read by a Gemm: the target's 100 is an initializer surgery can rewrite.
      const flatten = side([node('Reshape', ['a', 'shp'], ['r'], {}, 'op'), node('Gemm', ['r', 'wf'], ['t'], { transB: 1 }, 'fc')], [i64('shp', [1, 100]), floatTensor('wf', [2, 100], new Array(200).fill(0.1))]);
      expect(groups(flatten)).toEqual([INPUT, A_OK, OUTPUT, ['fc', 2, ['it reaches the graph output "t"']]]);
      const roles = analyzeChannels(flatten).groups.find((g) => g.id === 'a')!.members.map((m) => [m.node, m.role]);
      expect(roles).toContainEqual(['op', 'reshape']);
    });
  });

  it('Concat along H ties its inputs channel for channel: one group of two producers, both inputs join members', () => {
    // a and c (both x -> 4 channels) stacked along H: channel k of the result is channel k of a and of c.
    const model = caseModel(
      [
        ['Conv', ['x', 'wc'], ['c']],
        ['Concat', ['a', 'c'], ['m'], { axis: 2 }],
      ],
      { initializers: [floatTensor('wc', [4, 3, 1, 1], randomValues(seeded(3), 12))] },
    );
    expect(groups(model)).toEqual([INPUT, A_OK, OUTPUT]);
    const a = analyzeChannels(model).groups.find((g) => g.id === 'a')!;
    expect(a.producers).toEqual(['a', 'op0']);
    expect(a.members.filter((m) => m.role === 'join').map((m) => [m.node, m.tensor])).toEqual([['op1', 'a'], ['op1', 'c']]);
  });

  it('elementwise members: a per-channel constant is a member at its channel axis, a constant along W is not; one activation passes through, two join', () => {
    const members = (ops: Op[], initializers: TensorProto[]) =>
      analyzeChannels(caseModel(ops, { initializers }))
        .groups.find((g) => g.id === 'a')!
        .members.filter((m) => m.node.startsWith('op'))
        .map((m) => [m.node, m.role, m.tensor, m.input ?? null, m.axis ?? null]);
    const mul = (k: TensorProto) => members([['Mul', ['a', 'k'], ['m']]], [k]);
    expect(mul(floatTensor('k', [1, 4, 1, 1], [1, 2, 3, 4]))).toEqual([['op0', 'constant', 'm', 1, 1], ['op0', 'passthrough', 'a', null, null]]);
    // [4, 1, 1] lines up with [1, 4, 5, 5] from the right: its axis 0 holds the channels
    expect(mul(floatTensor('k', [4, 1, 1], [1, 2, 3, 4]))).toEqual([['op0', 'constant', 'm', 1, 0], ['op0', 'passthrough', 'a', null, null]]);
    // [1, 1, 1, 5] varies along W only: nothing to slice when channels go
    expect(mul(floatTensor('k', [1, 1, 1, 5], [1, 2, 3, 4, 5]))).toEqual([['op0', 'passthrough', 'a', null, null]]);
    const joined = members(
      [
        ['Conv', ['x', 'wc'], ['c']],
        ['Add', ['a', 'c'], ['m']],
      ],
      [floatTensor('wc', [4, 3, 1, 1], randomValues(seeded(3), 12))],
    );
    expect(joined.filter((m) => m[0] === 'op1')).toEqual([['op1', 'join', 'a', null, null], ['op1', 'join', 'c', null, null]]);
  });
});
