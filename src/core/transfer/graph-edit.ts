import type { GraphProto, ModelProto, NodeProto } from '../onnx/model.ts';
import { tensorInfo } from '../onnx/builder.ts';

/** Tensor names a node reads, including those its subgraphs (If / Loop bodies) read from outside. */
function nodeReads(node: NodeProto): string[] {
  const names = node.input.filter(Boolean);
  const visit = (g: GraphProto) => {
    for (const n of g.node) names.push(...nodeReads(n));
  };
  for (const a of node.attribute) {
    if (a.g) visit(a.g);
    for (const g of a.graphs) visit(g);
  }
  return names;
}

/** Drops nodes and initializers that no graph output depends on (in place). */
export function removeDeadNodes(graph: GraphProto): void {
  const needed = new Set(graph.output.map((o) => o.name));
  const keep = new Array<boolean>(graph.node.length).fill(false);
  for (let i = graph.node.length - 1; i >= 0; i--) {
    // nodes are stored in topological order by every exporter; a second pass catches the rest
    const node = graph.node[i];
    if (node.output.some((o) => o && needed.has(o))) {
      keep[i] = true;
      for (const x of nodeReads(node)) needed.add(x);
    }
  }
  let changed = true;
  while (changed) {
    changed = false;
    graph.node.forEach((node, i) => {
      if (!keep[i] && node.output.some((o) => o && needed.has(o))) {
        keep[i] = true;
        changed = true;
        for (const x of nodeReads(node)) needed.add(x);
      }
    });
  }
  graph.node = graph.node.filter((_, i) => keep[i]);
  const wasInitializer = new Set(graph.initializer.map((t) => t.name));
  graph.initializer = graph.initializer.filter((t) => needed.has(t.name));
  // graph inputs that only declared a removed initializer (IR < 4 models) go too; real inputs stay
  graph.input = graph.input.filter((i) => !wasInitializer.has(i.name) || needed.has(i.name));
  graph.valueInfo = graph.valueInfo.filter((v) => needed.has(v.name));
}

/** Cuts `model` (in place) down to compute only `outputs` (declared as float tensors of unknown shape). */
export function cutAt(model: ModelProto, outputs: string[]): void {
  const graph = model.graph!;
  const kept = new Map(graph.output.map((o) => [o.name, o]));
  graph.output = outputs.map((name) => kept.get(name) ?? tensorInfo(name));
  removeDeadNodes(graph);
}
