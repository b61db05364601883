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
import { attrInt } from '../graph/graph.ts';
import { node as onnxNode, tensorInfo } from '../onnx/builder.ts';
import { int64Tensor } from '../onnx/tensor.ts';
import { keptAxisIndices, type ChannelAnalysis } from '../prune/index.ts';

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
  /**
   * Cut tensors that carry a pruned group's channels (prune cuts only): the prefix computes them in
   * full, and each point's suffix gathers its kept channels from them.
   */
  gathered?: string[];
}

/** The name under which the suffix reads a gathered cut tensor in full. */
export const fullTensorName = (tensor: string): string => `${tensor}::full`;

/** Graph input names of a suffix, one per cut tensor (in `cut.tensors` order). */
export const suffixInputNames = (cut: Cut): string[] => cut.tensors.map((t) => (cut.gathered?.includes(t) ? fullTensorName(t) : t));

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
  return handOver(graph, index, tensors) ?? trivial();
}

/**
 * The cut handing `tensors` to the suffix, or undefined when they cannot be fed: a non-float
 * tensor, an unknown per-image shape, or nothing but the graph input itself.
 */
function handOver(graph: Graph, index: number, tensors: string[], gathered?: string[]): Cut | undefined {
  if (tensors.length === 1 && tensors[0] === graph.inputs[0].name) return undefined;
  const shapes = tensors.map((t) => graph.shape(t));
  const unusable = tensors.some((t, i) => {
    const p = graph.producer.get(t);
    const s = shapes[i];
    return (p && NON_FLOAT.has(p.op)) || !s || s.length < (gathered?.includes(t) ? 2 : 1) || s.slice(1).some((d) => d === null);
  });
  if (unusable) return undefined;
  const fixed = shapes as (number | null)[][];
  return { index, tensors, shapes: fixed, trivial: false, floatsPerImage: fixed.reduce((n, s) => n + perImage(s), 0), ...(gathered ? { gathered } : {}) };
}

/**
 * Ops where output channel c depends only on input channel c (and on per-channel constants that
 * pruning slices alike): removing channels before them equals removing the same channels after.
 */
const CHANNEL_LOCAL = new Set([
  'BatchNormalization', 'Relu', 'LeakyRelu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Elu', 'Selu', 'PRelu',
  'Mul', 'Add', 'Sub', 'Div', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'Identity', 'Dropout', 'Flatten',
]);

/**
 * The cut for a prune sweep of one channel group: as late as channels stay separate. Pruning
 * output channels of a conv leaves every kept channel's values unchanged through the conv itself
 * and through channel-local ops after it (BN, activations, depthwise convs, pooling), so those
 * run once in the prefix on all channels; each point's suffix starts at the first op that mixes
 * channels (the next conv or FC) and gathers its kept channels from the full tensor. Falls back to
 * the plain cut in front of the group's first member when the group's path is anything else.
 */
export function pruneCut(analysis: ChannelAnalysis, groupId: string): Cut {
  const graph = analysis.graph;
  const group = analysis.groups.find((g) => g.id === groupId);
  if (!group) throw new EdgefoldError('internal', `No channel group "${groupId}".`);
  const roles = new Map<string, Set<string>>();
  for (const m of group.members) (roles.get(m.node) ?? roles.set(m.node, new Set()).get(m.node)!).add(m.role);
  const start = Math.min(...group.members.map((m) => graph.node(m.node)?.index ?? Infinity));
  const plain = cutBefore(graph, start);
  if (graph.inputs.length !== 1 || !Number.isFinite(start)) return plain;

  const dynamic = dynamicTensors(graph);
  type State = 'same' | 'sliced' | 'changed';
  const state = new Map<string, State>(graph.inputs.map((i) => [i.name, 'same' as State]));
  const carriesGroup = (t: string) => analysis.layouts.get(t)?.some((s) => s.group === groupId) ?? false;
  const classify = (node: (typeof graph.nodes)[number]): State => {
    const ins = node.inputs.filter((i) => i && dynamic.has(i)).map((i) => state.get(i) ?? 'changed');
    const nodeRoles = roles.get(node.name);
    if (node.index < start) return 'same';
    if (ins.includes('changed')) return 'changed';
    if (ins.every((s) => s === 'same')) {
      if (!nodeRoles) return 'same';
      // The producer: output channels of a conv are computed independently of each other.
      const producer = node.op === 'Conv' && nodeRoles.size === 1 && nodeRoles.has('conv-out');
      return producer && node.outputs.every((o) => !o || carriesGroup(o)) ? 'sliced' : 'changed';
    }
    if (!ins.every((s) => s === 'sliced')) return 'changed';
    const depthwise = node.op === 'Conv' && nodeRoles?.has('depthwise') && attrInt(node, 'group', 1) > 1;
    if (!CHANNEL_LOCAL.has(node.op) && !depthwise) return 'changed';
    return node.outputs.every((o) => !o || carriesGroup(o)) ? 'sliced' : 'changed';
  };
  let firstChanged = Infinity;
  for (const node of graph.nodes) {
    if (!node.inputs.some((i) => i && dynamic.has(i))) continue;
    const s = classify(node);
    if (s === 'changed') firstChanged = Math.min(firstChanged, node.index);
    for (const o of node.outputs) if (o) state.set(o, s);
  }
  const tensors: string[] = [];
  for (const node of graph.nodes) {
    if (!node.inputs.some((i) => i && dynamic.has(i)) || state.get(node.outputs[0]) !== 'changed') continue;
    for (const i of node.inputs) if (i && dynamic.has(i) && state.get(i) !== 'changed' && !tensors.includes(i)) tensors.push(i);
  }
  if (graph.outputs.some((o) => state.get(o.name) !== 'changed')) return plain;
  const gathered = tensors.filter((t) => state.get(t) === 'sliced');
  if (!gathered.length) return plain;
  return handOver(graph, firstChanged, tensors, gathered) ?? plain;
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

/** One prefix for several cuts of the same base: every tensor any of them hands over. */
export function mergeCuts(cuts: readonly Cut[]): Cut {
  const real = cuts.filter((c) => !c.trivial);
  if (!real.length) return cuts[0];
  const tensors: string[] = [];
  const shapes: (number | null)[][] = [];
  for (const c of real) {
    c.tensors.forEach((t, i) => {
      if (tensors.includes(t)) return;
      tensors.push(t);
      shapes.push(c.shapes[i]);
    });
  }
  return { index: Math.min(...real.map((c) => c.index)), tensors, shapes, trivial: false, floatsPerImage: shapes.reduce((n, s) => n + perImage(s), 0) };
}

/** Kept element indices along axis 1 of each gathered cut tensor, for one point's kept channels. */
export function gatherIndices(analysis: ChannelAnalysis, cut: Cut, keep: ReadonlyMap<string, readonly number[]>): Map<string, number[]> {
  return new Map((cut.gathered ?? []).map((t) => [t, keptAxisIndices(analysis.layouts.get(t)!, keep)]));
}

export interface SuffixOptions {
  /** Initializers turned into graph inputs (fed per run), so one session serves every point that only changes those values. */
  weightInputs?: string[];
  /** Per gathered cut tensor, the element indices along axis 1 the point keeps (see gatherIndices). */
  gather?: ReadonlyMap<string, readonly number[]>;
}

/**
 * The suffix of a point model (the base with edits at or after the cut): the cut tensors ->
 * the first graph output. A gathered cut tensor is read in full (under fullTensorName) and a
 * Gather in front selects the point's kept channels.
 */
export function suffixModel(point: ModelProto, cut: Cut, options: SuffixOptions = {}): ModelProto {
  const out = point.graph!.output[0];
  if (!out) throw new EdgefoldError('unsupported', 'The model has no graph output.');
  const inputs = cut.tensors.map((t, i) => (cut.trivial ? (point.graph!.input.find((x) => x.name === t) ?? batchInfo(t, cut.shapes[i])) : batchInfo(t, cut.shapes[i])));
  const sub = extractSubgraph(point, inputs, [out.name]);
  const g = sub.graph!;
  for (const [i, t] of cut.tensors.entries()) {
    if (!cut.gathered?.includes(t)) continue;
    const indices = options.gather?.get(t);
    if (!indices) throw new EdgefoldError('internal', `No kept channels given for the cut tensor "${t}".`);
    const full = fullTensorName(t);
    g.input[i] = batchInfo(full, cut.shapes[i]);
    g.node.unshift(onnxNode('Gather', [full, `${t}::kept`], [t], { axis: 1 }, `${t}::gather`));
    g.initializer.push(int64Tensor(`${t}::kept`, [indices.length], indices));
  }
  const weightInputs = options.weightInputs ?? [];
  if (!weightInputs.length) return sub;
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
