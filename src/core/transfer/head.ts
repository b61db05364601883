import { badInput, EdgefoldError } from '../errors.ts';
import { attrFloat, attrInt, type Graph, type GraphNode } from '../graph/graph.ts';

/** The model's final classifier: the last Gemm / MatMul with a weight known before run time. */
export interface HeadInfo {
  /** The Gemm / MatMul node. */
  node: string;
  op: 'Gemm' | 'MatMul';
  /** The tensor entering the head: the features a new head is trained on. */
  featureTensor: string;
  /** D: features per image. */
  features: number;
  /** K: outputs (classes) of the current head. */
  outputs: number;
  /** The tensor holding the logits: the head's output, or the bias Add's after a MatMul. */
  logitsTensor: string;
  /** The bias Add after a MatMul, when there is one. */
  biasAdd?: string;
}

function weightDims(graph: Graph, name: string): number[] | undefined {
  const constant = graph.constant(name);
  if (constant) return constant.dims;
  const producer = graph.producer.get(name);
  // a quantized weight: DequantizeLinear over an initializer
  if (producer?.op === 'DequantizeLinear' && graph.isInitializer(producer.inputs[0])) return graph.constant(producer.inputs[0])!.dims;
  return undefined;
}

/** A node's output is a graph output or leads to one. */
function reachesOutput(graph: Graph, tensor: string): boolean {
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const seen = new Set<string>();
  const stack = [tensor];
  while (stack.length) {
    const t = stack.pop()!;
    if (outputs.has(t)) return true;
    if (seen.has(t)) continue;
    seen.add(t);
    for (const consumer of graph.consumers.get(t) ?? []) stack.push(...consumer.outputs.filter(Boolean));
  }
  return false;
}

function constantBiasAdd(graph: Graph, node: GraphNode, k: number): GraphNode | undefined {
  const consumers = graph.consumers.get(node.outputs[0]) ?? [];
  if (consumers.length !== 1 || consumers[0].op !== 'Add') return undefined;
  const add = consumers[0];
  const other = add.inputs.find((i) => i !== node.outputs[0]);
  const value = other ? graph.constant(other) : undefined;
  if (!value) return undefined;
  const n = value.dims.reduce((a, b) => a * b, 1);
  return n === k || n === 1 ? add : undefined;
}

/**
 * Finds the classifier head: the last Gemm / MatMul (in topological order) whose weight is a
 * constant and whose output reaches a graph output. Explains what is wrong when there is none.
 */
export function findHead(graph: Graph): HeadInfo {
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (node.op !== 'Gemm' && node.op !== 'MatMul') continue;
    const dims = weightDims(graph, node.inputs[1]);
    if (!dims || graph.constant(node.inputs[0])) continue;
    if (!reachesOutput(graph, node.outputs[0])) continue;
    if (dims.length !== 2) {
      throw new EdgefoldError('unsupported', `the classifier "${node.name}" has a ${dims.length}-D weight; edgefold re-fits 2-D heads.`, node.name);
    }
    if (node.op === 'Gemm') {
      if (attrInt(node, 'transA', 0) !== 0) throw new EdgefoldError('unsupported', `the classifier "${node.name}" is a Gemm with transA = 1.`, node.name);
      const transB = attrInt(node, 'transB', 0) !== 0;
      const [features, outputs] = transB ? [dims[1], dims[0]] : dims;
      return { node: node.name, op: 'Gemm', featureTensor: node.inputs[0], features, outputs, logitsTensor: node.outputs[0] };
    }
    const [features, outputs] = dims;
    const input = graph.shape(node.inputs[0]);
    if (input && input.length !== 2) {
      throw new EdgefoldError('unsupported', `the classifier "${node.name}" multiplies a ${input.length}-D tensor; edgefold re-fits heads on [N, D] features.`, node.name);
    }
    const add = constantBiasAdd(graph, node, outputs);
    return {
      node: node.name,
      op: 'MatMul',
      featureTensor: node.inputs[0],
      features,
      outputs,
      logitsTensor: add ? add.outputs[0] : node.outputs[0],
      biasAdd: add?.name,
    };
  }
  throw badInput('the model has no classifier head to re-fit (no Gemm or MatMul with a constant weight leading to an output).', 'model');
}

/** The current head's weight [K, D] (output-major) and bias [K], read from the graph. */
export function readHead(graph: Graph, head: HeadInfo): { weight: Float64Array; bias: Float64Array } {
  const node = graph.node(head.node)!;
  const w = graph.constant(node.inputs[1]);
  if (!w) throw new EdgefoldError('unsupported', `the weight of "${head.node}" is not a plain constant.`, head.node);
  const { features: d, outputs: k } = head;
  const weight = new Float64Array(k * d);
  const bias = new Float64Array(k);
  if (head.op === 'Gemm') {
    const alpha = attrFloat(node, 'alpha', 1);
    const beta = attrFloat(node, 'beta', 1);
    const transB = attrInt(node, 'transB', 0) !== 0;
    for (let o = 0; o < k; o++) for (let f = 0; f < d; f++) weight[o * d + f] = alpha * w.values[transB ? o * d + f : f * k + o];
    const c = node.inputs[2] ? graph.constant(node.inputs[2]) : undefined;
    if (node.inputs[2] && !c) throw new EdgefoldError('unsupported', `the bias of "${head.node}" is not a plain constant.`, head.node);
    if (c) for (let o = 0; o < k; o++) bias[o] = beta * c.values[c.values.length === 1 ? 0 : o];
  } else {
    for (let o = 0; o < k; o++) for (let f = 0; f < d; f++) weight[o * d + f] = w.values[f * k + o];
    if (head.biasAdd) {
      const add = graph.node(head.biasAdd)!;
      const c = graph.constant(add.inputs.find((x) => x !== node.outputs[0])!)!;
      for (let o = 0; o < k; o++) bias[o] = c.values[c.values.length === 1 ? 0 : o];
    }
  }
  return { weight, bias };
}
