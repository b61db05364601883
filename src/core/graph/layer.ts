/** The layer view: what every consumer (UI table, CLI, pruning, hardware model) sees of a model. */

/** Shapes are NCHW for 4-D tensors. `null` marks a dynamic dimension (e.g. batch). */
export type Shape = (number | null)[];

export type LayerKind =
  | 'conv' // standard convolution (group 1, kernel > 1 or any kernel with group 1 and not 1x1)
  | 'pointwise' // 1x1 convolution, group 1
  | 'depthwise' // group == input channels (== output channels / multiplier)
  | 'grouped' // any other group count
  | 'fc' // Gemm / MatMul with a constant weight
  | 'pool' // MaxPool / AveragePool / GlobalAveragePool / GlobalMaxPool
  | 'elementwise' // Add / Mul / Sub / Div on two activations
  | 'unsupported'; // an op the graph core does not understand

/**
 * The layers with weights: every convolution kind and fully connected layers. Pruning,
 * quantization, sensitivity sweeps, the layer table and the hardware model all work on these.
 */
export const COMPUTE_KINDS: ReadonlySet<LayerKind> = new Set<LayerKind>(['conv', 'pointwise', 'depthwise', 'grouped', 'fc']);

/** The convolutions among COMPUTE_KINDS (all of them but 'fc'). */
export const CONV_KINDS: ReadonlySet<LayerKind> = new Set([...COMPUTE_KINDS].filter((k) => k !== 'fc'));

/** Whether a layer kind (or an unknown string, e.g. from a missing layer) is a compute layer. */
export function isComputeKind(kind: string | undefined): boolean {
  return kind !== undefined && COMPUTE_KINDS.has(kind as LayerKind);
}

export interface LayerInfo {
  /** Unique name: the ONNX node name, or `<op>_<index>` when the node has none. */
  name: string;
  /** ONNX op type, e.g. "Conv". */
  op: string;
  kind: LayerKind;
  /** Pooling sub-type when kind === 'pool'. */
  poolType?: 'max' | 'avg' | 'global-avg' | 'global-max';
  inputShape: Shape;
  outputShape: Shape;
  /** [kh, kw]; [1, 1] for fc and elementwise. */
  kernel: [number, number];
  /** [sh, sw]; [1, 1] for fc and elementwise. */
  stride: [number, number];
  /** [top, left, bottom, right] padding in pixels (0 for fc). */
  pads: [number, number, number, number];
  dilation: [number, number];
  groups: number;
  /** Weight + bias parameter count. */
  params: number;
  /** Multiply-accumulates per inference (batch 1). Pooling/elementwise: 0 MACs (they count ops). */
  macs: number;
  /** Whether a bias is present (conv/fc). */
  hasBias: boolean;
  /** Why the layer is unsupported, when kind === 'unsupported'. */
  reason?: string;
  /**
   * Elementwise joins: the layer producing each activation input, in input order (null: a graph
   * input), found by following the tensors back through nodes that are not layers (activations,
   * reshapes, quantize/dequantize).
   */
  sources?: (string | null)[];
}

/** A layer with no window, no weights and no cost yet: what the layer view and unpacking fill in. */
export function blankLayer(name: string, op: string, kind: LayerKind, inputShape: Shape = [], outputShape: Shape = []): LayerInfo {
  return { name, op, kind, inputShape, outputShape, kernel: [1, 1], stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], groups: 1, params: 0, macs: 0, hasBias: false };
}
