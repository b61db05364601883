/**
 * The compression config (version 1): per-layer channel pruning and fixed-point quantization,
 * applied to an ONNX model by one call, `applyConfig`. It is the compression part of the
 * deployment config the UI exports; the hardware part (per-layer PE/SIMD/styles) lives in
 * src/core/hw/config.ts (`HwConfig`) and sits beside it, keyed by the same layer names.
 * The shape and every convention are documented in docs/compression.md.
 *
 * Example:
 *   {
 *     "version": 1,
 *     "prune": { "criterion": "l1", "ratio": 0.25, "roundTo": 8 },
 *     "quant": { "weightBits": 8, "activationBits": 8, "granularity": "per-channel",
 *                "scale": "po2", "rounding": "floor", "calibration": { "method": "percentile" } },
 *     "layers": { "/blocks/blocks.5/pw/conv/Conv": { "prune": { "keep": 128 }, "weightBits": 4 } }
 *   }
 */
import { badInput } from '../errors.ts';
import { checkNumber, clip, LIMITS, quote } from '../limits.ts';
import { analyzeModel } from '../graph/index.ts';
import { COMPUTE_KINDS, type LayerInfo } from '../graph/layer.ts';
import { encodeModel, type ModelProto } from '../onnx/model.ts';
import { analyzeChannels, applyPruning, makePrunePlan, type ChannelAnalysis, type Criterion, type PrunePlan, CRITERIA } from '../prune/index.ts';
import { channelPlanning, type ChannelPlanning } from '../prune/planning.ts';
import { activationTaps, calibrate, CALIBRATION_METHODS, type BatchSource, type CalibrationData, type CalibrationMethod } from '../quant/calibrate.ts';
import { foldBatchNorm, type FoldResult } from '../quant/fold.ts';
import { BITS_MAX, BITS_MIN, type Granularity, type Rounding, type ScaleType } from '../quant/grid.ts';
import { QUANT_FORMATS, quantizeModel, type LayerQuantSpec, type QuantFormat, type QuantReport } from '../quant/quantize.ts';
import { Graph } from '../graph/graph.ts';
import { inferShapes } from '../graph/shapes.ts';

export const COMPRESSION_CONFIG_VERSION = 1;

export interface PruneSection {
  /** Channel importance: 'l1' (default), 'l2' or 'bn-gamma'. */
  criterion?: Criterion;
  /** Fraction of channels removed from every prunable group, 0 <= ratio < 1 (default 0). */
  ratio?: number;
  /** Kept counts computed from ratios are rounded to a multiple of this (default 1). */
  roundTo?: number;
}

export interface CalibrationSection {
  /** 'minmax' (default), 'percentile' or 'mse'. */
  method?: CalibrationMethod;
  /** Percentile of |x| kept by method 'percentile' (default 99.99). */
  percentile?: number;
  /** Calibration images to use, in whole batches (default: the whole calibration split). */
  images?: number;
}

export interface QuantSection {
  /** Weight bits, 2..16 (default 8). */
  weightBits?: number;
  /** Bits of each layer's input activations, 2..16; null or absent keeps activations float. */
  activationBits?: number | null;
  /** 'per-channel' (default) or 'per-tensor' weight scales. */
  granularity?: Granularity;
  /** 'float' (default) or 'po2' (power-of-two scales, fixed-point Qm.n). */
  scale?: ScaleType;
  /** 'half-even' (default) or 'floor' (ap_fixed truncation). */
  rounding?: Rounding;
  calibration?: CalibrationSection;
  /** How the quantized model is written: 'float' (default), 'qcdq' or 'int8-qdq'. */
  format?: QuantFormat;
}

export interface LayerSection {
  /** Prune this layer's output channels (its whole channel group): a ratio or a kept count. */
  prune?: { ratio?: number; keep?: number };
  /** false leaves this layer in float32 (default true when `quant` is present). */
  quantize?: boolean;
  weightBits?: number;
  activationBits?: number | null;
  granularity?: Granularity;
  scale?: ScaleType;
  rounding?: Rounding;
}

export interface CompressionConfig {
  version: 1;
  prune?: PruneSection;
  quant?: QuantSection;
  /** Per-layer overrides, keyed by layer name (the layer view's `name`, i.e. the ONNX node name). */
  layers?: Record<string, LayerSection>;
}

/** Keys the deployment config may carry next to the compression ones (not checked here). */
const FOREIGN_TOP_KEYS = new Set(['$schema', 'name', 'description', 'notes', 'hardware', 'device', 'model']);

// ---------------------------------------------------------------------------------------------
// Validation

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkKeys(value: Obj, allowed: readonly string[], field: string, foreign: Set<string> = new Set()): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key) && !foreign.has(key)) {
      const f = field ? `${field}.${key}` : key;
      throw badInput(`${f} is not a known setting (allowed here: ${allowed.join(', ')}).`, f);
    }
  }
}

function bits(value: unknown, field: string, nullable: boolean): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === null && nullable) return null;
  if (!Number.isInteger(value) || (value as number) < BITS_MIN || (value as number) > BITS_MAX) {
    throw badInput(`${field} must be an integer from ${BITS_MIN} to ${BITS_MAX}${nullable ? ' (or null for float)' : ''}, got ${quote(value)}.`, field);
  }
  return value as number;
}

function oneOf<T extends string>(value: unknown, options: readonly T[], field: string): T | undefined {
  if (value === undefined) return undefined;
  if (!options.includes(value as T)) throw badInput(`${field} must be one of ${options.map((o) => `"${o}"`).join(', ')}, got ${quote(value)}.`, field);
  return value as T;
}

function ratio(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw badInput(`${field} must be a number from 0 up to (not including) 1, got ${quote(value)}: it is the fraction of channels removed, and a group cannot be emptied.`, field);
  }
  return value;
}

function positiveInt(value: unknown, field: string, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < 1) throw badInput(`${field} must be an integer of at least 1 (${what}), got ${quote(value)}.`, field);
  return value as number;
}

/**
 * Checks the shape of a compression config (no model needed) and returns it typed. Accepts a
 * deployment config too: its `compression` member is used when present. Every error names the
 * offending field, e.g. `layers.conv1.prune.ratio`.
 */
/** Whether the config quantizes weights and activations to integers: what the accelerator (its integer network) needs. */
export function isIntegerDesign(config: CompressionConfig): config is CompressionConfig & { quant: NonNullable<CompressionConfig['quant']> } {
  return !!config.quant && config.quant.activationBits !== null && config.quant.activationBits !== undefined;
}

export function parseCompressionConfig(input: unknown): CompressionConfig {
  let value = input;
  let prefix = '';
  if (isObj(value) && isObj(value.compression)) {
    value = value.compression;
    prefix = 'compression.';
  }
  const at = (f: string) => `${prefix}${f}`;
  if (!isObj(value)) throw badInput('The compression config must be a JSON object.', prefix.replace(/\.$/, '') || 'config');
  checkKeys(value, ['version', 'prune', 'quant', 'layers'], prefix.replace(/\.$/, ''), prefix ? new Set() : FOREIGN_TOP_KEYS);
  if (value.version !== COMPRESSION_CONFIG_VERSION) {
    throw badInput(`${at('version')} must be ${COMPRESSION_CONFIG_VERSION} (this edgefold reads compression config version ${COMPRESSION_CONFIG_VERSION}), got ${quote(value.version)}.`, at('version'));
  }
  const config: CompressionConfig = { version: 1 };
  if (value.prune !== undefined) {
    const p = value.prune;
    if (!isObj(p)) throw badInput(`${at('prune')} must be an object.`, at('prune'));
    checkKeys(p, ['criterion', 'ratio', 'roundTo'], at('prune'));
    config.prune = {
      criterion: oneOf(p.criterion, CRITERIA, at('prune.criterion')),
      ratio: ratio(p.ratio, at('prune.ratio')),
      roundTo: p.roundTo === undefined ? undefined : checkNumber(p.roundTo, at('prune.roundTo'), LIMITS.range.roundTo, { integer: true, what: 'kept channel counts become multiples of it' }),
    };
  }
  if (value.quant !== undefined) {
    const q = value.quant;
    if (!isObj(q)) throw badInput(`${at('quant')} must be an object.`, at('quant'));
    checkKeys(q, ['weightBits', 'activationBits', 'granularity', 'scale', 'rounding', 'calibration', 'format'], at('quant'));
    const section: QuantSection = {
      weightBits: bits(q.weightBits, at('quant.weightBits'), false) ?? undefined,
      activationBits: bits(q.activationBits, at('quant.activationBits'), true),
      granularity: oneOf(q.granularity, ['per-channel', 'per-tensor'] as const, at('quant.granularity')),
      scale: oneOf(q.scale, ['float', 'po2'] as const, at('quant.scale')),
      rounding: oneOf(q.rounding, ['half-even', 'floor'] as const, at('quant.rounding')),
      format: oneOf(q.format, QUANT_FORMATS, at('quant.format')),
    };
    if (q.calibration !== undefined) {
      const c = q.calibration;
      if (!isObj(c)) throw badInput(`${at('quant.calibration')} must be an object.`, at('quant.calibration'));
      checkKeys(c, ['method', 'percentile', 'images'], at('quant.calibration'));
      if (c.percentile !== undefined && (typeof c.percentile !== 'number' || !(c.percentile > 50 && c.percentile <= 100))) {
        throw badInput(`${at('quant.calibration.percentile')} must be a number above 50 and at most 100, got ${quote(c.percentile)}.`, at('quant.calibration.percentile'));
      }
      section.calibration = {
        method: oneOf(c.method, CALIBRATION_METHODS, at('quant.calibration.method')),
        percentile: c.percentile as number | undefined,
        images: positiveInt(c.images, at('quant.calibration.images'), 'images'),
      };
    }
    config.quant = section;
  }
  if (value.layers !== undefined) {
    if (!isObj(value.layers)) throw badInput(`${at('layers')} must be an object keyed by layer name.`, at('layers'));
    config.layers = {};
    for (const [name, entry] of Object.entries(value.layers)) {
      const f = at(`layers.${clip(name, 80)}`);
      if (name === '__proto__' || name === 'constructor' || name === 'prototype') throw badInput(`${at('layers')} has a layer named "${name}", which edgefold refuses (no ONNX layer is named so).`, at('layers'));
      if (!isObj(entry)) throw badInput(`${f} must be an object.`, f);
      checkKeys(entry, ['prune', 'quantize', 'weightBits', 'activationBits', 'granularity', 'scale', 'rounding'], f);
      const layer: LayerSection = {};
      if (entry.prune !== undefined) {
        const p = entry.prune;
        if (!isObj(p)) throw badInput(`${f}.prune must be an object: {"ratio": r} or {"keep": n}.`, `${f}.prune`);
        checkKeys(p, ['ratio', 'keep'], `${f}.prune`);
        if (p.ratio !== undefined && p.keep !== undefined) throw badInput(`${f}.prune sets both ratio and keep; give one.`, `${f}.prune`);
        if (p.keep !== undefined && (!Number.isInteger(p.keep) || (p.keep as number) < 1)) {
          throw badInput(`${f}.prune.keep must be an integer of at least 1 (a pruning cannot leave a channel group empty), got ${quote(p.keep)}.`, `${f}.prune.keep`);
        }
        layer.prune = { ratio: ratio(p.ratio, `${f}.prune.ratio`), keep: p.keep as number | undefined };
      }
      if (entry.quantize !== undefined && typeof entry.quantize !== 'boolean') throw badInput(`${f}.quantize must be true or false.`, `${f}.quantize`);
      layer.quantize = entry.quantize as boolean | undefined;
      layer.weightBits = bits(entry.weightBits, `${f}.weightBits`, false) ?? undefined;
      layer.activationBits = bits(entry.activationBits, `${f}.activationBits`, true);
      layer.granularity = oneOf(entry.granularity, ['per-channel', 'per-tensor'] as const, `${f}.granularity`);
      layer.scale = oneOf(entry.scale, ['float', 'po2'] as const, `${f}.scale`);
      layer.rounding = oneOf(entry.rounding, ['half-even', 'floor'] as const, `${f}.rounding`);
      config.layers[name] = dropUndefined(layer);
    }
  }
  return dropUndefined(config);
}

function dropUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    const v = value[key];
    if (v === undefined) delete value[key];
    else if (isObj(v) && key !== 'layers') dropUndefined(v as object);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Resolution against a model

/** A config checked against a model and planned: what a design's numbers are computed from. */
export interface PlannedConfig {
  config: CompressionConfig;
  plan: PrunePlan;
  /** Quantization spec per compute layer (none when the config has no quant section). */
  quant: Record<string, LayerQuantSpec>;
}

/** A planned config with the channel analysis it was planned on (what applying it needs). */
export interface ResolvedConfig extends PlannedConfig {
  analysis: ChannelAnalysis;
}

/**
 * Checks the config against the model (layer names, prunable groups, group sizes) and plans the
 * pruning. `layerView`, when the caller has it, is the layer view of `analysis.graph`; without
 * it the view is computed here.
 */
export function resolveConfig(
  model: ModelProto,
  config: CompressionConfig,
  analysis = analyzeChannels(model),
  layerView?: readonly LayerInfo[],
): ResolvedConfig {
  if (layerView) channelPlanning(analysis, { layers: layerView });
  return { ...planConfig(analysis, config), analysis };
}

/**
 * `resolveConfig` on a channel analysis or on a model's planning view (no graph, no weights: what
 * the explorer runs on every design edit, on the page).
 */
export function planConfig(analysis: ChannelAnalysis | ChannelPlanning, config: CompressionConfig): PlannedConfig {
  const layerView = ('graph' in analysis ? channelPlanning(analysis) : analysis).layers;
  const layers = new Map<string, LayerInfo>();
  for (const info of layerView) layers.set(info.name, info);
  const groupRequests: Record<string, { ratio?: number; keep?: number }> = {};
  const requestedBy = new Map<string, string>();
  for (const [name, entry] of Object.entries(config.layers ?? {})) {
    const f = `layers.${name}`;
    const info = layers.get(name);
    if (!info) {
      const names = [...layers.values()].filter((l) => COMPUTE_KINDS.has(l.kind)).map((l) => l.name);
      throw badInput(`${f}: the model has no layer "${name}" (its conv/FC layers are: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', ...' : ''}).`, f);
    }
    const hasQuant = ['weightBits', 'activationBits', 'granularity', 'scale', 'rounding', 'quantize'].some((k) => k in entry);
    if (hasQuant && !COMPUTE_KINDS.has(info.kind)) throw badInput(`${f}: "${name}" is a ${info.kind} layer and has no weights to quantize.`, f);
    if (entry.prune) {
      const groupId = analysis.layerGroup.get(name);
      const group = analysis.groups.find((g) => g.id === groupId);
      if (!group) throw badInput(`${f}.prune: "${name}" does not produce a channel group that edgefold can prune.`, `${f}.prune`);
      const wants = entry.prune.keep !== undefined ? entry.prune.keep < group.size : (entry.prune.ratio ?? 0) > 0;
      if (!group.prunable && wants) throw badInput(`${f}.prune: the output channels of "${name}" cannot be pruned: ${group.reasons.join('; ')}.`, `${f}.prune`);
      if (entry.prune.keep !== undefined && entry.prune.keep > group.size) {
        throw badInput(`${f}.prune.keep is ${entry.prune.keep} but "${name}" has only ${group.size} output channels.`, `${f}.prune.keep`);
      }
      const previous = requestedBy.get(group.id);
      if (previous && JSON.stringify(groupRequests[group.id]) !== JSON.stringify(entry.prune)) {
        throw badInput(
          `${f}.prune conflicts with layers.${previous}.prune: both layers' output channels are one group ("${group.id}"), which is pruned as a whole.`,
          `${f}.prune`,
        );
      }
      requestedBy.set(group.id, name);
      groupRequests[group.id] = entry.prune;
    }
  }
  const plan = makePrunePlan(analysis, {
    criterion: config.prune?.criterion,
    ratio: config.prune?.ratio,
    roundTo: config.prune?.roundTo,
    groups: groupRequests,
  });
  const quant: Record<string, LayerQuantSpec> = {};
  if (config.quant) {
    const q = config.quant;
    for (const info of layers.values()) {
      if (!COMPUTE_KINDS.has(info.kind)) continue;
      const entry = config.layers?.[info.name] ?? {};
      if (entry.quantize === false) continue;
      quant[info.name] = {
        weightBits: entry.weightBits ?? q.weightBits ?? 8,
        activationBits: entry.activationBits !== undefined ? entry.activationBits : (q.activationBits ?? null),
        granularity: entry.granularity ?? q.granularity ?? 'per-channel',
        scale: entry.scale ?? q.scale ?? 'float',
        rounding: entry.rounding ?? q.rounding ?? 'half-even',
      };
    }
  } else {
    const stray = Object.entries(config.layers ?? {}).find(([, e]) => ['weightBits', 'activationBits', 'granularity', 'scale', 'rounding'].some((k) => k in e));
    if (stray) throw badInput(`layers.${stray[0]} sets quantization but the config has no "quant" section (add "quant": {} to quantize).`, `layers.${stray[0]}`);
  }
  return { config, plan, quant };
}

/** Identifies a pruning (which channels are kept), so calibration statistics are matched to it. */
export function pruningKey(plan: PrunePlan): string {
  if (!plan.keep.size) return 'unpruned';
  let h = 0x811c9dc5;
  const text = [...plan.keep].map(([g, k]) => `${g}:${k.join(',')}`).join(';');
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `pruned-${plan.keep.size}-${h.toString(16).padStart(8, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Applying

export interface CostSummary {
  /** Conv/FC weights and biases (layer view convention). */
  params: number;
  macs: number;
  /** Size of the ONNX file. */
  bytes: number;
  /** Weight + bias storage: float32 for float layers, the quantized widths otherwise (bias 32 bits). */
  weightMemoryBits: number;
}

export interface GroupReport {
  group: string;
  size: number;
  kept: number;
  removed: number[];
  criterion: Criterion;
  producers: string[];
}

export interface CompressionReport {
  configVersion: 1;
  before: CostSummary;
  after: CostSummary;
  /** What the pruning plan predicted before surgery (checked against `after` by tests). */
  predicted: { params: number; macs: number };
  prune: { groups: GroupReport[]; notPrunable: { group: string; size: number; reasons: string[] }[] };
  batchNorm: { folded: FoldResult['folded']; kept: FoldResult['kept'] } | null;
  quant: QuantReport | null;
  calibration: { images: number; key: string } | null;
}

export interface ApplyResult {
  model: ModelProto;
  bytes: Uint8Array<ArrayBuffer>;
  report: CompressionReport;
}

interface Prepared {
  resolved: ResolvedConfig;
  pruned: ModelProto;
  fold: FoldResult | null;
}

function prepare(model: ModelProto, config: CompressionConfig): Prepared {
  const resolved = resolveConfig(model, config);
  const pruned = resolved.plan.keep.size ? applyPruning(model, resolved.analysis, resolved.plan.keep) : model;
  const fold = config.quant ? foldBatchNorm(pruned) : null;
  return { resolved, pruned: fold?.model ?? pruned, fold };
}

/**
 * What calibration must see for this config: the pruned (and BN-folded) model, the tensors
 * whose ranges are needed and the key the statistics must carry. Empty `taps`: no calibration needed.
 */
export function calibrationPlan(model: ModelProto, config: CompressionConfig): { model: ModelProto; taps: string[]; key: string } {
  const { resolved, pruned } = prepare(model, config);
  const graph = new Graph(pruned);
  inferShapes(graph);
  const wanted = new Set(Object.entries(resolved.quant).filter(([, s]) => s.activationBits !== null).map(([n]) => n));
  const taps = activationTaps(graph).filter((t) => (graph.consumers.get(t) ?? []).some((n) => wanted.has(n.name)));
  return { model: pruned, taps, key: pruningKey(resolved.plan) };
}

/** Runs calibration for a config through `source` (e.g. ortBatchSource on the calibration split). */
export async function calibrateConfig(model: ModelProto, config: CompressionConfig, source: BatchSource, signal?: AbortSignal): Promise<CalibrationData | undefined> {
  const plan = calibrationPlan(model, config);
  if (!plan.taps.length) return undefined;
  return calibrate(plan.model, plan.taps, source, encodeModel, { key: plan.key, signal, maxImages: config.quant?.calibration?.images });
}

const weightBitsOf = (layers: readonly LayerInfo[], quant: QuantReport | null): number => {
  const q = new Map((quant?.layers ?? []).map((l) => [l.layer, l]));
  return layers.reduce((n, l) => n + (q.get(l.name)?.weightMemoryBits ?? l.params * 32), 0);
};

/**
 * Applies a compression config: prune (plan + surgery), fold BatchNormalization, quantize.
 * Synchronous; when activations are quantized, `calibration` (from calibrateConfig) is required.
 * Throws EdgefoldError('bad-input') naming the field when the config does not fit the model.
 */
export function applyConfig(model: ModelProto, input: CompressionConfig | unknown, calibration?: CalibrationData): ApplyResult {
  const config = parseCompressionConfig(input);
  const { resolved, pruned, fold } = prepare(model, config);
  const key = pruningKey(resolved.plan);
  if (calibration && calibration.key !== key) {
    throw badInput(`The calibration statistics were gathered for a different pruning ("${calibration.key}", this config gives "${key}"); calibrate again.`, 'calibration');
  }
  let result = pruned;
  let quant: QuantReport | null = null;
  if (config.quant) {
    const q = quantizeModel(pruned, {
      layers: resolved.quant,
      format: config.quant.format ?? 'float',
      calibration,
      method: config.quant.calibration?.method ?? 'minmax',
      percentile: config.quant.calibration?.percentile ?? 99.99,
    });
    result = q.model;
    quant = q.report;
  }
  const bytes = encodeModel(result);
  const beforeLayers = channelPlanning(resolved.analysis).layers;
  const afterLayers = analyzeModel(result).layers;
  const sum = (ls: readonly LayerInfo[], k: 'params' | 'macs') => ls.reduce((n, l) => n + l[k], 0);
  const { plan, analysis } = resolved;
  const report: CompressionReport = {
    configVersion: 1,
    before: { params: sum(beforeLayers, 'params'), macs: sum(beforeLayers, 'macs'), bytes: encodedSize(model), weightMemoryBits: weightBitsOf(beforeLayers, null) },
    after: { params: sum(afterLayers, 'params'), macs: sum(afterLayers, 'macs'), bytes: bytes.byteLength, weightMemoryBits: weightBitsOf(afterLayers, quant) },
    predicted: plan.predicted,
    prune: {
      groups: plan.groups.map((p) => ({
        group: p.group,
        size: p.size,
        kept: p.keep.length,
        removed: p.removed,
        criterion: p.criterion,
        producers: analysis.groups.find((g) => g.id === p.group)!.producers,
      })),
      notPrunable: analysis.groups.filter((g) => !g.prunable).map((g) => ({ group: g.id, size: g.size, reasons: g.reasons })),
    },
    batchNorm: fold ? { folded: fold.folded, kept: fold.kept } : null,
    quant,
    calibration: calibration ? { images: calibration.images, key: calibration.key } : null,
  };
  return { model: result, bytes, report };
}

const sizes = new WeakMap<ModelProto, number>();
function encodedSize(model: ModelProto): number {
  let n = sizes.get(model);
  if (n === undefined) {
    n = encodeModel(model).byteLength;
    sizes.set(model, n);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// JSON Schema (draft 2020-12) of the compression config, for editors and for the deployment
// config schema to embed. parseCompressionConfig is the authority (it also gives the messages).

const bitsSchema = { type: 'integer', minimum: BITS_MIN, maximum: BITS_MAX } as const;
const layerQuantProps = {
  weightBits: { ...bitsSchema, description: 'Weight bits (symmetric, two’s complement).' },
  activationBits: { oneOf: [bitsSchema, { type: 'null' }], description: 'Bits of the activations the layer reads; null keeps them float.' },
  granularity: { enum: ['per-channel', 'per-tensor'] },
  scale: { enum: ['float', 'po2'], description: 'po2: power-of-two scales 2^-f (fixed-point Qm.f).' },
  rounding: { enum: ['half-even', 'floor'], description: 'floor mirrors HLS ap_fixed truncation (AP_TRN).' },
} as const;

export const COMPRESSION_CONFIG_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://edgefold.dev/schema/compression-config-v1.json',
  title: 'edgefold compression config',
  description: 'Channel pruning and fixed-point quantization of an ONNX model. See docs/compression.md.',
  type: 'object',
  required: ['version'],
  properties: {
    version: { const: COMPRESSION_CONFIG_VERSION },
    prune: {
      type: 'object',
      additionalProperties: false,
      properties: {
        criterion: { enum: [...CRITERIA], default: 'l1' },
        ratio: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0, description: 'Fraction of channels removed from every prunable group.' },
        roundTo: { type: 'integer', minimum: 1, default: 1, description: 'Kept counts from ratios become multiples of this.' },
      },
    },
    quant: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ...layerQuantProps,
        format: { enum: [...QUANT_FORMATS], default: 'float' },
        calibration: {
          type: 'object',
          additionalProperties: false,
          properties: {
            method: { enum: [...CALIBRATION_METHODS], default: 'minmax' },
            percentile: { type: 'number', exclusiveMinimum: 50, maximum: 100, default: 99.99 },
            images: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
    layers: {
      type: 'object',
      description: 'Per-layer overrides keyed by layer name (the ONNX node name).',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          prune: {
            type: 'object',
            additionalProperties: false,
            maxProperties: 1,
            properties: {
              ratio: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
              keep: { type: 'integer', minimum: 1, description: 'Exact number of output channels kept (not rounded).' },
            },
          },
          quantize: { type: 'boolean', default: true },
          ...layerQuantProps,
        },
      },
    },
  },
} as const;
