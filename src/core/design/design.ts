/**
 * A design point: the compression config plus the hardware settings, and what it costs. This is
 * what the explorer edits on every slider move and what the CLI estimates: one pure function,
 * `evaluateDesign`, turns (model, design) into pruned layers, a hardware estimate and totals.
 */
import { planConfig, type CompressionConfig, type PlannedConfig } from '../config/compression.ts';
import type { LoadedModel, ModelSummary } from '../graph/index.ts';
import type { LayerInfo } from '../graph/layer.ts';
import type { HwFolding, HwLayerConfig } from '../hw/config.ts';
import { getDevice, type Device } from '../hw/devices.ts';
import { allowedFoldings } from '../hw/folding.ts';
import { hwLayersFromLayerView } from '../hw/layers.ts';
import { estimate, type Estimate } from '../hw/pipeline.ts';
import type { HwLayer, LayerBits } from '../hw/types.ts';
import { findChannelGroups, type ChannelAnalysis } from '../prune/index.ts';
import { channelPlanning, portablePlanning, type ChannelPlanning } from '../prune/planning.ts';
import { prunedLayerView } from './pruned-layers.ts';

export interface HardwareSettings {
  /** Device id from the catalog, or a custom device's id. */
  device: string;
  clockMHz: number;
  /** Fraction of each resource the design may use (auto-fold and the "fits" verdict). */
  budget: number;
  /** Per-layer folding and implementation styles, keyed by layer name. */
  layers: HwFolding;
}

/**
 * How a compressed design wins accuracy back (issue 13): layer-wise least-squares reconstruction
 * (seconds, runs with every measurement when on), and fine-tuning / quantization-aware training
 * (minutes, runs when the user asks). Part of the design: its measured accuracy, points and
 * exports are of the recovered model.
 */
export interface RecoveryRecipe {
  reconstruct: boolean;
  retrain: RetrainRecipe;
}

/** The fine-tuning settings the explorer exposes (the rest are src/core/train's DEFAULT_RETRAIN). */
export interface RetrainRecipe {
  epochs: number;
  lr: number;
  batchSize: number;
  /** Distillation from the uncompressed model (weight of the soft loss, temperature), or null. */
  kd: { weight: number; temperature: number } | null;
  /** Quantization-aware training (fake quantization with a straight-through estimator) when the design quantizes. */
  qat: boolean;
  seed: number;
  /** Train on the first N images of the training split (null: all). */
  trainImages: number | null;
}

export interface Design {
  compression: CompressionConfig;
  hardware: HardwareSettings;
  /** Absent in designs saved before recovery existed: read it with `recoveryOf`. */
  recovery?: RecoveryRecipe;
}

/** Reference recipe (issue 13): AdamW 3e-3 cosine, batch 128, KD 0.7 at T 4, 3 epochs on the training split. */
export const DEFAULT_RETRAIN_RECIPE: RetrainRecipe = { epochs: 3, lr: 3e-3, batchSize: 128, kd: { weight: 0.7, temperature: 4 }, qat: true, seed: 1, trainImages: null };

export const DEFAULT_RECOVERY: RecoveryRecipe = { reconstruct: false, retrain: DEFAULT_RETRAIN_RECIPE };

export function recoveryOf(design: Design): RecoveryRecipe {
  return design.recovery ?? DEFAULT_RECOVERY;
}

export const DEFAULT_HARDWARE: HardwareSettings = { device: 'XC7Z020', clockMHz: 100, budget: 0.8, layers: {} };

/**
 * Kept channel counts are multiples of 8 unless the user chooses otherwise: PE and SIMD must
 * divide the channels, and a count like 173 (prime) leaves only PE 1 or 173 (issue 15).
 */
export const DEFAULT_ROUND_TO = 8;

/** The starting design: nothing pruned, 8-bit weights and activations per channel, fully folded. */
export function defaultDesign(): Design {
  return {
    compression: {
      version: 1,
      prune: { criterion: 'l1', ratio: 0, roundTo: DEFAULT_ROUND_TO },
      quant: { weightBits: 8, activationBits: 8, granularity: 'per-channel', scale: 'float', rounding: 'half-even' },
      layers: {},
    },
    hardware: { ...DEFAULT_HARDWARE, layers: {} },
  };
}

/**
 * What a model needs analysed once, before any design is evaluated: its summary and the planning
 * view of its channels (layer view, groups, channel importance). No graph and no weights: plain
 * data the model worker computes and sends to the page (structured clone), so the page never
 * decodes the model (docs/decisions.md, "The page no longer rebuilds the accepted model").
 */
export interface DesignContext {
  summary: ModelSummary;
  analysis: ChannelPlanning;
}

/** `channels`: the channel analysis of `loaded.graph`, when the caller has it. */
export function designContext(loaded: LoadedModel, channels: ChannelAnalysis = findChannelGroups(loaded.graph)): DesignContext {
  // The loaded graph already has its shapes: the channel analysis reads it instead of rebuilding it.
  const analysis = channelPlanning(channels, { layers: loaded.layers, importance: true });
  return { summary: loaded.summary, analysis: portablePlanning(analysis) };
}

export interface DesignMetrics {
  resolved: PlannedConfig;
  /** The layer view after pruning (before quantization). */
  layers: LayerInfo[];
  bits: Record<string, LayerBits>;
  hwLayers: HwLayer[];
  /** Folding actually used: the design's, with values no longer valid after pruning snapped down. */
  folding: HwLayerConfig[];
  estimate: Estimate;
  device: Device;
  params: number;
  macs: number;
  warnings: string[];
}

/** Largest allowed value not above `wanted` (allowed always contains 1). */
const snapDown = (allowed: number[], wanted: number) => allowed.filter((v) => v <= wanted).at(-1) ?? 1;

/**
 * `requantBiasBits`: per layer name, the requantiser's bias width of the quantised design
 * (src/core/rtl/design.ts requantBiasWidths), when its integer parameters are known; without it
 * the estimate takes the biases as wide as the accumulators.
 */
export function evaluateDesign(ctx: DesignContext, design: Design, customDevices: readonly Device[] = [], requantBiasBits: Record<string, number> = {}): DesignMetrics {
  const resolved = planConfig(ctx.analysis, design.compression);
  const layers = prunedLayerView(ctx.analysis, resolved.plan.keep);
  const bits: Record<string, LayerBits> = {};
  for (const [name, spec] of Object.entries(resolved.quant)) {
    bits[name] = { weightBits: spec.weightBits, actBits: spec.activationBits ?? 16 };
  }
  const withBias: Record<string, Partial<LayerBits>> = { ...bits };
  for (const [name, width] of Object.entries(requantBiasBits)) withBias[name] = { ...withBias[name], requantBiasBits: width };
  const hwLayers = hwLayersFromLayerView(layers, withBias);
  const warnings: string[] = [];
  const folding = hwLayers.map((layer) => {
    const cfg: HwLayerConfig = { pe: 1, simd: 1, mulStyle: 'auto', memStyle: 'auto', ...design.hardware.layers[layer.name] };
    const allowed = allowedFoldings(layer);
    const pe = snapDown(allowed.pe, cfg.pe);
    const simd = snapDown(allowed.simd, cfg.simd);
    if (pe !== cfg.pe || simd !== cfg.simd) {
      warnings.push(`${layer.name}: PE ${cfg.pe} / SIMD ${cfg.simd} no longer divide its channels; using ${pe} / ${simd}.`);
    }
    return { ...cfg, pe, simd };
  });
  const device = getDevice(design.hardware.device, customDevices);
  const est = estimate(hwLayers, folding, device, design.hardware.clockMHz);
  return {
    resolved,
    layers,
    bits,
    hwLayers,
    folding,
    estimate: est,
    device,
    params: layers.reduce((n, l) => n + l.params, 0),
    macs: layers.reduce((n, l) => n + l.macs, 0),
    warnings: [...warnings, ...est.warnings],
  };
}
