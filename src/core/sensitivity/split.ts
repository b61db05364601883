/**
 * Split-graph evaluation: a model is cut in front of the first node a sweep varies. The prefix
 * (every node before the cut) computes the same activations for every point of the sweep, so it
 * runs once per batch; the suffix of each point's model is fed from those activations.
 *
 * The cut is defined on the base model by a topological position `k`: the prefix is the nodes
 * with index < k that depend on a graph input (constant-only subgraphs, e.g. Shape arithmetic on
 * initializers, stay in the suffix), and the cut tensors are the prefix tensors (or graph inputs)
 * that later nodes read. A point model differs from the base only at or after position k, so its
 * suffix is found by walking back from the first output and stopping at the cut tensors.
 */
import { create } from '@bufbuild/protobuf';
import { ModelProtoSchema, GraphProtoSchema, type ModelProto, type ValueInfoProto } from 'onnx-buf';
import { EdgefoldError } from '../errors.ts';
import { Graph } from '../graph/graph.ts';
import { inferShapes } from '../graph/shapes.ts';
import { tensorInfo } from '../onnx/builder.ts';

/** Ops whose outputs are not float32 activations; a cut never crosses them. */
const NON_FLOAT = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'Cast', 'Equal', 'Greater', 'Less', 'Not', 'And', 'Or']);

export interface Cut {
  /** Topological index (in the base graph) of the first node not in the prefix. */
  index: number;
  /** Tensors handed from prefix to suffix (the graph input itself when nothing is cut off). */
  tensors: string[];
  /** Shapes of the cut tensors (batch dimension null). */
  shapes: (number | null)[][];
  /** True when the prefix is empty: the suffix is fed the model input directly. */
  trivial: boolean;
  /** Per-image floats the cut tensors hold (for memory budgets). */
  floatsPerImage: number;
}

/** Tensors that depend on a graph input (the others are constants the suffix can recompute). */
function dynamicTensors(graph: Graph): Set<string> {
  const dynamic = new Set(graph.inputs.map((i) => i.name));
  for (const node of graph.nodes) {
    if (node.inputs.some((i) => i && dynamic.has(i))) for (const o of node.outputs) if (o) dynamic.add(o);
  }
  return dynamic;
}

/** The cut in front of topological position `index` of an analysed graph (shapes inferred). */
export function cutBefore(graph: Graph, index: number): Cut {
  const input = graph.inputs[0]?.name;
  if (!input) throw new EdgefoldError('unsupported', 'The model has no graph input to feed.');
  const trivial = (): Cut => ({
    index: 0,
    tensors: [input],
    shapes: [graph.shape(input) ?? []],
    trivial: true,
    floatsPerImage: perImage(graph.shape(input) ?? []),
  });
  if (index <= 0 || graph.inputs.length !== 1) return trivial();
  const dynamic = dynamicTensors(graph);
  const prefixOut = new Set<string>([input]);
  for (const node of graph.nodes) {
    if (node.index >= index) break;
    if (node.inputs.some((i) => i && dynamic.has(i))) for (const o of node.outputs) if (o) prefixOut.add(o);
  }
  const tensors: string[] = [];
  for (const node of graph.nodes) {
    const inSuffix = node.index >= index || !node.inputs.some((i) => i && dynamic.has(i));
    if (!inSuffix) continue;
    for (const i of node.inputs) if (i && prefixOut.has(i) && !tensors.includes(i)) tensors.push(i);
  }
  for (const o of graph.outputs) if (prefixOut.has(o.name) && !tensors.includes(o.name)) tensors.push(o.name);
  const shapes = tensors.map((t) => graph.shape(t));
  const unusable = tensors.some((t, i) => {
    const p = graph.producer.get(t);
    const s = shapes[i];
    return (p && NON_FLOAT.has(p.op)) || !s || s.length < 1 || s.slice(1).some((d) => d === null);
  });
  if (unusable || (tensors.length === 1 && tensors[0] === input)) return trivial();
  const fixed = shapes as (number | null)[][];
  return { index, tensors, shapes: fixed, trivial: false, floatsPerImage: fixed.reduce((n, s) => n + perImage(s), 0) };
}

const perImage = (shape: readonly (number | null)[]): number => shape.slice(1).reduce<number>((n, d) => n * (d ?? 1), 1);

const batchInfo = (name: string, shape: readonly (number | null)[]): ValueInfoProto =>
  tensorInfo(name, shape.map((d, i) => (i === 0 ? 'N' : d)));

/**
 * Keeps the nodes needed to compute `outputs` from `inputs` (and initializers); returns a new
 * model with those graph inputs and outputs. Nodes keep their order; value_info is kept for
 * tensors that remain.
 */
export function extractSubgraph(model: ModelProto, inputs: ValueInfoProto[], outputNames: string[], outputInfo?: ValueInfoProto[]): ModelProto {
  const g = model.graph!;
  const available = new Set(inputs.map((i) => i.name));
  const producer = new Map<string, number>();
  g.node.forEach((n, i) => n.output.forEach((o) => o && producer.set(o, i)));
  const inits = new Set(g.initializer.map((t) => t.name));
  const keep = new Set<number>();
  const stack = [...outputNames];
  const seen = new Set<string>();
  while (stack.length) {
    const t = stack.pop()!;
    if (!t || seen.has(t)) continue;
    seen.add(t);
    if (available.has(t) || inits.has(t)) continue;
    const p = producer.get(t);
    if (p === undefined) throw new EdgefoldError('internal', `Cannot split the model: tensor "${t}" has no producer in front of the cut.`);
    if (keep.has(p)) continue;
    keep.add(p);
    for (const i of g.node[p].input) if (i) stack.push(i);
    // Subgraph attributes may read outer tensors too.
    for (const a of g.node[p].attribute) for (const sub of [a.g, ...a.graphs]) if (sub) for (const n of sub.node) for (const i of n.input) if (i) stack.push(i);
  }
  const nodes = g.node.filter((_, i) => keep.has(i));
  const used = new Set(nodes.flatMap((n) => n.input));
  for (const n of nodes) for (const a of n.attribute) for (const sub of [a.g, ...a.graphs]) if (sub) for (const m of sub.node) for (const i of m.input) used.add(i);
  const produced = new Set(nodes.flatMap((n) => n.output));
  const declared = new Map(g.output.map((o) => [o.name, o]));
  return create(ModelProtoSchema, {
    ...model,
    // IR < 4 files list every initializer among the inputs; the parts list only what is fed.
    irVersion: model.irVersion < 4n ? 4n : model.irVersion,
    graph: create(GraphProtoSchema, {
      ...g,
      node: nodes,
      input: inputs,
      output: outputNames.map((n, i) => outputInfo?.[i] ?? declared.get(n) ?? tensorInfo(n)),
      initializer: g.initializer.filter((t) => used.has(t.name)),
      valueInfo: g.valueInfo.filter((v) => produced.has(v.name) && !outputNames.includes(v.name)),
    }),
  });
}

/** The prefix model of the base: graph input -> the cut tensors. Undefined when the cut is trivial. */
export function prefixModel(base: ModelProto, cut: Cut): ModelProto | undefined {
  if (cut.trivial) return undefined;
  const graph = new Graph(base);
  const inputs = graph.inputs.map((i) => i);
  return extractSubgraph(base, inputs, cut.tensors, cut.tensors.map((t, i) => batchInfo(t, cut.shapes[i])));
}

/**
 * The suffix of a point model (the base with edits at or after the cut): the cut tensors ->
 * the first graph output. `weightInputs` turns initializers into graph inputs (fed per run),
 * so one session can serve every point that only changes those values.
 */
export function suffixModel(point: ModelProto, cut: Cut, weightInputs: string[] = []): ModelProto {
  const out = point.graph!.output[0];
  if (!out) throw new EdgefoldError('unsupported', 'The model has no graph output.');
  const inputs = cut.tensors.map((t, i) => (cut.trivial ? (point.graph!.input.find((x) => x.name === t) ?? batchInfo(t, cut.shapes[i])) : batchInfo(t, cut.shapes[i])));
  const sub = extractSubgraph(point, inputs, [out.name]);
  if (!weightInputs.length) return sub;
  const g = sub.graph!;
  for (const name of weightInputs) {
    const t = g.initializer.find((x) => x.name === name);
    if (!t) throw new EdgefoldError('internal', `Cannot feed "${name}": it is not an initializer of the suffix.`);
    g.input.push(tensorInfo(name, t.dims.map(Number)));
  }
  g.initializer = g.initializer.filter((t) => !weightInputs.includes(t.name));
  // IR < 4 lists initializers among the inputs; keep one entry per name.
  const seen = new Set<string>();
  g.input = g.input.filter((i) => (seen.has(i.name) ? false : (seen.add(i.name), true)));
  return sub;
}

/** Analyses a model (graph IR with shapes) for cutting. */
export function analyzeForCut(model: ModelProto): Graph {
  const graph = new Graph(model);
  inferShapes(graph);
  return graph;
}
