import { attrFloat, attrInt, attrInts, attrTensor, type ConstantValue, type Graph } from './graph.ts';
import type { Shape } from './layer.ts';
import { tensorDims, tensorValues } from '../onnx/tensor.ts';
import { EdgefoldError } from '../errors.ts';
import { clip, LIMITS } from '../limits.ts';
import { normAxis, SHAPE_RULES, type Ctx } from './shape-rules.ts';

export { SHAPE_RULES, windowGeometry, type WindowGeometry } from './shape-rules.ts';

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
