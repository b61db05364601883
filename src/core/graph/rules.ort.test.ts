/**
 * The shape rules other than Conv / pooling, each checked against the output shape onnxruntime
 * produces for a one- or two-node model (issue 14: expected values from an independent source).
 * Every case also names the shape worked by hand, so a failure says which side moved.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildModel, node, tensorInfo, type AttrValue } from '../onnx/builder.ts';
import { encodeModel } from '../onnx/model.ts';
import { DataType, floatTensor, int64Tensor } from '../onnx/tensor.ts';
import type { TensorProto } from 'onnx-buf';
import { Graph } from './graph.ts';
import { inferShapes } from './shapes.ts';

ort.env.logLevel = 'error';

interface Case {
  name: string;
  /** Graph inputs with their (static) shapes. */
  inputs: Record<string, number[]>;
  initializers?: TensorProto[];
  nodes: { op: string; inputs: string[]; outputs?: string[]; attrs?: Record<string, AttrValue> }[];
  opset?: number;
  /** The output is int64 (Shape). */
  int64Out?: boolean;
  /** Worked by hand from the ONNX operator definitions. */
  hand: number[];
}

const f = (name: string, dims: number[]) => floatTensor(name, dims, new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(0.5));
const i64 = (name: string, values: number[], dims = [values.length]) => int64Tensor(name, dims, values);

const CASES: Case[] = [
  { name: 'Reshape with 0 (copy) and -1 (infer)', inputs: { x: [2, 3, 4, 5] }, initializers: [i64('s', [0, -1, 5])], nodes: [{ op: 'Reshape', inputs: ['x', 's'] }], hand: [2, 12, 5] },
  { name: 'Reshape with -1 first', inputs: { x: [2, 3, 4] }, initializers: [i64('s', [-1, 6])], nodes: [{ op: 'Reshape', inputs: ['x', 's'] }], hand: [4, 6] },
  { name: 'Reshape allowzero = 1 keeps a literal 0', inputs: { x: [0, 3] }, initializers: [i64('s', [3, 0])], nodes: [{ op: 'Reshape', inputs: ['x', 's'], attrs: { allowzero: 1 } }], opset: 14, hand: [3, 0] },
  { name: 'Flatten axis 2', inputs: { x: [2, 3, 4, 5] }, nodes: [{ op: 'Flatten', inputs: ['x'], attrs: { axis: 2 } }], hand: [6, 20] },
  { name: 'Flatten axis -1', inputs: { x: [2, 3, 4, 5] }, nodes: [{ op: 'Flatten', inputs: ['x'], attrs: { axis: -1 } }], hand: [24, 5] },
  { name: 'Flatten axis 0', inputs: { x: [2, 3, 4] }, nodes: [{ op: 'Flatten', inputs: ['x'], attrs: { axis: 0 } }], hand: [1, 24] },
  { name: 'Flatten default axis 1', inputs: { x: [2, 3, 4] }, nodes: [{ op: 'Flatten', inputs: ['x'] }], hand: [2, 12] },
  { name: 'Transpose with perm', inputs: { x: [2, 3, 4, 5] }, nodes: [{ op: 'Transpose', inputs: ['x'], attrs: { perm: [0, 2, 3, 1] } }], hand: [2, 4, 5, 3] },
  { name: 'Transpose without perm reverses', inputs: { x: [2, 3, 4] }, nodes: [{ op: 'Transpose', inputs: ['x'] }], hand: [4, 3, 2] },
  { name: 'Squeeze with axes (negative)', inputs: { x: [1, 3, 1, 5] }, initializers: [i64('a', [-2])], nodes: [{ op: 'Squeeze', inputs: ['x', 'a'] }], hand: [1, 3, 5] },
  { name: 'Squeeze without axes drops every 1', inputs: { x: [1, 3, 1, 5] }, nodes: [{ op: 'Squeeze', inputs: ['x'] }], hand: [3, 5] },
  { name: 'Squeeze with axes attribute (opset 11)', inputs: { x: [1, 3, 1, 5] }, nodes: [{ op: 'Squeeze', inputs: ['x'], attrs: { axes: [0] } }], opset: 11, hand: [3, 1, 5] },
  { name: 'Unsqueeze at 0 and -1', inputs: { x: [3, 4] }, initializers: [i64('a', [0, -1])], nodes: [{ op: 'Unsqueeze', inputs: ['x', 'a'] }], hand: [1, 3, 4, 1] },
  { name: 'Unsqueeze in the middle', inputs: { x: [3, 4] }, initializers: [i64('a', [1, 3])], nodes: [{ op: 'Unsqueeze', inputs: ['x', 'a'] }], hand: [3, 1, 4, 1] },
  { name: 'Concat axis 1', inputs: { a: [2, 3, 4], b: [2, 5, 4] }, nodes: [{ op: 'Concat', inputs: ['a', 'b'], attrs: { axis: 1 } }], hand: [2, 8, 4] },
  { name: 'Concat axis -1, three inputs', inputs: { a: [2, 3], b: [2, 1], c: [2, 4] }, nodes: [{ op: 'Concat', inputs: ['a', 'b', 'c'], attrs: { axis: -1 } }], hand: [2, 8] },
  { name: 'Gemm plain', inputs: { a: [3, 4] }, initializers: [f('b', [4, 5])], nodes: [{ op: 'Gemm', inputs: ['a', 'b'] }], hand: [3, 5] },
  { name: 'Gemm transA, transB', inputs: { a: [4, 3] }, initializers: [f('b', [5, 4])], nodes: [{ op: 'Gemm', inputs: ['a', 'b'], attrs: { transA: 1, transB: 1 } }], hand: [3, 5] },
  { name: 'MatMul batched with broadcasting', inputs: { a: [2, 1, 3, 4] }, initializers: [f('b', [5, 4, 6])], nodes: [{ op: 'MatMul', inputs: ['a', 'b'] }], hand: [2, 5, 3, 6] },
  { name: 'MatMul 1-D on the left', inputs: { a: [4] }, initializers: [f('b', [2, 4, 3])], nodes: [{ op: 'MatMul', inputs: ['a', 'b'] }], hand: [2, 3] },
  { name: 'MatMul 1-D on the right', inputs: { a: [2, 3, 4] }, initializers: [f('b', [4])], nodes: [{ op: 'MatMul', inputs: ['a', 'b'] }], hand: [2, 3] },
  { name: 'Pad from an input', inputs: { x: [1, 2, 3, 4] }, initializers: [i64('p', [0, 1, 2, 3, 0, 0, 1, 2])], nodes: [{ op: 'Pad', inputs: ['x', 'p'] }], hand: [1, 3, 6, 9] },
  { name: 'Pad attribute (opset 10)', inputs: { x: [1, 2, 3] }, nodes: [{ op: 'Pad', inputs: ['x'], attrs: { pads: [0, 0, 1, 0, 2, 3] } }], opset: 10, hand: [1, 4, 7] },
  { name: 'ReduceMean keepdims', inputs: { x: [2, 3, 4, 5] }, nodes: [{ op: 'ReduceMean', inputs: ['x'], attrs: { axes: [2, -1] } }], hand: [2, 3, 1, 1] },
  { name: 'ReduceMean keepdims 0', inputs: { x: [2, 3, 4, 5] }, nodes: [{ op: 'ReduceMean', inputs: ['x'], attrs: { axes: [1], keepdims: 0 } }], hand: [2, 4, 5] },
  { name: 'ReduceMean over all axes', inputs: { x: [2, 3, 4] }, nodes: [{ op: 'ReduceMean', inputs: ['x'], attrs: { keepdims: 0 } }], hand: [] },
  { name: 'Gather axis 1 with 2-D indices', inputs: { x: [2, 5, 3] }, initializers: [i64('i', [0, 4, 1, 2], [2, 2])], nodes: [{ op: 'Gather', inputs: ['x', 'i'], attrs: { axis: 1 } }], hand: [2, 2, 2, 3] },
  { name: 'Gather scalar index, axis -1', inputs: { x: [2, 5, 3] }, initializers: [i64('i', [1], [])], nodes: [{ op: 'Gather', inputs: ['x', 'i'], attrs: { axis: -1 } }], hand: [2, 5] },
  { name: 'Add broadcasting a shorter rank', inputs: { a: [2, 3, 4], b: [4] }, nodes: [{ op: 'Add', inputs: ['a', 'b'] }], hand: [2, 3, 4] },
  { name: 'Mul broadcasting 1s both ways', inputs: { a: [2, 1, 4], b: [3, 1] }, nodes: [{ op: 'Mul', inputs: ['a', 'b'] }], hand: [2, 3, 4] },
  { name: 'Sum of three', inputs: { a: [3, 1], b: [1, 4], c: [4] }, nodes: [{ op: 'Sum', inputs: ['a', 'b', 'c'] }], hand: [3, 4] },
  { name: 'GlobalAveragePool', inputs: { x: [2, 3, 5, 7] }, nodes: [{ op: 'GlobalAveragePool', inputs: ['x'] }], hand: [2, 3, 1, 1] },
  { name: 'GlobalMaxPool 1-D', inputs: { x: [2, 3, 5] }, nodes: [{ op: 'GlobalMaxPool', inputs: ['x'] }], hand: [2, 3, 1] },
  { name: 'Shape', inputs: { x: [2, 3, 4] }, nodes: [{ op: 'Shape', inputs: ['x'] }], int64Out: true, hand: [3] },
  { name: 'Shape -> Gather -> Unsqueeze -> Concat -> Reshape (constant folding)', inputs: { x: [2, 3, 4] }, initializers: [i64('zero', [0]), i64('rest', [-1]), i64('ax', [0])], nodes: [
    { op: 'Shape', inputs: ['x'], outputs: ['s'] },
    { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'] },
    { op: 'Concat', inputs: ['n', 'rest'], outputs: ['t'], attrs: { axis: 0 } },
    { op: 'Reshape', inputs: ['x', 't'] },
  ], hand: [2, 12] },
  { name: 'Shape -> Gather(scalar) -> Unsqueeze -> Concat -> Reshape', inputs: { x: [2, 3, 4] }, initializers: [i64('one', [1], []), i64('rest', [-1]), i64('ax', [0])], nodes: [
    { op: 'Shape', inputs: ['x'], outputs: ['s'] },
    { op: 'Gather', inputs: ['s', 'one'], outputs: ['n'] },
    { op: 'Unsqueeze', inputs: ['n', 'ax'], outputs: ['u'] },
    { op: 'Concat', inputs: ['rest', 'u'], outputs: ['t'], attrs: { axis: 0 } },
    { op: 'Reshape', inputs: ['x', 't'] },
  ], hand: [8, 3] },
  { name: 'Constant value -> Reshape', inputs: { x: [2, 3, 4] }, nodes: [
    { op: 'Constant', inputs: [], outputs: ['t'], attrs: { value: i64('', [4, -1]) } },
    { op: 'Reshape', inputs: ['x', 't'] },
  ], hand: [4, 6] },
  { name: 'Constant value_ints -> Reshape', inputs: { x: [2, 3, 4] }, nodes: [
    { op: 'Constant', inputs: [], outputs: ['t'], attrs: { value_ints: [3, 8] } },
    { op: 'Reshape', inputs: ['x', 't'] },
  ], hand: [3, 8] },
  { name: 'Dropout (inference) keeps the shape', inputs: { x: [2, 3] }, nodes: [{ op: 'Dropout', inputs: ['x'] }], hand: [2, 3] },
];

function caseModel(c: Case) {
  const nodes = c.nodes.map((n, i) => node(n.op, n.inputs, n.outputs ?? (i === c.nodes.length - 1 ? ['y'] : [`t${i}`]), n.attrs ?? {}, `n${i}`));
  return buildModel({
    opset: c.opset ?? 13,
    inputs: Object.entries(c.inputs).map(([name, dims]) => tensorInfo(name, dims)),
    outputs: [tensorInfo('y', undefined, c.int64Out ? DataType.INT64 : DataType.FLOAT)],
    initializers: c.initializers ?? [],
    nodes,
  });
}

async function ortShape(c: Case): Promise<number[]> {
  const session = await ort.InferenceSession.create(encodeModel(caseModel(c)), { logSeverityLevel: 3 });
  try {
    const feeds = Object.fromEntries(
      Object.entries(c.inputs).map(([name, dims]) => [name, new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(1), dims)]),
    );
    return (await session.run(feeds)).y.dims.map(Number);
  } finally {
    await session.release();
  }
}

describe('shape rules vs onnxruntime', () => {
  it('every case: the inferred shape is onnxruntime\'s, and both are the hand-worked one', async () => {
    const mismatches: string[] = [];
    for (const c of CASES) {
      const ortDims = await ortShape(c);
      const graph = new Graph(caseModel(c));
      const shapeProblems = inferShapes(graph);
      const ours = graph.shape('y');
      if (JSON.stringify(ours) !== JSON.stringify(ortDims) || JSON.stringify(ortDims) !== JSON.stringify(c.hand)) {
        mismatches.push(`${c.name}: inferred ${JSON.stringify(ours)}, onnxruntime ${JSON.stringify(ortDims)}, by hand ${JSON.stringify(c.hand)}; problems ${JSON.stringify(shapeProblems)}`);
      }
    }
    expect(mismatches).toEqual([]);
  }, 60_000);
});
