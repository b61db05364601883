/**
 * Quantization-aware training on the design's own fake-quant graph.
 * - Activations: the 'float' format chain quantizeModel writes (Div by the scale, Round, Clip to
 *   the integer range, Mul) is trained through as is: Round passes the gradient straight through
 *   and Clip zeroes it outside the range (PyTorch's fake-quant STE). Scales stay fixed at the
 *   calibrated values (min/max or the config's method).
 * - Weights: float master copies train; every step feeds them through the same per-channel
 *   weight quantizer the export uses (quantizeWeights: symmetric, scale from the current max |w|),
 *   and the gradient w.r.t. the quantized weight updates the master (straight-through).
 * - Biases train in float; the export puts them on the int32 accumulator grid (negligible).
 * The export quantizes the trained float model again with quantizeModel and the same calibration,
 * so the activation scales are exactly those trained with and the weights land on the grid.
 */
import type { ModelProto } from 'onnx-buf';
import { Graph, attrInt } from '../graph/graph.ts';
import { tensorDims, tensorFloat32 } from '../onnx/tensor.ts';
import type { CalibrationData, CalibrationMethod } from '../quant/calibrate.ts';
import { quantizeWeights } from '../quant/grid.ts';
import { quantizeModel, type LayerQuantSpec, type QuantFormat } from '../quant/quantize.ts';
import type { ParameterBinding } from './trainer.ts';

export interface QuantSettings {
  layers: Record<string, LayerQuantSpec>;
  calibration?: CalibrationData;
  method: CalibrationMethod;
  percentile: number;
  format: QuantFormat;
}

export interface QatSetup {
  /** The float-format fake-quant model the training graph is built from. */
  model: ModelProto;
  bindings: ParameterBinding[];
  /** Training names -> names in the float (pruned) model. */
  floatNames: Map<string, string>;
}

/** Builds the fake-quant training model and binds its quantized weights to float masters from `floatModel`. */
export function prepareQat(floatModel: ModelProto, quant: QuantSettings): QatSetup {
  const { model } = quantizeModel(floatModel, { ...quant, format: 'float' });
  const floatGraph = new Graph(floatModel);
  const qGraph = new Graph(model);
  const bindings: ParameterBinding[] = [];
  const floatNames = new Map<string, string>();
  for (const node of floatGraph.nodes) {
    const spec = quant.layers[node.name];
    const qNode = qGraph.node(node.name);
    if (!qNode) continue;
    for (const slot of [1, 2]) {
      const fName = node.inputs[slot];
      const qName = qNode.inputs[slot];
      const init = fName ? floatGraph.initializers.get(fName) : undefined;
      if (!init || !qName || !qGraph.initializers.has(qName)) continue;
      floatNames.set(qName, fName);
      const value = tensorFloat32(init);
      if (slot === 1 && spec) {
        const dims = tensorDims(init);
        const transB = node.op === 'Gemm' && attrInt(node, 'transB', 0) === 1;
        const axis = spec.granularity === 'per-channel' ? (node.op === 'Conv' || transB ? 0 : 1) : null;
        bindings.push({ name: qName, value, transform: (v) => quantizeWeights(v, dims, axis, spec.weightBits, spec.scale, spec.rounding).values });
      } else bindings.push({ name: qName, value });
    }
  }
  return { model, bindings, floatNames };
}

/** Trained masters under their float-model names. */
export function floatValues(setup: QatSetup, values: Map<string, Float32Array>): Map<string, Float32Array> {
  return new Map([...values].map(([name, v]) => [setup.floatNames.get(name) ?? name, v]));
}
