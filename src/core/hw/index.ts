/** Public API of the hardware model. See docs/hardware-model.md. */
export type { EngineCost, EngineDevice, EngineKind, EngineSpec, HwLayer, LayerBits, MemStyle, MulStyle, DspType, FoldDims } from './types.ts';
export { DEFAULT_BITS } from './types.ts';
export { hwLayersFromLayerView, type BitsInput } from './layers.ts';
export { allowedFoldings, divisors, resolveLayerConfig, validateFolding, type AllowedFoldings } from './folding.ts';
export { DEFAULT_LAYER_CONFIG, parseHwFolding, type HwConfig, type HwFolding, type HwLayerConfig } from './config.ts';
export { DEVICES, listDevices, getDevice, validateDevice, lutFactor, toEngineDevice, bramInDeviceBlocks, type Device, type BramBlock } from './devices.ts';
export { estimate, type RequantStyle, type Estimate, type EstimateOptions, type LayerRow, type EngineRow, type FifoRow, type Resource, type ResourceUse } from './pipeline.ts';
export { estimatePower, powerFamily, POWER_FAMILIES, type PowerEstimate, type PowerCoefficients } from './power.ts';
export { autoFold, paretoFront, type AutoFoldOptions, type AutoFoldResult, type FoldObjective, type ParetoPoint } from './fold.ts';
export { mvauCost } from './engines/mvau.ts';
export { vvauCost } from './engines/vvau.ts';
export { slidingWindowCost, slidingWindowCycles, finnSlidingWindowCycles, generatedWindowCycles, slidingWindowBufferDepth, fmPaddingCost, downSamplerCost } from './engines/sliding-window.ts';
export { thresholdingCost, requantCost } from './engines/thresholding.ts';
export { poolCost, globalAccPoolCost, streamingMaxPoolCost } from './engines/pool.ts';
export { addStreamsCost, bypassWords, type BranchWindow } from './engines/add-streams.ts';
export { fifoCost, optimizeFifoDepth } from './engines/fifo.ts';
export { ENGINES, engineOf, rtlEmitterOf, RTL_KINDS, type EngineTable } from './engines/index.ts';
export type { HwEngine, EngineContext, EngineFold, AuxFoldContext, RtlContext, RtlEmitter, RtlModule, SpecOf } from './engines/contract.ts';
