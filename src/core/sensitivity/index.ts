/**
 * Sensitivity analysis: per-layer prune and bit-width sweeps measured with onnxruntime on split
 * graphs (prefix once, suffix per point), cached, cancellable; an accuracy predictor built on the
 * curves and a greedy allocator. See docs/sensitivity.md.
 */
export * from './types.ts';
export { planSweep, resolveScheme, layerCosts, autoBatchSize, SweepModel } from './plan.ts';
export type { SweepPlan } from './plan.ts';
export { pointConfig, buildPointModel, prunedChannels, quantizedWeights, ACT_SWEEP_WEIGHT_BITS } from './points.ts';
export { cutBefore, pruneCut, mergeCuts, gatherIndices, suffixInputNames, prefixModel, suffixModel, extractSubgraph } from './split.ts';
export type { Cut } from './split.ts';
export { runTask, imagePlan } from './engine.ts';
export type { EngineContext, TaskResult, TaskRunOptions } from './engine.ts';
export { executeSweep, makeTasks } from './schedule.ts';
export type { SweepExecutor, ExecuteOptions } from './schedule.ts';
export { SweepService } from './service.ts';
export type { ServiceInit, TaskJob } from './service.ts';
export { MemoryCache, cacheKey, cacheFileName, isPointMetrics } from './cache.ts';
export type { SweepCache, CacheScope } from './cache.ts';
export { sha256Hex, datasetHash } from './hash.ts';
export { prepareSweep, runSweepLocal, serviceExecutor } from './run.ts';
export type { PreparedSweep, RunOptions } from './run.ts';
export { sweepToCsv, sweepToJson, parseSweepResult, sweepProvenance, measuredProvenance, sweepForModel } from './format.ts';
export { predictAccuracy, sweepCurves, interpolate, configSettings } from './predictor.ts';
export type { Prediction, PredictionTerm, Curve } from './predictor.ts';
export { allocate } from './allocator.ts';
export type { Allocation, AllocationTarget, AllocationOptions } from './allocator.ts';
