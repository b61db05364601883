import { badInput, EdgefoldError } from '../errors.ts';
import { quote } from '../limits.ts';
import { decodeModel, type ModelProto } from '../onnx/model.ts';
import { Graph } from './graph.ts';
import type { LayerInfo } from './layer.ts';
import { layerView, summarize, type ModelSummary } from './layers.ts';
import { inferShapes, type ShapeProblem } from './shapes.ts';

export { Graph } from './graph.ts';
export type { GraphNode, ConstantValue } from './graph.ts';
export type { LayerInfo, LayerKind, Shape } from './layer.ts';
export { layerView, summarize, isKnownOp } from './layers.ts';
export type { ModelSummary, TensorSummary } from './layers.ts';
export { inferShapes, windowGeometry } from './shapes.ts';
export type { ShapeProblem } from './shapes.ts';

/** A decoded model with its graph IR, shapes, layer view and totals. */
export interface LoadedModel {
  model: ModelProto;
  graph: Graph;
  layers: LayerInfo[];
  summary: ModelSummary;
  /** Nodes whose output shapes could not be inferred (never fatal). */
  shapeProblems: ShapeProblem[];
}

export function analyzeModel(model: ModelProto, fileName = 'model'): LoadedModel {
  let graph: Graph;
  let shapeProblems: ShapeProblem[];
  let layers: LayerInfo[];
  try {
    graph = new Graph(model);
    shapeProblems = inferShapes(graph);
    layers = layerView(graph);
  } catch (error) {
    // Graph and shape checks know the node, not the file: the message names the file too.
    if (error instanceof EdgefoldError && !error.message.startsWith(fileName)) {
      throw new EdgefoldError(error.code, `${fileName}: ${error.message}`, error.field ?? fileName);
    }
    throw error;
  }
  checkCounts(layers, fileName);
  return { model, graph, layers, summary: summarize(graph, layers, fileName.replace(/\.onnx$/i, '')), shapeProblems };
}

/** The last line of defence: no layer is ever shown with NaN, Infinity, negative or unsafe counts. */
function checkCounts(layers: LayerInfo[], fileName: string): void {
  let params = 0;
  let macs = 0;
  for (const layer of layers) {
    for (const [what, value] of [['parameters', layer.params], ['MACs', layer.macs]] as const) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw badInput(`${fileName}: layer ${quote(layer.name, 80)} (${layer.op}) would have ${value} ${what}; its shapes or attributes are invalid.`, layer.name);
      }
    }
    params += layer.params;
    macs += layer.macs;
  }
  if (!Number.isSafeInteger(params) || !Number.isSafeInteger(macs)) {
    throw badInput(`${fileName}: the model's totals (${params} parameters, ${macs} MACs) are beyond what edgefold can count exactly.`, fileName);
  }
}

/** Decode ONNX bytes and analyse them; throws EdgefoldError with a user-facing message on bad input. */
export function loadModel(bytes: Uint8Array, fileName = 'model.onnx'): LoadedModel {
  return analyzeModel(decodeModel(bytes, fileName), fileName);
}
