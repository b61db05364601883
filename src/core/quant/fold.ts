/** BatchNormalization folding: Conv -> BN becomes one Conv with scaled weights and a new bias. */
import { create } from '@bufbuild/protobuf';
import { NodeProtoSchema, type ModelProto } from 'onnx-buf';
import { Graph, attrFloat, type GraphNode } from '../graph/graph.ts';
import { cloneModel } from '../onnx/model.ts';
import { floatTensor } from '../onnx/tensor.ts';

export interface FoldResult {
  model: ModelProto;
  /** BN node name -> conv it was folded into. */
  folded: { batchNorm: string; conv: string }[];
  /** BN nodes left alone, with the reason. */
  kept: { batchNorm: string; reason: string }[];
}

/**
 * Folds every BatchNormalization that directly follows a Conv (whose output nothing else reads):
 *   W'[c] = W[c] * gamma[c] / sqrt(var[c] + eps),  b'[c] = (b[c] - mean[c]) * gamma[c] / sqrt(var[c] + eps) + beta[c]
 * computed in float64 and stored as float32. The conv takes over the BN's output name, so every
 * downstream tensor keeps its name. Models without BN nodes come back unchanged (same object).
 */
export function foldBatchNorm(model: ModelProto): FoldResult {
  const graph = new Graph(model);
  const bns = graph.nodes.filter((n) => n.op === 'BatchNormalization');
  if (!bns.length) return { model, folded: [], kept: [] };
  const out = cloneModel(model);
  const g = out.graph!;
  const position = new Map(model.graph!.node.map((p, i) => [p, i]));
  const protoAt = (n: GraphNode) => g.node[position.get(n.proto)!];
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const taken = new Set([...graph.initializers.keys(), ...graph.nodes.flatMap((n) => [...n.inputs, ...n.outputs])]);
  const fresh = (base: string) => {
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  // Unnamed nodes are known by `<op>_<index>`; removing BN nodes shifts indices, so the folded
  // model carries those names explicitly and configs keyed by layer name still apply.
  for (const n of graph.nodes) if (!n.proto.name) protoAt(n).name = n.name;
  const removed = new Set<number>();
  const staleTensors = new Set<string>();
  const folded: FoldResult['folded'] = [];
  const kept: FoldResult['kept'] = [];

  for (const bn of bns) {
    const conv = graph.producer.get(bn.inputs[0]);
    const params = bn.inputs.slice(1, 5).map((p) => graph.constant(p));
    const why =
      !conv || conv.op !== 'Conv'
        ? 'it does not follow a Conv'
        : (graph.consumers.get(bn.inputs[0]) ?? []).length !== 1 || outputs.has(bn.inputs[0])
          ? 'the conv output is also read elsewhere'
          : bn.outputs.slice(1).some(Boolean)
            ? 'it is in training mode'
            : params.some((p) => !p) || !graph.constant(conv.inputs[1]) || (conv.inputs[2] && !graph.constant(conv.inputs[2]))
              ? 'its parameters or the conv weights are not constant'
              : undefined;
    if (why) {
      kept.push({ batchNorm: bn.name, reason: why });
      continue;
    }
    const [gamma, beta, mean, variance] = params.map((p) => p!.values);
    const eps = attrFloat(bn, 'epsilon', 1e-5);
    const w = graph.constant(conv!.inputs[1])!;
    const cout = w.dims[0];
    const per = w.values.length / cout;
    const bias = conv!.inputs[2] ? graph.constant(conv!.inputs[2])!.values : new Float64Array(cout);
    const newW = new Float64Array(w.values.length);
    const newB = new Float64Array(cout);
    for (let c = 0; c < cout; c++) {
      const k = gamma[c] / Math.sqrt(variance[c] + Math.fround(eps));
      for (let i = 0; i < per; i++) newW[c * per + i] = w.values[c * per + i] * k;
      newB[c] = (bias[c] - mean[c]) * k + beta[c];
    }
    const convProto = protoAt(conv!);
    const wName = fresh(`${conv!.name}_folded_weight`);
    const bName = fresh(`${conv!.name}_folded_bias`);
    g.initializer.push(floatTensor(wName, w.dims, newW), floatTensor(bName, [cout], newB));
    convProto.input = [convProto.input[0], wName, bName];
    staleTensors.add(convProto.output[0]);
    convProto.output = [bn.outputs[0]];
    removed.add(position.get(bn.proto)!);
    folded.push({ batchNorm: bn.name, conv: conv!.name });
  }
  g.node = g.node.filter((_, i) => !removed.has(i));
  g.valueInfo = g.valueInfo.filter((v) => !staleTensors.has(v.name));
  removeUnused(out);
  return { model: out, folded, kept };
}

/** Drops initializers (and IR<4 graph-input entries for them) and constant-only nodes nothing reads any more. */
export function removeUnused(model: ModelProto): void {
  const g = model.graph!;
  for (;;) {
    const read = new Set<string>([...g.output.map((o) => o.name), ...g.node.flatMap((n) => n.input)]);
    const before = g.node.length;
    g.node = g.node.filter((n) => n.output.some((o) => o && read.has(o)));
    if (g.node.length === before) break;
  }
  const read = new Set<string>([...g.output.map((o) => o.name), ...g.node.flatMap((n) => n.input)]);
  const dropped = new Set(g.initializer.filter((t) => !read.has(t.name)).map((t) => t.name));
  if (!dropped.size) return;
  g.initializer = g.initializer.filter((t) => !dropped.has(t.name));
  g.input = g.input.filter((i) => !dropped.has(i.name));
  g.valueInfo = g.valueInfo.filter((v) => !dropped.has(v.name));
}

/** A node proto (helper for writers that add nodes). */
export const makeNode = (opType: string, name: string, input: string[], output: string[]) =>
  create(NodeProtoSchema, { opType, name, input, output });
