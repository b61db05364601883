/**
 * Writes a quantized model: weights replaced by their quantized values, biases at accumulator
 * precision, and an activation quantizer in front of every quantized layer's input, as
 * - 'float':    Div(scale) -> Round | Floor -> Clip(qmin, qmax) -> Mul(scale), all float32
 *               (exactly the fixed-point arithmetic; opset >= 11);
 * - 'qcdq':     QuantizeLinear -> Clip(b-bit range) -> DequantizeLinear (int8/uint8, opset >= 13,
 *               round half to even, b <= 8); weights stay float32 values on their grid;
 * - 'int8-qdq': a standard QDQ model (opset >= 13, every width <= 8): int8 weights and int32
 *               biases behind DequantizeLinear, activations QuantizeLinear -> DequantizeLinear
 *               (with a Clip between them when fewer than 8 bits are used).
 * All three compute the same numbers up to float32 rounding of the dequantized products.
 */
import { create } from '@bufbuild/protobuf';
import { NodeProtoSchema, TensorProtoSchema, type ModelProto, type NodeProto, type TensorProto } from 'onnx-buf';
import { badInput, EdgefoldError } from '../errors.ts';
import { attrFloat, attrInt, Graph, type GraphNode } from '../graph/graph.ts';
import type { LayerKind } from '../graph/layer.ts';
import { layerView } from '../graph/layers.ts';
import { inferShapes } from '../graph/shapes.ts';
import { attribute } from '../onnx/builder.ts';
import { cloneModel } from '../onnx/model.ts';
import { DataType, floatTensor } from '../onnx/tensor.ts';
import { chooseClip, isComputeLayer, type CalibrationData, type CalibrationMethod } from './calibrate.ts';
import { removeUnused } from './fold.ts';
import {
  activationQuantizer,
  biasToInt,
  quantizeWeights,
  type ActivationQuantizer,
  type Granularity,
  type Rounding,
  type ScaleType,
} from './grid.ts';

export type QuantFormat = 'float' | 'qcdq' | 'int8-qdq';
export const QUANT_FORMATS: readonly QuantFormat[] = ['float', 'qcdq', 'int8-qdq'];

export interface LayerQuantSpec {
  weightBits: number;
  /** Bits of the activations this layer reads (its input); null keeps them float. */
  activationBits: number | null;
  granularity: Granularity;
  scale: ScaleType;
  rounding: Rounding;
}

export interface QuantizeOptions {
  /** Compute layers to quantize, by name; others stay float. */
  layers: Record<string, LayerQuantSpec>;
  format: QuantFormat;
  calibration?: CalibrationData;
  method: CalibrationMethod;
  /** For method 'percentile' (e.g. 99.99). */
  percentile: number;
  /** Clip limits by activation tensor that replace the calibration method's choice (QAT's frozen range observers). */
  activationLimits?: Record<string, number>;
}

export interface ActivationReport {
  tensor: string;
  bits: number;
  signed: boolean;
  scale: number;
  fracBits?: number;
  /** Real range that survives quantization, [qmin * scale, qmax * scale]. */
  clip: [number, number];
  /** Range seen on the calibration data. */
  observed: [number, number];
  method: CalibrationMethod;
  /** Expected SQNR over the calibration data. */
  sqnrDb: number;
}

export interface LayerQuantReport {
  layer: string;
  op: string;
  kind: LayerKind;
  weightBits: number;
  granularity: Granularity;
  scaleType: ScaleType;
  rounding: Rounding;
  /** One per output channel (per-channel) or one (per-tensor). */
  weightScales: number[];
  /** Fractional bits f of each power-of-two scale 2^-f. */
  weightFracBits?: number[];
  weightSqnrDb: number;
  weightCount: number;
  biasCount: number;
  /** 'int32': integers in units of (input scale x weight scale), the accumulator's LSB. */
  bias: 'int32' | 'float32' | 'none';
  /** Weight bits x weights + 32 x biases. */
  weightMemoryBits: number;
  /** Bits a sum of fanIn products needs: weightBits + activationBits + ceil(log2 fanIn). */
  accumulatorBits?: number;
  activation?: ActivationReport;
}

export interface QuantReport {
  format: QuantFormat;
  layers: LayerQuantReport[];
}

/** Ops after which a tensor is >= 0 when their input is (or always, for ReLU). */
const KEEPS_SIGN = new Set(['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'Flatten', 'Reshape', 'Identity', 'Squeeze', 'Unsqueeze', 'Transpose', 'Dropout']);

/** Whether a tensor is non-negative by construction (after ReLU / ReLU6, through pooling and reshapes). */
export function nonNegative(graph: Graph, tensor: string, depth = 0): boolean {
  const node = graph.producer.get(tensor);
  if (!node || depth > 64) return false;
  if (node.op === 'Relu') return true;
  if (node.op === 'Clip') {
    const min = graph.opset < 11 ? attrFloat(node, 'min', -Infinity) : node.inputs[1] ? graph.constant(node.inputs[1])?.values[0] : undefined;
    return min !== undefined && min >= 0;
  }
  if (KEEPS_SIGN.has(node.op)) return nonNegative(graph, node.inputs[0], depth + 1);
  if (node.op === 'Concat') return node.inputs.every((i) => nonNegative(graph, i, depth + 1));
  return false;
}

function intTensor(name: string, dims: readonly number[], values: ArrayLike<number>, type: DataType.INT8 | DataType.UINT8 | DataType.INT32): TensorProto {
  const data = type === DataType.INT8 ? Int8Array.from(values) : type === DataType.UINT8 ? Uint8Array.from(values) : Int32Array.from(values);
  return create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType: type, rawData: new Uint8Array(data.buffer) });
}

const nodeProto = (op: string, name: string, input: string[], output: string[], attrs: NodeProto['attribute'] = []) =>
  create(NodeProtoSchema, { opType: op, name, input, output, attribute: attrs });

export function quantizeModel(model: ModelProto, options: QuantizeOptions): { model: ModelProto; report: QuantReport } {
  const graph = new Graph(model);
  inferShapes(graph);
  const kinds = new Map(layerView(graph).map((l) => [l.name, l]));
  const specs = Object.entries(options.layers);
  for (const [name] of specs) {
    if (!isComputeLayer(graph, name)) throw badInput(`"${name}" is not a Conv, Gemm or MatMul layer with constant weights.`, `layers.${name}`);
  }
  const needsActivations = specs.some(([, s]) => s.activationBits !== null);
  const wide = specs.find(([, s]) => s.weightBits > 8 || (s.activationBits ?? 0) > 8);
  if (options.format !== 'float') {
    if (graph.opset < 13) throw new EdgefoldError('unsupported', `Format "${options.format}" needs ONNX opset 13 or later; the model has opset ${graph.opset}. Use format "float".`, 'quant.format');
    const floor = specs.find(([, s]) => s.rounding === 'floor');
    if (floor) throw badInput(`Format "${options.format}" rounds half to even (QuantizeLinear); layer "${floor[0]}" asks for floor rounding. Use format "float".`, 'quant.format');
    if (options.format === 'int8-qdq' && wide) throw badInput(`Format "int8-qdq" needs every bit width <= 8; layer "${wide[0]}" uses more. Use format "float".`, 'quant.format');
    const wideAct = specs.find(([, s]) => (s.activationBits ?? 0) > 8);
    if (wideAct) throw badInput(`Format "qcdq" holds activations in int8/uint8; layer "${wideAct[0]}" asks for ${wideAct[1].activationBits} bits. Use format "float".`, 'quant.format');
  } else if (needsActivations && graph.opset < 11) {
    throw new EdgefoldError('unsupported', `Activation quantization writes Round and Clip nodes, which need ONNX opset 11 or later; the model has opset ${graph.opset}. Quantize weights only (no activationBits).`, 'quant.activationBits');
  }

  const out = cloneModel(model);
  const g = out.graph!;
  const position = new Map(model.graph!.node.map((p, i) => [p, i]));
  const protoOf = (n: GraphNode) => g.node[position.get(n.proto)!];
  const taken = new Set([...graph.initializers.keys(), ...graph.nodes.flatMap((n) => [...n.inputs, ...n.outputs, n.name])]);
  const fresh = (base: string) => {
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  const inserts: { before: number; nodes: NodeProto[] }[] = [];
  const chains = new Map<string, { output: string; insert: { before: number; nodes: NodeProto[] } }>();
  const scalar = (base: string, value: number) => {
    const name = fresh(base);
    g.initializer.push(floatTensor(name, [], [value]));
    return name;
  };

  const quantizerChain = (x: string, q: ActivationQuantizer, before: number): string => {
    const key = `${x}|${q.bits}|${q.signed}|${q.scale}|${q.rounding}`;
    const known = chains.get(key);
    if (known) {
      known.insert.before = Math.min(known.insert.before, before);
      return known.output;
    }
    const base = `${x}_q${q.bits}${q.signed ? 's' : 'u'}`;
    const output = fresh(base);
    const nodes: NodeProto[] = [];
    if (options.format === 'float') {
      const s = scalar(`${base}_scale`, q.scale);
      const lo = scalar(`${base}_qmin`, q.qmin);
      const hi = scalar(`${base}_qmax`, q.qmax);
      const [t, r, c] = [fresh(`${base}_div`), fresh(`${base}_round`), fresh(`${base}_clip`)];
      nodes.push(
        nodeProto('Div', fresh(`${base}_Div`), [x, s], [t]),
        nodeProto(q.rounding === 'floor' ? 'Floor' : 'Round', fresh(`${base}_Round`), [t], [r]),
        nodeProto('Clip', fresh(`${base}_Clip`), [r, lo, hi], [c]),
        nodeProto('Mul', fresh(`${base}_Mul`), [c, s], [output]),
      );
    } else {
      const type = q.signed ? DataType.INT8 : DataType.UINT8;
      const s = scalar(`${base}_scale`, q.scale);
      const zp = fresh(`${base}_zero_point`);
      g.initializer.push(intTensor(zp, [], [0], type));
      const qt = fresh(`${base}_int`);
      nodes.push(nodeProto('QuantizeLinear', fresh(`${base}_Quantize`), [x, s, zp], [qt]));
      let dqIn = qt;
      const full = q.signed ? q.qmin === -128 && q.qmax === 127 : q.qmax === 255;
      if (!full) {
        const lo = fresh(`${base}_qmin`);
        const hi = fresh(`${base}_qmax`);
        g.initializer.push(intTensor(lo, [], [q.qmin], type), intTensor(hi, [], [q.qmax], type));
        dqIn = fresh(`${base}_clipped`);
        nodes.push(nodeProto('Clip', fresh(`${base}_Clip`), [qt, lo, hi], [dqIn]));
      }
      nodes.push(nodeProto('DequantizeLinear', fresh(`${base}_Dequantize`), [dqIn, s, zp], [output]));
    }
    const insert = { before, nodes };
    inserts.push(insert);
    chains.set(key, { output, insert });
    return output;
  };

  // Unnamed nodes are known by `<op>_<index>`; inserting quantizers shifts indices, so the
  // written model carries those names explicitly and the report's layer names stay valid.
  for (const n of graph.nodes) if (!n.proto.name) protoOf(n).name = n.name;

  const reports: LayerQuantReport[] = [];
  for (const node of graph.nodes) {
    const spec = options.layers[node.name];
    if (!spec) continue;
    const proto = protoOf(node);
    const info = kinds.get(node.name)!;
    const w = graph.constant(node.inputs[1])!;
    const transB = node.op === 'Gemm' && attrInt(node, 'transB', 0) === 1;
    const outAxis = node.op === 'Conv' || transB ? 0 : 1;
    const channels = w.dims[outAxis];
    const axis = spec.granularity === 'per-channel' ? outAxis : null;
    const wq = quantizeWeights(w.values, w.dims, axis, spec.weightBits, spec.scale, spec.rounding);
    const fanIn = w.values.length / channels;

    let aq: ActivationQuantizer | undefined;
    let activation: ActivationReport | undefined;
    const x = node.inputs[0];
    if (spec.activationBits !== null) {
      const stats = options.calibration?.tensors[x];
      if (!stats) {
        throw badInput(
          `Layer "${node.name}" quantizes its input activations, which needs calibration statistics for tensor "${x}" (run calibration on the pruned model first).`,
          'calibration',
        );
      }
      const signed = !nonNegative(graph, x);
      const clip = chooseClip(stats, options.method, spec.activationBits, signed, spec.rounding, options.percentile, options.activationLimits?.[x]);
      aq = activationQuantizer(clip.limit, spec.activationBits, signed, spec.scale, spec.rounding);
      activation = {
        tensor: x,
        bits: aq.bits,
        signed,
        scale: aq.scale,
        ...(aq.fracBits !== undefined ? { fracBits: aq.fracBits } : {}),
        clip: aq.clip,
        observed: [stats.min, stats.max],
        method: options.method,
        sqnrDb: clip.sqnrDb,
      };
      proto.input[0] = quantizerChain(x, aq, position.get(node.proto)!);
    }

    // Weights.
    const wName = node.inputs[1];
    const weightScale = (c: number) => wq.scales[axis === null ? 0 : c];
    if (options.format === 'int8-qdq') {
      const base = fresh(`${node.name}_weight`);
      const ints = fresh(`${base}_int8`);
      const s = fresh(`${base}_scale`);
      const zp = fresh(`${base}_zero_point`);
      const sDims = axis === null ? [] : [channels];
      g.initializer.push(
        intTensor(ints, w.dims, wq.ints, DataType.INT8),
        floatTensor(s, sDims, wq.scales),
        intTensor(zp, sDims, new Array(wq.scales.length).fill(0), DataType.INT8),
      );
      const attrs = axis === null ? [] : [attribute('axis', axis)];
      inserts.push({ before: position.get(node.proto)!, nodes: [nodeProto('DequantizeLinear', fresh(`${base}_Dequantize`), [ints, s, zp], [base], attrs)] });
      proto.input[1] = base;
    } else {
      const name = fresh(`${wName}_quantized`);
      g.initializer.push(floatTensor(name, w.dims, wq.values));
      proto.input[1] = name;
    }

    // Bias: integers in units of input scale x weight scale (the accumulator LSB) when the input is quantized.
    let biasKind: LayerQuantReport['bias'] = 'none';
    let biasCount = 0;
    const bName = node.op !== 'MatMul' ? node.inputs[2] : undefined;
    const b = bName ? graph.constant(bName) : undefined;
    if (b && b.values.length === channels) {
      biasCount = channels;
      if (aq) {
        biasKind = 'int32';
        const ints = Array.from(b.values, (v, c) => biasToInt(v, aq!.scale, weightScale(c)));
        if (options.format === 'int8-qdq') {
          const base = fresh(`${node.name}_bias`);
          const bi = fresh(`${base}_int32`);
          const s = fresh(`${base}_scale`);
          const zp = fresh(`${base}_zero_point`);
          g.initializer.push(
            intTensor(bi, b.dims, ints, DataType.INT32),
            floatTensor(s, [channels], Array.from({ length: channels }, (_, c) => Math.fround(aq!.scale * weightScale(c)))),
            intTensor(zp, [channels], new Array(channels).fill(0), DataType.INT32),
          );
          inserts.push({
            before: position.get(node.proto)!,
            nodes: [nodeProto('DequantizeLinear', fresh(`${base}_Dequantize`), [bi, s, zp], [base], [attribute('axis', 0)])],
          });
          proto.input[2] = base;
        } else {
          const name = fresh(`${bName}_quantized`);
          g.initializer.push(floatTensor(name, b.dims, ints.map((q, c) => q * Math.fround(aq!.scale * weightScale(c)))));
          proto.input[2] = name;
        }
      } else {
        biasKind = 'float32';
      }
    }

    reports.push({
      layer: node.name,
      op: node.op,
      kind: info.kind,
      weightBits: spec.weightBits,
      granularity: spec.granularity,
      scaleType: spec.scale,
      rounding: spec.rounding,
      weightScales: wq.scales,
      ...(wq.fracBits ? { weightFracBits: wq.fracBits } : {}),
      weightSqnrDb: wq.sqnrDb,
      weightCount: w.values.length,
      biasCount,
      bias: biasKind,
      weightMemoryBits: w.values.length * spec.weightBits + biasCount * 32,
      ...(aq ? { accumulatorBits: spec.weightBits + aq.bits + Math.ceil(Math.log2(Math.max(1, fanIn))) } : {}),
      ...(activation ? { activation } : {}),
    });
  }

  inserts.sort((a, b) => b.before - a.before);
  for (const ins of inserts) g.node.splice(ins.before, 0, ...ins.nodes);
  removeUnused(out);
  return { model: out, report: { format: options.format, layers: reports } };
}

