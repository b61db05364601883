/**
 * Mask models: the original graph with a Mul inserted in front of every layer that reads a
 * pruned group, zeroing the removed channels. It computes exactly what the pruned model computes
 * (the exactness reference), and lets a pruning be evaluated without surgery.
 */
import { create } from '@bufbuild/protobuf';
import { NodeProtoSchema, type ModelProto } from 'onnx-buf';
import { cloneModel } from '../onnx/model.ts';
import { floatTensor } from '../onnx/tensor.ts';
import { keptAxisIndices, type ChannelAnalysis } from './groups.ts';

export function maskModel(model: ModelProto, analysis: ChannelAnalysis, keep: ReadonlyMap<string, readonly number[]>): ModelProto {
  const graph = analysis.graph;
  const out = cloneModel(model);
  const g = out.graph!;
  const position = new Map(model.graph!.node.map((p, i) => [p, i]));
  const taken = new Set([...g.initializer.map((t) => t.name), ...graph.nodes.flatMap((n) => [...n.inputs, ...n.outputs])]);
  const fresh = (base: string) => {
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  for (const n of graph.nodes) if (!n.proto.name) g.node[position.get(n.proto)!].name = n.name; // keep layer names stable
  const inserts: { before: number; node: ReturnType<typeof create<typeof NodeProtoSchema>> }[] = [];
  const done = new Set<string>();
  for (const group of analysis.groups) {
    if (!keep.has(group.id)) continue;
    for (const m of group.members) {
      if (m.role !== 'conv-in' && m.role !== 'fc-in') continue;
      const key = `${m.node}|${m.tensor}`;
      if (done.has(key)) continue;
      done.add(key);
      const node = graph.node(m.node)!;
      const layout = analysis.layouts.get(m.tensor)!;
      const shape = graph.shape(m.tensor)!;
      const width = shape[1]!;
      const mask = new Float32Array(width);
      for (const i of keptAxisIndices(layout, keep)) mask[i] = 1;
      const maskName = fresh(`${m.tensor}_mask`);
      const masked = fresh(`${m.tensor}_masked`);
      g.initializer.push(floatTensor(maskName, [1, width, ...shape.slice(2).map(() => 1)], mask));
      const index = position.get(node.proto)!;
      inserts.push({ before: index, node: create(NodeProtoSchema, { opType: 'Mul', name: fresh(`${node.name}_mask`), input: [m.tensor, maskName], output: [masked] }) });
      const proto = g.node[index];
      proto.input = proto.input.map((i) => (i === m.tensor ? masked : i));
    }
  }
  // Insert from the back so earlier positions stay valid; each Mul lands right before its reader.
  inserts.sort((a, b) => b.before - a.before);
  for (const ins of inserts) g.node.splice(ins.before, 0, ins.node);
  return out;
}
