/**
 * Accuracy recovery after compression: layer-wise least-squares reconstruction of the layers whose
 * inputs were pruned, bias correction of the compressed model against its float original, then a
 * re-fit of the classifier head on the compressed model's own features, each step measured. One orchestration for every caller: the CLI and tools run the steps with
 * onnxruntime in-process (`localRecoveryEngines`), the browser hands in its worker clients.
 *
 * What stays true of the result: a quantized model stays on its grids. A corrected bias is put
 * back on the accumulator grid (input scale x weight scale) of its layer, and a re-fitted head is
 * quantized again with the layer's own spec (bits, granularity, scale type, rounding).
 */
import { applyConfig, resolveConfig, type CompressionConfig } from '../config/compression.ts';
import { sha256Hex } from '../data/sha256.ts';
import { badInput, throwIfAborted } from '../errors.ts';
import type { Dataset } from '../eval/dataset.ts';
import { evaluate, type EvalResult } from '../eval/evaluate.ts';
import { createOrtRunner, type OrtModule } from '../eval/ort-runner.ts';
import { attrFloat, attrInt, Graph } from '../graph/graph.ts';
import { analyzeModel } from '../graph/index.ts';
import { decodeModel, encodeModel, type ModelProto } from '../onnx/model.ts';
import { DataType, floatTensor } from '../onnx/tensor.ts';
import { keptAxisIndices } from '../prune/groups.ts';
import { analyzeChannels, type ChannelAnalysis } from '../prune/index.ts';
import { foldBatchNorm } from '../quant/fold.ts';
import { quantizeWeights, roundHalfEven } from '../quant/grid.ts';
import type { LayerQuantSpec, QuantReport } from '../quant/quantize.ts';
import { biasCorrect, type BiasCorrectionOptions, type BiasCorrectionResult } from './bias-correction.ts';
import { findHead } from './head.ts';
import { DEFAULT_RIDGE, reconstruct, type ReconstructOptions, type ReconstructQuant, type ReconstructionResult } from './reconstruct.ts';
import { refitHead, type RefitOptions, type RefitProgress, type RefitResult } from './refit.ts';
import { DEFAULT_WEIGHT_DECAY } from './softmax.ts';

export type RecoveryStepName = 'reconstruct' | 'bias-correction' | 'head-refit';
/** In the order they run. */
export const RECOVERY_STEPS: readonly RecoveryStepName[] = ['reconstruct', 'bias-correction', 'head-refit'];

/** Accuracy of one model on the evaluation data (what the deployment config records). */
export interface RecoveryAccuracy {
  provenance: 'measured';
  top1: number;
  ci95: [number, number];
  images: number;
  dataset: string;
  split: string;
}

/** One applied step, as the deployment config's `recovery` array records it. */
/** Steps a deployment config can record: the recovery steps above, and training (src/core/train/retrain.ts). */
export type RecordedStepName = RecoveryStepName | 'fine-tune' | 'qat';

export interface RecoveryStepRecord {
  step: RecordedStepName;
  /** Accuracy of the model entering the step and of the model it produced (absent when not measured). */
  accuracyBefore?: RecoveryAccuracy;
  accuracyAfter?: RecoveryAccuracy;
  /** The data the step learned from: dataset name, split, images and (imported data) identity hash. */
  data: { dataset: string; split: string; images: number; id?: string };
  // reconstruct
  /** Ridge strength relative to mean diag(XᵀX). */
  ridge?: number;
  layersReconstructed?: number;
  /** Mean over reconstructed layers of the relative squared error of their output against the float model's, before and after. */
  meanErrorBefore?: number;
  meanErrorAfter?: number;
  // bias-correction (layersSkipped: reconstruct too)
  mode?: 'sequential' | 'all-at-once';
  /** What the compressed layers were compared against. */
  reference?: string;
  layersCorrected?: number;
  layersSkipped?: { layer: string; reason: string }[];
  /** Mean over corrected layers of the mean |shift| per channel, before and after correcting. */
  meanShiftBefore?: number;
  meanShiftAfter?: number;
  // fine-tune / qat
  /** The training recipe (optimizer, schedule, distillation, augmentation, seed). */
  recipe?: { epochs: number; lr: number; batchSize: number; optimizer: string; weightDecay: number; kd: { weight: number; temperature: number } | null; augment: object; seed: number; qat: boolean };
  /** Mean training loss and accuracy per epoch. */
  history?: { epoch: number; loss: number; accuracy: number; seconds: number }[];
  // head-refit
  head?: string;
  optimizer?: 'lbfgs' | 'adam';
  weightDecay?: number;
  iterations?: number;
  converged?: boolean;
  classes?: string[];
  /** The new head's weights, quantized again with the layer's spec (null: left in float). */
  headQuantization?: { weightBits: number; granularity: string; scale: string; rounding: string; weightSqnrDb: number; biasOnGrid: boolean } | null;
  /** sha256 of the model this step produced. */
  modelSha256?: string;
  /** Wall time of the step including the measurement after it, and of the step's own work. */
  seconds?: number;
  computeSeconds?: number;
}

export interface RecoveryProgress {
  step: RecoveryStepName | 'measuring';
  /** The step's work done / planned: reconstruct counts images x layers, bias correction passes, the re-fit phases. */
  /** Head re-fit progress (features, training iterations with losses, verifying). */
  refit?: RefitProgress;
  done: number;
  total: number;
  layer?: string;
}

/**
 * How the steps run: in-process with onnxruntime (CLI, tools, tests) or in browser workers.
 * `refit` gets training labels that are already model outputs.
 */
export interface RecoveryEngines {
  reconstruct(floatBytes: Uint8Array, compressedBytes: Uint8Array, calibration: Dataset, options: ReconstructOptions): Promise<ReconstructionResult>;
  biasCorrect(floatBytes: Uint8Array, compressedBytes: Uint8Array, calibration: Dataset, options: BiasCorrectionOptions): Promise<BiasCorrectionResult>;
  refit(
    modelBytes: Uint8Array,
    data: { training: Dataset; validation?: Dataset },
    options: RefitOptions,
  ): Promise<Pick<RefitResult, 'modelBytes' | 'iterations' | 'converged' | 'train' | 'validation' | 'classes' | 'seconds'>>;
  /** Measures top-1 of a model on the evaluation data; absent: steps are not measured. */
  measure?(modelBytes: Uint8Array, signal?: AbortSignal, onProgress?: (p: { done: number; total: number }) => void): Promise<RecoveryAccuracy>;
}

export interface RecoveryInput {
  /** The float model the compressed one came from. */
  floatBytes: Uint8Array;
  /** The compressed model (applyConfig's bytes). */
  compressedBytes: Uint8Array;
  config: CompressionConfig;
  /** The compressed model's quantization report (scales), to keep corrected biases and the new head on their grids. */
  quantReport: QuantReport | null;
  /** Reconstruction's and bias correction's calibration images (labels unused). */
  calibration?: Dataset;
  /** Head re-fit: labels must be model outputs (see datasetForModel); classes name the outputs. */
  training?: Dataset;
  validation?: Dataset;
  /** Identity hash of the dataset the splits came from (recorded with each step). */
  datasetId?: string;
}

export interface RecoveryOptions {
  steps?: readonly RecoveryStepName[];
  reconstruct?: Omit<ReconstructOptions, 'signal' | 'onProgress' | 'channelMaps' | 'quant'>;
  biasCorrection?: Omit<BiasCorrectionOptions, 'signal' | 'onProgress' | 'channelMaps'> & { reference?: BiasReference };
  refit?: Omit<RefitOptions, 'signal' | 'onProgress'>;
  signal?: AbortSignal;
  onProgress?: (p: RecoveryProgress) => void;
  /** Called as each step finishes (the UI shows it at once), with the model it produced. */
  onStep?: (record: RecoveryStepRecord, modelBytes: Uint8Array) => void;
}

export interface RecoveryResult {
  modelBytes: Uint8Array<ArrayBuffer>;
  /** Accuracy of the compressed model before any step (when measured). */
  compressed?: RecoveryAccuracy;
  steps: RecoveryStepRecord[];
  /** Per-layer details of the bias correction, when it ran. */
  biasCorrection?: BiasCorrectionResult['layers'];
  /** Per-layer details of the reconstruction, when it ran. */
  reconstruction?: ReconstructionResult['layers'];
}

/**
 * What bias correction compares the compressed layers against:
 * - 'pruned-float' (default): the float model pruned as the config says (no quantization): only
 *   the mean shift quantization causes is corrected, as in DFQ / AIMET;
 * - 'original': the unpruned float model (pruned layers matched by channel maps): the mean shift
 *   pruning causes is corrected as well.
 * BatchNorm is folded in the reference when the config quantizes (the compressed model has it folded).
 */
export type BiasReference = 'pruned-float' | 'original';

export function recoveryReference(floatBytes: Uint8Array, config: CompressionConfig, reference: BiasReference = 'pruned-float'): Uint8Array {
  let model = decodeModel(floatBytes, 'float model');
  const pruned = reference === 'pruned-float' && resolveConfig(model, config).plan.keep.size > 0;
  if (pruned) model = applyConfig(model, floatPart(config)).model;
  if (config.quant) {
    const folded = foldBatchNorm(model);
    if (folded.folded.length) return encodeModel(folded.model);
  }
  return pruned ? encodeModel(model) : floatBytes;
}

/** The pruning part of a compression config (quantization settings left out). */
export function floatPart(config: CompressionConfig): CompressionConfig {
  const layers = Object.fromEntries(Object.entries(config.layers ?? {}).flatMap(([name, l]) => (l.prune ? [[name, { prune: l.prune }]] : [])));
  return { version: 1, ...(config.prune ? { prune: config.prune } : {}), ...(Object.keys(layers).length ? { layers } : {}) };
}

/**
 * For every Conv / Gemm whose output channels the config prunes: the float model's channel kept at
 * each position of the compressed layer (what bias correction needs to compare pruned layers).
 */
export function channelMapsFor(model: ModelProto, config: CompressionConfig, analysis: ChannelAnalysis = analyzeChannels(model)): Record<string, number[]> {
  const resolved = resolveConfig(model, config, analysis);
  const maps: Record<string, number[]> = {};
  if (!resolved.plan.keep.size) return maps;
  for (const node of analysis.graph.nodes) {
    if (node.op !== 'Conv' && node.op !== 'Gemm') continue;
    const layout = analysis.layouts.get(node.outputs[0]);
    if (!layout) continue;
    const total = layout.reduce((n, s) => Math.max(n, s.offset + s.size * s.inner), 0);
    const kept = keptAxisIndices(layout, resolved.plan.keep);
    if (kept.length !== total) maps[node.name] = kept;
  }
  return maps;
}

/**
 * Puts the biases of the named quantized layers back on their accumulator grid (input scale x
 * weight scale per channel), as quantizeModel wrote them. Only float bias initializers are touched
 * (an int32 bias behind DequantizeLinear is on its grid already). Returns the layers snapped.
 */
export function snapBiasesToGrid(model: ModelProto, report: QuantReport | null, layers: readonly string[]): string[] {
  if (!report) return [];
  const graph = new Graph(model);
  const byLayer = new Map(report.layers.map((l) => [l.layer, l]));
  const snapped: string[] = [];
  for (const name of layers) {
    const q = byLayer.get(name);
    const node = graph.node(name);
    if (!q?.activation || !node || node.op === 'MatMul') continue;
    const biasName = node.inputs[2];
    const bias = biasName ? graph.initializers.get(biasName) : undefined;
    const values = biasName ? graph.constant(biasName) : undefined;
    if (!bias || !values || bias.dataType !== DataType.FLOAT) continue;
    if (node.op === 'Gemm' && attrFloat(node, 'beta', 1) !== 1) continue;
    const a = q.activation.scale;
    const scale = (c: number) => Math.fround(a * q.weightScales[q.weightScales.length === 1 ? 0 : c]);
    const grid = Array.from(values.values, (v, c) => roundHalfEven(v / scale(c)) * scale(c));
    const g = model.graph!;
    g.initializer[g.initializer.indexOf(bias)] = floatTensor(bias.name, values.dims, grid);
    snapped.push(name);
  }
  return snapped;
}

/** The quantization spec the config gives a layer, or null when it stays float. */
export function layerQuantSpec(model: ModelProto, config: CompressionConfig, layer: string): LayerQuantSpec | null {
  if (!config.quant) return null;
  return resolveConfig(model, config).quant[layer] ?? null;
}

/**
 * Quantizes a (re-fitted, float) head again: weights to `spec` on their grid, the bias to the
 * accumulator grid when the head's input activations are quantized (`activationScale`). The head
 * must be the Gemm replaceHead writes (transB = 1, weight [K, D]).
 */
export function quantizeHead(model: ModelProto, spec: LayerQuantSpec, activationScale?: number): { weightSqnrDb: number; biasOnGrid: boolean } {
  const graph = new Graph(model);
  const head = findHead(graph);
  const node = graph.node(head.node)!;
  if (node.op !== 'Gemm' || attrInt(node, 'transB', 0) !== 1) throw badInput(`the head "${head.node}" is not a Gemm with transB = 1; it cannot be quantized again.`, head.node);
  const w = graph.constant(node.inputs[1]);
  const wInit = graph.initializers.get(node.inputs[1]);
  if (!w || !wInit) throw badInput(`the weight of "${head.node}" is not an initializer.`, head.node);
  const axis = spec.granularity === 'per-channel' ? 0 : null;
  const wq = quantizeWeights(w.values, w.dims, axis, spec.weightBits, spec.scale, spec.rounding);
  const g = model.graph!;
  g.initializer[g.initializer.indexOf(wInit)] = floatTensor(wInit.name, w.dims, wq.values);
  let biasOnGrid = false;
  const bInit = node.inputs[2] ? graph.initializers.get(node.inputs[2]) : undefined;
  const b = node.inputs[2] ? graph.constant(node.inputs[2]) : undefined;
  if (activationScale !== undefined && spec.activationBits !== null && b && bInit) {
    const scale = (c: number) => Math.fround(activationScale * wq.scales[axis === null ? 0 : c]);
    g.initializer[g.initializer.indexOf(bInit)] = floatTensor(bInit.name, b.dims, Array.from(b.values, (v, c) => roundHalfEven(v / scale(c)) * scale(c)));
    biasOnGrid = true;
  }
  return { weightSqnrDb: wq.sqnrDb, biasOnGrid };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** Each quantized layer's spec and input scale, so reconstructed weights go back on their grids. */
export function reconstructQuant(model: ModelProto, config: CompressionConfig, report: QuantReport | null): Record<string, ReconstructQuant> {
  if (!config.quant) return {};
  const scales = new Map(report?.layers.map((l) => [l.layer, l.activation?.scale]) ?? []);
  return Object.fromEntries(
    Object.entries(resolveConfig(model, config).quant).map(([layer, spec]) => [layer, { spec, ...(scales.get(layer) !== undefined ? { activationScale: scales.get(layer) } : {}) }]),
  );
}

/** The quantization report with the weight scales reconstruction chose (later steps snap biases to these). */
function withNewWeightScales(report: QuantReport | null, layers: ReconstructionResult['layers']): QuantReport | null {
  if (!report) return report;
  const changed = new Map(layers.filter((l) => l.applied && l.weightScales).map((l) => [l.layer, l]));
  if (!changed.size) return report;
  return {
    ...report,
    layers: report.layers.map((l) => {
      const r = changed.get(l.layer);
      if (!r) return l;
      return { ...l, weightScales: r.weightScales!, weightSqnrDb: r.weightSqnrDb ?? l.weightSqnrDb, ...(r.weightFracBits ? { weightFracBits: r.weightFracBits } : {}) };
    }),
  };
}

/**
 * Runs the recovery steps in order (reconstruction, bias correction, then head re-fit: each works
 * on the model the step before produced), measuring the model before and after each step when the
 * engines can measure. Cancelling throws 'cancelled'; nothing the caller holds is changed.
 * After reconstruction (which matches the unpruned model), bias correction compares against the
 * original float model unless a reference is given.
 */
export async function recoverCompressed(engines: RecoveryEngines, input: RecoveryInput, options: RecoveryOptions = {}): Promise<RecoveryResult> {
  const steps = RECOVERY_STEPS.filter((s) => (options.steps ?? RECOVERY_STEPS).includes(s));
  if (!steps.length) throw badInput('choose at least one recovery step (reconstruction, bias correction, head re-fit).', 'steps');
  if (steps.includes('reconstruct') && !input.calibration?.count) throw badInput('reconstruction needs calibration images.', 'calibration');
  if (steps.includes('bias-correction') && !input.calibration?.count) throw badInput('bias correction needs calibration images.', 'calibration');
  if (steps.includes('head-refit') && !input.training?.count) throw badInput('the head re-fit needs training images.', 'training');
  const { signal } = options;
  const floatModel = decodeModel(input.floatBytes, 'float model');
  const measure = async (bytes: Uint8Array) => {
    if (!engines.measure) return undefined;
    options.onProgress?.({ step: 'measuring', done: 0, total: 1 });
    return engines.measure(bytes, signal, (p) => options.onProgress?.({ step: 'measuring', ...p }));
  };

  let bytes: Uint8Array<ArrayBuffer> = input.compressedBytes.slice();
  const compressed = await measure(bytes);
  let current = compressed;
  const records: RecoveryStepRecord[] = [];
  let biasLayers: BiasCorrectionResult['layers'] | undefined;
  let reconstruction: ReconstructionResult['layers'] | undefined;
  let quantReport = input.quantReport;

  for (const step of steps) {
    throwIfAborted(signal);
    const t0 = performance.now();
    let record: RecoveryStepRecord;
    if (step === 'reconstruct') {
      const calibration = input.calibration!;
      const ridge = options.reconstruct?.ridge ?? DEFAULT_RIDGE;
      const result = await engines.reconstruct(input.floatBytes, bytes, calibration, {
        ...options.reconstruct,
        ridge,
        channelMaps: channelMapsFor(floatModel, input.config),
        quant: reconstructQuant(floatModel, input.config, quantReport),
        signal,
        onProgress: (p) => options.onProgress?.({ step, done: p.done, total: p.total, layer: p.layer }),
      });
      bytes = result.modelBytes;
      reconstruction = result.layers;
      quantReport = withNewWeightScales(quantReport, result.layers);
      const applied = result.layers.filter((l) => l.applied);
      record = {
        step,
        data: { dataset: calibration.name, split: calibration.split, images: result.images, ...(input.datasetId ? { id: input.datasetId } : {}) },
        reference: `original float model${floatModel.graph!.node.some((n) => n.opType === 'BatchNormalization') ? ' (pre-activation outputs after BatchNorm)' : ''}`,
        ridge,
        layersReconstructed: applied.length,
        layersSkipped: result.layers.filter((l) => !l.applied).map((l) => ({ layer: l.layer, reason: l.reason ?? 'not applied' })),
        meanErrorBefore: mean(applied.map((l) => l.errorBefore ?? 0)),
        meanErrorAfter: mean(applied.map((l) => l.errorAfter ?? 0)),
      };
    } else if (step === 'bias-correction') {
      const calibration = input.calibration!;
      const mode = options.biasCorrection?.mode ?? 'sequential';
      const reference = options.biasCorrection?.reference ?? (steps.includes('reconstruct') ? 'original' : 'pruned-float');
      const bcOptions = { ...options.biasCorrection };
      delete bcOptions.reference;
      const result = await engines.biasCorrect(recoveryReference(input.floatBytes, input.config, reference), bytes, calibration, {
        ...bcOptions,
        mode,
        channelMaps: reference === 'original' ? channelMapsFor(floatModel, input.config) : undefined,
        signal,
        onProgress: (p) => options.onProgress?.({ step, done: p.done, total: p.total, layer: p.layer }),
      });
      const model = decodeModel(result.modelBytes, 'corrected model');
      const applied = result.layers.filter((l) => l.applied);
      snapBiasesToGrid(model, quantReport, applied.map((l) => l.layer));
      bytes = encodeModel(model);
      biasLayers = result.layers;
      record = {
        step,
        data: { dataset: calibration.name, split: calibration.split, images: result.images, ...(input.datasetId ? { id: input.datasetId } : {}) },
        mode,
        reference: `${reference === 'original' ? 'original float model' : 'float model pruned by the config'}${input.config.quant ? ', BatchNorm folded' : ''}`,
        layersCorrected: applied.length,
        layersSkipped: result.layers.filter((l) => !l.applied).map((l) => ({ layer: l.layer, reason: l.reason ?? 'not applied' })),
        meanShiftBefore: mean(applied.map((l) => l.before?.meanAbs ?? 0)),
        meanShiftAfter: mean(applied.map((l) => l.after?.meanAbs ?? 0)),
      };
    } else {
      const training = input.training!;
      const model = decodeModel(bytes, 'compressed model');
      const headName = findHead(new Graph(model)).node;
      const spec = layerQuantSpec(floatModel, input.config, headName);
      const result = await engines.refit(bytes, { training, validation: input.validation }, {
        ...options.refit,
        signal,
        onProgress: (p) =>
          options.onProgress?.({
            step,
            refit: p,
            done: p.phase === 'training' ? p.iteration : p.done,
            total: p.phase === 'training' ? p.maxIterations : p.total,
          }),
      });
      const refitted = decodeModel(result.modelBytes, 're-fitted model');
      let headQuantization: RecoveryStepRecord['headQuantization'] = null;
      if (spec) {
        const activationScale = quantReport?.layers.find((l) => l.layer === headName)?.activation?.scale;
        const q = quantizeHead(refitted, spec, activationScale);
        headQuantization = { weightBits: spec.weightBits, granularity: spec.granularity, scale: spec.scale, rounding: spec.rounding, ...q };
      }
      bytes = encodeModel(refitted);
      record = {
        step,
        data: { dataset: training.name, split: training.split, images: training.count, ...(input.datasetId ? { id: input.datasetId } : {}) },
        head: headName,
        optimizer: options.refit?.optimizer ?? 'lbfgs',
        weightDecay: options.refit?.weightDecay ?? DEFAULT_WEIGHT_DECAY,
        iterations: result.iterations,
        converged: result.converged,
        classes: result.classes,
        headQuantization,
      };
    }
    record.computeSeconds = (performance.now() - t0) / 1000;
    record.modelSha256 = sha256Hex(bytes);
    const after = await measure(bytes);
    record.seconds = (performance.now() - t0) / 1000;
    if (current) record.accuracyBefore = current;
    if (after) record.accuracyAfter = after;
    current = after;
    records.push(record);
    options.onStep?.(record, bytes);
  }
  return {
    modelBytes: bytes,
    ...(compressed ? { compressed } : {}),
    steps: records,
    ...(biasLayers ? { biasCorrection: biasLayers } : {}),
    ...(reconstruction ? { reconstruction } : {}),
  };
}

/** Turns an evaluation result into the recorded accuracy. */
export const recoveryAccuracy = (r: EvalResult): RecoveryAccuracy => ({ provenance: 'measured', top1: r.top1, ci95: r.ci95, images: r.n, dataset: r.dataset, split: r.split });

/**
 * The steps run in this process with onnxruntime (Node: CLI, tools, tests). `evaluation` (labels =
 * model outputs) makes every step measured; QCDQ models are run without graph optimizations so
 * onnxruntime does not rewrite their quantize / clip / dequantize chains.
 */
export function localRecoveryEngines(
  ort: OrtModule,
  evaluation?: Dataset,
  options: { limit?: number; batchSize?: number; graphOptimizationLevel?: 'disabled' | 'all' } = {},
): RecoveryEngines {
  return {
    reconstruct: (floatBytes, compressedBytes, calibration, o) => reconstruct(ort, floatBytes, compressedBytes, calibration, o),
    biasCorrect: (floatBytes, compressedBytes, calibration, o) => biasCorrect(ort, floatBytes, compressedBytes, calibration, o),
    refit: (modelBytes, data, o) => refitHead(ort, modelBytes, data, o),
    measure: evaluation
      ? async (bytes, signal, onProgress) => {
          const runner = await createOrtRunner(ort, bytes, { graphOptimizationLevel: options.graphOptimizationLevel ?? 'all' });
          try {
            const inputShape = analyzeModel(decodeModel(bytes)).summary.inputs[0]?.shape ?? [];
            return recoveryAccuracy(await evaluate(runner, evaluation, inputShape, { limit: options.limit, batchSize: options.batchSize ?? 250, signal, onProgress }));
          } finally {
            await runner.release();
          }
        }
      : undefined,
  };
}

export interface ReconstructHookOptions extends Omit<ReconstructOptions, 'signal' | 'channelMaps' | 'quant'> {
  /** Receives the per-layer report once the model is reconstructed. */
  onResult?: (result: ReconstructionResult) => void;
}

/**
 * retrain()'s `reconstruct` hook (src/core/train/retrain.ts): layer-wise least-squares
 * reconstruction of the pruned float model against the original, on calibration images, before
 * any calibration of activations or training.
 */
export function reconstructHook(ort: OrtModule, floatModel: ModelProto, config: CompressionConfig, calibration: Dataset, options: ReconstructHookOptions = {}) {
  const floatBytes = encodeModel(floatModel);
  const channelMaps = channelMapsFor(floatModel, config);
  const { onResult, ...reconstructOptions } = options;
  return async (pruned: ModelProto, signal?: AbortSignal): Promise<ModelProto> => {
    const result = await reconstruct(ort, floatBytes, encodeModel(pruned), calibration, { ridge: DEFAULT_RIDGE, ...reconstructOptions, channelMaps, signal });
    onResult?.(result);
    return decodeModel(result.modelBytes, 'reconstructed model');
  };
}
