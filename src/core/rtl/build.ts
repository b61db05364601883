/**
 * From a model and a compression config to the accelerator's integer network and files, for the
 * CLI (onnxruntime-node) and the app's worker (onnxruntime-web) alike: calibration runs through
 * a caller-supplied BatchSource, as in src/core/quant.
 */
import { zipSync, strToU8 } from 'fflate';
import { applyConfig, calibrationPlan, isIntegerDesign, resolveConfig, type ApplyResult, type CompressionConfig } from '../config/compression.ts';
import { badInput } from '../errors.ts';
import type { Estimate } from '../hw/pipeline.ts';
import { encodeModel, type ModelProto } from '../onnx/model.ts';
import { calibrate, type BatchSource, type CalibrationData } from '../quant/calibrate.ts';
import { emitAccelerator, inputHex, type AcceleratorDesign } from './design.ts';
import { integerLogits, integerNetwork, integerTaps, type IntegerNetwork } from './integer.ts';

export interface IntegerDesign {
  net: IntegerNetwork;
  applied: ApplyResult;
  calibrationImages: number;
}

/** Throws a bad-input error unless the config quantizes weights and activations (what the accelerator needs). */
export function requireQuantizedDesign(config: CompressionConfig): asserts config is CompressionConfig & { quant: NonNullable<CompressionConfig['quant']> } {
  if (!isIntegerDesign(config)) {
    throw badInput('the accelerator needs a quantized design: the config must set quant.weightBits and quant.activationBits.', 'quant');
  }
}

/**
 * Tensors the accelerator needs statistics of besides the ones the ONNX export quantizes (see
 * integerTaps), given the pruned model: pass as CalibrationMemo's `extraTaps` so a measurement's
 * statistics also serve the accelerator export.
 */
export const acceleratorExtraTaps = (prunedModel: ModelProto): string[] => integerTaps(prunedModel);

/** Calibrates (the ONNX export's taps plus integerTaps), quantizes with applyConfig and builds the integer network. */
export async function buildIntegerDesign(model: ModelProto, config: CompressionConfig, source: BatchSource, signal?: AbortSignal): Promise<IntegerDesign> {
  requireQuantizedDesign(config);
  const plan = calibrationPlan(model, config);
  const taps = [...new Set([...plan.taps, ...acceleratorExtraTaps(plan.model)])];
  const calibration = await calibrate(plan.model, taps, source, encodeModel, { key: plan.key, signal, maxImages: config.quant.calibration?.images });
  return integerDesign(model, plan.model, config, calibration);
}

/**
 * The integer design from statistics gathered already (e.g. by CalibrationMemo with `extraTaps:
 * acceleratorExtraTaps`): they must cover the config's taps and acceleratorExtraTaps.
 */
export function integerDesignFromCalibration(model: ModelProto, config: CompressionConfig, calibration: CalibrationData | undefined): IntegerDesign {
  requireQuantizedDesign(config);
  return integerDesign(model, calibrationPlan(model, config).model, config, calibration);
}

function integerDesign(model: ModelProto, pruned: ModelProto, config: CompressionConfig & { quant: NonNullable<CompressionConfig['quant']> }, calibration: CalibrationData | undefined): IntegerDesign {
  const applied = applyConfig(model, config, calibration);
  const resolved = resolveConfig(model, config);
  const net = integerNetwork({
    model: pruned,
    quant: resolved.quant,
    report: applied.report.quant!,
    calibration,
    method: config.quant.calibration?.method ?? 'minmax',
    percentile: config.quant.calibration?.percentile ?? 99.99,
  });
  return { net, applied, calibrationImages: calibration?.images ?? 0 };
}

/**
 * The accelerator as a zip: the emitted design for `estimate`'s folding, input.hex with `images`
 * (quantized, stream order) and expected_logits.txt from the integer reference.
 */
export function acceleratorZip(net: IntegerNetwork, estimate: Estimate, images: Int32Array[], folder = 'edgefold-accelerator'): { zip: Uint8Array; design: AcceleratorDesign } {
  const design = emitAccelerator(net, estimate, { images: images.length });
  const files: Record<string, Uint8Array> = {};
  for (const [name, text] of Object.entries(design.files)) files[`${folder}/${name}`] = strToU8(text);
  files[`${folder}/input.hex`] = strToU8(inputHex(images, design.inputBits));
  files[`${folder}/expected_logits.txt`] = strToU8(images.map((img) => Array.from(integerLogits(net, img)).join('\n')).join('\n') + '\n');
  return { zip: zipSync(files), design };
}
