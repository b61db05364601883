// Shape rules of the ONNX operators and the window geometry of Conv / pooling: the formulas that
// shape inference (shapes.ts) applies node by node. Kept apart from the inference loop and the
// constant folding so that mutation testing can scope to the rules as a whole file (issue 14).
import { attrInt, attrInts, attrString, attrTensor, type ConstantValue, type Graph, type GraphNode } from './graph.ts';
import type { Shape } from './layer.ts';
import { tensorDims } from '../onnx/tensor.ts';
import { badInput } from '../errors.ts';
import { clip, quote } from '../limits.ts';

/** Kernel, stride, padding and dilation of a Conv or pooling node, with auto_pad resolved. */
export interface WindowGeometry {
  kernel: number[];
  stride: number[];
  /** [begin_0, begin_1, ..., end_0, end_1, ...] as in ONNX. */
  pads: number[];
  dilation: number[];
  outSpatial: (number | null)[];
}

/** Refuses window attributes no runtime accepts (they would give Infinity, NaN or negative counts). */
function checkWindow(node: GraphNode, name: string, values: number[], length: number, min: number): void {
  const bad = values.length !== length || values.some((v) => !Number.isSafeInteger(v) || v < min);
  if (bad) {
    throw badInput(
      `${node.op} node ${quote(node.name, 80)}: attribute "${name}" is [${clip(values.join(', '), 80)}]; it needs ${length} integer${length === 1 ? '' : 's'} of at least ${min}.`,
      node.name,
    );
  }
}

export function windowGeometry(node: GraphNode, inSpatial: (number | null)[], kernel: number[]): WindowGeometry {
  const rank = kernel.length;
  const stride = attrInts(node, 'strides') ?? Array(rank).fill(1);
  const dilation = attrInts(node, 'dilations') ?? Array(rank).fill(1);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const ceilMode = attrInt(node, 'ceil_mode', 0) === 1;
  let pads = attrInts(node, 'pads') ?? Array(2 * rank).fill(0);
  checkWindow(node, 'kernel_shape', kernel, inSpatial.length || kernel.length, 1);
  checkWindow(node, 'strides', stride, rank, 1);
  checkWindow(node, 'dilations', dilation, rank, 1);
  checkWindow(node, 'pads', pads, 2 * rank, 0);
  const outSpatial = inSpatial.map((size, i) => {
    if (size === null) return null;
    const span = dilation[i] * (kernel[i] - 1) + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(size / stride[i]);
    const [begin, end] = autoPad === 'VALID' ? [0, 0] : [pads[i], pads[i + rank]];
    if (!ceilMode) return Math.floor((size + begin + end - span) / stride[i]) + 1;
    // Pooling with ceil_mode, as onnxruntime computes it (VALID included): the last window may
    // run past the end, but one that would start in the end padding is dropped.
    const out = Math.ceil((size + begin + end - span) / stride[i]) + 1;
    return (out - 1) * stride[i] >= size + begin ? out - 1 : out;
  });
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER' || autoPad === 'VALID') {
    pads = Array(2 * rank).fill(0);
    if (autoPad !== 'VALID') {
      inSpatial.forEach((size, i) => {
        if (size === null) return;
        const total = Math.max(0, (outSpatial[i]! - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1 - size);
        const small = Math.floor(total / 2);
        pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
        pads[i + rank] = total - pads[i];
      });
    }
  }
  return { kernel, stride, pads, dilation, outSpatial };
}

const product = (dims: (number | null)[]): number | null =>
  dims.some((d) => d === null) ? null : (dims as number[]).reduce((a, b) => a * b, 1);

function broadcast(shapes: Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let dim: number | null = 1;
    for (const s of shapes) {
      const at = s.length - rank + i;
      const d = at < 0 ? 1 : s[at]; // null (dynamic) stays null; a missing leading dim broadcasts as 1
      if (d === null) dim = dim === 1 || dim === null ? null : dim;
      else if (d !== 1) {
        if (dim !== 1 && dim !== null && dim !== d) throw new Error(`cannot broadcast ${JSON.stringify(shapes)}`);
        dim = d;
      }
    }
    out.push(dim);
  }
  return out;
}

export const normAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

export interface Ctx {
  graph: Graph;
  node: GraphNode;
  input: (i: number) => Shape;
  constant: (i: number) => ConstantValue | undefined;
}

export type ShapeRule = (ctx: Ctx) => Shape[];

const same: ShapeRule = ({ input }) => [input(0)];
const elementwise: ShapeRule = ({ node, input }) => [broadcast(node.inputs.filter(Boolean).map((_, i) => input(i)))];

function pooled(ctx: Ctx): Shape[] {
  const { node, input } = ctx;
  const x = input(0);
  const kernel = attrInts(node, 'kernel_shape');
  if (!kernel) throw new Error('pooling without kernel_shape');
  const g = windowGeometry(node, x.slice(2), kernel);
  ctx.graph.windows[node.index] = g;
  return [[x[0], x[1], ...g.outSpatial]];
}

/** Axes from the attribute (older opsets) or the second input (opset 13+). */
function axesOf(ctx: Ctx, inputIndex: number): number[] | undefined {
  return attrInts(ctx.node, 'axes') ?? (ctx.node.inputs[inputIndex] ? Array.from(ctx.constant(inputIndex)?.values ?? []) : undefined);
}

export const SHAPE_RULES: Record<string, ShapeRule> = {
  Conv: (ctx) => {
    const x = ctx.input(0);
    const w = ctx.input(1);
    const group = attrInt(ctx.node, 'group', 1);
    // Only a refused node needs its quoted name.
    const where = () => `Conv node ${quote(ctx.node.name, 80)}`;
    if (x.length < 3 || w.length !== x.length) throw badInput(`${where()}: input rank ${x.length} and weight rank ${w.length} do not make a convolution.`, ctx.node.name);
    if (!Number.isSafeInteger(group) || group < 1) throw badInput(`${where()}: attribute "group" is ${group}; it must be an integer of at least 1.`, ctx.node.name);
    const [cout, cinPerGroup] = w;
    if (cout !== null && cout % group !== 0) throw badInput(`${where()}: group ${group} does not divide its ${cout} output channels.`, ctx.node.name);
    if (x[1] !== null && cinPerGroup !== null && x[1] !== cinPerGroup * group) {
      throw badInput(`${where()}: the input has ${x[1]} channels, but the weight expects ${cinPerGroup} per group x group ${group} = ${cinPerGroup * group}.`, ctx.node.name);
    }
    const kernel = attrInts(ctx.node, 'kernel_shape') ?? (w.slice(2) as number[]);
    const g = windowGeometry(ctx.node, x.slice(2), kernel);
    ctx.graph.windows[ctx.node.index] = g;
    return [[x[0], w[0], ...g.outSpatial]];
  },
  MaxPool: pooled,
  AveragePool: pooled,
  GlobalAveragePool: ({ input }) => [[...input(0).slice(0, 2), ...input(0).slice(2).map(() => 1)]],
  GlobalMaxPool: ({ input }) => [[...input(0).slice(0, 2), ...input(0).slice(2).map(() => 1)]],
  BatchNormalization: same,
  Relu: same,
  Clip: same,
  LeakyRelu: same,
  PRelu: same,
  Sigmoid: same,
  HardSigmoid: same,
  HardSwish: same,
  Tanh: same,
  Elu: same,
  Selu: same,
  Softmax: same,
  LogSoftmax: same,
  Identity: same,
  Dropout: ({ input }) => [input(0), input(0)],
  Round: same,
  Floor: same,
  Ceil: same,
  Abs: same,
  Neg: same,
  Exp: same,
  Log: same,
  Sqrt: same,
  Reciprocal: same,
  Cast: same,
  QuantizeLinear: same,
  DequantizeLinear: same,
  Add: elementwise,
  Sub: elementwise,
  Mul: elementwise,
  Div: elementwise,
  Pow: elementwise,
  Max: elementwise,
  Min: elementwise,
  Sum: elementwise,
  Concat: ({ node, input }) => {
    const shapes = node.inputs.map((_, i) => input(i));
    const axis = normAxis(attrInt(node, 'axis', 0), shapes[0].length);
    const out = [...shapes[0]];
    out[axis] = product(shapes.map((s) => s[axis])) === null ? null : shapes.reduce((n, s) => n + (s[axis] as number), 0);
    return [out];
  },
  Flatten: ({ node, input }) => {
    const x = input(0);
    const axis = normAxis(attrInt(node, 'axis', 1), x.length);
    return [[product(x.slice(0, axis)), product(x.slice(axis))]];
  },
  Reshape: (ctx) => {
    const x = ctx.input(0);
    const target = ctx.constant(1);
    if (!target) throw new Error('Reshape target is not constant');
    const allowZero = attrInt(ctx.node, 'allowzero', 0) === 1;
    const out: Shape = Array.from(target.values, (v, i) => (Number.isNaN(v) ? null : v === 0 && !allowZero ? (x[i] ?? null) : v));
    const minusOne = out.indexOf(-1);
    if (minusOne >= 0) {
      const total = product(x);
      const rest = product(out.filter((_, i) => i !== minusOne));
      if (total !== null && rest !== null) out[minusOne] = total / rest;
      else {
        // Unknown dims on both sides are taken to be the same (the batch): cancel them out.
        const knownIn = product(x.filter((d) => d !== null));
        const knownOut = product(out.filter((d, i) => d !== null && i !== minusOne));
        const unknownIn = x.filter((d) => d === null).length;
        const unknownOut = out.filter((d) => d === null).length;
        out[minusOne] = unknownIn === unknownOut ? knownIn! / knownOut! : null;
      }
    }
    return [out];
  },
  Transpose: ({ node, input }) => {
    const x = input(0);
    const perm = attrInts(node, 'perm') ?? x.map((_, i) => x.length - 1 - i);
    return [perm.map((p) => x[p])];
  },
  Squeeze: (ctx) => {
    const x = ctx.input(0);
    const axes = axesOf(ctx, 1)?.map((a) => normAxis(a, x.length));
    return [x.filter((d, i) => (axes ? !axes.includes(i) : d !== 1))];
  },
  Unsqueeze: (ctx) => {
    const x = ctx.input(0);
    const axes = axesOf(ctx, 1);
    if (!axes) throw new Error('Unsqueeze without axes');
    const rank = x.length + axes.length;
    const normalized = axes.map((a) => normAxis(a, rank));
    const out: Shape = [];
    let j = 0;
    for (let i = 0; i < rank; i++) out.push(normalized.includes(i) ? 1 : x[j++]);
    return [out];
  },
  Gemm: ({ node, input }) => {
    const a = input(0);
    const b = input(1);
    const m = attrInt(node, 'transA', 0) ? a[1] : a[0];
    const n = attrInt(node, 'transB', 0) ? b[0] : b[1];
    return [[m, n]];
  },
  MatMul: ({ input }) => {
    const a = input(0);
    const b = input(1);
    const a2 = a.length === 1 ? [1, a[0]] : a;
    const b2 = b.length === 1 ? [b[0], 1] : b;
    const batch = broadcast([a2.slice(0, -2), b2.slice(0, -2)]);
    const out = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
    if (a.length === 1) out.splice(out.length - 2, 1);
    if (b.length === 1) out.pop();
    return [out];
  },
  Pad: (ctx) => {
    const x = ctx.input(0);
    const pads = attrInts(ctx.node, 'pads') ?? (ctx.node.inputs[1] ? Array.from(ctx.constant(1)?.values ?? []) : undefined);
    if (!pads || pads.length !== 2 * x.length) throw new Error('Pad without constant pads');
    return [x.map((d, i) => (d === null ? null : d + pads[i] + pads[i + x.length]))];
  },
  ReduceMean: (ctx) => {
    const x = ctx.input(0);
    const axes = (axesOf(ctx, 1) ?? x.map((_, i) => i)).map((a) => normAxis(a, x.length));
    const keep = attrInt(ctx.node, 'keepdims', 1) === 1;
    return [keep ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i))];
  },
  Shape: ({ input }) => [[input(0).length]],
  Gather: (ctx) => {
    const x = ctx.input(0);
    const idx = ctx.input(1);
    const axis = normAxis(attrInt(ctx.node, 'axis', 0), x.length);
    return [[...x.slice(0, axis), ...idx, ...x.slice(axis + 1)]];
  },
  Constant: ({ node }) => {
    const t = attrTensor(node, 'value');
    if (t) return [tensorDims(t)];
    if (node.attrs.get('value_ints')) return [[attrInts(node, 'value_ints')!.length]];
    return [[]];
  },
};
