/**
 * Quantization-aware training on the design's own fake-quant graph.
 * - Activations: the 'float' format chain quantizeModel writes (Div by the scale, Round, Clip to
 *   the integer range, Mul) is trained through as is: Round passes the gradient straight through
 *   and Clip zeroes it outside the range (PyTorch's fake-quant STE). Ranges 'fixed': the scales
 *   stay at the calibrated values (min/max or the config's method). Ranges 'ema': as PyTorch's
 *   QAT (MovingAverageMinMaxObserver), each quantized tensor's clip limit starts at the
 *   calibrated one and moves every step towards the batch's max |x| by an exponential moving
 *   average; the scale fed to the next step follows it, and the last value is frozen for export.
 * - Weights: float master copies train; every step feeds them through the same per-channel
 *   weight quantizer the export uses (quantizeWeights: symmetric, scale from the current max |w|),
 *   and the gradient w.r.t. the quantized weight updates the master (straight-through).
 * - Biases train in float; the export puts them on the int32 accumulator grid (negligible).
 * The export quantizes the trained float model again with quantizeModel and the same calibration
 * (with 'ema', the frozen limits), so the activation scales are exactly those trained with and
 * the weights land on the grid.
 */
import type { ModelProto } from 'onnx-buf';
import { badInput } from '../errors.ts';
import { Graph, attrInt } from '../graph/graph.ts';
import { tensorDims, tensorFloat32 } from '../onnx/tensor.ts';
import type { CalibrationData, CalibrationMethod } from '../quant/calibrate.ts';
import { activationQuantizer, quantizeWeights } from '../quant/grid.ts';
import { quantizeModel, type LayerQuantSpec, type QuantFormat, type QuantReport } from '../quant/quantize.ts';
import type { ParameterBinding, RangeObserver } from './trainer.ts';

export interface QuantSettings {
  layers: Record<string, LayerQuantSpec>;
  calibration?: CalibrationData;
  method: CalibrationMethod;
  percentile: number;
  format: QuantFormat;
  activationLimits?: Record<string, number>;
}

export interface QatSetup {
  /** The float-format fake-quant model the training graph is built from. */
  model: ModelProto;
  bindings: ParameterBinding[];
  /** Training names -> names in the float (pruned) model. */
  floatNames: Map<string, string>;
  /** One per quantized activation tensor: its fed scale(s) and calibrated limit (used when ranges are 'ema'). */
  observers: RangeObserver[];
}

/**
 * Builds the fake-quant training model and binds its quantized weights to float masters from
 * `floatModel`. With `learnScales`, every activation scale is a trained parameter too (LSQ,
 * Esser et al. 2020: the graph's Div / Round / Clip / Mul backward is exactly LSQ's scale
 * gradient), fed through the layer's scale rule (e.g. power of two) every step.
 */
export function prepareQat(floatModel: ModelProto, quant: QuantSettings, learnScales = false): QatSetup {
  const { model, report } = quantizeModel(floatModel, { ...quant, format: 'float' });
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
  const observers = rangeObservers(qGraph, report.layers, quant.layers);
  if (learnScales) {
    for (const o of observers) {
      if (o.scales.length > 1) throw badInput(`Learned activation scales need one quantizer per tensor; "${o.tensor}" is read at several bit widths.`, 'quant');
      const { name, scaleOf, qmax } = o.scales[0];
      // Scale -> limit in float64 is exact (float32 x small integer), so the export gives back the same scale.
      bindings.push({ name, value: Float32Array.of(scaleOf(o.limit)), transform: (v) => Float32Array.of(scaleOf(Math.max(v[0], 1e-8) * qmax)) });
    }
  }
  return { model, bindings, floatNames, observers };
}

/** Clip limits by tensor of trained (learned) activation scales: what the export must reproduce. */
export function learnedLimits(setup: QatSetup, values: Map<string, Float32Array>): Record<string, number> {
  return Object.fromEntries(
    setup.observers.map((o) => {
      const { name, scaleOf, qmax } = o.scales[0];
      return [o.tensor, scaleOf(Math.max(values.get(name)![0], 1e-8) * qmax) * qmax];
    }),
  );
}

/**
 * The activation chains of a 'float' fake-quant model, one observer per quantized tensor. Layers
 * reading the same tensor with different bits share its observed limit, each with its own scale.
 */
function rangeObservers(qGraph: Graph, layers: QuantReport['layers'], specs: Record<string, LayerQuantSpec>): RangeObserver[] {
  const byTensor = new Map<string, RangeObserver>();
  for (const layer of layers) {
    const a = layer.activation;
    const spec = specs[layer.layer];
    if (!a || !spec) continue;
    const div = qGraph.nodes.find((n) => n.op === 'Div' && n.inputs[0] === a.tensor && qGraph.constant(n.inputs[1])?.values[0] === a.scale);
    if (!div) throw new Error(`no fake-quant chain found for tensor "${a.tensor}" of layer "${layer.layer}"`);
    const scaleOf = (limit: number) => activationQuantizer(limit, a.bits, a.signed, spec.scale, spec.rounding).scale;
    const qmax = activationQuantizer(1, a.bits, a.signed, spec.scale, spec.rounding).qmax;
    const known = byTensor.get(a.tensor);
    // qmax x scale in float64 is exact, so the first step feeds exactly the calibrated scale.
    const limit = a.scale * qmax;
    if (known) {
      if (!known.scales.some((s) => s.name === div.inputs[1])) known.scales.push({ name: div.inputs[1], scaleOf, qmax });
      known.limit = Math.max(known.limit, limit);
    } else byTensor.set(a.tensor, { tensor: a.tensor, limit, scales: [{ name: div.inputs[1], scaleOf, qmax }] });
  }
  return [...byTensor.values()];
}

/** Trained masters under their float-model names. */
export function floatValues(setup: QatSetup, values: Map<string, Float32Array>): Map<string, Float32Array> {
  return new Map([...values].map(([name, v]) => [setup.floatNames.get(name) ?? name, v]));
}
