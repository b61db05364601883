import { attrInt, attrInts, type Graph, type GraphNode } from './graph.ts';
import { blankLayer, type LayerInfo, type LayerKind, type Shape } from './layer.ts';
import { SHAPE_RULES, windowGeometry } from './shape-rules.ts';

const POOL_TYPES: Record<string, LayerInfo['poolType']> = {
  MaxPool: 'max',
  AveragePool: 'avg',
  GlobalAveragePool: 'global-avg',
  GlobalMaxPool: 'global-max',
};
const ELEMENTWISE_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Sum', 'Max', 'Min']);

const count = (dims: readonly (number | null)[] | undefined): number =>
  dims ? dims.reduce<number>((n, d) => n * (d ?? 1), 1) : 0;

/** Whether the graph core knows an op's shape semantics. */
export function isKnownOp(node: GraphNode): boolean {
  return (node.domain === '' || node.domain === 'ai.onnx') && node.op in SHAPE_RULES;
}

function base(node: GraphNode, graph: Graph, kind: LayerKind): LayerInfo {
  return blankLayer(node.name, node.op, kind, graph.shape(node.inputs[0]) ?? [], graph.shape(node.outputs[0]) ?? []);
}

function unsupported(node: GraphNode, graph: Graph, reason: string): LayerInfo {
  return { ...base(node, graph, 'unsupported'), reason };
}

/** 2-D view of a window op's geometry (1-D ops are shown as k x 1). */
function window2d(node: GraphNode, graph: Graph, x: Shape, kernel: number[]) {
  // Shape inference worked the geometry out from the same input shape and kernel.
  const g = graph.windows[node.index] ?? windowGeometry(node, x.slice(2), kernel);
  const rank = kernel.length;
  const two = (v: number[], fill: number): [number, number] => [v[0] ?? fill, v[1] ?? fill];
  return {
    kernel: two(g.kernel, 1),
    stride: two(g.stride, 1),
    pads: [g.pads[0] ?? 0, g.pads[1] ?? 0, g.pads[rank] ?? 0, g.pads[rank + 1] ?? 0] as [number, number, number, number],
    dilation: two(g.dilation, 1),
  };
}

function convLayer(node: GraphNode, graph: Graph): LayerInfo {
  const weight = graph.shape(node.inputs[1]);
  if (!weight || weight.some((d) => d === null)) return unsupported(node, graph, 'weight shape unknown');
  if (!graph.isConstant(node.inputs[1])) return unsupported(node, graph, 'weights are computed at run time, not constant');
  const [cout, cinPerGroup, ...k] = weight as number[];
  const groups = attrInt(node, 'group', 1);
  if (!Number.isSafeInteger(groups) || groups < 1 || cout % groups !== 0) return unsupported(node, graph, `group ${groups} does not divide the ${cout} output channels`);
  const cin = cinPerGroup * groups;
  const kernel = attrInts(node, 'kernel_shape') ?? k;
  // A conv with one output channel is not depthwise unless group equals its input channels.
  let kind: LayerKind;
  if (groups === 1) kind = kernel.every((d) => d === 1) ? 'pointwise' : 'conv';
  else if (groups === cin && cin > 1) kind = 'depthwise';
  else kind = 'grouped';
  const hasBias = Boolean(node.inputs[2]);
  const layer = base(node, graph, kind);
  const out = layer.outputShape;
  const window = window2d(node, graph, layer.inputShape, kernel);
  layer.kernel = window.kernel;
  layer.stride = window.stride;
  layer.pads = window.pads;
  layer.dilation = window.dilation;
  layer.groups = groups;
  layer.hasBias = hasBias;
  layer.params = count(weight) + (hasBias ? cout : 0);
  layer.macs = cout * count(out.slice(2)) * cinPerGroup * count(kernel);
  return layer;
}

/** A constant added right after a MatMul is that layer's bias (tf2onnx and torch write it so). */
function biasAddAfter(node: GraphNode, graph: Graph): GraphNode | undefined {
  const next = graph.consumers.get(node.outputs[0]);
  if (next?.length !== 1 || next[0].op !== 'Add') return undefined;
  return next[0].inputs.some((i) => i !== node.outputs[0] && graph.isConstant(i)) ? next[0] : undefined;
}

function fcLayer(node: GraphNode, graph: Graph): LayerInfo {
  const weightIndex = graph.isConstant(node.inputs[1]) ? 1 : graph.isConstant(node.inputs[0]) ? 0 : -1;
  if (weightIndex < 0) return { ...base(node, graph, 'elementwise'), reason: 'MatMul of two activations' };
  const w = graph.shape(node.inputs[weightIndex]) as number[];
  // A 1-D or batched constant (MatMul broadcasting) is not a [in, out] weight: counting it as one gave NaN or wrong counts.
  if (w.length !== 2) return unsupported(node, graph, `${node.op} with a ${w.length}-D constant operand is not a fully connected layer`);
  const transB = node.op === 'Gemm' && attrInt(node, 'transB', 0) === 1;
  const [inFeatures, outFeatures] = transB ? [w[0 + 1], w[0]] : [w[0], w[1]];
  const out = graph.shape(node.outputs[0]) ?? [];
  const rows = count(out.slice(0, -1).map((d, i) => (i === 0 ? 1 : d)));
  const biasAdd = node.op === 'MatMul' ? biasAddAfter(node, graph) : undefined;
  const hasBias = node.op === 'Gemm' ? Boolean(node.inputs[2]) : Boolean(biasAdd);
  const biasCount = hasBias ? outFeatures : 0;
  return {
    ...base(node, graph, 'fc'),
    inputShape: graph.shape(node.inputs[1 - weightIndex]) ?? [],
    outputShape: biasAdd ? (graph.shape(biasAdd.outputs[0]) ?? out) : out,
    hasBias,
    params: inFeatures * outFeatures + biasCount,
    macs: rows * inFeatures * outFeatures,
  };
}

function poolLayer(node: GraphNode, graph: Graph): LayerInfo {
  const info = { ...base(node, graph, 'pool'), poolType: POOL_TYPES[node.op] };
  if (node.op.startsWith('Global')) {
    const x = info.inputShape;
    return { ...info, kernel: [x[2] ?? 1, x[3] ?? 1] as [number, number] };
  }
  const kernel = attrInts(node, 'kernel_shape') ?? [1, 1];
  return { ...info, ...window2d(node, graph, info.inputShape, kernel) };
}

/**
 * Every compute layer of the graph in topological order: convolutions, fully connected layers,
 * pooling, elementwise ops joining two activations, and ops the core does not understand
 * (kind 'unsupported', with the op name as the reason). Activations, reshapes and
 * quantize/dequantize nodes are not layers.
 */
export function layerView(graph: Graph): LayerInfo[] {
  const layers: LayerInfo[] = [];
  /** 1 at the (topological) index of each node that is a layer. */
  const isLayer = new Uint8Array(graph.nodes.length);
  /** The layer a tensor comes from, through non-layer nodes (their first activation input); null for a graph input. */
  const sourceLayer = (tensor: string): string | null => {
    let t = tensor;
    for (let steps = 0; steps <= graph.nodes.length; steps++) {
      const node = graph.producer.get(t);
      if (!node) return null;
      if (isLayer[node.index]) return node.name;
      const next = node.inputs.find((i) => i && !graph.isConstant(i));
      if (!next) return null;
      t = next;
    }
    return null;
  };
  for (const node of graph.nodes) {
    if (!isKnownOp(node)) {
      layers.push(unsupported(node, graph, `operator ${node.domain ? node.domain + '.' : ''}${node.op} is not supported`));
      continue;
    }
    if (node.op === 'Conv') layers.push(convLayer(node, graph));
    else if (node.op === 'Gemm' || node.op === 'MatMul') layers.push(fcLayer(node, graph));
    else if (node.op in POOL_TYPES) layers.push(poolLayer(node, graph));
    else if (ELEMENTWISE_OPS.has(node.op)) {
      const activations = node.inputs.filter((i) => i && !graph.isConstant(i));
      if (activations.length >= 2) layers.push({ ...base(node, graph, 'elementwise'), sources: activations.map(sourceLayer) });
    }
    if (layers.length && layers[layers.length - 1].name === node.name) isLayer[node.index] = 1;
  }
  return layers;
}

export interface TensorSummary {
  name: string;
  shape: Shape;
}

export interface ModelSummary {
  name: string;
  producer: string;
  irVersion: number;
  opset: number;
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  /** Conv and FC weights and biases (BatchNormalization parameters, which fold away, are not counted). */
  params: number;
  /** Multiply-accumulates per inference at batch 1 (conv and FC). */
  macs: number;
  /** Operations as papers count them: ops = 2 x MACs (one multiply and one add per MAC). */
  ops: number;
  layerCount: number;
  unsupportedOps: string[];
}

export function summarize(graph: Graph, layers: LayerInfo[], fallbackName: string): ModelSummary {
  const params = layers.reduce((n, l) => n + l.params, 0);
  const macs = layers.reduce((n, l) => n + l.macs, 0);
  const model = graph.model;
  return {
    name: model.graph?.name || fallbackName,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    irVersion: Number(model.irVersion),
    opset: graph.opset,
    inputs: graph.inputs.map((i) => ({ name: i.name, shape: graph.shape(i.name) ?? [] })),
    outputs: graph.outputs.map((o) => ({ name: o.name, shape: graph.shape(o.name) ?? [] })),
    params,
    macs,
    ops: 2 * macs,
    layerCount: layers.length,
    unsupportedOps: [...new Set(layers.filter((l) => l.kind === 'unsupported').map((l) => l.op))],
  };
}
