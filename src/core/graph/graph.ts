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
import { isReadableTensor, tensorDims, tensorValues } from '../onnx/tensor.ts';
import type { Shape } from './layer.ts';
import type { WindowGeometry } from './shapes.ts';

export interface GraphNode {
  /** Position in topological order. */
  index: number;
  /** Unique: the ONNX name, or `<op>_<index>` when the node has none or a duplicate. */
  name: string;
  op: string;
  domain: string;
  /** Input tensor names; '' marks an omitted optional input. The proto's own lists: never edited. */
  inputs: readonly string[];
  outputs: readonly string[];
  attrs: Attributes;
  proto: NodeProto;
}

/**
 * A node's attributes by name (the last of a repeated name wins, as ONNX runtimes read them).
 * A scan of the node's own list: nodes have a handful of attributes, and a Map per node cost
 * 50,000 Maps for the 100k-node chain (issue 16).
 */
export class Attributes {
  constructor(private readonly list: readonly AttributeProto[]) {}

  get(name: string): AttributeProto | undefined {
    const list = this.list;
    for (let i = list.length - 1; i >= 0; i--) if (list[i].name === name) return list[i];
    return undefined;
  }
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
  /** The node producing each tensor. */
  readonly producer: ReadonlyMap<string, GraphNode>;
  readonly shapes = new Map<string, Shape>();
  readonly constants = new Map<string, ConstantValue>();
  /** Shapes declared in the file (value_info, inputs, outputs), used where inference cannot go. */
  readonly declaredShapes = new Map<string, Shape>();
  /** Window geometry of Conv and pooling nodes, by node index, as shape inference worked it out (the layer view reads it). */
  readonly windows: (WindowGeometry | undefined)[] = [];

  constructor(model: ModelProto) {
    const graph = model.graph!;
    this.model = model;
    this.opset = onnxOpset(model) ?? 13;
    for (const t of graph.initializer) this.initializers.set(t.name, t);
    this.inputs = graph.input.filter((i) => !this.initializers.has(i.name));
    this.outputs = graph.output;
    for (const infos of [graph.input, graph.valueInfo, graph.output]) {
      for (const info of infos) {
        const shape = declaredShape(info);
        if (shape) this.declaredShapes.set(info.name, shape);
      }
    }
    const inputNames = new Set(graph.input.map((i) => i.name));
    const sorted = topologicalOrder(graph.node, (name) => this.initializers.has(name) || inputNames.has(name));
    this.nodes = sorted.order;
    this.producer = sorted.producer;
    this.byName = sorted.byName;
  }

  /** Nodes reading each tensor, in topological order (built on first use: most analyses never ask). */
  get consumers(): ReadonlyMap<string, GraphNode[]> {
    if (!this.consumersByTensor) {
      const map = new Map<string, GraphNode[]>();
      for (const node of this.nodes) {
        for (const input of node.inputs) {
          if (!input) continue;
          const list = map.get(input);
          if (list) list.push(node);
          else map.set(input, [node]);
        }
      }
      this.consumersByTensor = map;
    }
    return this.consumersByTensor;
  }

  isInitializer(name: string): boolean {
    return this.initializers.has(name);
  }

  /**
   * Whether a tensor's value is known before run time, without decoding it (an initializer of a
   * type edgefold cannot read still throws, as `constant` would).
   */
  isConstant(name: string): boolean {
    if (this.constants.has(name)) return true;
    const init = this.initializers.get(name);
    if (!init) return false;
    if (!isReadableTensor(init)) this.constant(name);
    return true;
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
    return this.byName.get(name);
  }

  private readonly byName: ReadonlyMap<string, GraphNode>;
  private consumersByTensor?: Map<string, GraphNode[]>;
}

export function declaredShape(info: ValueInfoProto): Shape | undefined {
  const type = info.type?.value;
  if (type?.case !== 'tensorType' || !type.value.shape) return undefined;
  return type.value.shape.dim.map((d) => (d.value.case === 'dimValue' ? Number(d.value.value) : null));
}

/** Nodes without attributes (activations, Add, ...) share one empty lookup. */
const NO_ATTRIBUTES = new Attributes([]);

/**
 * Nodes in topological order (Kahn's algorithm, file order among ready nodes so the result is
 * stable), with the producer of every tensor and the node of every (made unique) name. Linear in
 * nodes + edges: one map lookup per input, dependents in flat typed arrays.
 */
function topologicalOrder(
  protos: NodeProto[],
  available: (name: string) => boolean,
): { order: GraphNode[]; producer: Map<string, GraphNode>; byName: Map<string, GraphNode> } {
  const count = protos.length;
  const byName = new Map<string, GraphNode>();
  // Until the sort, a node's index is its position in the file.
  const pending: GraphNode[] = new Array(count);
  // ONNX graphs are in SSA form: a tensor has one producer, and is not also an initializer or input.
  const producer = new Map<string, GraphNode>();
  let edges = 0;
  for (let i = 0; i < count; i++) {
    const proto = protos[i];
    let name = proto.name || `${proto.opType}_${i}`;
    // A repeated name gets the node's position (and a counter in the odd case that is taken too).
    for (let k = 0, base = name; byName.has(name); k++) name = k ? `${base}_${i}_${k}` : `${base}_${i}`;
    const attrs = proto.attribute.length ? new Attributes(proto.attribute) : NO_ATTRIBUTES;
    const node: GraphNode = { index: i, name, op: proto.opType, domain: proto.domain, inputs: proto.input, outputs: proto.output, attrs, proto };
    byName.set(name, node);
    pending[i] = node;
    edges += node.inputs.length;
    for (const o of node.outputs) {
      if (!o) continue;
      const earlier = producer.get(o);
      if (earlier !== undefined || available(o)) {
        const other = earlier !== undefined ? `node ${quote(earlier.name, 80)}` : 'an initializer or graph input';
        throw badInput(`The graph is invalid: tensor ${quote(o, 80)} is produced by node ${quote(name, 80)} and also by ${other}.`);
      }
      producer.set(o, node);
    }
  }
  // File position of the producer of every input occurrence (-1: initializer, graph input or
  // missing). No produced tensor is also available (refused above), so one lookup decides.
  const edgeProducer = new Int32Array(edges);
  const indegree = new Int32Array(count);
  const dependentCount = new Int32Array(count + 1);
  for (let i = 0, e = 0; i < count; i++) {
    for (const x of pending[i].inputs) {
      const p = x ? (producer.get(x)?.index ?? -1) : -1;
      edgeProducer[e++] = p;
      if (p >= 0) {
        indegree[i]++;
        dependentCount[p + 1]++;
      }
    }
  }
  // Dependents of node p: dependents[start[p] .. start[p + 1]), in file order.
  const start = dependentCount;
  for (let p = 0; p < count; p++) start[p + 1] += start[p];
  const dependents = new Int32Array(start[count]);
  const fill = start.slice(0, count);
  for (let i = 0, e = 0; i < count; i++) {
    for (let k = 0; k < pending[i].inputs.length; k++) {
      const p = edgeProducer[e++];
      if (p >= 0) dependents[fill[p]++] = i;
    }
  }
  const ready = new Int32Array(count);
  let tail = 0;
  for (let i = 0; i < count; i++) if (indegree[i] === 0) ready[tail++] = i;
  const order: GraphNode[] = [];
  for (let head = 0; head < tail; head++) {
    const i = ready[head];
    for (let d = start[i]; d < start[i + 1]; d++) {
      const j = dependents[d];
      if (--indegree[j] === 0) ready[tail++] = j;
    }
    pending[i].index = order.length;
    order.push(pending[i]);
  }
  if (order.length !== count) {
    const placed = new Uint8Array(count);
    for (let k = 0; k < tail; k++) placed[ready[k]] = 1;
    const stuck = pending[placed.indexOf(0)];
    throw badInput(`The graph has a cycle or a missing input (node ${quote(stuck.name, 80)} can never run).`);
  }
  return { order, producer, byName };
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
