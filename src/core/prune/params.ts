/** Where a layer's stored parameter (weight, bias, BN vector, per-channel constant) physically lives. */
import { attrInt, type Graph } from '../graph/graph.ts';

export type ParamRef =
  | { kind: 'initializer'; name: string }
  /** Weights stored quantized behind a DequantizeLinear of initializers (tf2onnx, QDQ models). */
  | { kind: 'dequantize'; node: string; x: string; scale: string; zeroPoint?: string; axis: number };

/**
 * Resolves a node input to the initializer(s) holding it, or returns a sentence saying why it
 * cannot be edited in place (computed at run time, a Constant node, shared through a DequantizeLinear).
 */
export function paramRef(graph: Graph, name: string): ParamRef | string {
  if (graph.isInitializer(name)) return { kind: 'initializer', name };
  const producer = graph.producer.get(name);
  if (!producer) return `"${name}" is neither an initializer nor produced by a node`;
  if (producer.op === 'DequantizeLinear') {
    const [x, scale, zeroPoint] = producer.inputs;
    const stored = [x, scale, zeroPoint].filter(Boolean).every((i) => graph.isInitializer(i));
    if (!stored) return `"${name}" is dequantized from values that are not initializers`;
    if ((graph.consumers.get(name) ?? []).length > 1) return `"${name}" (DequantizeLinear "${producer.name}") is shared by several nodes`;
    const rank = graph.shape(x)?.length ?? 1;
    const axis = attrInt(producer, 'axis', 1);
    return { kind: 'dequantize', node: producer.name, x, scale, zeroPoint: zeroPoint || undefined, axis: axis < 0 ? axis + rank : axis };
  }
  return `"${name}" is computed by ${producer.op} "${producer.name}", not stored as an initializer`;
}
