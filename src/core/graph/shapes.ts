import { attrFloat, attrInt, attrInts, attrString, attrTensor, type ConstantValue, type Graph, type GraphNode } from './graph.ts';
import type { Shape } from './layer.ts';
import { tensorDims, tensorValues } from '../onnx/tensor.ts';
import { badInput, EdgefoldError } from '../errors.ts';
import { clip, LIMITS, quote } from '../limits.ts';

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

const normAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

interface Ctx {
  graph: Graph;
  node: GraphNode;
  input: (i: number) => Shape;
  constant: (i: number) => ConstantValue | undefined;
}

type ShapeRule = (ctx: Ctx) => Shape[];

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

/** Small constant subgraphs (the Shape -> Gather -> Concat -> Reshape chains exporters write). */
const CONSTANT_RULES: Record<string, (ctx: Ctx) => ConstantValue | undefined> = {
  Constant: ({ node }) => {
    const t = attrTensor(node, 'value');
    if (t) return { dims: tensorDims(t), values: tensorValues(t) };
    const ints = attrInts(node, 'value_ints');
    if (ints) return { dims: [ints.length], values: Float64Array.from(ints) };
    const f = node.attrs.get('value_float');
    if (f) return { dims: [], values: Float64Array.of(attrFloat(node, 'value_float', 0)) };
    return undefined;
  },
  Identity: (ctx) => ctx.constant(0),
  Cast: (ctx) => ctx.constant(0),
  Shape: (ctx) => {
    const x = ctx.input(0);
    return { dims: [x.length], values: Float64Array.from(x, (d) => (d === null ? NaN : d)) };
  },
  Gather: (ctx) => {
    const data = ctx.constant(0);
    const idx = ctx.constant(1);
    if (!data || !idx || data.dims.length !== 1) return undefined;
    const n = data.values.length;
    return { dims: idx.dims, values: idx.values.map((i) => data.values[i < 0 ? i + n : i]) };
  },
  Unsqueeze: (ctx) => {
    const c = ctx.constant(0);
    return c && { dims: SHAPE_RULES.Unsqueeze(ctx)[0] as number[], values: c.values };
  },
  Squeeze: (ctx) => {
    const c = ctx.constant(0);
    return c && { dims: SHAPE_RULES.Squeeze(ctx)[0] as number[], values: c.values };
  },
  Concat: (ctx) => {
    const parts = ctx.node.inputs.map((_, i) => ctx.constant(i));
    if (parts.some((p) => !p || p.dims.length > 1)) return undefined;
    const values = Float64Array.from(parts.flatMap((p) => Array.from(p!.values)));
    return { dims: [values.length], values };
  },
  DequantizeLinear: (ctx) => {
    const x = ctx.constant(0);
    const scale = ctx.constant(1);
    const zero = ctx.node.inputs[2] ? ctx.constant(2) : undefined;
    if (!x || !scale || (ctx.node.inputs[2] && !zero)) return undefined;
    const axis = normAxis(attrInt(ctx.node, 'axis', 1), x.dims.length);
    const inner = x.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const perChannel = scale.values.length > 1;
    const values = x.values.map((q, i) => {
      const c = perChannel ? Math.floor(i / inner) % x.dims[axis] : 0;
      return (q - (zero?.values[c] ?? 0)) * scale.values[c];
    });
    return { dims: x.dims, values };
  },
};

/** A shape with a negative, fractional or absurd dim is not a shape: the rule's result is dropped. */
function checkedShape(shape: Shape): Shape {
  if (!Array.isArray(shape) || shape.length > LIMITS.model.rank) throw new Error(`inferred rank ${shape?.length} is out of range`);
  for (const d of shape) {
    if (d !== null && (!Number.isSafeInteger(d) || d < 0 || d > LIMITS.model.dim)) throw new Error(`inferred shape [${clip(shape.join(', '), 80)}] is invalid`);
  }
  return shape;
}

export interface ShapeProblem {
  node: string;
  op: string;
  message: string;
}

/**
 * Infers every tensor's shape in topological order. A node whose shape cannot be inferred
 * (unknown op, non-constant Reshape target) falls back to the shapes declared in the file;
 * failing that its outputs stay unknown and a problem is recorded, never thrown.
 */
export function inferShapes(graph: Graph): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  for (const input of graph.model.graph!.input) {
    const declared = graph.declaredShapes.get(input.name);
    if (declared && !graph.isInitializer(input.name)) graph.shapes.set(input.name, declared);
  }
  for (const [name, t] of graph.initializers) graph.shapes.set(name, tensorDims(t));

  // One context for all nodes (rules never keep it): no closures allocated per node.
  let node = graph.nodes[0];
  const ctx: Ctx = {
    graph,
    node,
    input: (i) => {
      const name = node.inputs[i];
      const s = name ? graph.shape(name) : undefined;
      if (!s) throw new Error(`shape of input ${i} ("${name}") is unknown`);
      return s;
    },
    constant: (i) => (node.inputs[i] ? graph.constant(node.inputs[i]) : undefined),
  };
  for (node of graph.nodes) {
    ctx.node = node;
    const rule = node.domain === '' || node.domain === 'ai.onnx' ? SHAPE_RULES[node.op] : undefined;
    let outputs: Shape[] | undefined;
    if (rule) {
      try {
        outputs = rule(ctx);
        if (outputs) for (const shape of outputs) checkedShape(shape);
      } catch (error) {
        // Attributes no runtime accepts refuse the model; anything else only leaves shapes unknown.
        if (error instanceof EdgefoldError) throw error;
        outputs = undefined;
        problems.push({ node: node.name, op: node.op, message: (error as Error).message });
      }
    }
    let missing = false;
    for (let i = 0; i < node.outputs.length; i++) {
      const out = node.outputs[i];
      const shape = outputs?.[i] ?? graph.declaredShapes.get(out);
      if (shape) graph.shapes.set(out, shape);
      else if (out) missing = true;
    }
    if (!rule && missing) problems.push({ node: node.name, op: node.op, message: `no shape rule for ${node.op}` });
    const constantRule = CONSTANT_RULES[node.op];
    if (constantRule && node.outputs[0]) {
      try {
        const value = constantRule(ctx);
        if (value) graph.constants.set(node.outputs[0], value);
      } catch {
        // Not constant after all: the shape alone is enough.
      }
    }
  }
  return problems;
}
