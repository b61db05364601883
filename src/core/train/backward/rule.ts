import { EdgefoldError } from '../../errors.ts';
import type { ConstantValue, Graph, GraphNode } from '../../graph/graph.ts';
import type { Shape } from '../../graph/layer.ts';
import type { GraphBuilder } from '../builder.ts';

/** What a rule sees of one forward node while the training graph is written. */
export interface RuleContext {
  b: GraphBuilder;
  graph: Graph;
  node: GraphNode;
  /** Inferred shape (batch dimension null). */
  shape(name: string): Shape;
  constant(name: string): ConstantValue | undefined;
  /** BatchNormalization: batch statistics ('train') or the stored running statistics ('frozen'). */
  batchNorm: 'train' | 'frozen';
}

export interface BackwardContext extends RuleContext {
  /** Gradient arriving at each output (undefined: none flows). */
  gradOut: (string | undefined)[];
  /** Whether each input needs a gradient. */
  needs: boolean[];
  /** Tensors the rule's forward step kept for the backward step. */
  saved: Record<string, string>;
}

/**
 * Forward and backward of one ONNX op kind. `forward` replaces the copied node when the
 * backward needs extra tensors (e.g. batch statistics); it returns them by name.
 */
export interface OpRule {
  forward?: (ctx: RuleContext) => Record<string, string>;
  /** The gradient for each input (undefined where none is needed). */
  backward: (ctx: BackwardContext) => (string | undefined)[];
}

export const unsupported = (node: GraphNode, why: string): EdgefoldError =>
  new EdgefoldError('unsupported', `Training cannot go through ${node.op} node "${node.name}": ${why}.`, node.name);

/** Static size of a shape with the batch dimension left out (throws when another dim is unknown). */
export function staticDims(node: GraphNode, shape: Shape, from = 1): number[] {
  const dims = shape.slice(from);
  if (dims.some((d) => d === null)) throw unsupported(node, `shape [${shape.map((d) => d ?? '?').join(', ')}] has unknown dimensions besides the batch`);
  return dims as number[];
}
