/**
 * Graph surgery: physically removes pruned channels. Every member of a pruned group gets its
 * stored tensors sliced (conv/FC weights and biases, BN vectors, per-channel constants, weights
 * behind a DequantizeLinear), depthwise convs get a new `group`, Reshape targets a new count, and
 * value_info shapes are recomputed. Nothing else in the model changes: node order, names,
 * attributes and every untouched tensor stay bit-identical.
 */
import { create } from '@bufbuild/protobuf';
import { TensorShapeProto_DimensionSchema, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from 'onnx-buf';
import { EdgefoldError } from '../errors.ts';
import { Graph, attrInt, type GraphNode } from '../graph/graph.ts';
import { inferShapes } from '../graph/shapes.ts';
import { cloneModel } from '../onnx/model.ts';
import { int64Tensor, tensorDims, tensorValues } from '../onnx/tensor.ts';
import { keptAxisIndices, type ChannelAnalysis } from './groups.ts';
import { paramRef } from './params.ts';
import { sliceTensor } from './slice.ts';

interface SliceOp {
  axis: number;
  keep: number[];
}

/** One edit of one node input: slice it, or replace it outright (Reshape targets). */
interface InputEdit {
  node: GraphNode;
  input: number;
  ops: SliceOp[];
  replace?: (t: TensorProto) => TensorProto;
}

/**
 * Applies kept-channel indices (group id -> kept indices) to a model, returning a new model.
 * `analysis` must have been computed on `model`.
 */
export function applyPruning(model: ModelProto, analysis: ChannelAnalysis, keep: ReadonlyMap<string, readonly number[]>): ModelProto {
  const graph = analysis.graph;
  if (graph.model !== model) throw new EdgefoldError('internal', 'The channel analysis belongs to a different model.');
  const keptOf = (tensor: string): number[] | undefined => {
    const layout = analysis.layouts.get(tensor);
    if (!layout || !layout.some((s) => keep.has(s.group))) return undefined;
    return keptAxisIndices(layout, keep);
  };

  const edits = new Map<string, InputEdit>();
  const edit = (node: GraphNode, input: number, op?: SliceOp, replace?: InputEdit['replace']) => {
    if (!node.inputs[input]) return;
    const key = `${node.index}:${input}`;
    const e = edits.get(key) ?? { node, input, ops: [] };
    if (op && !e.ops.some((o) => o.axis === op.axis)) e.ops.push(op);
    if (replace) e.replace = replace;
    edits.set(key, e);
  };
  const groupAttr = new Map<GraphNode, number>();

  const seen = new Set<string>();
  for (const group of analysis.groups) {
    if (!keep.has(group.id)) continue;
    for (const m of group.members) {
      const key = `${m.node}|${m.role}|${m.tensor}|${m.input ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const node = graph.node(m.node)!;
      const kept = keptOf(m.tensor);
      if (!kept) continue;
      switch (m.role) {
        case 'conv-out':
          edit(node, 1, { axis: 0, keep: kept });
          edit(node, 2, { axis: 0, keep: kept });
          break;
        case 'conv-in':
          edit(node, 1, { axis: 1, keep: kept });
          break;
        case 'depthwise':
          edit(node, 1, { axis: 0, keep: kept });
          edit(node, 2, { axis: 0, keep: kept });
          groupAttr.set(node, kept.length);
          break;
        case 'batchnorm':
          for (let i = 1; i <= 4; i++) edit(node, i, { axis: 0, keep: kept });
          break;
        case 'fc-in': {
          const transB = node.op === 'Gemm' && attrInt(node, 'transB', 0) === 1;
          edit(node, 1, { axis: transB ? 1 : 0, keep: kept });
          break;
        }
        case 'fc-out': {
          const transB = node.op === 'Gemm' && attrInt(node, 'transB', 0) === 1;
          edit(node, 1, { axis: transB ? 0 : 1, keep: kept });
          const c = node.inputs[2] ? graph.shape(node.inputs[2]) : undefined;
          if (c?.length && c[c.length - 1] !== 1) edit(node, 2, { axis: c.length - 1, keep: kept });
          break;
        }
        case 'constant':
          edit(node, m.input!, { axis: m.axis!, keep: kept });
          break;
        case 'reshape': {
          const count = keptOf(node.outputs[0])?.length;
          if (count === undefined) break;
          edit(node, 1, undefined, (t) => {
            const values = Array.from(tensorValues(t));
            values[1] = count;
            return int64Tensor(t.name, tensorDims(t), values);
          });
          break;
        }
        default:
          break;
      }
    }
  }

  const out = cloneModel(model);
  const g = out.graph!;
  const protoOf = new Map<GraphNode, NodeProto>();
  const position = new Map(model.graph!.node.map((p, i) => [p, i]));
  for (const node of graph.nodes) protoOf.set(node, g.node[position.get(node.proto)!]);

  // Resolve edits to initializer edits; weights behind DequantizeLinear are sliced at the source.
  interface InitEdit {
    user: NodeProto;
    input: number;
    ops: SliceOp[];
    replace?: InputEdit['replace'];
  }
  const initEdits = new Map<string, InitEdit[]>();
  const addInit = (name: string, e: InitEdit) => initEdits.set(name, [...(initEdits.get(name) ?? []), e]);
  for (const e of edits.values()) {
    const name = e.node.inputs[e.input];
    const ref = paramRef(graph, name);
    if (typeof ref === 'string') throw new EdgefoldError('internal', `Cannot prune ${e.node.op} "${e.node.name}": ${ref}.`);
    const ops = [...e.ops].sort((a, b) => a.axis - b.axis);
    if (ref.kind === 'initializer') {
      addInit(ref.name, { user: protoOf.get(e.node)!, input: e.input, ops, replace: e.replace });
      continue;
    }
    const dq = graph.node(ref.node)!;
    const dqProto = protoOf.get(dq)!;
    addInit(ref.x, { user: dqProto, input: 0, ops });
    const perAxis = ops.filter((o) => o.axis === ref.axis);
    for (const [i, p] of [ref.scale, ref.zeroPoint].entries()) {
      if (p && (graph.shape(p) ?? []).length === 1 && (graph.shape(p)![0] ?? 1) > 1 && perAxis.length) {
        addInit(p, { user: dqProto, input: i + 1, ops: [{ axis: 0, keep: perAxis[0].keep }] });
      }
    }
  }

  const initIndex = new Map(g.initializer.map((t, i) => [t.name, i]));
  const usedNames = new Set([...g.initializer.map((t) => t.name), ...graph.nodes.flatMap((n) => [...n.inputs, ...n.outputs])]);
  const allUses = new Map<string, number>();
  for (const p of g.node) for (const i of p.input) if (i) allUses.set(i, (allUses.get(i) ?? 0) + 1);
  for (const o of g.output) allUses.set(o.name, (allUses.get(o.name) ?? 0) + 1);

  const transform = (t: TensorProto, e: InitEdit) => {
    let result = t;
    for (const op of e.ops) result = sliceTensor(result, op.axis, op.keep);
    return e.replace ? e.replace(result) : result;
  };
  const signature = (e: InitEdit) => JSON.stringify(e.ops) + (e.replace ? `|replace:${e.user.name}` : '');
  for (const [name, list] of initEdits) {
    const original = g.initializer[initIndex.get(name)!];
    const kinds = new Map<string, InitEdit[]>();
    for (const e of list) kinds.set(signature(e), [...(kinds.get(signature(e)) ?? []), e]);
    const inPlace = kinds.size === 1 && list.length === (allUses.get(name) ?? 0);
    if (inPlace) {
      g.initializer[initIndex.get(name)!] = transform(original, list[0]);
      continue;
    }
    // A shared initializer the edits disagree on: each distinct edit gets its own copy.
    for (const group of kinds.values()) {
      let copy = `${name}_pruned`;
      for (let k = 2; usedNames.has(copy); k++) copy = `${name}_pruned${k}`;
      usedNames.add(copy);
      const t = transform(original, group[0]);
      t.name = copy;
      g.initializer.push(t);
      for (const e of group) e.user.input[e.input] = copy;
    }
  }
  for (const [node, count] of groupAttr) {
    const attr = protoOf.get(node)!.attribute.find((a) => a.name === 'group');
    if (attr) attr.i = BigInt(count);
  }

  updateShapes(out, graph);
  return out;
}

/**
 * Re-infers shapes on the edited model (ignoring its stale value_info) and writes the ones that
 * changed into the value_info entries, and initializer dims into graph inputs that describe
 * initializers (IR < 4 files).
 */
function updateShapes(model: ModelProto, before: Graph): void {
  const g = model.graph!;
  const initDims = new Map(g.initializer.map((t) => [t.name, tensorDims(t)]));
  for (const input of g.input) {
    const dims = initDims.get(input.name);
    if (dims) setDims(input, dims);
  }
  const probe = new Graph({ ...model, graph: { ...g, valueInfo: [] } });
  inferShapes(probe);
  for (const info of g.valueInfo) {
    const shape = probe.shapes.get(info.name);
    const old = before.shapes.get(info.name);
    // Only dims that inference now gives differently are written (the channel counts pruning changed).
    if (shape && old?.length === shape.length) setDims(info, shape.map((d, i) => (d === old[i] ? null : d)));
    else if (shape && !old) setDims(info, shape);
  }
}

function setDims(info: ValueInfoProto, dims: readonly (number | null)[]): void {
  const type = info.type?.value;
  if (type?.case !== 'tensorType' || !type.value.shape) return;
  const shape = type.value.shape;
  if (shape.dim.length !== dims.length) return;
  shape.dim = shape.dim.map((d, i) => {
    const n = dims[i];
    if (n === null || (d.value.case === 'dimValue' && Number(d.value.value) === n)) return d;
    return create(TensorShapeProto_DimensionSchema, { value: { case: 'dimValue', value: BigInt(n) }, denotation: d.denotation });
  });
}
