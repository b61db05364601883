export { findHead, readHead, type HeadInfo } from './head.ts';
export { extractFeatures, featureModel, type FeatureSet, type FeatureOptions } from './features.ts';
export { trainSoftmaxRegression, scoreHead, DEFAULT_WEIGHT_DECAY, type LinearHead, type TrainOptions, type TrainProgress, type TrainResult } from './softmax.ts';
export { replaceHead, modelClassNames, CLASSES_METADATA_KEY } from './write-head.ts';
export { refitHead, type RefitOptions, type RefitProgress, type RefitResult } from './refit.ts';
export {
  biasCorrect,
  channelMeans,
  addToBias,
  type BiasCorrectionOptions,
  type BiasCorrectionProgress,
  type BiasCorrectionResult,
  type LayerCorrection,
  type ShiftStats,
} from './bias-correction.ts';
export { cutAt, removeDeadNodes } from './graph-edit.ts';
