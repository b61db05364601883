/**
 * Training on the ONNX graph: a generated training graph (forward, loss, backward in standard
 * ONNX ops) run by onnxruntime, optimizers and schedule in TypeScript, QAT, and the retrain
 * pipeline for compressed designs. See docs/decisions.md ("Training").
 */
export { buildTrainingGraph, defaultTrainable, LABELS_INPUT, TEACHER_INPUT, LOSS_OUTPUT } from './training-graph.ts';
export type { TrainingGraph, TrainingGraphOptions, TrainableParameter } from './training-graph.ts';
export { createTrainingSession } from './session.ts';
export type { TrainingSession, StepInput, StepOutput } from './session.ts';
export { createOptimizer, OPTIMIZERS } from './optimizer.ts';
export type { Optimizer, OptimizerName, OptimizerOptions } from './optimizer.ts';
export { cosineLearningRate } from './schedule.ts';
export { augmentedBatch, NO_AUGMENT } from './augment.ts';
export type { AugmentOptions } from './augment.ts';
export type { DistillationOptions } from './loss.ts';
export { train, writeParameters } from './trainer.ts';
export type { TrainEngine, TrainOptions, TrainProgress, TrainResult, EpochRecord, ParameterBinding } from './trainer.ts';
export { prepareQat } from './qat.ts';
export { retrain, DEFAULT_RETRAIN } from './retrain.ts';
export type { RetrainEngine, RetrainInput, RetrainOptions, RetrainProgress, RetrainResult, RetrainPhase } from './retrain.ts';
