/**
 * Post-training fixed-point quantization on the ONNX graph: BN folding, weight quantizers,
 * activation calibration and fake-quant / QDQ writers. See docs/compression.md.
 */
export * from './grid.ts';
export { foldBatchNorm, removeUnused } from './fold.ts';
export type { FoldResult } from './fold.ts';
export { activationTaps, calibrate, chooseClip, isComputeLayer, withOutputs, HIST_BINS, CALIBRATION_METHODS } from './calibrate.ts';
export type { BatchSource, CalibrationBatch, CalibrationData, CalibrationMethod, ClipChoice, TensorStats } from './calibrate.ts';
export { quantizeModel, nonNegative, QUANT_FORMATS } from './quantize.ts';
export type { ActivationReport, LayerQuantReport, LayerQuantSpec, QuantFormat, QuantizeOptions, QuantReport } from './quantize.ts';
export { ortBatchSource } from './ort-calibration.ts';
export type { OrtBatchOptions } from './ort-calibration.ts';
