/**
 * Channel-group rules op by op (issue 14). Each case puts one op (or a short chain) between two
 * 1x1 convs: x -> Conv "a" (3 -> 4) -> [ops] -> Conv "b" (4 -> 2) -> y. Whether group "a" may be
 * pruned follows from the op's ONNX definition (does it keep channel c as channel c?). For every
 * case that may be pruned, onnxruntime checks that the pruned model (channels 1 and 2 of "a"
 * removed) computes what the unpruned model computes with those channels zeroed: the expected
 * value is onnxruntime's, not the pruner's.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { TensorProto } from 'onnx-buf';
import { buildModel, node, tensorInfo, type AttrValue } from '../onnx/builder.ts';
import { encodeModel, type ModelProto } from '../onnx/model.ts';
import { floatTensor, int64Tensor } from '../onnx/tensor.ts';
import { analyzeChannels, applyPruning, maskModel } from './index.ts';
import { maxRelativeDiff, randomValues, seeded } from './testing.ts';

ort.env.logLevel = 'error';

interface Case {
  name: string;
  /** Ops from "a" (tensor `a`) to the tensor `m` conv "b" reads. */
  ops: { op: string; inputs: string[]; outputs: string[]; attrs?: Record<string, AttrValue>; domain?: string }[];
  initializers?: TensorProto[];
  opset?: number;
  /** null: prunable; otherwise a fragment of the reason. */
  blocked: string | null;
}

const i64 = (name: string, values: number[], dims = [values.length]) => int64Tensor(name, dims, values);

const CASES: Case[] = [
  { name: 'Relu', ops: [{ op: 'Relu', inputs: ['a'], outputs: ['m'] }], blocked: null },
  { name: 'MaxPool 3x3 with pads, and its indices output', ops: [{ op: 'MaxPool', inputs: ['a'], outputs: ['m', 'idx'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } }], blocked: null },
  { name: 'Transpose of H and W', ops: [{ op: 'Transpose', inputs: ['a'], outputs: ['m'], attrs: { perm: [0, 1, 3, 2] } }], blocked: null },
  { name: 'Transpose moving channels', ops: [{ op: 'Transpose', inputs: ['a'], outputs: ['t'], attrs: { perm: [0, 2, 1, 3] } }, { op: 'Transpose', inputs: ['t'], outputs: ['m'], attrs: { perm: [0, 2, 1, 3] } }], blocked: 'which moves the channel axis' },
  { name: 'Pad on H and W', ops: [{ op: 'Pad', inputs: ['a', 'p'], outputs: ['m'] }], initializers: [i64('p', [0, 0, 1, 2, 0, 0, 2, 1])], blocked: null },
  { name: 'Pad shifting the channels (one in front, one cut at the end)', ops: [{ op: 'Pad', inputs: ['a', 'p'], outputs: ['m'] }], initializers: [i64('p', [0, 1, 0, 0, 0, -1, 0, 0])], blocked: 'which may pad the channel axis' },
  { name: 'Unsqueeze then Squeeze on a spatial axis', ops: [{ op: 'Unsqueeze', inputs: ['a', 'ax'], outputs: ['u'] }, { op: 'Squeeze', inputs: ['u', 'ax'], outputs: ['m'] }], initializers: [i64('ax', [2])], blocked: null },
  { name: 'Unsqueeze on the channel axis', ops: [{ op: 'Unsqueeze', inputs: ['a', 'ax'], outputs: ['u'] }, { op: 'Squeeze', inputs: ['u', 'ax'], outputs: ['m'] }], initializers: [i64('ax', [1])], blocked: 'which touches the batch or channel axis' },
  { name: 'ReduceMean over H (keepdims)', ops: [{ op: 'ReduceMean', inputs: ['a'], outputs: ['m'], attrs: { axes: [2] } }], blocked: null },
  { name: 'ReduceMean over channels', ops: [{ op: 'ReduceMean', inputs: ['a'], outputs: ['r'], attrs: { axes: [1] } }, { op: 'Add', inputs: ['r', 'a'], outputs: ['m'] }], blocked: 'which reduces over the channel axis' },
  { name: 'Softmax over W (opset 13)', ops: [{ op: 'Softmax', inputs: ['a'], outputs: ['m'], attrs: { axis: -1 } }], blocked: null },
  { name: 'Softmax over channels (opset 13)', ops: [{ op: 'Softmax', inputs: ['a'], outputs: ['m'], attrs: { axis: 1 } }], blocked: 'which normalizes across channels' },
  { name: 'Softmax default axis (opset 11 flattens from axis 1)', opset: 11, ops: [{ op: 'Softmax', inputs: ['a'], outputs: ['m'] }], blocked: 'which normalizes across channels' },
  { name: 'Softmax axis 2 (opset 11)', opset: 11, ops: [{ op: 'Softmax', inputs: ['a'], outputs: ['m'], attrs: { axis: 2 } }], blocked: null },
  { name: 'Mul by a per-channel constant', ops: [{ op: 'Mul', inputs: ['a', 'k'], outputs: ['m'] }], initializers: [floatTensor('k', [1, 4, 1, 1], [0.5, -1, 2, 3])], blocked: null },
  { name: 'Add of a per-channel constant of rank 3', ops: [{ op: 'Add', inputs: ['k', 'a'], outputs: ['m'] }], initializers: [floatTensor('k', [4, 1, 1], [0.5, -1, 2, 3])], blocked: null },
  { name: 'Mul by a scalar', ops: [{ op: 'Mul', inputs: ['a', 'k'], outputs: ['m'] }], initializers: [floatTensor('k', [], [0.5])], blocked: null },
  { name: 'a grouped conv (group 2)', ops: [{ op: 'Conv', inputs: ['a', 'wg'], outputs: ['m'], attrs: { group: 2 } }], initializers: [floatTensor('wg', [4, 2, 1, 1], randomValues(seeded(5), 8))], blocked: 'a grouped conv (group=2), which edgefold does not prune' },
  { name: 'a depthwise conv with multiplier 2', ops: [{ op: 'Conv', inputs: ['a', 'wm'], outputs: ['d'], attrs: { group: 4 } }, { op: 'Conv', inputs: ['d', 'wm2'], outputs: ['m'] }], initializers: [floatTensor('wm', [8, 1, 1, 1], randomValues(seeded(6), 8)), floatTensor('wm2', [4, 8, 1, 1], randomValues(seeded(6), 32))], blocked: 'a depthwise conv with channel multiplier 2' },
  { name: 'a depthwise conv', ops: [{ op: 'Conv', inputs: ['a', 'wd', 'bd'], outputs: ['m'], attrs: { group: 4, kernel_shape: [3, 3], pads: [1, 1, 1, 1] } }], initializers: [floatTensor('wd', [4, 1, 3, 3], randomValues(seeded(7), 36)), floatTensor('bd', [4], [0.1, 0.2, 0.3, 0.4])], blocked: null },
  { name: 'an op from another domain', ops: [{ op: 'Relu', inputs: ['a'], outputs: ['m'], domain: 'com.example' }], blocked: 'an operator from domain "com.example"' },
  { name: 'an op whose channel semantics are unknown (LRN)', ops: [{ op: 'LRN', inputs: ['a'], outputs: ['m'], attrs: { size: 3 } }], blocked: 'whose channel semantics edgefold does not know' },
  { name: 'BatchNormalization (inference)', ops: [{ op: 'BatchNormalization', inputs: ['a', 'g', 'be', 'mu', 'v'], outputs: ['m'] }], initializers: ['g', 'be', 'mu', 'v'].map((n, i) => floatTensor(n, [4], [1 + i, 0.5, 0.25 * i, 2])), blocked: null },
  { name: 'DequantizeLinear with a per-tensor scale', ops: [{ op: 'QuantizeLinear', inputs: ['a', 'qs'], outputs: ['q'] }, { op: 'DequantizeLinear', inputs: ['q', 'qs'], outputs: ['m'] }], initializers: [floatTensor('qs', [], [0.05])], blocked: null },
  { name: 'QuantizeLinear with a per-channel scale', ops: [{ op: 'QuantizeLinear', inputs: ['a', 'qs'], outputs: ['q'], attrs: { axis: 1 } }, { op: 'DequantizeLinear', inputs: ['q', 'qs'], outputs: ['m'], attrs: { axis: 1 } }], initializers: [floatTensor('qs', [4], [0.05, 0.1, 0.05, 0.1])], blocked: 'which quantizes per channel' },
  { name: 'Shape read for the batch only', ops: [{ op: 'Shape', inputs: ['a'], outputs: ['s'] }, { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'] }, { op: 'Relu', inputs: ['a'], outputs: ['m'] }], initializers: [i64('zero', [0])], blocked: null },
  { name: 'Shape read for the channel count', ops: [{ op: 'Shape', inputs: ['a'], outputs: ['s'] }, { op: 'Gather', inputs: ['s', 'one'], outputs: ['n'] }, { op: 'Relu', inputs: ['a'], outputs: ['m'] }], initializers: [i64('one', [1])], blocked: 'its channel count is read at run time by Shape' },
  { name: 'Concat with itself on H (a join)', ops: [{ op: 'Concat', inputs: ['a', 'a'], outputs: ['m'], attrs: { axis: 2 } }], blocked: null },
  { name: 'Concat on H with a constant', ops: [{ op: 'Concat', inputs: ['a', 'kc'], outputs: ['m'], attrs: { axis: -2 } }], initializers: [floatTensor('kc', [1, 4, 1, 5], new Array<number>(20).fill(1))], blocked: 'joins tensors whose channels do not line up' },
  { name: 'Flatten and Reshape back (channels kept)', ops: [{ op: 'Reshape', inputs: ['a', 'shape'], outputs: ['m'] }], initializers: [i64('shape', [0, 4, 5, 5])], blocked: null },
  { name: 'Reshape that mixes channels', ops: [{ op: 'Reshape', inputs: ['a', 'shape'], outputs: ['t'] }, { op: 'Reshape', inputs: ['t', 'back'], outputs: ['m'] }], initializers: [i64('shape', [1, 2, 10, 5]), i64('back', [1, 4, 5, 5])], blocked: 'and mixes channels' },
];

/** x[1,3,5,5] -> Conv a (3->4, bias) -> ops -> Conv b (4->2) -> y; the batch is 1 so Reshape targets are static. */
function caseModel(c: Case): ModelProto {
  const r = seeded(11);
  const nodes = [node('Conv', ['x', 'wa', 'ba'], ['a'], {}, 'a')];
  for (const [i, o] of c.ops.entries()) {
    const n = node(o.op, o.inputs, o.outputs, o.attrs ?? {}, `op${i}`);
    if (o.domain) n.domain = o.domain;
    nodes.push(n);
  }
  nodes.push(node('Conv', ['m', 'wb'], ['y'], {}, 'b'));
  const model = buildModel({
    opset: c.opset ?? 13,
    inputs: [tensorInfo('x', [1, 3, 5, 5])],
    outputs: [tensorInfo('y')],
    initializers: [floatTensor('wa', [4, 3, 1, 1], randomValues(r, 12)), floatTensor('ba', [4], randomValues(r, 4, 0.3)), floatTensor('wb', [2, 4, 1, 1], randomValues(r, 8)), ...(c.initializers ?? [])],
    nodes,
  });
  if (c.ops.some((o) => o.domain)) model.opsetImport.push({ ...model.opsetImport[0], domain: 'com.example', version: 1n });
  return model;
}

async function run(model: ModelProto): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(encodeModel(model), { logSeverityLevel: 3, graphOptimizationLevel: 'disabled' });
  try {
    const x = new ort.Tensor('float32', Float32Array.from(randomValues(seeded(3), 75, 2)), [1, 3, 5, 5]);
    return (await session.run({ x })).y.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('channel groups, op by op', () => {
  it('prunable exactly when the op keeps channel c as channel c; the pruned model matches onnxruntime on the masked one', async () => {
    const wrong: string[] = [];
    for (const c of CASES) {
      const model = caseModel(c);
      const analysis = analyzeChannels(model);
      const a = analysis.groups.find((g) => g.producers.includes('a'));
      if (!a) {
        wrong.push(`${c.name}: no group for conv a`);
        continue;
      }
      const reasons = a.reasons.join('; ');
      if (c.blocked === null ? !a.prunable : a.prunable || !reasons.includes(c.blocked)) {
        wrong.push(`${c.name}: prunable ${a.prunable}, reasons "${reasons}"; expected ${c.blocked === null ? 'prunable' : `"${c.blocked}"`}`);
        continue;
      }
      if (!a.prunable) continue;
      expect(a.size).toBe(4);
      const keep = new Map([[a.id, [0, 3]]]);
      const [pruned, masked] = [await run(applyPruning(model, analysis, keep)), await run(maskModel(model, analysis, keep))];
      const full = await run(model);
      if (pruned.length !== masked.length || maxRelativeDiff(pruned, masked) > 1e-5) wrong.push(`${c.name}: pruned and masked outputs differ by ${maxRelativeDiff(pruned, masked)}`);
      if (maxRelativeDiff(masked, full) < 1e-3) wrong.push(`${c.name}: the mask changed nothing (the check would be vacuous)`);
    }
    expect(wrong).toEqual([]);
  }, 60_000);

  it('a conv with one output channel is a group of one that cannot be pruned; a group reaching the output cannot either', () => {
    const one = caseModel({ name: '', ops: [{ op: 'Relu', inputs: ['a'], outputs: ['m'] }], blocked: null });
    one.graph!.initializer[0] = floatTensor('wa', [1, 3, 1, 1], [1, 2, 3]);
    one.graph!.initializer[1] = floatTensor('ba', [1], [0]);
    one.graph!.initializer[2] = floatTensor('wb', [2, 1, 1, 1], [1, 2]);
    const g = analyzeChannels(one).groups.find((x) => x.producers.includes('a'))!;
    expect(g).toMatchObject({ size: 1, prunable: false, reasons: ['it has a single channel (at least one must stay)'] });
    const out = caseModel({ name: '', ops: [{ op: 'Relu', inputs: ['a'], outputs: ['m'] }], blocked: null });
    out.graph!.output.push(tensorInfo('m'));
    expect(analyzeChannels(out).groups.find((x) => x.producers.includes('a'))!.reasons).toEqual(['it reaches the graph output "m"']);
  });
});
