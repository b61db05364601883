/**
 * Generates a training graph from an inference ONNX model: the forward ops, a loss head, then the
 * backward ops written with standard ONNX ops (see backward/), so one onnxruntime session
 * (node or web/wasm) returns loss, logits and every parameter's gradient for a batch.
 *
 * Graph inputs: the batch, `labels` (one-hot [N, classes]), `teacher_logits` when distilling, and
 * every trainable parameter (initializers that became inputs, same names), and every `fed`
 * constant (fed each step, no gradient: QAT's activation scales). Outputs: `loss`, the logits,
 * one gradient per parameter, per train-mode BatchNormalization its batch mean and biased
 * variance, and per `observed` tensor its largest magnitude in the batch.
 */
import type { ModelProto, TensorProto } from 'onnx-buf';
import { EdgefoldError } from '../errors.ts';
import { Graph, type GraphNode } from '../graph/graph.ts';
import type { Shape } from '../graph/layer.ts';
import { inferShapes } from '../graph/shapes.ts';
import { buildModel, tensorInfo } from '../onnx/builder.ts';
import { DataType, tensorDims } from '../onnx/tensor.ts';
import { copyClipWithInputs } from './backward/elementwise.ts';
import { OP_RULES } from './backward/index.ts';
import type { BackwardContext, RuleContext } from './backward/rule.ts';
import { GraphBuilder } from './builder.ts';
import { lossHead, type DistillationOptions } from './loss.ts';

export const LABELS_INPUT = 'labels';
export const TEACHER_INPUT = 'teacher_logits';
export const LOSS_OUTPUT = 'loss';

export interface TrainingGraphOptions {
  /** Initializers to train; default: weights/biases of Conv, Gemm, MatMul and BatchNormalization scale/bias. */
  trainable?: readonly string[];
  /** BatchNormalization nodes use batch statistics ('train', default) or the stored ones ('frozen'). */
  batchNorm?: 'train' | 'frozen';
  kd?: DistillationOptions;
  /** Initializers that become graph inputs fed every step, without gradients (e.g. activation scales whose range observer moves). */
  fed?: readonly string[];
  /** Tensors whose max |x| over the batch is an output (range observers). */
  observed?: readonly string[];
}

export interface TrainableParameter {
  name: string;
  dims: number[];
  /** Graph output holding dLoss/dParameter. */
  gradient: string;
}

export interface BatchNormStatistics {
  node: string;
  runningMean: string;
  runningVar: string;
  momentum: number;
  /** Graph outputs, shape [1, C, 1, 1]. */
  batchMean: string;
  batchVar: string;
  /** Elements per channel per image (H x W): with the batch size, the count for the unbiased variance. */
  perImage: number;
}

export interface TrainingGraph {
  model: ModelProto;
  input: string;
  logits: string;
  classes: number;
  params: TrainableParameter[];
  batchNorms: BatchNormStatistics[];
  distillation: boolean;
  /** Fed constants (name, dims). */
  fed: { name: string; dims: number[] }[];
  /** Observed tensor -> graph output holding its max |x| over the batch (a scalar). */
  observed: Map<string, string>;
}

/** Parameter slots: (op, input index) pairs whose initializers train by default. */
const PARAMETER_SLOTS: Record<string, number[]> = { Conv: [1, 2], Gemm: [1, 2], MatMul: [1], BatchNormalization: [1, 2] };

export function defaultTrainable(graph: Graph): string[] {
  const names = new Set<string>();
  for (const node of graph.nodes) {
    for (const i of PARAMETER_SLOTS[node.op] ?? []) {
      const name = node.inputs[i];
      const t = name ? graph.initializers.get(name) : undefined;
      if (t && t.dataType === DataType.FLOAT) names.add(name);
    }
  }
  return [...names];
}

export function buildTrainingGraph(model: ModelProto, options: TrainingGraphOptions = {}): TrainingGraph {
  const graph = new Graph(model);
  inferShapes(graph);
  if (graph.inputs.length !== 1) throw new EdgefoldError('unsupported', `Training needs a model with one input; this one has ${graph.inputs.length}.`);
  const input = graph.inputs[0].name;
  const logits = graph.outputs[0].name;
  const logitShape = graph.shape(logits);
  if (!logitShape || logitShape.length !== 2 || logitShape[1] === null) {
    throw new EdgefoldError('unsupported', `Training needs [batch, classes] logits as the first output; "${logits}" has shape ${JSON.stringify(logitShape)}.`);
  }
  const classes = logitShape[1];
  const trainable = options.trainable ?? defaultTrainable(graph);
  for (const name of trainable) {
    if (!graph.initializers.has(name)) throw new EdgefoldError('bad-input', `"${name}" is not an initializer of the model, so it cannot be trained.`);
  }
  const fedNames = options.fed ?? [];
  for (const name of fedNames) {
    if (!graph.initializers.has(name) || trainable.includes(name)) throw new EdgefoldError('bad-input', `"${name}" is not an untrained initializer of the model, so it cannot be fed.`);
  }
  const paramSet = new Set([...trainable, ...fedNames]);
  const batchNormMode = options.batchNorm ?? 'train';

  const b = new GraphBuilder([...graph.initializers.keys(), input, ...graph.nodes.flatMap((n) => [n.name, ...n.inputs, ...n.outputs]), LABELS_INPUT, TEACHER_INPUT, LOSS_OUTPUT]);
  const shape = (name: string): Shape => {
    const s = graph.shape(name);
    if (!s) throw new EdgefoldError('unsupported', `Training needs the shape of tensor "${name}", which could not be inferred.`);
    return s;
  };
  const base = (node: GraphNode): RuleContext => ({ b, graph, node, shape, constant: (n) => graph.constant(n), batchNorm: batchNormMode });

  // Forward: which tensors depend on a parameter (only those need gradients).
  const needsGrad = new Set<string>(trainable);
  const saved = new Map<GraphNode, Record<string, string>>();
  for (const node of graph.nodes) {
    const rule = node.domain === '' || node.domain === 'ai.onnx' ? OP_RULES[node.op] : undefined;
    const differentiable = node.inputs.some((i) => i && needsGrad.has(i));
    if (differentiable) {
      if (!rule) throw new EdgefoldError('unsupported', `Training cannot go through ${node.op} node "${node.name}" (no backward rule for ${node.op}).`, node.name);
      for (const o of node.outputs) if (o) needsGrad.add(o);
    }
    if (rule?.forward && differentiable) saved.set(node, rule.forward(base(node)));
    else if (node.op === 'Clip' && graph.opset < 11) copyClipWithInputs(b, node);
    else b.copy(node.proto, [...node.inputs], [...node.outputs]);
  }
  if (!needsGrad.has(logits)) throw new EdgefoldError('bad-input', 'No trainable parameter reaches the logits.');

  const loss = lossHead(b, logits, LABELS_INPUT, options.kd, options.kd ? TEACHER_INPUT : undefined, LOSS_OUTPUT);

  // Backward, in reverse topological order; contributions to one tensor are summed.
  const pending = new Map<string, string[]>([[logits, [loss.dLogits]]]);
  const gradientOf = (name: string): string | undefined => {
    const parts = pending.get(name);
    if (!parts?.length) return undefined;
    if (parts.length === 1) return parts[0];
    const total = b.op('Sum', parts);
    pending.set(name, [total]);
    return total;
  };
  for (let k = graph.nodes.length - 1; k >= 0; k--) {
    const node = graph.nodes[k];
    if (!node.outputs.some((o) => needsGrad.has(o))) continue;
    const gradOut = node.outputs.map((o) => (o ? gradientOf(o) : undefined));
    if (gradOut.every((g) => g === undefined)) continue;
    const ctx: BackwardContext = {
      ...base(node),
      gradOut,
      needs: node.inputs.map((i) => Boolean(i) && needsGrad.has(i)),
      saved: saved.get(node) ?? {},
    };
    const grads = OP_RULES[node.op].backward(ctx);
    node.inputs.forEach((name, i) => {
      const g = grads[i];
      if (!g || !ctx.needs[i]) return;
      const list = pending.get(name) ?? [];
      list.push(g);
      pending.set(name, list);
    });
  }

  const params: TrainableParameter[] = [];
  const outputs = [tensorInfo(LOSS_OUTPUT, []), tensorInfo(logits, [null, classes])];
  for (const name of trainable) {
    const dims = tensorDims(graph.initializers.get(name)!);
    const g = gradientOf(name);
    const gradient = b.fresh(`${name}_grad`);
    // A parameter no path reaches (e.g. pruned away) gets an explicit zero gradient.
    if (g) b.opTo('Identity', [g], gradient);
    else b.opTo('Mul', [name, b.float([0])], gradient);
    params.push({ name, dims, gradient });
    outputs.push(tensorInfo(gradient, dims));
  }

  const batchNorms: BatchNormStatistics[] = [];
  for (const [node, s] of saved) {
    if (node.op !== 'BatchNormalization' || !s.batchMean) continue;
    const stats = {
      node: node.name,
      runningMean: node.inputs[3],
      runningVar: node.inputs[4],
      momentum: node.attrs.get('momentum')?.f ?? 0.9,
      batchMean: b.opTo('Identity', [s.batchMean], b.fresh(`${node.name}_batch_mean`)),
      batchVar: b.opTo('Identity', [s.batchVar], b.fresh(`${node.name}_batch_var`)),
      perImage: shape(node.inputs[0]).slice(2).reduce<number>((a, d) => a * (d ?? 1), 1),
    };
    batchNorms.push(stats);
    const channels = tensorDims(graph.initializers.get(stats.runningMean)!)[0];
    // Statistics keep the input's rank ([1, C] after a Flatten, [1, C, 1, 1] in a conv net).
    const dims = [1, channels, ...Array<number>(shape(node.inputs[0]).length - 2).fill(1)];
    outputs.push(tensorInfo(stats.batchMean, dims), tensorInfo(stats.batchVar, dims));
  }

  const observed = new Map<string, string>();
  for (const name of options.observed ?? []) {
    shape(name);
    const out = b.opTo('ReduceMax', [b.op('Abs', [name])], b.fresh(`${name}_batch_absmax`), { keepdims: 0 });
    observed.set(name, out);
    outputs.push(tensorInfo(out, []));
  }
  const fed = fedNames.map((name) => ({ name, dims: tensorDims(graph.initializers.get(name)!) }));

  const inputShape = shape(input);
  const inputs = [
    tensorInfo(input, inputShape.map((d, i) => (i === 0 ? 'N' : d))),
    tensorInfo(LABELS_INPUT, ['N', classes]),
    ...(options.kd ? [tensorInfo(TEACHER_INPUT, ['N', classes])] : []),
    ...params.map((p) => tensorInfo(p.name, p.dims)),
    ...fed.map((f) => tensorInfo(f.name, f.dims)),
  ];
  const kept: TensorProto[] = [...graph.initializers.values()].filter((t) => !paramSet.has(t.name));
  const opset = Math.max(16, graph.opset);
  const out = buildModel({ nodes: b.nodes, inputs, outputs, initializers: [...kept, ...b.initializers], opset, irVersion: 8, name: 'training' });
  return { model: out, input, logits, classes, params, batchNorms, distillation: Boolean(options.kd), fed, observed };
}
