import {
  AttributeProto_AttributeType as AttrType,
  type AttributeProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';
import { badInput } from '../errors.ts';
import { quote } from '../limits.ts';
import { onnxOpset } from '../onnx/model.ts';
import { tensorDims, tensorValues } from '../onnx/tensor.ts';
import type { Shape } from './layer.ts';

export interface GraphNode {
  /** Position in topological order. */
  index: number;
  /** Unique: the ONNX name, or `<op>_<index>` when the node has none or a duplicate. */
  name: string;
  op: string;
  domain: string;
  /** Input tensor names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attrs: Map<string, AttributeProto>;
  proto: NodeProto;
}

/** A constant tensor the graph core could evaluate (initializer, Constant, or a small folded subgraph). */
export interface ConstantValue {
  dims: number[];
  /** NaN marks an element only known at run time (e.g. the batch size read by Shape). */
  values: Float64Array;
}

/**
 * The read-only graph IR: nodes in topological order with producer/consumer maps, initializers,
 * and (filled by shape inference) a shape for every tensor it could work out.
 */
export class Graph {
  readonly model: ModelProto;
  readonly opset: number;
  readonly nodes: GraphNode[];
  readonly initializers = new Map<string, TensorProto>();
  /** Graph inputs that are fed at run time (initializers listed as inputs, IR < 4, are excluded). */
  readonly inputs: ValueInfoProto[];
  readonly outputs: ValueInfoProto[];
  readonly producer = new Map<string, GraphNode>();
  readonly consumers = new Map<string, GraphNode[]>();
  readonly shapes = new Map<string, Shape>();
  readonly constants = new Map<string, ConstantValue>();
  /** Shapes declared in the file (value_info, inputs, outputs), used where inference cannot go. */
  readonly declaredShapes = new Map<string, Shape>();

  constructor(model: ModelProto) {
    const graph = model.graph!;
    this.model = model;
    this.opset = onnxOpset(model) ?? 13;
    for (const t of graph.initializer) this.initializers.set(t.name, t);
    this.inputs = graph.input.filter((i) => !this.initializers.has(i.name));
    this.outputs = graph.output;
    for (const info of [...graph.input, ...graph.valueInfo, ...graph.output]) {
      const shape = declaredShape(info);
      if (shape) this.declaredShapes.set(info.name, shape);
    }
    this.nodes = topologicalOrder(graph.node, new Set([...this.initializers.keys(), ...graph.input.map((i) => i.name)]));
    for (const node of this.nodes) {
      for (const out of node.outputs) if (out) this.producer.set(out, node);
      for (const input of node.inputs) {
        if (!input) continue;
        const list = this.consumers.get(input) ?? [];
        list.push(node);
        this.consumers.set(input, list);
      }
    }
  }

  isInitializer(name: string): boolean {
    return this.initializers.has(name);
  }

  /** The value of a tensor known before run time, or undefined. */
  constant(name: string): ConstantValue | undefined {
    const known = this.constants.get(name);
    if (known) return known;
    const init = this.initializers.get(name);
    if (!init) return undefined;
    const value = { dims: tensorDims(init), values: tensorValues(init) };
    this.constants.set(name, value);
    return value;
  }

  shape(name: string): Shape | undefined {
    return this.shapes.get(name) ?? this.declaredShapes.get(name);
  }

  node(name: string): GraphNode | undefined {
    this.byName ??= new Map(this.nodes.map((n) => [n.name, n]));
    return this.byName.get(name);
  }

  private byName?: Map<string, GraphNode>;
}

export function declaredShape(info: ValueInfoProto): Shape | undefined {
  const type = info.type?.value;
  if (type?.case !== 'tensorType' || !type.value.shape) return undefined;
  return type.value.shape.dim.map((d) => (d.value.case === 'dimValue' ? Number(d.value.value) : null));
}

function topologicalOrder(protos: NodeProto[], available: Set<string>): GraphNode[] {
  const usedNames = new Set<string>();
  const pending = protos.map((proto, i) => {
    let name = proto.name || `${proto.opType}_${i}`;
    if (usedNames.has(name)) name = `${name}_${i}`;
    usedNames.add(name);
    return {
      index: -1,
      name,
      op: proto.opType,
      domain: proto.domain,
      inputs: [...proto.input],
      outputs: [...proto.output],
      attrs: new Map(proto.attribute.map((a) => [a.name, a])),
      proto,
    } satisfies GraphNode;
  });
  // ONNX graphs are in SSA form: a tensor has one producer, and is not also an initializer or input.
  const producedBy = new Map<string, number>();
  pending.forEach((n, i) =>
    n.outputs.forEach((o) => {
      if (!o) return;
      if (producedBy.has(o) || available.has(o)) {
        const other = producedBy.has(o) ? `node ${quote(pending[producedBy.get(o)!].name, 80)}` : 'an initializer or graph input';
        throw badInput(`The graph is invalid: tensor ${quote(o, 80)} is produced by node ${quote(n.name, 80)} and also by ${other}.`);
      }
      producedBy.set(o, i);
    }),
  );
  const indegree = pending.map((n) =>
    n.inputs.filter((x) => x && !available.has(x) && producedBy.has(x)).length,
  );
  const dependents = pending.map(() => [] as number[]);
  pending.forEach((n, i) => {
    for (const x of n.inputs) {
      const p = x && !available.has(x) ? producedBy.get(x) : undefined;
      if (p !== undefined) dependents[p].push(i);
    }
  });
  // Kahn's algorithm; the queue keeps file order among ready nodes so the result is stable.
  const ready = indegree.flatMap((d, i) => (d === 0 ? [i] : []));
  const order: GraphNode[] = [];
  for (let head = 0; head < ready.length; head++) {
    const i = ready[head];
    pending[i].index = order.length;
    order.push(pending[i]);
    for (const j of dependents[i]) if (--indegree[j] === 0) ready.push(j);
  }
  if (order.length !== pending.length) {
    const stuck = pending.find((n) => n.index < 0)!;
    throw badInput(`The graph has a cycle or a missing input (node ${quote(stuck.name, 80)} can never run).`);
  }
  return order;
}

// ---- attribute access -------------------------------------------------------------------

export function attrInt(node: GraphNode, name: string, fallback: number): number {
  const a = node.attrs.get(name);
  return a && (a.type === AttrType.INT || a.type === AttrType.UNDEFINED) ? Number(a.i) : fallback;
}

export function attrInts(node: GraphNode, name: string): number[] | undefined {
  const a = node.attrs.get(name);
  return a && a.ints.length ? a.ints.map(Number) : undefined;
}

export function attrFloat(node: GraphNode, name: string, fallback: number): number {
  const a = node.attrs.get(name);
  return a && (a.type === AttrType.FLOAT || a.type === AttrType.UNDEFINED) ? a.f : fallback;
}

export function attrString(node: GraphNode, name: string, fallback: string): string {
  const a = node.attrs.get(name);
  return a && a.s.length ? new TextDecoder().decode(a.s) : fallback;
}

export function attrTensor(node: GraphNode, name: string): TensorProto | undefined {
  return node.attrs.get(name)?.t;
}
